// SPDX-License-Identifier: GPL-2.0

//! Multicast membership: how many sockets subscribe to each group ([`subscribers`]).
//!
//! The core tracks membership per socket, not per group: `netlink_has_listeners` only says
//! whether a group has anyone, and the `bind`/`unbind` callbacks cannot count (they run
//! for repeated joins of the same group too, and do not say which socket). So this walks
//! the protocol's list of subscribed sockets (`nl_table[protocol].mc_list`) under
//! `nl_table_lock`, reading each socket's group bitmap, exactly as netlink_diag does.

use super::core_internals as local;
use super::socket::SocketRef;
use super::table::TableReadGuard;
use core::ffi::c_ulong;
use core::mem::offset_of;

const BITS_PER_LONG: usize = c_ulong::BITS as usize;

/// Groups a classic netlink socket can join through `bind()`'s 32-bit mask: the most a
/// family served by this layer registers.
pub(crate) const MAX_GROUPS: usize = 32;

/// The number of sockets in `sock`'s network namespace that subscribe to each of groups
/// 1..=[`MAX_GROUPS`] of its protocol (index 0 is group 1).
pub(super) fn subscribers(sock: SocketRef<'_>) -> [u32; MAX_GROUPS] {
    let mut counts = [0u32; MAX_GROUPS];
    let sk = sock.as_ptr().cast::<local::sock>();
    // SAFETY: `sk` is a live kernel socket (invariant of `SocketRef`), so its
    // namespace and protocol are set.
    let (net, protocol) = unsafe { ((*sk).__sk_common.skc_net.net, (*sk).sk_protocol) };
    // `mc_list` links sockets through `sk_bind_node`.
    let link = offset_of!(local::sock, __sk_common.__bindgen_anon_4);
    let table = TableReadGuard::lock();
    let mut node = table.mc_list_first(usize::from(protocol));
    while !node.is_null() {
        // SAFETY: Under the table lock (held by `table`) every node on `mc_list` is
        // the `sk_bind_node` of a live `struct netlink_sock` (it leaves the list,
        // under the lock held for writing, before it is freed), whose first member
        // is its `struct sock`: stepping back stays inside that socket. Only fields
        // the lock protects (or that never change) are read, through raw places.
        let nlk = unsafe { node.byte_sub(link).cast::<local::netlink_sock>() };
        // SAFETY: `nlk` is live (above); a socket's namespace never changes.
        let same_net = core::ptr::eq(unsafe { (*nlk).sk.__sk_common.skc_net.net }, net);
        // SAFETY: `nlk` is live; `groups` and `ngroups` change only under the lock
        // held for writing (`netlink_realloc_groups`, `netlink_update_socket_mc`).
        let (groups, ngroups) = unsafe { ((*nlk).groups, (*nlk).ngroups as usize) };
        if same_net {
            for (bit, count) in counts.iter_mut().enumerate().take(ngroups) {
                // SAFETY: `groups` holds at least `ngroups` bits (above).
                let word = unsafe { *groups.add(bit / BITS_PER_LONG) };
                if (word >> (bit % BITS_PER_LONG)) & 1 != 0 {
                    *count += 1;
                }
            }
        }
        // SAFETY: `node` is live (above); the list cannot change under the lock.
        node = unsafe { (*node).next };
    }
    counts
}
