#!/bin/bash
# Limits at their edges:
# - every module parameter at its documented ceiling (docs/protocol.md) is accepted, in
#   one load; each one above it fails the load with a log line naming the parameter
#   (max_key_len=1025, max_value_len=65001 and family=32 are in kv_limits.sh and
#   family_param.sh);
# - at the ceilings, entries with 1024-byte keys and 65000-byte values are dumped byte
#   for byte (each fills a dump skb of its own);
# - PUBLISH of exactly payload-len-max (65000) bytes is delivered intact, one byte more
#   is EMSGSIZE with an extack pointing at PAYLOAD;
# - a requester that does not read while sending many requests loses answers: it gets
#   ENOBUFS on receive, and stat-dropped counts exactly the answers it is missing.
. "$(dirname "$0")/lib.sh"
ceilings="max_key_len=1024 max_value_len=65000 max_entries=4194304 max_bytes=4294967295
  userns_max_entries=4194304 userns_max_bytes=4294967295 userns_min_period_ms=86400000
  userns_max_heartbeats=4096 heartbeat_ms=86400000"
load_module $ceilings
log "loaded with every parameter at its ceiling"
stats=$("$NLFAM" stats --json) || fail "nlfam stats"
case $stats in *'"heartbeat_ms":86400000'[,}]*) ;; *) fail "heartbeat period at its ceiling: $stats" ;; esac
"$VMTEST" edge dump-max 1024 65000 4 || fail "dump of entries at the key and value ceilings"
"$VMTEST" edge publish-limit 65000 || fail "PUBLISH payload limit"
"$VMTEST" edge reply-enobufs 20 || fail "answers lost to a full receive queue"
unload_module

# One above each ceiling (finit_module from one process: insmod costs seconds each under
# TCG). 4294967296 does not fit the parameter's u32: the kernel's own parser refuses it
# (ERANGE) and names the parameter; the module refuses the others (EINVAL) and logs why.
over="max_entries=4194305 max_bytes=4294967296 userns_max_entries=4194305
  userns_max_bytes=4294967296 userns_min_period_ms=86400001 userns_max_heartbeats=4097
  heartbeat_ms=86400001"
mark=$(kmsg_mark)
"$VMTEST" edge load-refused "$KO" $over || fail "a parameter above its ceiling was accepted"
klog=$(kmsg_since "$mark")
for bad in $over; do
  name=${bad%%=*}
  case $klog in
    *"nlfam: $name=${bad#*=} is out of range"*|*"nlfam: \`${bad#*=}' invalid for parameter \`$name'"*) ;;
    *) fail "no kernel log line naming $bad: $(tail -n 3 <<<"$klog")" ;;
  esac
done
log "each refusal named its parameter in the kernel log"
module_loaded && fail "module loaded after a refused load"
true
