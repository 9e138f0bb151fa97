# Exports (core/export, tstudio export). Paths are relative to tests/core.
ts_add_gtest(NAME test_export SOURCES test_export.cpp LABELS unit)
if(TARGET onnx)
  target_link_libraries(test_export PRIVATE onnx)
endif()

# Every zoo architecture with a replaced head: ONNX export (checker), OpenCV
# DNN and Python torchvision round trips. One CTest per architecture; the
# large ones are labelled slow.
add_executable(test_export_arch test_export_arch.cpp)
target_link_libraries(test_export_arch PRIVATE ts_test_support GTest::gtest_main)
ts_reuse_core_pch(test_export_arch)
set(TS_EXPORT_FAST
  mobilenet_v3_small mobilenet_v3_large shufflenet_v2_x1_0 mnasnet1_0 efficientnet_b0 mobilenet_v2
  squeezenet1_0 squeezenet1_1 googlenet resnet18)
set(TS_EXPORT_SLOW
  resnet34 resnet50 resnext50_32x4d densenet121 alexnet efficientnet_b1 convnext_tiny inception_v3 vgg11_bn
  xception zfnet)
# The rest of the big ones: the same layer kinds at larger sizes (make test-all).
set(TS_EXPORT_EXTENDED
  efficientnet_b2 efficientnet_b3 densenet169 resnet101 resnet152 wide_resnet50_2
  vgg11 vgg13 vgg16 vgg19 vgg13_bn vgg16_bn vgg19_bn)
foreach(arch IN LISTS TS_EXPORT_FAST TS_EXPORT_SLOW TS_EXPORT_EXTENDED)
  add_test(NAME export.arch.${arch} COMMAND test_export_arch --gtest_filter=*/${arch})
  if(arch IN_LIST TS_EXPORT_EXTENDED)
    set_tests_properties(export.arch.${arch} PROPERTIES LABELS "unit;slow;extended" TIMEOUT 900)
  elseif(arch IN_LIST TS_EXPORT_SLOW)
    set_tests_properties(export.arch.${arch} PROPERTIES LABELS "unit;slow" TIMEOUT 900)
  else()
    set_tests_properties(export.arch.${arch} PROPERTIES LABELS "unit" TIMEOUT 300)
  endif()
endforeach()

ts_add_gtest(NAME test_export_cli SOURCES test_export_cli.cpp LABELS integration TIMEOUT 900 DEPENDS tstudio)

# The hymenoptera done-when (real weights and data; skips without ../shared).
# One plain CTest so it keeps both labels.
add_executable(test_export_real test_export_real.cpp)
target_link_libraries(test_export_real PRIVATE ts_test_support GTest::gtest_main)
ts_reuse_core_pch(test_export_real)
add_dependencies(test_export_real tstudio)
add_test(NAME export.hymenoptera COMMAND test_export_real)
set_tests_properties(export.hymenoptera PROPERTIES LABELS "integration;slow" TIMEOUT 2400)
