// SPDX-License-Identifier: GPL-2.0

//! Multicast membership: how many sockets subscribe to each group.
//!
//! The core tracks membership per socket, not per group: `netlink_has_listeners` only says
//! whether a group has anyone, and the `bind`/`unbind` callbacks cannot count (they run
//! for repeated joins of the same group too, and do not say which socket). So this walks
//! the protocol's list of subscribed sockets (`nl_table[protocol].mc_list`) under
//! `nl_table_lock`, reading each socket's group bitmap, exactly as netlink_diag does.

use super::socket::SocketRef;
use crate::compat::local;
use core::ffi::c_ulong;
use core::mem::offset_of;
use kernel::bindings;

const BITS_PER_LONG: usize = c_ulong::BITS as usize;

impl SocketRef<'_> {
    /// The number of sockets in this socket's network namespace that subscribe to each of
    /// groups 1..=N (index 0 is group 1).
    pub(crate) fn subscribers<const N: usize>(&self) -> [u32; N] {
        let mut counts = [0u32; N];
        let sk = self.as_ptr().cast::<local::sock>();
        // `mc_list` links sockets through `sk_bind_node`.
        let link = offset_of!(local::sock, __sk_common.__bindgen_anon_4);
        // SAFETY: `sk` is our live kernel socket (invariant of `SocketRef`), so its
        // namespace and protocol are set and `nl_table` (allocated at boot, never freed)
        // has an entry for the protocol. Under `nl_table_lock` held for reading, the
        // `mc_list` of that entry and the group bitmaps of the sockets on it cannot change
        // (`netlink_update_subscriptions` and `netlink_realloc_groups` run under the lock
        // held for writing), and a socket on the list is alive (it is removed, under the
        // write lock, before it is freed). Every node on the list is the `sk_bind_node` of
        // a `struct netlink_sock`, whose first member is its `struct sock`; `groups` holds
        // at least `ngroups` bits.
        unsafe {
            let net = (*sk).__sk_common.skc_net.net;
            let lock = (&raw mut local::nl_table_lock).cast::<bindings::rwlock_t>();
            // The irqsave variants: the only read-side pair this kernel exports out of line
            // in every configuration (`read_unlock` is inlined unless lock debugging).
            let flags = bindings::_raw_read_lock_irqsave(lock);
            let table = local::nl_table.add(usize::from((*sk).sk_protocol));
            let mut node = (*table).mc_list.first;
            while !node.is_null() {
                let nlk = node.byte_sub(link).cast::<local::netlink_sock>();
                if core::ptr::eq((*nlk).sk.__sk_common.skc_net.net, net) {
                    let groups = (*nlk).groups;
                    let n = N.min((*nlk).ngroups as usize);
                    for (bit, count) in counts.iter_mut().enumerate().take(n) {
                        let word = *groups.add(bit / BITS_PER_LONG);
                        if (word >> (bit % BITS_PER_LONG)) & 1 != 0 {
                            *count += 1;
                        }
                    }
                }
                node = (*node).next;
            }
            bindings::_raw_read_unlock_irqrestore(lock, flags);
        }
        counts
    }
}
