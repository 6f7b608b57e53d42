#!/bin/bash
# In-VM fuzzing: nlfam-fuzz sends FUZZ_MESSAGES (default 1 000 000) structured and mutated
# messages from 4 root sockets, tracking a model of the store, while a second instance
# runs as an unprivileged user. Afterwards the module still answers, the store matches
# the model (on every tracked key; keys whose ACKs receive overruns dropped are not
# comparable and reported as "model skipped for N keys"), and the kernel log is clean
# (checked by tests/run after every test).
# Replay a failure with FUZZ_SEED=<seed> FUZZ_MESSAGES=<n> make fuzz.
# The debug kernel under TCG takes a million messages in about 7 minutes:
# timeout: 2400
. "$(dirname "$0")/lib.sh"
FUZZ=$BIN/nlfam-fuzz
messages=${FUZZ_MESSAGES:-1000000}
seed=${FUZZ_SEED:-$(date +%s)}
load_module max_entries=4096
log "seed $seed, $messages messages"
setpriv --reuid=65534 --regid=65534 --clear-groups "$FUZZ" --messages $((messages / 10)) \
  --seed $((seed + 1)) --sockets 2 --no-model >/tmp/nlfam-fuzz-user.out 2>&1 &
user=$!
"$FUZZ" --messages "$messages" --seed "$seed" --sockets 4 2>&1 | tee /tmp/nlfam-fuzz-root.out
[ "${PIPESTATUS[0]}" = 0 ] || fail "fuzzer (root) failed: replay with FUZZ_SEED=$seed"
# The model comparison ran, in full or (after receive overruns) on the keys it could.
grep -qE '^# (store matches the model|model skipped for)' /tmp/nlfam-fuzz-root.out \
  || fail "the fuzzer did not compare the store with its model"
wait $user || fail "fuzzer (unprivileged) failed: $(tail -n 3 /tmp/nlfam-fuzz-user.out)"
sed 's/^/unprivileged: /' /tmp/nlfam-fuzz-user.out
grep -q "rejected EPERM" /tmp/nlfam-fuzz-user.out || fail "the unprivileged fuzzer was never refused with EPERM"
"$NLFAM" echo after-fuzzing >/dev/null || fail "no echo after fuzzing"
