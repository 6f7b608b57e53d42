#!/bin/bash
# NLM_F_ACK: the echo reply comes first, then NLMSG_ERROR with error 0 and the request's
# header; a non-request message is skipped but still ACKed.
. "$(dirname "$0")/lib.sh"
load_module
"$VMTEST" ack || fail "ack"
