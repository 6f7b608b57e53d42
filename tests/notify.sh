#!/bin/bash
# Change notifications: SET and DEL are multicast to group 1 with the writer's port id
# and sequence number; a failed write sends nothing. `nlfam monitor` prints them.
. "$(dirname "$0")/lib.sh"
load_module
"$VMTEST" notify || fail "notify"
"$NLFAM" monitor --group 1 --count 2 --json >/tmp/nlfam-monitor.out 2>/dev/null &
mon=$!
for _ in $(seq 50); do awk 'NR > 1 && $2 == 25 && $4 == "00000001"' /proc/net/netlink | grep -q . && break; sleep 0.1; done
"$NLFAM" set watched yes && "$NLFAM" del watched || fail "set/del"
wait $mon || fail "monitor exited with an error"
log "$(cat /tmp/nlfam-monitor.out | tr '\n' ' ')"
grep -q '"event":"set".*"key":"watched"' /tmp/nlfam-monitor.out || fail "monitor missed the set"
grep -q '"event":"del".*"key":"watched"' /tmp/nlfam-monitor.out || fail "monitor missed the del"
