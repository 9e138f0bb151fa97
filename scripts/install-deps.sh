#!/usr/bin/env bash
# Installs every Debian 12 package that building, testing, benchmarking and
# running Transfer Studio need. Idempotent: installs only what is missing.
# Runs apt-get as root, or through sudo.
set -euo pipefail

PACKAGES=(
  # toolchain
  build-essential cmake ninja-build ccache pkg-config git dpkg-dev file
  # compute
  libtorch-dev
  # LibTorch falls back to the reference BLAS without it: ~10x slower Linear layers
  libopenblas0-pthread
  libopencv-dev
  # small libraries of the core and CLI
  nlohmann-json3-dev libcli11-dev libcurl4-openssl-dev libonnx-dev
  # GUI
  qt6-base-dev qt6-base-dev-tools libqcustomplot-dev libgl-dev qt6-gtk-platformtheme
  # tests: GoogleTest, the torchvision reference, a virtual display, screenshots
  libgtest-dev googletest python3-torch python3-torchvision python3-pil python3-numpy
  xvfb xauth imagemagick
  # the HTML report rendered in a real browser (tstudio report; the test skips without it)
  chromium fonts-dejavu-core
  # tests of the .deb: lintian, desktop entry and MIME checks, man pages, X window properties
  lintian desktop-file-utils shared-mime-info libglib2.0-bin man-db x11-utils
  # the AtomicFile test that watches fsync and rename calls
  strace
  # fuzzing (make fuzz, the `fuzz` tests): clang with libFuzzer and the sanitizers;
  # the hostile-input tests: timeout (coreutils) and prlimit (util-linux)
  clang libclang-rt-14-dev coreutils util-linux
  # ONNX Runtime checks of the ONNX exports: the npm package onnxruntime-node (below)
  nodejs
)

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

# ONNX Runtime, the runtime `tstudio export --check` also runs ONNX exports in:
# not in Debian 12, but the npm package onnxruntime-node carries its Linux x64
# libonnxruntime.so. Installed project-locally (third_party/onnxruntime, ignored
# by git) with --ignore-scripts: its install script downloads extras from a host
# that may be unreachable, and the CPU runtime needs none of them. Optional:
# a failure warns, and the checks then report ONNX Runtime as absent.
ORT_VERSION=1.30.0
ORT_PREFIX="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/third_party/onnxruntime"
install_onnxruntime() {
  local pkg="$ORT_PREFIX/node_modules/onnxruntime-node/package.json"
  if [ -f "$pkg" ] && grep -q "\"version\": *\"$ORT_VERSION\"" "$pkg"; then
    return 0
  fi
  if ! command -v npm >/dev/null 2>&1; then
    echo "install-deps: warning: npm not found, ONNX Runtime checks will be skipped (install nodejs, which brings npm)" >&2
    return 0
  fi
  echo "install-deps: installing onnxruntime-node@$ORT_VERSION into $ORT_PREFIX"
  mkdir -p "$ORT_PREFIX"
  if ! npm install --ignore-scripts --no-audit --no-fund --loglevel=error --prefix "$ORT_PREFIX" \
       "onnxruntime-node@$ORT_VERSION" >/dev/null; then
    echo "install-deps: warning: npm could not install onnxruntime-node@$ORT_VERSION; ONNX Runtime checks will be skipped" >&2
  fi
  return 0
}

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#PACKAGES[@]} packages present"
  install_onnxruntime
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
    echo "install-deps: need root (or sudo) to install: ${missing[*]}" >&2
    exit 1
  fi
fi

echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"

# Make sure the optimised BLAS is the one LibTorch loads.
if [ -e /usr/lib/x86_64-linux-gnu/openblas-pthread/libblas.so.3 ]; then
  $SUDO update-alternatives --set libblas.so.3-x86_64-linux-gnu \
    /usr/lib/x86_64-linux-gnu/openblas-pthread/libblas.so.3 >/dev/null 2>&1 || true
fi
install_onnxruntime
echo "install-deps: done"
