#!/bin/bash
# Store limits are module parameters: over max_entries -> ENOSPC, over max_key_len or
# max_value_len -> EMSGSIZE, each with an extack message naming the limit; out-of-range
# limits fail insmod.
. "$(dirname "$0")/lib.sh"
load_module max_entries=3 max_key_len=8 max_value_len=16
"$VMTEST" limits || fail "limits"
unload_module
for bad in max_key_len=0 max_key_len=1025 max_value_len=65001 max_entries=0 heartbeat_ms=5; do
  dmesg -C
  if insmod "$KO" $bad 2>/dev/null; then fail "insmod $bad succeeded"; fi
  dmesg | grep -q "nlfam: ${bad%%=*}=" || fail "no log line naming $bad"
done
log "out-of-range limits refused with a log line each"
