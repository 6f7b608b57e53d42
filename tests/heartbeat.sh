#!/bin/bash
# Kernel-originated events: with heartbeat_ms=50 the kernel multicasts HEARTBEAT on group
# 2 with an increasing counter; CONFIG changes the period (0 stops it, out-of-range values
# get ERANGE, unprivileged users EPERM); unloading with the timer armed is clean.
. "$(dirname "$0")/lib.sh"
load_module heartbeat_ms=50
out=$("$NLFAM" monitor --group 2 --count 3 --timeout 5 --json 2>/dev/null) || fail "monitor"
log "$(echo "$out" | tr '\n' ' ')"
[ "$(echo "$out" | grep -c '"event":"heartbeat"')" = 3 ] || fail "want 3 heartbeats, got: $out"
counters=$(echo "$out" | sed -n 's/.*"counter":\([0-9]*\).*/\1/p' | tr '\n' ' ')
set -- $counters
[ "$1" -lt "$2" ] && [ "$2" -lt "$3" ] || fail "counters not increasing: $counters"

# `monitor --timeout` succeeds on an idle timeout too: what counts is the events it printed.
"$NLFAM" config --heartbeat-ms 0 >/dev/null || fail "config 0"
out=$("$NLFAM" monitor --group 2 --timeout 1 --json 2>/dev/null) || fail "monitor after CONFIG 0"
[ -z "$out" ] || fail "heartbeats after CONFIG 0: $out"
log "CONFIG 0 stopped the heartbeat"
err=$("$NLFAM" config --heartbeat-ms 5 2>&1) && fail "period 5 ms accepted"
case $err in *ERANGE*) log "period 5 ms: $err" ;; *) fail "period 5 ms: $err" ;; esac
err=$(setpriv --reuid=65534 --regid=65534 --clear-groups "$NLFAM" config --heartbeat-ms 100 2>&1) \
  && fail "unprivileged CONFIG accepted"
case $err in *EPERM*) ;; *) fail "unprivileged CONFIG: $err" ;; esac
"$NLFAM" config --heartbeat-ms 20 >/dev/null || fail "config 20"
out=$("$NLFAM" monitor --group 2 --count 1 --timeout 5 --json 2>/dev/null) || fail "monitor after CONFIG 20"
[ "$(grep -c '"event":"heartbeat"' <<<"$out")" = 1 ] || fail "no heartbeat after CONFIG 20: '$out'"
log "CONFIG 20 restarted it: $out"
expect_eq "stats heartbeat period" "20" "$("$NLFAM" stats --json | sed -n 's/.*"heartbeat_ms":\([0-9]*\).*/\1/p')"
sleep 0.3
unload_module
log "unloaded with the heartbeat running"
