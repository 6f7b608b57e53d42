#!/bin/bash
# Memory accounting: what an unprivileged user stores is charged to its memory cgroup
# (__GFP_ACCOUNT), so a container's memory.max bounds it. uid 65534, in a cgroup of its
# own and in its own user and network namespace, stores 200 values of 4000 bytes: the
# cgroup's memory.current must grow by at least 80% of the 800 000 bytes. Then a cgroup's
# memory.max stops a store that would outgrow it: ENOMEM, and the store left consistent.
. "$(dirname "$0")/lib.sh"
cg_root=/tmp/nlfam-cgroup2
mkdir -p "$cg_root"
mountpoint -q "$cg_root" || mount -t cgroup2 none "$cg_root" || fail "cannot mount cgroup2"
cleanup() {
  [ -d "$cg_root/nlfam" ] && { cat "$cg_root/nlfam/cgroup.procs" | while read -r p; do echo "$p" > "$cg_root/cgroup.procs"; done; rmdir "$cg_root/nlfam"; }
  rmdir "$cg_root/nlfam-max" 2>/dev/null
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
log "uid 65534's store charged to its cgroup"

# memory.max bounds it: in a cgroup limited to 16 MiB, up to 8000 values of 4000 bytes
# (32 MB) must be refused with ENOMEM part-way, the refused SET leaving no trace. Root in
# the initial namespaces (quota 256 MiB), so memory.max is the only limit in the way. The
# filler is unkillable (oom_score_adj -1000): the cgroup's OOM killer finds no victim and
# the charge fails, which is what a process protected from the OOM killer sees.
unload_module
load_module
mkdir -p "$cg_root/nlfam-max"
echo 16M > "$cg_root/nlfam-max/memory.max"
echo 0 > "$cg_root/nlfam-max/memory.swap.max" 2>/dev/null
out=$( ( echo $BASHPID > "$cg_root/nlfam-max/cgroup.procs" && echo -1000 > /proc/self/oom_score_adj &&
         exec "$VMTEST" sec memory-max 8000 4000 ) 2>&1 )
rc=$?
echo "$out" | sed 's/^\([^#]\)/# \1/'
oom_kills=$(awk '$1 == "oom_kill" {print $2}' "$cg_root/nlfam-max/memory.events")
rmdir "$cg_root/nlfam-max" 2>/dev/null
[ $rc -eq 0 ] || fail "memory.max did not bound the store (exit $rc)"
expect_eq "OOM kills in the limited cgroup" "0" "$oom_kills"
# The module is intact: the entries stored so far are there, a new SET outside the cgroup works.
"$NLFAM" set after-limit ok >/dev/null || fail "SET outside the limited cgroup failed"
