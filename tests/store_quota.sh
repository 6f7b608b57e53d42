#!/bin/bash
# Store quotas: entries and bytes (keys + values) per family and namespace, with much
# smaller defaults for namespaces any user can create (owned by a user namespace other
# than the initial one). Each limit is shown accepted exactly at the limit and refused
# one entry or byte over, with ENOSPC and an extack naming the parameter.
. "$(dirname "$0")/lib.sh"
nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; }
userns_net() { nobody unshare --user --map-root-user --net "$@"; }

# Initial user namespace: max_bytes=8192 holds exactly two 4-byte keys with 4092-byte
# values; max_entries=5 holds five tiny entries.
load_module max_bytes=8192 max_entries=100
"$VMTEST" sec quota 2 4 4092 max_bytes || fail "max_bytes"
unload_module
load_module max_entries=5
"$VMTEST" sec quota 5 4 1 max_entries || fail "max_entries"
unload_module

# A namespace owned by uid 65534's own user namespace: the defaults are 1024 entries and
# 1 MiB (256 entries of 4 + 4092 bytes), whatever max_entries and max_bytes say.
load_module max_entries=100000
userns_net "$VMTEST" sec quota 1024 5 1 userns_max_entries || fail "userns_max_entries default"
userns_net "$VMTEST" sec quota 256 4 4092 userns_max_bytes || fail "userns_max_bytes default"
unload_module
load_module userns_max_entries=3 userns_max_bytes=100
userns_net "$VMTEST" sec quota 3 4 1 userns_max_entries || fail "userns_max_entries=3"
userns_net "$VMTEST" sec quota 2 10 40 userns_max_bytes || fail "userns_max_bytes=100"
unload_module
# Out-of-range parameters fail the load.
for p in max_bytes=0 userns_max_entries=0 userns_max_bytes=0 userns_min_period_ms=5 userns_max_heartbeats=5000; do
  insmod "$KO" $p 2>/dev/null && { rmmod nlfam; fail "insmod $p was accepted"; }
done
log "out-of-range quota parameters refused"
