#!/bin/bash
# Family 25's kernel socket shows in /proc/net/netlink (Eth column 25, port id 0); a client
# socket shows with its port id and, once subscribed, its group mask.
. "$(dirname "$0")/lib.sh"
[ -z "$(proc_kernel_socket 25)" ] || fail "a family 25 kernel socket exists before loading"
load_module
line=$(proc_kernel_socket 25)
[ -n "$line" ] || fail "no kernel socket with Eth=25 in /proc/net/netlink"
log "kernel socket: $line"

# A listener subscribed to groups 1 and 3: its mask is 00000005. The socket is listed (with
# its port id) as soon as it is bound, before it joins its groups: read /proc only once the
# listener says it has joined all of them.
ready=$(mktemp)
"$NLFAM" listen --group 1 --group 3 --timeout 30 >/dev/null 2>"$ready" &
pid=$!
for _ in $(seq 100); do
  grep -q "^monitoring family 25" "$ready" && break
  kill -0 $pid 2>/dev/null || break
  sleep 0.1
done
grep -q "^monitoring family 25" "$ready" || { kill $pid; fail "the listener never joined its groups: $(cat "$ready")"; }
port=$(sed -n 's/^monitoring family 25 .*(port \([0-9]*\))$/\1/p' "$ready")
user=$(awk -v p="$port" 'NR > 1 && $2 == 25 && $3 == p' /proc/net/netlink)
kill $pid; wait $pid 2>/dev/null
rm -f "$ready"
[ -n "$user" ] || fail "the listener's socket (port $port) is not in /proc/net/netlink"
log "listener socket: $user"
groups=$(echo "$user" | awk '{print $4}')
expect_eq "listener group mask" "00000005" "$groups"
