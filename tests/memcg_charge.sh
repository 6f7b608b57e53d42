#!/bin/bash
# Memory accounting: what an unprivileged user stores is charged to its memory cgroup
# (__GFP_ACCOUNT), so a container's memory.max bounds it. uid 65534, in a cgroup of its
# own and in its own user and network namespace, stores 200 values of 4000 bytes: the
# cgroup's memory.current must grow by at least 80% of the 800 000 bytes. Then, in a
# cgroup with 8 MiB of room and the namespace's store quota far above that, it stores
# until the cgroup is full: the SET that does not fit must fail with ENOMEM, and nothing
# may be OOM-killed for it (__GFP_RETRY_MAYFAIL).
. "$(dirname "$0")/lib.sh"
cg_root=/tmp/nlfam-cgroup2
mkdir -p "$cg_root"
mountpoint -q "$cg_root" || mount -t cgroup2 none "$cg_root" || fail "cannot mount cgroup2"
cleanup() {
  for cg in "$cg_root/nlfam" "$cg_root/nlfam-full"; do
    [ -d "$cg" ] && { cat "$cg/cgroup.procs" | while read -r p; do echo "$p" > "$cg_root/cgroup.procs"; done; rmdir "$cg"; }
  done
  umount "$cg_root" 2>/dev/null
  cleanup_module
}
trap cleanup EXIT
grep -qw memory "$cg_root/cgroup.controllers" || fail "the kernel has no memory cgroup controller"
echo +memory > "$cg_root/cgroup.subtree_control" || fail "cannot enable the memory controller"
mkdir -p "$cg_root/nlfam"
echo 64M > "$cg_root/nlfam/memory.max"
load_module
( echo $BASHPID > "$cg_root/nlfam/cgroup.procs" &&
  exec setpriv --reuid=65534 --regid=65534 --clear-groups unshare --user --map-root-user --net \
    "$VMTEST" sec charged "$cg_root/nlfam/memory.current" 200 4000 ) || fail "store not charged"

unload_module
load_module userns_max_bytes=268435456 userns_max_entries=1000000
mkdir -p "$cg_root/nlfam-full"
# The user sets the cgroup's memory.max itself, once its mappings are locked in memory
# (see `sec memcg-full`): the file is delegated to it, and RLIMIT_MEMLOCK raised.
chown 65534 "$cg_root/nlfam-full/memory.max"
( echo $BASHPID > "$cg_root/nlfam-full/cgroup.procs" && ulimit -l unlimited &&
  exec setpriv --reuid=65534 --regid=65534 --clear-groups unshare --user --map-root-user --net \
    "$VMTEST" sec memcg-full "$cg_root/nlfam-full" 8388608 4000 ) || fail "a full memory cgroup"
