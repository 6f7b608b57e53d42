#!/bin/bash
# Permission matrix: every operation x {root, uid 65534 without capabilities, uid 65534
# with CAP_NET_ADMIN in its own user namespace (the initial network namespace is not
# its own), the same inside a network namespace its user namespace owns} x {nonroot=0,
# nonroot=1}. Every cell's expectation is written below; each is checked.
. "$(dirname "$0")/lib.sh"
command -v setpriv >/dev/null && command -v unshare >/dev/null || skip "setpriv/unshare missing"
nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; }
as_root()      { "$@"; }
as_user()      { nobody "$@"; }
as_userns()    { nobody unshare --user --map-root-user "$@"; }
as_userns_net(){ nobody unshare --user --map-root-user --net "$@"; }
nobody unshare --user --map-root-user true 2>/dev/null || skip "unprivileged user namespaces are disabled"

# op        root  user   userns  userns+netns   (nonroot=0)
matrix0="
echo        ok    ok     ok      ok
set         ok    EPERM  EPERM   ok
get         ok    EPERM  EPERM   ok
del         ok    EPERM  EPERM   ok
dump        ok    EPERM  EPERM   ok
publish     ok    EPERM  EPERM   ok
stats       ok    EPERM  EPERM   ok
config      ok    EPERM  EPERM   ok
subscribe   ok    EPERM  EPERM   ok"
# op        root  user   userns  userns+netns   (nonroot=1)
matrix1="
echo        ok    ok     ok      ok
set         ok    EPERM  EPERM   ok
get         ok    ok     ok      ok
del         ok    EPERM  EPERM   ok
dump        ok    ok     ok      ok
publish     ok    EPERM  EPERM   ok
stats       ok    ok     ok      ok
config      ok    EPERM  EPERM   ok
subscribe   ok    ok     ok      ok"

cells=0
for nonroot in 0 1; do
  load_module nonroot=$nonroot
  [ $nonroot = 0 ] && m=$matrix0 || m=$matrix1
  while read -r op want_root want_user want_userns want_net; do
    [ -n "$op" ] || continue
    for who in root user userns userns_net; do
      case $who in root) want=$want_root ;; user) want=$want_user ;;
                   userns) want=$want_userns ;; userns_net) want=$want_net ;; esac
      got=$(as_$who "$VMTEST" try "$op" 2>&1)
      [ "$got" = "$want" ] || fail "nonroot=$nonroot $op as $who: want $want, got $got"
      cells=$((cells + 1))
    done
  done <<<"$m"
  unload_module
done
log "$cells cells checked"
