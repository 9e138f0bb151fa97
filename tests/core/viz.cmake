# Visualisation (core/viz, tstudio viz). Paths are relative to tests/core.
ts_add_gtest(NAME test_viz SOURCES test_viz.cpp LABELS unit)
ts_add_gtest(NAME test_viz_real SOURCES test_viz_real.cpp LABELS integration DEPENDS tstudio)
