#!/bin/bash
# Heartbeat limits and isolation:
# - in a namespace any user can create, the period has a floor (userns_min_period_ms,
#   ERANGE naming it) and heartbeats armed at once are capped over all such namespaces
#   (userns_max_heartbeats, ENOSPC naming it); a slot comes back when its namespace goes;
# - a namespace's counters do not depend on another namespace's subscribers;
# - concurrent CONFIGs leave the period and the timer in agreement.
. "$(dirname "$0")/lib.sh"
nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; }
userns_net() { nobody unshare --user --map-root-user --net "$@"; }
out=$(mktemp -d /tmp/nlfam-hb.XXXXXX)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done; wait; rm -rf "$out"; cleanup_module; }
trap cleanup EXIT

# start_holder NAME WANT CMD...: runs CMD (a program, not a shell function) in the
# background and waits until it prints WANT. `exec`, and setpriv and unshare (without
# --fork) exec too, so the pid recorded is the checker's own and `kill` ends it.
start_holder() {
  local name=$1 want=$2; shift 2
  ( exec "$@" ) > "$out/$name" 2>&1 &
  pids+=($!)
  for _ in $(seq 100); do
    grep -qx "$want" "$out/$name" && return 0
    kill -0 $! 2>/dev/null || break
    sleep 0.2
  done
  fail "$name did not print '$want': $(cat "$out/$name")"
}

load_module userns_max_heartbeats=2
userns_net "$VMTEST" sec config-expect 999 ERANGE userns_min_period_ms || fail "period floor"
userns_net "$VMTEST" sec config-expect 1000 ok || fail "period at the floor"
# Two namespaces hold the two slots; a third is refused.
userns_hold=(setpriv --reuid=65534 --regid=65534 --clear-groups unshare --user --map-root-user --net)
start_holder holder1 armed "${userns_hold[@]}" "$VMTEST" sec config-hold 1000
start_holder holder2 armed "${userns_hold[@]}" "$VMTEST" sec config-hold 1000
userns_net "$VMTEST" sec config-expect 1000 ENOSPC userns_max_heartbeats || fail "cap"
# Root's own namespaces are not capped.
"$VMTEST" sec config-expect 1000 ok || fail "initial namespace under the cap"
"$VMTEST" sec config-expect 0 ok || fail "CONFIG 0"
# A namespace that goes away gives its slot back (namespace teardown is asynchronous).
kill "${pids[0]}"
ok=0
for _ in $(seq 30); do
  userns_net "$VMTEST" sec config-expect 1000 ok >/dev/null 2>&1 && { ok=1; break; }
  sleep 0.5
done
[ $ok = 1 ] || fail "a slot was not released when its namespace went away"
log "a released slot is reusable"
for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done; wait; pids=()
unload_module

# Isolation: a subscriber of group 2 in the initial namespace; a fast heartbeat in
# another namespace (root's, so no floor) with nobody subscribed there.
load_module
start_holder subscriber subscribed "$VMTEST" sec subscribe-hold 2
unshare --net "$VMTEST" sec heartbeat-isolated || fail "isolation"
for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done; wait; pids=()
"$VMTEST" sec config-storm 5 || fail "config storm"
