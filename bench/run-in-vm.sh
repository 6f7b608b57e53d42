#!/bin/bash
# Guest side of `make bench` (scripts/bench runs it through scripts/vm): loads each module
# in turn — which one goes first swaps every round — and runs one slot of `nlfam-bench
# run` per load: every row, its share of the samples, the floor included. Parts go to
# OUT/parts/rROUND-LABEL.json; progress lines ("round 2/5: c: dump/1M ...") to stderr.
#
#   bench/run-in-vm.sh --out DIR --module LABEL=PATH.ko [--module LABEL=PATH.ko]
#                      [--rounds 5] [--samples 40] [--params "max_entries=1100000"]
#                      [--quick] [--sample-ms MS] [--rows LIST]
#
# Exits non-zero when a module does not load or unload, or a measurement fails (a wrong
# answer included).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bin=$root/userspace/target/release/nlfam-bench
out="" rounds=5 samples=40 params="max_entries=1100000"
extra=() modules=()
while [ $# -gt 0 ]; do
  case $1 in
    --out) out=$2; shift 2 ;;
    --rounds) rounds=$2; shift 2 ;;
    --samples) samples=$2; shift 2 ;;
    --params) params=$2; shift 2 ;;
    --quick) extra+=(--quick); shift ;;
    --sample-ms) extra+=(--sample-ms "$2"); shift 2 ;;
    --rows) extra+=(--rows "$2"); shift 2 ;;
    --module) modules+=("$2"); shift 2 ;;
    *) echo "run-in-vm.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
[ -n "$out" ] && [ ${#modules[@]} -gt 0 ] || { echo "run-in-vm.sh: --out and --module are required" >&2; exit 2; }
[ -x "$bin" ] || { echo "run-in-vm.sh: $bin not built" >&2; exit 2; }

n=${#modules[@]}
per=$(( (samples + rounds - 1) / rounds ))   # samples of every module row per load
floor=$(( (per + n - 1) / n ))               # the floor runs in every load: its share
mkdir -p "$out/parts"
# The client runs on one CPU: no migrations mid-sample (costly under TCG), the same for
# every module.
pin=""
if [ "$(nproc)" -gt 1 ] && command -v taskset >/dev/null; then pin="taskset -c 1"; fi
echo "guest: kernel $(uname -r), $(nproc) CPUs, clock source $(cat /sys/devices/system/clocksource/clocksource0/current_clocksource)," \
     "$rounds rounds x $per samples per module row ($floor per floor row per load)${pin:+, client pinned to CPU 1}" >&2

for ((r = 1; r <= rounds; r++)); do
  order=("${modules[@]}")
  if (( r % 2 == 0 )); then
    order=()
    for ((i = n - 1; i >= 0; i--)); do order+=("${modules[i]}"); done
  fi
  for m in "${order[@]}"; do
    label=${m%%=*} ko=${m#*=}
    name=$(modinfo -F name "$ko" 2>/dev/null || true)
    [ -n "$name" ] || name=$(basename "$ko" .ko)
    echo "round $r/$rounds: $label: insmod $(basename "$ko") $params" >&2
    # shellcheck disable=SC2086  # params are words
    if ! insmod "$ko" $params; then
      echo "error: round $r: $label: insmod $ko failed" >&2
      dmesg | tail -n 5 >&2
      exit 1
    fi
    rc=0
    $pin "$bin" run --label "$label" --round "$r" --rounds "$rounds" --samples "$per" \
      --floor-samples "$floor" "${extra[@]}" --out "$out/parts/r$r-$label.json" || rc=$?
    echo "round $r/$rounds: $label: rmmod $name" >&2
    if ! rmmod "$name"; then
      echo "error: round $r: $label: rmmod $name failed" >&2
      exit 1
    fi
    if [ "$rc" != 0 ]; then
      echo "error: round $r: $label: the measurement failed (exit $rc)" >&2
      exit "$rc"
    fi
  done
done
echo "guest: all $rounds rounds done" >&2
