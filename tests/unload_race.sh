#!/bin/bash
# Load/unload cycles (STRESS_CYCLES, default 100) raced against client threads that open,
# use, subscribe and close sockets. An open socket pins the module, so an unload may be
# refused; the race must never crash, leak or hang (tests/run checks the kernel log and
# kmemleak afterwards). nlfam-vmtest drives finit_module/delete_module itself: starting
# insmod/rmmod costs seconds per cycle on the debug kernel under TCG.
. "$(dirname "$0")/lib.sh"
cycles=${STRESS_CYCLES:-100}
unload_module
# No autoload during the race: every socket() on the absent family would otherwise run
# modprobe (which cannot find the module outside /lib/modules), and on the debug kernel
# that takes the clients out of the race. An empty modprobe path makes request_module
# fail at once; autoload.sh tests autoloading.
modprobe_path=$(cat /proc/sys/kernel/modprobe)
trap 'echo "$modprobe_path" > /proc/sys/kernel/modprobe; cleanup_module' EXIT
echo > /proc/sys/kernel/modprobe
out=$("$VMTEST" unload-race "$cycles" "$KO" 2>&1) || fail "unload race: $out"
log "$out"
module_loaded && fail "the module is still loaded after the race"
expect_eq "socket() after the last unload" "EPROTONOSUPPORT" "$("$VMTEST" socket-errno)"
