// SPDX-License-Identifier: GPL-2.0

//! [`Request`]: one request message of an input datagram, as a [`Handler`] sees it: its
//! header and payload, who sent it, and the ways to answer it (a reply in the datagram's
//! batch of answers, a multicast, a dump).
//!
//! [`Handler`]: super::Handler

use super::dump::{self, Dumper};
use super::error::errno::EMSGSIZE;
use super::error::{err, Failure};
use super::membership::{self, MAX_GROUPS};
use super::reply::Replies;
use super::skb::{Gfp, InSkb, SkBuff, SkbWriter};
use super::socket::SocketRef;
use crate::proto::attr::NoSpace;
use crate::proto::wire::{align, Msg, NlMsgHdr, NLMSG_HDRLEN};
use core::cell::Cell;
use kernel::bindings;
use kernel::error::Result;
use kernel::sync::ArcBorrow;

/// One request message, borrowed from the input skb.
///
/// # Invariants
///
/// `skb` is the input skb of the callback running now on `sock`.
pub(crate) struct Request<'a> {
    skb: &'a InSkb,
    sock: SocketRef<'a>,
    hdr: NlMsgHdr,
    payload: &'a [u8],
    /// Where the message starts in the input skb's data.
    offset: usize,
    /// Where answers to this datagram accumulate.
    replies: &'a Replies<'a>,
    /// Expected size of the answers after this request's.
    rest: usize,
    /// Subscriber counts, taken at most once per datagram (see [`Request::subscribers`]).
    subscribers: &'a Cell<Option<[u32; MAX_GROUPS]>>,
}

/// What the input path knows of one datagram, shared by its requests.
///
/// # Invariants
///
/// `skb` is the argument of the input callback running now on `sock`.
pub(super) struct Datagram<'a> {
    skb: &'a InSkb,
    sock: SocketRef<'a>,
    /// Where answers to it accumulate.
    replies: &'a Replies<'a>,
    /// Subscriber counts, taken at most once per datagram.
    subscribers: &'a Cell<Option<[u32; MAX_GROUPS]>>,
}

impl<'a> Datagram<'a> {
    /// # Safety
    ///
    /// `skb` must be the argument of the input callback running now on `sock`.
    pub(super) unsafe fn new(
        skb: &'a InSkb,
        sock: SocketRef<'a>,
        replies: &'a Replies<'a>,
        subscribers: &'a Cell<Option<[u32; MAX_GROUPS]>>,
    ) -> Self {
        // INVARIANT: guaranteed by the caller.
        Self {
            skb,
            sock,
            replies,
            subscribers,
        }
    }
}

impl<'a> Request<'a> {
    /// The message `msg` of `dgram`; `rest` bytes of answers are expected after this
    /// one's.
    pub(super) fn new(dgram: &Datagram<'a>, msg: &Msg<'a>, rest: usize) -> Self {
        // INVARIANT: `dgram.skb` is the input skb of the callback running on `dgram.sock`
        // (invariant of `Datagram`).
        Self {
            skb: dgram.skb,
            sock: dgram.sock,
            hdr: msg.hdr,
            payload: msg.payload,
            offset: msg.offset,
            replies: dgram.replies,
            rest,
            subscribers: dgram.subscribers,
        }
    }

    /// The request's header.
    pub(crate) fn hdr(&self) -> &NlMsgHdr {
        &self.hdr
    }

    /// The bytes after the header (`nlmsg_len - NLMSG_HDRLEN`).
    pub(crate) fn payload(&self) -> &'a [u8] {
        self.payload
    }

    /// Port id of the sending socket (from `NETLINK_CB`, not from the header).
    pub(crate) fn portid(&self) -> u32 {
        self.skb.portid()
    }

    /// Uid of the sender.
    pub(crate) fn uid(&self) -> u32 {
        self.skb.uid()
    }

    /// Whether the sender has `CAP_NET_ADMIN` in the user namespace owning the family's
    /// network namespace (`netlink_net_capable`).
    pub(crate) fn net_admin(&self) -> bool {
        self.skb.net_capable(bindings::CAP_NET_ADMIN)
    }

    /// Whether any socket subscribes to `group` (1-based).
    pub(crate) fn has_listeners(&self, group: u32) -> bool {
        self.sock.has_listeners(group)
    }

    /// The number of sockets of the family's namespace that a multicast to each group is
    /// offered to (index 0 is group 1; see `membership.rs`). Counting walks every subscribed
    /// socket of the protocol once per listened group, as that many events would, so it
    /// is done at most once per datagram: however many requests one `sendmsg` carries,
    /// they share one count.
    pub(crate) fn subscribers(&self) -> Result<[u32; MAX_GROUPS]> {
        if let Some(counts) = self.subscribers.get() {
            return Ok(counts);
        }
        let counts = membership::subscribers(self.sock, Gfp::Kernel)?;
        self.subscribers.set(Some(counts));
        Ok(counts)
    }

    /// Multicasts `skb` to `group` (see [`SocketRef::broadcast`]), after the answers so
    /// far: a requester that also subscribes sees them in the order they happened.
    pub(crate) fn broadcast(&self, skb: SkBuff, group: u32) -> Result {
        self.replies.flush();
        self.sock.broadcast(skb, group, Gfp::Kernel)
    }

    /// Starts a dump answered by `dumper` (see [`dump::start`]), after the answers so
    /// far. Every skb the core allocates for it holds at least `min_alloc` bytes, so one
    /// entry of that size always fits.
    pub(crate) fn start_dump<D: Dumper>(
        &self,
        dumper: ArcBorrow<'_, D>,
        min_alloc: u32,
    ) -> Result<(), Failure> {
        // The header the netlink core is handed: a whole, aligned message inside the skb,
        // checked here (dumps only) from the skb's own bytes.
        let nlh = self
            .skb
            .data()
            .get(self.offset..)
            .filter(|_| align(self.offset) == self.offset)
            .filter(|m| {
                NlMsgHdr::parse(m).is_some_and(|h| {
                    let len = h.len as usize;
                    len >= NLMSG_HDRLEN && len <= m.len()
                })
            })
            .ok_or(kernel::error::code::EINVAL)?;
        self.replies.flush();
        // SAFETY: `skb` is the input skb of the callback running now on `sock` (type
        // invariant), and `nlh` a whole, aligned message inside it (above).
        unsafe {
            dump::start(
                self.sock,
                self.skb.as_ptr(),
                nlh.as_ptr().cast_mut().cast(),
                dumper,
                min_alloc,
            )
        }
    }

    /// Answers the requester with one message of type `ty` and the request's sequence
    /// number; `size` bounds its payload and `f` writes it. The message may share an skb
    /// with the other answers to the same datagram (see [`Replies`]).
    pub(crate) fn reply(
        &self,
        ty: u16,
        flags: u16,
        size: usize,
        f: impl FnOnce(&mut SkbWriter<'_>) -> Result<(), NoSpace>,
    ) -> Result<(), Failure> {
        // Header plus payload, padded: what the writer reserves.
        let total = align(
            size.checked_add(NLMSG_HDRLEN)
                .ok_or_else(|| err(EMSGSIZE))?,
        );
        self.replies.append(total, self.rest, |w| {
            let m = w.begin_msg(ty, flags, self.hdr.seq, 0)?;
            f(w)?;
            w.end_msg(m)
        })
    }
}
