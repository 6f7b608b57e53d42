#!/bin/bash
# An open client socket pins the module (as the netlink core does for every family):
# rmmod is refused while it is open and succeeds once it is closed, after which socket()
# on the family fails with EPROTONOSUPPORT.
. "$(dirname "$0")/lib.sh"
load_module
fifo=$(mktemp -u /tmp/nlfam-hold.XXXXXX); mkfifo "$fifo"
"$VMTEST" hold <"$fifo" >/tmp/nlfam-hold.out &
holder=$!
exec 3>"$fifo"          # keep the holder's stdin open
for _ in $(seq 50); do grep -q holding /tmp/nlfam-hold.out 2>/dev/null && break; sleep 0.1; done
grep -q holding /tmp/nlfam-hold.out || fail "the holder did not open its socket"
if rmmod nlfam 2>/tmp/nlfam-rmmod.err; then fail "rmmod succeeded while a client socket was open"; fi
log "rmmod refused while a socket is open: $(cat /tmp/nlfam-rmmod.err)"
module_loaded || fail "module gone although rmmod was refused"
exec 3>&-                # close: the holder exits and its socket closes
wait $holder
rmmod nlfam || fail "rmmod failed after the socket closed"
log "rmmod succeeded after close"
expect_eq "socket() after unload" "EPROTONOSUPPORT" "$("$VMTEST" socket-errno)"
rm -f "$fifo"
