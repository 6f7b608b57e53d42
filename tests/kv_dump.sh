#!/bin/bash
# Dumps: 1 000 and 10 000 entries arrive complete and in key order across many recvmsg
# calls; keys of 1-30 bytes sharing prefixes come out in bytewise order and GET finds
# each; a write between two recvmsg calls of a dump sets NLM_F_DUMP_INTR; the CLI dump
# matches.
. "$(dirname "$0")/lib.sh"
load_module
"$VMTEST" dump || fail "dump of 1000"
unload_module
load_module
"$VMTEST" dump-10000 || fail "dump of 10000"
unload_module
load_module
"$VMTEST" dump-intr || fail "dump-intr"
unload_module
load_module
"$VMTEST" dump-order || fail "dump-order"
unload_module
load_module
"$NLFAM" set b 2 && "$NLFAM" set a 1 && "$NLFAM" set c 3 || fail "set"
expect_eq "nlfam dump" "a=1 b=2 c=3" "$("$NLFAM" dump | tr '\n' ' ' | sed 's/ $//')"
