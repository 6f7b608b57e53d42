#!/bin/bash
# `nlfam ls` reports family 25 with the module's kernel socket and a running
# `nlfam monitor` as a subscriber (process name, port id, group mask), matching
# /proc/net/netlink; without the module the family has no kernel socket.
. "$(dirname "$0")/lib.sh"
load_module
"$NLFAM" monitor --group 1 --group 4 --timeout 20 >/dev/null 2>&1 &
mon=$!
for _ in $(seq 50); do awk 'NR > 1 && $2 == 25 && $3 != 0' /proc/net/netlink | grep -q . && break; sleep 0.1; done
line=$("$NLFAM" ls --json | grep '"family":25,')
log "$line"
kill $mon; wait $mon 2>/dev/null
port=$(awk 'NR > 1 && $2 == 25 && $3 != 0 {print $3}' /proc/net/netlink | head -n1)
case $line in *'"kernel_socket":true'*) ;; *) fail "family 25 without a kernel socket: $line" ;; esac
case $line in *"\"groups\":\"0x00000009\""*) ;; *) fail "monitor's group mask (groups 1 and 4) missing: $line" ;; esac
case $line in *"\"nlfam[$mon]\""*) ;; *) fail "monitor process nlfam[$mon] not listed: $line" ;; esac
"$NLFAM" ls | grep -E '^25 +NETLINK_FAMILY_25 +yes' || fail "text table lacks family 25"
unload_module
"$NLFAM" ls --json | grep -q '"family":25,' && fail "family 25 listed after unload"
true
