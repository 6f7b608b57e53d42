#!/bin/bash
# timeout: 900
# Systematic allocation-failure injection, the way syzkaller does it: writing N to
# /proc/thread-self/fail-nth right before one system call fails the Nth allocation that
# call makes. For every request type in turn (ECHO of 0/64/4096/16000 bytes, SET creating
# and replacing, GET, DEL, a dump's start and its continuation, PUBLISH with a subscriber,
# STATS, CONFIG, subscribing with setsockopt) N runs 1, 2, ... until the call completes with
# nothing injected, capped at FAILNTH_MAX (default 200) points per type. Every injected
# failure must give ENOMEM/ENOBUFS or a correct partial answer, never a hung dump, and the
# store is checked against a model after each (an error means the old entry, success the
# new one). Then the module's load (finit_module) the same way, with one family and with
# two: a failed load leaves nothing registered, a load that survives a failure serves its
# families (one whose setup failed after another became visible is missing, never half
# there), and a normal load works afterwards. Last, a load whose setup fails in one
# namespace after the family is visible in others, with sockets opened meanwhile: the
# load goes on and serves them, that namespace alone lacks the family. The checks are in nlfam-vmtest
# fail-nth and init-window (userspace/vmtest/src/{failnth,init_window}.rs); tests/run
# checks the kernel log and kmemleak after.
. "$(dirname "$0")/lib.sh"
max=${FAILNTH_MAX:-200}
# Fewer points than this means injection (or the sweep) is not working.
min_total=${FAILNTH_MIN:-60}
dbg=/sys/kernel/debug
# A kernel without fault injection (Debian's stock one) skips; scripts/test allows that
# skip there only, and on the debug kernel the sanitizers point fails if injection is off.
[ -e /proc/thread-self/fail-nth ] || skip "no /proc/thread-self/fail-nth: kernel without CONFIG_FAULT_INJECTION"
mountpoint -q "$dbg" || mount -t debugfs none "$dbg" || fail "cannot mount debugfs"
for d in failslab fail_page_alloc; do
  [ -d "$dbg/$d" ] || fail "no $dbg/$d: kernel without CONFIG_FAILSLAB, CONFIG_FAIL_PAGE_ALLOC or CONFIG_FAULT_INJECTION_DEBUG_FS"
done

# fail-nth bypasses probability, interval and times (lib/fault-inject.c: should_fail_ex
# counts fail_nth down first and fails when it reaches 0), but the allocators filter before
# asking: failslab and fail_page_alloc skip allocations that may sleep (GFP_KERNEL) unless
# ignore-gfp-wait=N, fail_page_alloc skips order 0 unless min-order=0 and __GFP_HIGHMEM
# unless ignore-gfp-highmem=N. verbose=0: no stack trace per injected failure (the kernel
# log check would take it for a report). probability stays 0: nothing else fails.
knobs="failslab/ignore-gfp-wait failslab/verbose fail_page_alloc/ignore-gfp-wait
  fail_page_alloc/ignore-gfp-highmem fail_page_alloc/min-order fail_page_alloc/verbose"
saved=()
for k in $knobs; do saved+=("$k=$(cat "$dbg/$k")"); done
restore_knobs() { for kv in "${saved[@]}"; do echo "${kv#*=}" > "$dbg/${kv%%=*}"; done; }
set_knob() {
  echo "$2" > "$dbg/$1" || fail "cannot write $2 to $dbg/$1"
  [ "$(cat "$dbg/$1")" = "$2" ] || fail "$dbg/$1 reads $(cat "$dbg/$1"), want $2"
}
modprobe_path=$(cat /proc/sys/kernel/modprobe)
del_netns() { for n in $(ip netns list | awk '/^nlfam-iw/ { print $1 }'); do ip netns del "$n"; done; }
trap 'restore_knobs; echo "$modprobe_path" > /proc/sys/kernel/modprobe; del_netns; cleanup_module' EXIT
for d in failslab fail_page_alloc; do
  set_knob $d/ignore-gfp-wait N
  set_knob $d/verbose 0
  [ "$(cat "$dbg/$d/probability")" = 0 ] || fail "$dbg/$d/probability is $(cat "$dbg/$d/probability"), want 0"
done
set_knob fail_page_alloc/ignore-gfp-highmem N
set_knob fail_page_alloc/min-order 0
log "failslab and fail_page_alloc: GFP_KERNEL, highmem and order-0 allocations may fail; verbose 0; cap $max points per type"

failed=()
load_module
requests=$("$VMTEST" fail-nth requests --max "$max") || failed+=("requests")
unload_module

# No autoload while the module is absent: socket() on the family would run modprobe, which
# cannot find the module outside /lib/modules and takes seconds on the debug kernel.
echo > /proc/sys/kernel/modprobe
loads=$("$VMTEST" fail-nth load "$KO" --max "$max") || failed+=("module load")
log "requests and load: $SECONDS s"
# Two families: a failure after the first family's kernel socket exists unwinds it.
loads2=$("$VMTEST" fail-nth load "$KO" --params family=23,29 --max "$max") || failed+=("module load with family=23,29")
log "loads with two families: $SECONDS s"
# A load whose setup fails in one namespace after the family is visible in the others,
# while another thread opens sockets of the family (which can use it at once): the load
# must go on, leaving only that namespace without the family, and serve every socket
# opened meanwhile (userspace/vmtest/src/init_window.rs). The last allocations of the load
# are the last namespace's: every other namespace's setup lies in the window, so more
# namespaces make it wider.
iw_netns=${INIT_WINDOW_NETNS:-32}
for i in $(seq "$iw_netns"); do ip netns add "nlfam-iw$i" || fail "ip netns add nlfam-iw$i"; done
window=$("$VMTEST" init-window "$KO" --params family=23 --family 23) || failed+=("a load failing with sockets opened meanwhile")
for i in $(seq "$iw_netns"); do ip netns del "nlfam-iw$i"; done
log "init window ($iw_netns namespaces): ${window:-not hit} ($SECONDS s)"
echo "$modprobe_path" > /proc/sys/kernel/modprobe
module_loaded && fail "nlfam is still loaded after the load sweeps"
for f in 23 25 29; do
  [ -z "$(proc_kernel_socket $f)" ] || fail "a kernel socket of family $f is left: $(proc_kernel_socket $f)"
done

points="${requests#points } ${loads#points } ${loads2#points }"
total=0 missing=()
for p in $points; do
  [ "${p#*=}" -ge 1 ] || missing+=("${p%=*}")
  total=$((total + ${p#*=}))
done
log "fault injection: $total injection points exercised (per type: $points)"
[ ${#failed[@]} -eq 0 ] || fail "allocation failures broke: ${failed[*]} (see above)"
[ ${#missing[@]} -eq 0 ] || fail "no injection point for ${missing[*]}: injection did not reach them"
[ "$total" -ge "$min_total" ] || fail "only $total injection points, want at least $min_total"
