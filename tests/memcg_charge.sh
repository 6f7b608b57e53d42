#!/bin/bash
# Memory accounting: what an unprivileged user stores is charged to its memory cgroup
# (__GFP_ACCOUNT), so a container's memory.max bounds it. uid 65534, in a cgroup of its
# own and in its own user and network namespace, stores 200 values of 4000 bytes: the
# cgroup's memory.current must grow by at least 80% of the 800 000 bytes.
. "$(dirname "$0")/lib.sh"
cg_root=/tmp/nlfam-cgroup2
mkdir -p "$cg_root"
mountpoint -q "$cg_root" || mount -t cgroup2 none "$cg_root" || fail "cannot mount cgroup2"
cleanup() {
  [ -d "$cg_root/nlfam" ] && { cat "$cg_root/nlfam/cgroup.procs" | while read -r p; do echo "$p" > "$cg_root/cgroup.procs"; done; rmdir "$cg_root/nlfam"; }
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
