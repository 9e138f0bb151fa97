# Visualisation (core/viz, tstudio viz). Paths are relative to tests/core.
# Test names carry a "viz." prefix so that `ctest -R viz` runs exactly these.
function(ts_viz_gtest NAME SOURCE LABEL)
  add_executable(${NAME} ${SOURCE})
  target_link_libraries(${NAME} PRIVATE ts_test_support GTest::gtest_main)
  ts_reuse_core_pch(${NAME})
  gtest_discover_tests(${NAME} TEST_PREFIX "viz." DISCOVERY_TIMEOUT 120 PROPERTIES LABELS ${LABEL} TIMEOUT 300)
endfunction()

ts_viz_gtest(test_viz test_viz.cpp unit)
ts_viz_gtest(test_viz_real test_viz_real.cpp integration)

# Eight tstudio runs (seven on mobilenet_v2): 25-45 s on two busy cores, so one
# plain CTest labelled slow (gtest_discover_tests would flatten the label list).
add_executable(test_viz_cli test_viz_cli.cpp)
target_link_libraries(test_viz_cli PRIVATE ts_test_support GTest::gtest_main)
ts_reuse_core_pch(test_viz_cli)
add_dependencies(test_viz_cli tstudio)
add_test(NAME viz.cli COMMAND test_viz_cli)
set_tests_properties(viz.cli PROPERTIES LABELS "integration;slow" TIMEOUT 900)
