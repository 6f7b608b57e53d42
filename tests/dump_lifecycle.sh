#!/bin/bash
# Dumps and teardown:
# - a socket closed after the first part of a dump (and one closed before reading any)
#   releases the dump: the module's refcount drops back, a new dump lists everything;
# - network namespaces torn down while a process in them has a dump stopped half-way,
#   a heartbeat running (10 ms), subscribers (one overflowing) and other sockets open:
#   one named with `ip netns` and deleted while the sockets are open, one owned by an
#   unprivileged user namespace, whose heartbeat slot (userns_max_heartbeats=1) must come
#   back once it is gone;
# - a dump lists entries of the largest default size (256-byte keys, 4096-byte values)
#   byte for byte (in a namespace of its own: a fresh store, torn down with it);
# - then rmmod succeeds (nothing pins the module).
# Leaks and use-after-free show in tests/run's kernel log and kmemleak checks.
. "$(dirname "$0")/lib.sh"
command -v ip >/dev/null || skip "iproute2 not available"
nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; }
userns_net() { nobody unshare --user --map-root-user --net "$@"; }
holder=""
cleanup() {
  [ -n "$holder" ] && { kill -KILL "$holder"; wait "$holder"; } 2>/dev/null
  [ -e /run/netns/nlfam-dl ] && ip netns del nlfam-dl
  cleanup_module
}
trap cleanup EXIT

# start_holder CMD...: runs CMD as a coprocess (exec: $holder is its own pid; ip netns
# exec, setpriv and unshare exec too; its diagnostics go to the test's output) and waits
# for its "ready" with a read, not a poll: every process started costs under TCG.
start_holder() {
  local line=""
  coproc HOLDER { exec "$@"; }
  holder=$HOLDER_PID
  read -r -t 120 line <&"${HOLDER[0]}"
  [ "$line" = ready ] || fail "the holder did not get ready"
}
kill_holder() { kill -KILL "$holder"; wait "$holder" 2>/dev/null; holder=""; }

load_module userns_min_period_ms=10 userns_max_heartbeats=1
"$VMTEST" edge dump-close 64 || fail "socket closed mid-dump"

# A named namespace, deleted while its sockets are still open; the process exits last.
ip netns add nlfam-dl || skip "cannot create network namespaces"
start_holder ip netns exec nlfam-dl "$VMTEST" edge netns-hold 300 10
ip netns del nlfam-dl || fail "ip netns del"
kill_holder
log "named namespace deleted with its sockets open, then its last process killed"

# An unprivileged user's namespace: its heartbeat holds the only slot until it is gone.
start_holder setpriv --reuid=65534 --regid=65534 --clear-groups \
  unshare --user --map-root-user --net "$VMTEST" edge netns-hold 300 10
userns_net "$VMTEST" sec config-expect 10 ENOSPC userns_max_heartbeats >/dev/null \
  || fail "the holder's heartbeat does not hold the slot"
kill_holder
ok=0
for i in $(seq 20); do
  userns_net "$VMTEST" sec config-expect 10 ok >/dev/null 2>&1 && { ok=1; break; }
  sleep 0.5
done
[ $ok = 1 ] || fail "the slot of the killed namespace's heartbeat never came back: not torn down"
log "user namespace killed mid-dump with its heartbeat running: torn down (slot back after $i tries)"

unshare --net "$VMTEST" edge dump-max 256 4096 24 || fail "dump of entries of the largest default size"
unload_module
