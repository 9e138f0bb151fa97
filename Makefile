# Transfer Studio - the two commands: `make run` and `make test`.
#   make run       install missing packages (and ONNX Runtime's npm package into
#                  third_party/onnxruntime, optional), build (Release), launch the GUI on its demo project
#   make test      the same set-up, then the test suite (ctest), all labels but
#                  `extended` (the exhaustive sweeps over the largest architectures
#                  and the GUI's real-data click-through; about 25 minutes on 2 cores)
#   make test-all  the same with the `extended` tests too
#   make bench     benchmarks against torchvision; writes bench/RESULTS.md
#   make package   the .deb installer (build/transfer-studio_*.deb)
#   make fuzz      build the libFuzzer targets (clang, ASan+UBSan) and run each
#                  for FUZZ_SECONDS; findings land in build/fuzz/runs/<target>/findings
#   make asan      build in build-asan with ASan+UBSan (CMakePresets.json, no GUI)
#                  and run the unit tests under it (a full build: long on 2 cores)
# Options: BUILD_DIR=build  GUI=ON|OFF  TORCH_DIR=/path/to/libtorch  JOBS=N  CTEST_ARGS=...
#          FUZZ_SECONDS=60 (make fuzz, per target)

BUILD_DIR ?= build
GUI       ?= ON
JOBS      ?= $(shell nproc)
TORCH_DIR ?=
CTEST_ARGS ?=
FUZZ_SECONDS ?= 60
FUZZ_TARGETS := fuzz_pickle fuzz_zip fuzz_pth fuzz_safetensors fuzz_image_header fuzz_json fuzz_bundle fuzz_experiment

CMAKE_ARGS := -G Ninja -DCMAKE_BUILD_TYPE=Release -DTS_BUILD_GUI=$(GUI)
ifneq ($(TORCH_DIR),)
CMAKE_ARGS += -DCMAKE_PREFIX_PATH=$(abspath $(TORCH_DIR))
endif

.PHONY: all deps configure build run test test-all bench package fuzz asan clean

all: build

deps:
	@scripts/install-deps.sh

$(BUILD_DIR)/build.ninja:
	cmake -S . -B $(BUILD_DIR) $(CMAKE_ARGS)

configure: deps
	cmake -S . -B $(BUILD_DIR) $(CMAKE_ARGS)

build: deps $(BUILD_DIR)/build.ninja
	cmake --build $(BUILD_DIR) -j $(JOBS)

run: build
	@scripts/run-app.sh $(BUILD_DIR)

test: build
	cd $(BUILD_DIR) && ctest --output-on-failure -j $(JOBS) -LE extended $(CTEST_ARGS)

test-all: build
	cd $(BUILD_DIR) && ctest --output-on-failure -j $(JOBS) $(CTEST_ARGS)

bench: build
	@scripts/run-bench.sh $(BUILD_DIR)

fuzz: deps $(BUILD_DIR)/build.ninja
	cmake --build $(BUILD_DIR) --target ts_fuzz_all -j $(JOBS)
	@failed=""; for t in $(FUZZ_TARGETS); do \
	  echo "== $$t ($(FUZZ_SECONDS) s)"; \
	  fuzz/run-fuzzer.sh $(BUILD_DIR)/fuzz/targets/$$t $(BUILD_DIR)/fuzz/seeds/$$t \
	    $(BUILD_DIR)/fuzz/runs/$$t $(FUZZ_SECONDS) || failed="$$failed $$t"; \
	done; \
	if [ -n "$$failed" ]; then echo "make fuzz: findings in:$$failed"; exit 1; fi; echo "make fuzz: no findings"

asan: deps
	cmake --preset asan
	cmake --build --preset asan -j $(JOBS)
	ctest --preset asan -j $(JOBS) $(CTEST_ARGS)

package: build
	cd $(BUILD_DIR) && cpack -G DEB

clean:
	rm -rf $(BUILD_DIR) build-asan
