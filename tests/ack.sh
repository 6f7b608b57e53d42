#!/bin/bash
# NLM_F_ACK: the echo reply comes first, then NLMSG_ERROR with error 0 and the request's
# header; a non-request message is skipped but still ACKed. ACKs and errors are built in
# the module's batch of answers, so they are compared byte for byte with the netlink
# core's own netlink_ack (rtnetlink's answer to the same request), with and without
# NETLINK_CAP_ACK.
. "$(dirname "$0")/lib.sh"
load_module
"$VMTEST" ack || fail "ack"
"$VMTEST" ack-format || fail "ack-format"
