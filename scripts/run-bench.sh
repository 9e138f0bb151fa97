#!/usr/bin/env bash
# make bench: model throughput of Transfer Studio and torchvision side by side
# (same architectures, batch 32, CPU threads = cores); writes bench/RESULTS.md.
set -euo pipefail
build="${1:-build}"
cmake --build "$build" --target ts_bench >/dev/null
out=bench/RESULTS.md
rows=""
for arch in resnet18 mobilenet_v2; do
  for runner in "$build/bin/ts_bench" "/usr/bin/python3 bench/bench_torchvision.py"; do
    line=$($runner "$arch" 32 5)
    echo "$line"
    rows+=$(/usr/bin/python3 -c 'import json,sys; d=json.loads(sys.argv[1]); print(f"| {d[\"arch\"]} | {d[\"runtime\"]} | {d[\"threads\"]} | {d[\"extract_images_per_sec\"]:.1f} | {d[\"finetune_images_per_sec\"]:.1f} |")' "$line")$'\n'
  done
done
{
  echo "# Benchmarks"
  echo
  echo "Measured by \`make bench\` on $(date -u +%Y-%m-%d), $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)."
  echo "Batch 32, random input at the native size, 5 timed iterations after one warm-up."
  echo
  echo "| model | runtime | threads | feature extraction (img/s) | full fine-tuning (img/s) |"
  echo "|---|---|---|---|---|"
  printf "%s" "$rows"
  echo
  echo "Not yet measured here: loader throughput against ImageFolder + DataLoader, and the end-to-end"
  echo "10-epoch feature-extraction run with the feature cache against torchvision's per-epoch loop."
} > "$out"
echo "wrote $out"
