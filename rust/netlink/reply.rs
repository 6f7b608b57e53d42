// SPDX-License-Identifier: GPL-2.0

//! The answers to one input datagram (data answers, ACKs and errors), coalesced: as many
//! messages per skb as fit.
//!
//! rtnetlink gives every answer its own skb, so a datagram of N requests costs the
//! requester N `recvmsg` calls and the kernel N allocations. Here the answers accumulate
//! in one pending skb, sized for the answers expected to the rest of the datagram (the
//! size of each request, plus an ACK where `NLM_F_ACK` asks for one), which is sent
//! - when the next answer does not fit it;
//! - before anything else is sent on the requester's behalf (a notification, the first
//!   part of a dump), so the requester sees everything in order;
//! - when the datagram has been walked.
//!
//! A datagram with one request gets one exactly-sized skb, as before: an oversized one
//! would be reallocated by `netlink_trim` on the way out.

use super::error::errno::EMSGSIZE;
use super::error::{err, Failure};
use super::skb::{Gfp, SkBuff, SkbWriter};
use super::socket::SocketRef;
use crate::proto::attr::NoSpace;
use core::cell::Cell;

/// Room reserved beyond the current answer for the answers still to come.
const BATCH_BYTES: usize = 32 * 1024;

/// The pending answers to one datagram, all for the sender's port id.
pub(crate) struct Replies<'a> {
    sock: SocketRef<'a>,
    portid: u32,
    /// `Cell`, not `RefCell`: a `take`/`set` pair cannot fail (no panicking borrow).
    pending: Cell<Option<SkBuff>>,
    /// Skbs of answers the requester's socket refused (its receive queue was full: the
    /// core has already flagged it with `ENOBUFS`, as it does for overrun multicast).
    lost: Cell<u64>,
}

impl<'a> Replies<'a> {
    pub(crate) fn new(sock: SocketRef<'a>, portid: u32) -> Self {
        Self {
            sock,
            portid,
            pending: Cell::new(None),
            lost: Cell::new(0),
        }
    }

    /// Appends one message of at most `size` bytes (header included, aligned) written by
    /// `f`. `rest` is how many bytes of answers are expected after this one.
    pub(crate) fn append(
        &self,
        size: usize,
        rest: usize,
        f: impl FnOnce(&mut SkbWriter<'_>) -> Result<(), NoSpace>,
    ) -> Result<(), Failure> {
        let mut skb = match self.pending.take() {
            Some(skb) if skb.tailroom() >= size => skb,
            full => {
                if let Some(full) = full {
                    self.send(full);
                }
                SkBuff::alloc(size.saturating_add(rest.min(BATCH_BYTES)), Gfp::Kernel)?
            }
        };
        // Nothing is appended when `f` fails, so the skb stays valid either way.
        let r = skb.append(size, f);
        self.pending.set(Some(skb));
        r.map_err(|NoSpace| Failure::new(err(EMSGSIZE), "reply does not fit its buffer"))
    }

    /// The requester's port id.
    pub(crate) fn portid(&self) -> u32 {
        self.portid
    }

    /// Sends what is pending: call before sending anything else for this datagram.
    pub(crate) fn flush(&self) {
        if let Some(skb) = self.pending.take() {
            self.send(skb);
        }
    }

    /// Sends what is pending and says how many skbs of answers were refused.
    pub(crate) fn finish(self) -> u64 {
        self.flush();
        self.lost.get()
    }

    /// Counts an answer that could not be delivered.
    pub(crate) fn count_lost(&self) {
        self.lost.set(self.lost.get().saturating_add(1));
    }

    fn send(&self, skb: SkBuff) {
        if self.sock.unicast(skb, self.portid).is_err() {
            self.count_lost();
        }
    }
}
