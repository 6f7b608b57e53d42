// SPDX-License-Identifier: GPL-2.0

//! Reads of the netlink core's protocol table (`nl_table`, private to `net/netlink/` and
//! exported for netlink_diag), under `nl_table_lock` held for reading.

use super::core_internals as local;
use kernel::bindings;

/// `nl_table_lock` held for reading, with interrupts off, until dropped. Everything the
/// core changes in `nl_table` (registrations, multicast lists, a socket's groups) it
/// changes under the lock held for writing. Taken only to read whether a protocol is
/// registered.
pub(super) struct TableReadGuard {
    /// The saved interrupt state (a C `unsigned long`, `usize` in the kernel's bindings).
    flags: usize,
}

fn lock_ptr() -> *mut bindings::rwlock_t {
    (&raw mut local::nl_table_lock).cast::<bindings::rwlock_t>()
}

impl TableReadGuard {
    pub(super) fn lock() -> Self {
        // The irqsave variants: the only read-side pair this kernel exports out of line
        // in every configuration (`read_unlock` is inlined unless lock debugging).
        // SAFETY: `nl_table_lock` is the core's static, initialised rwlock.
        let flags = unsafe { bindings::_raw_read_lock_irqsave(lock_ptr()) };
        Self { flags }
    }

    /// Whether protocol `unit` is registered (see [`unit_registered`]).
    fn registered(&self, unit: usize) -> bool {
        // SAFETY: `e` is a live entry (see `entry`); `registered` changes only under the
        // lock held for writing, kept out by this guard.
        entry(unit).is_some_and(|e| unsafe { (*e).registered } != 0)
    }
}

/// The table entry of `protocol`, as a raw pointer: parts of it (the socket hash) change
/// without the lock, so only fields the lock protects may be read through it.
fn entry(protocol: usize) -> Option<*const local::netlink_table> {
    if protocol >= bindings::MAX_LINKS as usize {
        return None;
    }
    // SAFETY: `nl_table` is allocated at boot with `MAX_LINKS` entries and never freed;
    // `protocol` is in range. Only the address is computed here.
    Some(unsafe { local::nl_table.add(protocol) }.cast_const())
}

impl Drop for TableReadGuard {
    fn drop(&mut self) {
        // SAFETY: Taken in `lock` with these flags, released once.
        unsafe { bindings::_raw_read_unlock_irqrestore(lock_ptr(), self.flags) };
    }
}

/// Whether a kernel socket has registered protocol `unit` (in the initial namespace,
/// which is where registration is recorded). Used to tell "taken" from "out of memory"
/// when `__netlink_kernel_create` fails, which its NULL return does not say.
pub(crate) fn unit_registered(unit: usize) -> bool {
    TableReadGuard::lock().registered(unit)
}
