#!/bin/bash
# The Rust module and the C reference (bench/c-reference) answer a seeded stream of valid
# and malformed datagrams (1-64 messages each, dumps, every CAP_ACK/EXT_ACK combination,
# subscribers, STATS) identically: same datagram boundaries, headers, payloads, errnos,
# extack offsets. This is what makes the C module a fair benchmark baseline, and it pins
# the Rust module's wire behaviour against an independent implementation.
. "$(dirname "$0")/lib.sh"
C_KO=$NLFAM_ROOT/bench/c-reference/nlfam_c.ko
PARITY=$NLFAM_ROOT/bench/c-reference/parity.py
[ -f "$C_KO" ] || skip "bench/c-reference/nlfam_c.ko not built (make module builds it)"
c_loaded() { grep -q '^nlfam_c ' /proc/modules; }
trap 'c_loaded && rmmod nlfam_c; cleanup_module' EXIT
seed=${FUZZ_SEED:-$(date +%s)}
datagrams=${PARITY_DATAGRAMS:-400}
out=$NLFAM_OUT/parity
mkdir -p "$out"
load_module
python3 "$PARITY" 25 "$datagrams" "$seed" > "$out/rust" || fail "parity run against nlfam failed"
unload_module
insmod "$C_KO" family=25 || fail "insmod nlfam_c"
python3 "$PARITY" 25 "$datagrams" "$seed" > "$out/c" || fail "parity run against nlfam_c failed"
rmmod nlfam_c
[ -s "$out/rust" ] || fail "empty transcript"
if ! cmp -s "$out/rust" "$out/c"; then
  diff "$out/rust" "$out/c" | head -n 20 | sed 's/^/# /'
  fail "transcripts differ (seed $seed): replay with FUZZ_SEED=$seed"
fi
log "seed $seed: $datagrams datagrams, $(wc -l < "$out/rust") transcript lines, identical"
