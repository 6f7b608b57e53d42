#!/bin/bash
# Stress: 4 writer threads and 2 reader threads on the store at once; afterwards the
# store is exactly what the writers' models say (nothing lost, nothing invented).
. "$(dirname "$0")/lib.sh"
load_module
"$VMTEST" stress-kv || fail "stress-kv"
