#!/bin/bash
# Load/unload cycles (STRESS_CYCLES, default 100) raced against client threads that open,
# use, subscribe and close sockets. An open socket pins the module, so rmmod may be
# refused; the race must never crash, leak or hang (tests/run checks the kernel log and
# kmemleak afterwards).
. "$(dirname "$0")/lib.sh"
cycles=${STRESS_CYCLES:-100}
stop=/tmp/nlfam-race-stop; rm -f $stop
"$VMTEST" churn >/tmp/nlfam-churn.out 2>&1 &
churn=$!
loaded=0 unloaded=0
for c in $(seq "$cycles"); do
  insmod "$KO" 2>/dev/null && loaded=$((loaded + 1))
  for _ in 1 2 3 4 5 6 7 8 9 10; do
    rmmod nlfam 2>/dev/null && { unloaded=$((unloaded + 1)); break; }
    sleep 0.01
  done
done
touch $stop
wait $churn || fail "churn clients failed: $(cat /tmp/nlfam-churn.out)"
module_loaded && { rmmod nlfam || fail "rmmod failed after the clients stopped"; unloaded=$((unloaded + 1)); }
rm -f $stop
log "$cycles cycles: $loaded loads, $unloaded unloads; $(cat /tmp/nlfam-churn.out)"
[ "$loaded" -gt 1 ] && [ "$unloaded" -gt 1 ] || fail "the module never cycled: $loaded loads, $unloaded unloads"
expect_eq "socket() after the last unload" "EPROTONOSUPPORT" "$("$VMTEST" socket-errno)"
