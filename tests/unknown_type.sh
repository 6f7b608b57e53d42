#!/bin/bash
# A message type the family does not know is answered with NLMSG_ERROR -EOPNOTSUPP and an
# extended ACK message, with or without NLM_F_ACK.
. "$(dirname "$0")/lib.sh"
load_module
"$VMTEST" unknown-type || fail "unknown-type"
