#!/bin/bash
# PUBLISH stamps the publisher's uid as seen from the user namespace that owns the
# family's network namespace (docs/protocol.md): host uid 65534 in `unshare -Urn` is
# uid 0 there; root in the initial namespace is 0; uid 65534 publishing in a namespace
# whose owner maps nobody to it... is covered by the kernel's overflow uid (not tested).
. "$(dirname "$0")/lib.sh"
nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; }
load_module
"$VMTEST" sec publish-uid 0 || fail "root in the initial namespace"
nobody unshare --user --map-root-user --net "$VMTEST" sec publish-uid 0 \
  || fail "uid 65534 as root of its own user and network namespace"
# Mapped to itself (not root) in its own user namespace: still 65534 there.
nobody unshare --user --map-user=65534 --map-group=65534 --net --keep-caps \
  "$VMTEST" sec publish-uid 65534 || fail "uid 65534 mapped to itself"
