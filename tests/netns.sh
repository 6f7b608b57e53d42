#!/bin/bash
# Network namespaces: every namespace gets its own kernel socket and store. A store
# written in one namespace is invisible in another, multicast does not cross, a
# namespace's teardown releases its socket and store, and unloading the module releases
# the sockets of namespaces that still exist.
. "$(dirname "$0")/lib.sh"
command -v ip >/dev/null || skip "iproute2 not available"
cleanup() { ip netns del nlfam-a 2>/dev/null; cleanup_module; }
trap cleanup EXIT
load_module
ip netns add nlfam-a || skip "cannot create network namespaces"
in_a() { ip netns exec nlfam-a "$@"; }

[ -n "$(in_a awk 'NR > 1 && $2 == 25 && $3 == 0' /proc/net/netlink)" ] \
  || fail "no family 25 kernel socket in the new namespace"
"$NLFAM" set where init || fail "set in the initial namespace"
in_a "$NLFAM" set where a || fail "set in namespace a"
expect_eq "value in the initial namespace" "init" "$("$NLFAM" get where)"
expect_eq "value in namespace a" "a" "$(in_a "$NLFAM" get where)"
in_a "$NLFAM" set only-a 1 || fail "set only-a"
out=$("$NLFAM" get only-a 2>&1) && fail "a key set in namespace a is visible in the initial one"
case $out in *ENOENT*) ;; *) fail "get only-a: $out" ;; esac
expect_eq "dump in namespace a" "only-a=1 where=a" "$(in_a "$NLFAM" dump | tr '\n' ' ' | sed 's/ $//')"

# Multicast stays in its namespace: a subscriber in a sees a's change, not the initial one's.
in_a "$NLFAM" monitor --group 1 --json --timeout 3 >/tmp/nlfam-netns-mon.out 2>/dev/null &
mon=$!
sleep 1
"$NLFAM" set from-init x || fail "set from-init"
in_a "$NLFAM" set from-a y || fail "set from-a"
wait $mon
grep -q '"key":"from-a"' /tmp/nlfam-netns-mon.out || fail "subscriber in a missed a's change"
grep -q '"key":"from-init"' /tmp/nlfam-netns-mon.out && fail "a change in the initial namespace reached namespace a"
log "multicast stayed in its namespace"

# A short-lived namespace with data in its store: teardown must free it (kmemleak and
# KASAN watch this on the debug kernel).
for i in 1 2 3; do
  unshare -n "$NLFAM" set temp "$i" || fail "set in a throwaway namespace"
done
log "3 throwaway namespaces with data created and destroyed"

# Unload while namespace a still exists: its socket is released with the module.
unload_module
expect_eq "socket() in namespace a after unload" "EPROTONOSUPPORT" "$(in_a "$VMTEST" socket-errno)"
