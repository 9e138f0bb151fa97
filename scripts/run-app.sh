#!/usr/bin/env bash
# Launches the desktop app on its built-in demo project; without a display
# (or without the GUI build) says so and prints the CLI's help instead.
set -euo pipefail
build="${1:-build}"
gui="$build/bin/transfer-studio"
if [ -x "$gui" ] && { [ -n "${DISPLAY:-}" ] || [ -n "${WAYLAND_DISPLAY:-}" ]; }; then
  exec "$gui" --demo
fi
if [ ! -x "$gui" ]; then
  echo "The GUI was not built (TS_BUILD_GUI=OFF). The command-line tool:"
else
  echo "No display found (DISPLAY is not set), so the GUI cannot open here."
  echo "Run it under a virtual display with: xvfb-run -a $gui --demo"
  echo "or use the command-line tool:"
fi
echo
"$build/bin/tstudio" --help
