#!/bin/bash
# The module loads with defaults, registers family 25 and says so in the kernel log.
. "$(dirname "$0")/lib.sh"
# Built for this kernel: the module's vermagic names the running release.
expect_eq "release in nlfam.ko's vermagic" "$(uname -r)" "$(modinfo -F vermagic "$KO" | cut -d' ' -f1)"
load_module
module_loaded || fail "nlfam is not in /proc/modules after insmod"
dmesg | grep -q "registered netlink family 25 with 32 multicast groups" \
  || fail "no registration line in the kernel log: $(dmesg | tail -n 3)"
expect_eq "family parameter in sysfs" "25" "$(cat /sys/module/nlfam/parameters/family 2>/dev/null || echo missing)"
modinfo -F parm "$KO" | grep -q '^family:' || fail "modinfo lists no family parameter"
log "modinfo: $(modinfo -F parm "$KO" | tr '\n' ' ')"
unload_module
dmesg | grep -q "releasing netlink family 25" || fail "no release line in the kernel log"
