#!/bin/bash
# Key-value store: SET with NLM_F_CREATE/EXCL/REPLACE semantics (EEXIST, ENOENT), GET, DEL;
# extended ACK offsets point at the offending attribute (unknown type, duplicate, over a
# limit), a missing KEY reports its type; the CLI round-trips a value.
. "$(dirname "$0")/lib.sh"
load_module
"$VMTEST" kv || fail "kv"
"$NLFAM" set color blue || fail "nlfam set"
expect_eq "nlfam get" "blue" "$("$NLFAM" get color)"
out=$("$NLFAM" set color red --create 2>&1) && fail "set --create of an existing key succeeded"
case $out in *EEXIST*"NLM_F_EXCL"*) log "CLI error: $out" ;; *) fail "CLI error lacks errno name or extack text: $out" ;; esac
"$NLFAM" del color || fail "nlfam del"
out=$("$NLFAM" get color 2>&1) && fail "get of a deleted key succeeded"
case $out in *ENOENT*) ;; *) fail "get of a deleted key: $out" ;; esac
