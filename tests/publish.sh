#!/bin/bash
# PUBLISH: the payload reaches the group's subscribers (and only them) stamped with the
# publisher's port id, uid and time; groups 1, 2, 0 and 33 are refused with ERANGE.
. "$(dirname "$0")/lib.sh"
load_module
"$VMTEST" publish || fail "publish"
