#!/bin/bash
# NLM_F_DUMP_INTR is set whenever the store changed between two parts of a dump, for
# every write count: one write between the first and second recvmsg, repeated 6 times
# on one store (both parities of the write count), then a dump with no write must stay
# clear. Checked on the Rust module and on the C reference (same bug, same fix: a
# generation folded with "| 1" made generations 2k and 2k+1 compare equal).
. "$(dirname "$0")/lib.sh"
C_KO=$NLFAM_ROOT/bench/c-reference/nlfam_c.ko
[ -f "$C_KO" ] || fail "bench/c-reference/nlfam_c.ko not built (make module builds it)"
c_loaded() { grep -q '^nlfam_c ' /proc/modules; }
trap 'c_loaded && rmmod nlfam_c; cleanup_module' EXIT
load_module
"$VMTEST" sec dump-intr-every-write 6 || fail "Rust module"
unload_module
insmod "$C_KO" family=25 || fail "insmod nlfam_c"
"$VMTEST" sec dump-intr-every-write 6 || fail "C reference module"
rmmod nlfam_c
