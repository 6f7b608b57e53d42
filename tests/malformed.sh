#!/bin/bash
# Malformed frames (short header, nlmsg_len beyond the datagram, zero or sub-header
# length, garbage after a good message) get netlink_rcv_skb's conventional answer:
# silence for the malformed part, no crash, no hang, and the socket keeps working.
. "$(dirname "$0")/lib.sh"
load_module
"$VMTEST" malformed || fail "malformed"
