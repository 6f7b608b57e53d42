// SPDX-License-Identifier: GPL-2.0

//! Multicast membership: how many sockets of a namespace a multicast to each group is
//! offered to ([`subscribers`]).
//!
//! The core keeps membership per socket, not per group: `netlink_has_listeners` only says
//! whether a group has anyone, in any namespace, and the `bind`/`unbind` callbacks cannot
//! count (they run for repeated joins of the same group too, not for a `bind()` whose mask
//! drops groups, and do not say which socket). So the count is taken with the core's own
//! multicast walk: for each group that has listeners, an skb goes through
//! `netlink_broadcast_filtered` with a filter that counts the sockets of this namespace it
//! is offered and drops every copy, so nobody receives anything.
//!
//! That walk is the one every event sent to a group makes: under the core's protection of
//! its table (`netlink_lock_table`), with interrupts on, in the requester's context. A
//! count therefore costs what one event to each listened group costs (the list spans
//! every namespace, so an event any user sends in a namespace of their own walks it
//! too); nothing is walked with interrupts off. It counts the sockets the core's
//! membership checks let an event reach: a socket that joined a group without being
//! bound (port id 0) is skipped, as the core skips it for every multicast this layer
//! sends (from port id 0), and a socket of another namespace listening to all
//! (`NETLINK_LISTEN_ALL_NSID`) is offered to the filter but not counted. (The filter runs
//! before the checks of delivery itself: a full receive queue, or a socket's own BPF
//! filter, may still drop an event for a counted socket.)

use super::skb::{Gfp, SkBuff};
use super::socket::SocketRef;
use crate::proto::wire::NLMSG_HDRLEN;
use kernel::error::{code::ENOMEM, Result};

/// Groups a classic netlink socket can join through `bind()`'s 32-bit mask: the most a
/// family served by this layer registers.
pub(crate) const MAX_GROUPS: usize = 32;

/// The number of sockets in `sock`'s network namespace that a multicast to each of groups
/// 1..=[`MAX_GROUPS`] of its protocol is offered to (index 0 is group 1). Allocates an skb per
/// group that has listeners, as `gfp` allows.
pub(super) fn subscribers(sock: SocketRef<'_>, gfp: Gfp) -> Result<[u32; MAX_GROUPS]> {
    let mut counts = [0u32; MAX_GROUPS];
    for (group, count) in (1u32..).zip(counts.iter_mut()) {
        // Nobody in any namespace: nothing to walk.
        if sock.has_listeners(group) {
            *count = sock.count_receivers(probe(gfp)?, group, gfp);
        }
    }
    Ok(counts)
}

/// The skb offered to the subscribers, which none receives: a zeroed message header. Not
/// empty, since 7.x's `netlink_trim` asserts a length (`skb_assert_len`, a warning under
/// `CONFIG_DEBUG_NET`).
fn probe(gfp: Gfp) -> Result<SkBuff> {
    let mut skb = SkBuff::alloc(NLMSG_HDRLEN, gfp)?;
    skb.append(NLMSG_HDRLEN, |w| w.put_bytes(&[0; NLMSG_HDRLEN]))
        .map_err(|_| ENOMEM)?;
    Ok(skb)
}
