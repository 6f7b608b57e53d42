#!/bin/bash
# load / unload / load works and the family answers each time it is loaded.
. "$(dirname "$0")/lib.sh"
for round in 1 2 3; do
  load_module
  out=$("$NLFAM" echo "round $round") || fail "echo in round $round: $out"
  unload_module
  [ -z "$(proc_kernel_socket 25)" ] || fail "kernel socket left behind after unload in round $round"
done
log "3 load/echo/unload rounds"
