# The HTML report (core/report, tstudio report). Paths are relative to tests/core.
# A tiny run trained in the test, one `tstudio export --check`, one render in
# headless Chromium (skipped without it).
ts_add_gtest(NAME test_report SOURCES test_report.cpp LABELS integration TIMEOUT 600 DEPENDS tstudio)
target_link_libraries(test_report PRIVATE ts_report)
