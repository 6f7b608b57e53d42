#!/bin/bash
# Families loaded together (family=23,31) share nothing: a key set on one is invisible on
# the other, subscribers of one get no events from the other, STATS are per family. And
# subscribing through bind()'s nl_groups mask (bit N-1 = group N, netlink(7)) rather
# than NETLINK_ADD_MEMBERSHIP: each of groups 3..32 bound alone gets its own events and
# not its neighbours', a mask of 1, 5 and 32 gets exactly those (and shows in STATS),
# mask 0 unsubscribes, group 2 brings heartbeats.
. "$(dirname "$0")/lib.sh"
load_module family=23,31
"$VMTEST" edge families 23 31 || fail "family 23 leaks into 31"
"$VMTEST" edge bind-groups --family 31 || fail "bind() group mask"
