#!/bin/bash
# Permissions: an unprivileged user (uid 65534, no capabilities) may echo but not write
# (SET/DEL/PUBLISH -> EPERM with an extack message); reading and subscribing are refused
# too unless the module is loaded with nonroot=1, which opens them (NL_CFG_F_NONROOT_RECV)
# but still not writing.
. "$(dirname "$0")/lib.sh"
command -v setpriv >/dev/null || skip "setpriv not available"
as_nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all "$@"; }
load_module
as_nobody "$VMTEST" unprivileged || fail "unprivileged user, default parameters"
unload_module
load_module nonroot=1
as_nobody "$VMTEST" unprivileged-open || fail "unprivileged user, nonroot=1"
