#!/bin/bash
# STATS: counters move with traffic (received, replied, errors), subscribers are counted per
# socket and group; the CLI prints them.
. "$(dirname "$0")/lib.sh"
load_module
"$VMTEST" stats || fail "stats"
out=$("$NLFAM" stats --json) || fail "nlfam stats"
log "$out"
case $out in *'"family":25'*) ;; *) fail "stats JSON lacks the family: $out" ;; esac
