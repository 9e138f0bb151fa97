#!/bin/sh
# run-fuzzer.sh FUZZER SEED_DIR WORK_DIR [SECONDS]
# One bounded libFuzzer run (the `fuzz` CTest label, `make fuzz`): starts
# from the seeds in a fresh corpus folder (so a run depends only on the
# seeds and its time), keeps what it finds in WORK_DIR/findings/.
set -u
bin=$1 seeds=$2 work=$3
secs=${4:-20}
name=$(basename "$bin")
if [ ! -x "$bin" ]; then echo "run-fuzzer: $bin is not built" >&2; exit 1; fi
if [ ! -d "$seeds" ]; then echo "run-fuzzer: no seeds at $seeds (build ts_fuzz_seeds_run)" >&2; exit 1; fi
rm -rf "$work/corpus"
mkdir -p "$work/corpus" "$work/findings"
# Limits: a reader may not take more than 20 s on one input, ask for more
# than 512 MiB in one allocation, or grow the process past 2.5 GiB (libFuzzer,
# ASan's quarantine and LibTorch themselves take about 0.5 GiB).
"$bin" -max_total_time="$secs" -timeout=20 -rss_limit_mb=2560 -malloc_limit_mb=512 \
       -print_final_stats=1 -artifact_prefix="$work/findings/$name-" "$work/corpus" "$seeds"
rc=$?
if [ $rc -ne 0 ]; then
  echo "run-fuzzer: $name found a problem (exit $rc). Inputs kept:" >&2
  ls -1 "$work/findings" | sed "s|^|  $work/findings/|" >&2
  echo "Reproduce one with: $bin <file>" >&2
fi
exit $rc
