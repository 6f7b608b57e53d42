#!/bin/bash
# Guest side of `make bench` (scripts/bench runs it through scripts/vm): loads every module
# at once, each on its own netlink family (25, 26, ...), and runs `nlfam-bench run` on all
# of them: every row, the modules' samples (and the floor's on echo rows) taken in turn.
# The raw result goes to OUT/raw.json; progress lines ("bench: dump/1M c ...") to stderr.
#
#   bench/run-in-vm.sh --out DIR --module LABEL=PATH.ko [--module LABEL=PATH.ko]
#                      [--samples 40] [--params "max_entries=1100000"]
#                      [--quick] [--sample-ms MS] [--rows LIST]
#
# Exits non-zero when a module does not load or unload, or a measurement fails (a wrong
# answer included).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bin=$root/userspace/target/release/nlfam-bench
out="" samples=40 params="max_entries=1100000"
extra=() modules=()
while [ $# -gt 0 ]; do
  case $1 in
    --out) out=$2; shift 2 ;;
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

mkdir -p "$out"
# The client runs on one CPU: no migrations mid-sample (costly under TCG), the same for
# every module.
pin=""
if [ "$(nproc)" -gt 1 ] && command -v taskset >/dev/null; then pin="taskset -c 1"; fi
echo "guest: kernel $(uname -r), $(nproc) CPUs, clock source $(cat /sys/devices/system/clocksource/clocksource0/current_clocksource)," \
     "$samples samples per row and module${pin:+, client pinned to CPU 1}" >&2

family=25 names=() series=()
for m in "${modules[@]}"; do
  label=${m%%=*} ko=${m#*=}
  name=$(modinfo -F name "$ko" 2>/dev/null || true)
  [ -n "$name" ] || name=$(basename "$ko" .ko)
  echo "bench: $label: insmod $(basename "$ko") family=$family $params" >&2
  # shellcheck disable=SC2086  # params are words
  if ! insmod "$ko" family=$family $params; then
    echo "error: $label: insmod $ko failed" >&2
    dmesg | tail -n 5 >&2
    exit 1
  fi
  names+=("$name") series+=(--module "$label=$family")
  family=$((family + 1))
done
rc=0
$pin "$bin" run "${series[@]}" --samples "$samples" "${extra[@]}" --out "$out/raw.json" || rc=$?
for name in "${names[@]}"; do
  echo "bench: rmmod $name" >&2
  rmmod "$name" || { echo "error: rmmod $name failed" >&2; exit 1; }
done
if [ "$rc" != 0 ]; then
  echo "error: the measurement failed (exit $rc)" >&2
  exit "$rc"
fi
echo "guest: done" >&2
