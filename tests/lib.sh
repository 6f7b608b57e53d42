# Helpers for nlfam's kselftest-style tests. Sourced by every test; runs inside the VM as
# root. Exit codes follow kselftest: 0 pass, 1 fail, 4 skip.
set -u

ksft_pass=0
ksft_fail=1
ksft_skip=4

NLFAM_ROOT=${NLFAM_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}
BIN=$NLFAM_ROOT/userspace/target/release
KO=$NLFAM_ROOT/rust/nlfam.ko
NLFAM=$BIN/nlfam
VMTEST=$BIN/nlfam-vmtest

log()  { echo "# $*"; }
fail() { echo "# FAIL: $*"; exit $ksft_fail; }
skip() { echo "# SKIP: $*"; exit $ksft_skip; }

module_loaded() { grep -q '^nlfam ' /proc/modules; }

# load_module [param=value ...]: insmod, failing the test with the kernel's reason.
load_module() {
  module_loaded && rmmod nlfam
  insmod "$KO" "$@" || fail "insmod $* failed: $(dmesg | tail -n 3)"
}

unload_module() {
  if module_loaded; then rmmod nlfam || fail "rmmod failed"; fi
}

# Every test leaves the module unloaded, whatever happens.
cleanup_module() { module_loaded && rmmod nlfam 2>/dev/null; true; }
trap cleanup_module EXIT

# Tests never clear the kernel log (tests/run alone reads and clears it, to check it).
# To look at what a step logs: mark=$(kmsg_mark); <step>; kmsg_since "$mark".
kmsg_mark() {
  local m="nlfam-test-mark-$$-$RANDOM$RANDOM"
  echo "$m" > /dev/kmsg || fail "cannot write a marker to /dev/kmsg"
  echo "$m"
}
kmsg_since() { dmesg | awk -v m="$1" 'seen; index($0, m) { seen = 1 }'; }

# expect_eq DESCRIPTION WANT GOT
expect_eq() {
  [ "$2" = "$3" ] || fail "$1: want '$2', got '$3'"
  log "$1: $3"
}

# The kernel socket line of family $1 in /proc/net/netlink (Eth column), if any.
proc_kernel_socket() {
  awk -v fam="$1" 'NR > 1 && $2 == fam && $3 == 0' /proc/net/netlink
}
