#!/bin/bash
# A family number another kernel user already holds (here the C reference module,
# bench/c-reference): insmod fails with EBUSY and a log line naming the number, the
# families registered before it are released again, and the other user keeps working.
# Once it is gone the number is free for nlfam.
. "$(dirname "$0")/lib.sh"
C_KO=$NLFAM_ROOT/bench/c-reference/nlfam_c.ko
[ -f "$C_KO" ] || skip "bench/c-reference/nlfam_c.ko not built (make module builds it)"
c_loaded() { grep -q '^nlfam_c ' /proc/modules; }
trap 'c_loaded && rmmod nlfam_c; cleanup_module' EXIT
unload_module
insmod "$C_KO" family=25 || fail "insmod nlfam_c family=25: $(dmesg | tail -n 2)"
# 26 registers first, then 25 is refused: 26 must be released on the way out.
out=$(insmod "$KO" family=26,25 2>&1) && fail "insmod nlfam on a family the C module holds succeeded"
log "insmod family=26,25 with 25 taken: $out"
case $out in *"Device or resource busy"*) ;; *) fail "insmod failed with '$out', want EBUSY" ;; esac
dmesg | tail -n 20 | grep -q "netlink family 25 is already registered by someone else" ||
  fail "no kernel log line naming family 25: $(dmesg | tail -n 3)"
module_loaded && fail "nlfam stayed loaded after a failed init"
expect_eq "socket() on family 26 after the failed load" "EPROTONOSUPPORT" "$("$VMTEST" socket-errno --family 26)"
out=$("$NLFAM" echo "still the C module") || fail "the C module stopped answering: $out"
rmmod nlfam_c || fail "rmmod nlfam_c"
load_module family=25
out=$("$NLFAM" echo "now nlfam") || fail "nlfam does not answer on 25 after the C module left: $out"
log "after the C module left, nlfam holds 25: $out"
