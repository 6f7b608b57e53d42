#!/bin/bash
# Store limits are module parameters: keys and values exactly at max_key_len and
# max_value_len are accepted, one byte over -> EMSGSIZE, over max_entries -> ENOSPC, each
# refusal with an extack message naming the limit; out-of-range limits fail insmod with
# EINVAL and a log line.
. "$(dirname "$0")/lib.sh"
load_module max_entries=3 max_key_len=8 max_value_len=16
"$VMTEST" limits || fail "limits"
unload_module
for bad in max_key_len=0 max_key_len=1025 max_value_len=65001 max_entries=0 heartbeat_ms=5; do
  mark=$(kmsg_mark)
  if err=$(insmod "$KO" $bad 2>&1); then fail "insmod $bad succeeded"; fi
  # kmod words EINVAL from init_module as "Invalid parameters".
  case $err in *"Invalid param"*|*"Invalid argument"*) ;; *) fail "insmod $bad: want EINVAL, got: $err" ;; esac
  kmsg_since "$mark" | grep -q "nlfam: ${bad%%=*}=" || fail "no log line naming $bad"
done
log "out-of-range limits refused with EINVAL and a log line each"
