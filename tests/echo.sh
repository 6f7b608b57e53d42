#!/bin/bash
# ECHO round trips: 0 B, 1 B and 64 KiB payloads come back identical with the request's
# sequence number; replies go to the sending port, not to the header's nlmsg_pid; a
# datagram of 64 requests with NLM_F_ACK is answered (128 messages) in order in one
# datagram (coalesced), and ACKs and errors in a batch keep their place; the CLI prints
# the echoed text.
. "$(dirname "$0")/lib.sh"
load_module
"$VMTEST" echo-sizes || fail "echo-sizes"
"$VMTEST" echo-portid || fail "echo-portid"
"$VMTEST" batch || fail "batch"
out=$("$NLFAM" echo "hello from the test") || fail "nlfam echo failed: $out"
log "$out"
case $out in *"identical"*": hello from the test") ;; *) fail "unexpected CLI output: $out" ;; esac
