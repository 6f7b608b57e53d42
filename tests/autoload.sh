#!/bin/bash
# Autoload: the module carries the alias net-pf-16-proto-25, so socket(AF_NETLINK,
# SOCK_RAW, 25) makes the kernel run modprobe and load it (as for every in-tree family).
. "$(dirname "$0")/lib.sh"
modinfo -F alias "$KO" | grep -qx 'net-pf-16-proto-25' || fail "no net-pf-16-proto-25 alias in modinfo"
command -v depmod >/dev/null || skip "depmod not available"
# A private module tree for the running kernel, on tmpfs over the read-only host root.
moddir=/lib/modules/$(uname -r)
# The kernel's list of built-in modules comes along (depmod and modprobe read it).
builtin=$(mktemp -d); cp "$moddir"/modules.builtin* "$builtin/" 2>/dev/null
mount -t tmpfs nlfam-modules /lib/modules || skip "cannot mount a tmpfs on /lib/modules"
mkdir -p "$moddir" && cp "$builtin"/* "$moddir/" 2>/dev/null; rm -rf "$builtin"
# Lazily: the tmpfs must be gone for the tests after this one (a module left installed
# there would be autoloaded by them), even while something still holds it open.
trap 'cleanup_module; umount -l /lib/modules' EXIT
out=$("$NLFAM_ROOT/scripts/install-module" 1.2.3-other 2>&1) && fail "install-module installed for another release"
case $out in *"built for $(uname -r), not for 1.2.3-other"*) ;; *) fail "install-module for another release said: $out" ;; esac
# As `make install` installs it (updates/, depmod), checked to be built for this kernel.
out=$("$NLFAM_ROOT/scripts/install-module" "$(uname -r)" 2>&1) || fail "scripts/install-module: $out"
log "$out"
[ -f "$moddir/updates/nlfam.ko" ] || fail "install-module left no $moddir/updates/nlfam.ko"
[ "$(cat /proc/sys/kernel/modprobe)" != "" ] || skip "no modprobe helper configured"
module_loaded && fail "module loaded before the test"
expect_eq "socket() on family 25" "ok" "$("$VMTEST" socket-errno)"
module_loaded || fail "socket() did not autoload nlfam"
log "socket() autoloaded nlfam via $(cat /proc/sys/kernel/modprobe)"
"$NLFAM" echo autoloaded >/dev/null || fail "echo after autoload"
