# Visualisation (core/viz, tstudio viz). Paths are relative to tests/core.
ts_add_gtest(NAME test_viz SOURCES test_viz.cpp LABELS unit)
ts_add_gtest(NAME test_viz_real SOURCES test_viz_real.cpp LABELS integration)
# Seven tstudio runs on mobilenet_v2: about 35 s on two busy cores.
ts_add_gtest(NAME test_viz_cli SOURCES test_viz_cli.cpp LABELS "integration;slow" TIMEOUT 600 DEPENDS tstudio)
