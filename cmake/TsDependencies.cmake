# Finds the third-party libraries and wraps them in project targets, so that
# no target touches global include paths or CMAKE_CXX_FLAGS.

# LibTorch: Debian's 1.13 by default; any 1.13-2.x (e.g. the official CUDA
# build) through CMAKE_PREFIX_PATH or -DTorch_DIR.
find_package(Torch REQUIRED)
add_library(ts_torch INTERFACE)
target_link_libraries(ts_torch INTERFACE ${TORCH_LIBRARIES})
target_include_directories(ts_torch SYSTEM INTERFACE ${TORCH_INCLUDE_DIRS})
if(TORCH_CXX_FLAGS)
  separate_arguments(_ts_torch_flags UNIX_COMMAND "${TORCH_CXX_FLAGS}")
  target_compile_options(ts_torch INTERFACE ${_ts_torch_flags})
endif()

find_package(OpenCV REQUIRED COMPONENTS core imgproc imgcodecs)
add_library(ts_opencv INTERFACE)
target_link_libraries(ts_opencv INTERFACE opencv_core opencv_imgproc opencv_imgcodecs)
find_package(OpenCV QUIET COMPONENTS dnn)
if(TARGET opencv_dnn)
  set(TS_HAVE_OPENCV_DNN ON)
endif()

find_package(nlohmann_json 3 REQUIRED)
find_package(CURL REQUIRED)
find_package(CLI11 REQUIRED)
find_package(Threads REQUIRED)
find_package(ONNX QUIET)

if(TS_BUILD_GUI)
  find_package(Qt6 6.2 REQUIRED COMPONENTS Widgets PrintSupport Concurrent Test)
  find_package(QCustomPlotQt6 REQUIRED)
endif()

if(TS_BUILD_TESTS)
  find_package(GTest REQUIRED)
  include(GoogleTest)
endif()

# Reference PyTorch for parity tests and benchmarks (Debian's python3-torch).
find_program(TS_REFERENCE_PYTHON NAMES python3 PATHS /usr/bin NO_DEFAULT_PATH)
