# Calibrated confidence (core/train/Calibration.h): temperature, ECE, unknown
# threshold, the bundle's calibration entry; and through tstudio (train, eval,
# predict, export --with-probabilities). Paths are relative to tests/core.
ts_add_gtest(NAME test_calibration SOURCES test_calibration.cpp LABELS unit)
ts_add_gtest(NAME test_calibration_cli SOURCES test_calibration_cli.cpp LABELS integration TIMEOUT 600 DEPENDS tstudio)
