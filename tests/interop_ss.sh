#!/bin/bash
# Interop: iproute2's `ss` lists the module's kernel socket and a client's socket with its
# process and groups (ss -A netlink uses NETLINK_SOCK_DIAG, not /proc).
. "$(dirname "$0")/lib.sh"
command -v ss >/dev/null || skip "ss not available"
load_module
"$NLFAM" monitor --group 1 --group 3 --timeout 20 >/dev/null 2>&1 &
mon=$!
for _ in $(seq 50); do awk 'NR > 1 && $2 == 25 && $3 != 0' /proc/net/netlink | grep -q . && break; sleep 0.1; done
out=$(ss -A netlink -a -e 2>&1)
kill $mon; wait $mon 2>/dev/null
log "$(echo "$out" | grep -E '^(Recv|UNCONN).* 25:' | tr '\n' '|')"
echo "$out" | grep -Eq '25:kernel' || fail "ss does not list family 25's kernel socket: $out"
echo "$out" | grep -Eq "25:nlfam/$mon" || echo "$out" | grep -Eq "25:$mon" || fail "ss does not list the monitor's socket: $out"
echo "$out" | grep -Eq "25:nlfam/$mon .*groups=0x00000005" || fail "ss -e does not show the monitor's groups: $out"
log "ss names the client as nlfam/$mon with groups 0x00000005"
