#!/bin/bash
# The module loads with defaults, registers family 25 and says so in the kernel log.
. "$(dirname "$0")/lib.sh"
# Built for this kernel: the module's vermagic names the running release.
expect_eq "release in nlfam.ko's vermagic" "$(uname -r)" "$(modinfo -F vermagic "$KO" | cut -d' ' -f1)"
# Two scalar parameters away from their defaults: sysfs must show what insmod was given.
load_module max_entries=1234 nonroot=1
module_loaded || fail "nlfam is not in /proc/modules after insmod"
dmesg | grep -q "registered netlink family 25 with 32 multicast groups" \
  || fail "no registration line in the kernel log: $(dmesg | tail -n 3)"
expect_eq "family parameter in sysfs" "25" "$(cat /sys/module/nlfam/parameters/family 2>/dev/null || echo missing)"
modinfo -F parm "$KO" | grep -q '^family:' || fail "modinfo lists no family parameter"
log "modinfo: $(modinfo -F parm "$KO" | tr '\n' ' ')"
# Every parameter modinfo lists is readable (0444, never writable) in sysfs: on 7.x the
# kernel's own module! macro registers its params with permission 0, i.e. invisible.
for name in $(modinfo -F parm "$KO" | cut -d: -f1); do
  f=/sys/module/nlfam/parameters/$name
  expect_eq "mode of $f" "444" "$(stat -c %a "$f" 2>/dev/null || echo missing)"
done
expect_eq "max_entries in sysfs" "1234" "$(cat /sys/module/nlfam/parameters/max_entries 2>/dev/null || echo missing)"
expect_eq "nonroot in sysfs" "Y" "$(cat /sys/module/nlfam/parameters/nonroot 2>/dev/null || echo missing)"
unload_module
dmesg | grep -q "releasing netlink family 25" || fail "no release line in the kernel log"
