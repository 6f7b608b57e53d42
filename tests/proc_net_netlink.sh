#!/bin/bash
# Family 25's kernel socket shows in /proc/net/netlink (Eth column 25, port id 0); a client
# socket shows with its port id and, once subscribed, its group mask.
. "$(dirname "$0")/lib.sh"
[ -z "$(proc_kernel_socket 25)" ] || fail "a family 25 kernel socket exists before loading"
load_module
line=$(proc_kernel_socket 25)
[ -n "$line" ] || fail "no kernel socket with Eth=25 in /proc/net/netlink"
log "kernel socket: $line"

# A listener subscribed to groups 1 and 3: its mask is 00000005.
"$NLFAM" listen --group 1 --group 3 --timeout 30 >/dev/null 2>&1 &
pid=$!
for _ in $(seq 50); do
  user=$(awk 'NR > 1 && $2 == 25 && $3 != 0' /proc/net/netlink)
  [ -n "$user" ] && break
  sleep 0.1
done
kill $pid; wait $pid 2>/dev/null
[ -n "$user" ] || fail "the listener's socket never appeared in /proc/net/netlink"
log "listener socket: $user"
groups=$(echo "$user" | awk '{print $4}')
expect_eq "listener group mask" "00000005" "$groups"
