#!/bin/bash
# The family parameter: family=29 serves 29 (and not 25); several families at once;
# out-of-range values (22, 32) and duplicates fail insmod with EINVAL and a log line
# naming the value.
. "$(dirname "$0")/lib.sh"
load_module family=29
"$NLFAM" --family 29 echo on29 >/dev/null || fail "no echo on family 29"
expect_eq "socket() on 25 while only 29 is registered" "EPROTONOSUPPORT" "$("$VMTEST" socket-errno --family 25)"
unload_module

load_module family=23,31
"$NLFAM" --family 23 echo a >/dev/null || fail "no echo on family 23"
"$NLFAM" --family 31 echo b >/dev/null || fail "no echo on family 31"
unload_module

for bad in 22 32 0 -1 25,25; do
  mark=$(kmsg_mark)
  if err=$(insmod "$KO" family=$bad 2>&1); then fail "insmod family=$bad succeeded"; fi
  # kmod words EINVAL from init_module as "Invalid parameters".
  case $err in *"Invalid param"*|*"Invalid argument"*) ;; *) fail "insmod family=$bad: want EINVAL, got: $err" ;; esac
  line=$(kmsg_since "$mark" | grep "nlfam: family=${bad%%,*}" | tail -n 1)
  [ -n "$line" ] || fail "no kernel log line naming family=$bad: $(kmsg_since "$mark" | tail -n 2)"
  log "family=$bad refused: ${line#\[*\] }"
done
if module_loaded; then fail "module loaded after a refused insmod"; fi

