// SPDX-License-Identifier: GPL-2.0

//! The input path: what `netlink_rcv_skb` does in C, in Rust, over the shared protocol
//! crate's message walker. For every message of a datagram: stop silently at a malformed
//! header (as the kernel does); skip control messages and non-requests (ACKing them only
//! on `NLM_F_ACK`); hand requests to the family's [`Handler`]; answer an error with
//! `NLMSG_ERROR` and extended ACK, a success with an ACK when `NLM_F_ACK` asks for one.

use super::error::err;
use super::error::errno::EMSGSIZE;
use super::error::Failure;
use super::membership::MAX_GROUPS;
use super::periodic::Periodic;
use super::reply::Replies;
use super::skb::{InSkb, SkBuff};
use super::socket::SocketRef;
use crate::proto::attr::{attr_space, NoSpace, Writer};
use crate::proto::wire::{
    align, MsgIter, NlMsgHdr, NLMSGERR_ATTR_MISS_TYPE, NLMSGERR_ATTR_MSG, NLMSGERR_ATTR_OFFS,
    NLMSG_ERROR, NLMSG_HDRLEN, NLM_F_ACK, NLM_F_ACK_TLVS, NLM_F_CAPPED,
};
use core::cell::Cell;
use kernel::bindings;
use kernel::error::{code::EAGAIN, Result};
use kernel::sync::ArcBorrow;

/// What a handler did with a request that did not fail.
pub(crate) enum Outcome {
    /// Finished: ACK if the request asked for one.
    Done,
    /// A dump was started: the dump ends with `NLMSG_DONE`, so no ACK now.
    DumpStarted,
}

/// A family's request handler; the services implement it in safe Rust.
pub(crate) trait Handler: Send + Sync + Sized + 'static {
    /// Handles one request message. `this` is the state the registration holds, borrowed
    /// from its `Arc`, so a handler can hand out references that outlive the call (a
    /// dump keeps one).
    fn handle(this: ArcBorrow<'_, Self>, req: &Request<'_>) -> Result<Outcome, Failure>;

    /// The kernel socket exists (and the [`Periodic`] sender, if any, is attached to it):
    /// event sources may start.
    fn attached(&self, _sock: SocketRef<'_>) {}

    /// The kernel socket is about to be released (the registration stops the periodic
    /// sender right after this).
    fn shutdown(&self) {}

    /// A periodic sender the registration attaches to the kernel socket once it exists
    /// and stops before releasing it.
    fn periodic(&self) -> Option<&Periodic> {
        None
    }

    /// `n` skbs of answers were refused by a requester's full receive queue.
    fn replies_lost(&self, _n: u64) {}
}

/// One request message, borrowed from the input skb.
pub(crate) struct Request<'a> {
    skb: &'a InSkb,
    sock: SocketRef<'a>,
    hdr: NlMsgHdr,
    payload: &'a [u8],
    /// The message's header inside the input skb.
    nlh: *const u8,
    /// Where answers to this datagram accumulate.
    replies: &'a Replies<'a>,
    /// Expected size of the answers after this request's (see [`answer_space`]).
    rest: usize,
    /// Subscriber counts, taken at most once per datagram (see [`Request::subscribers`]).
    subscribers: &'a Cell<Option<[u32; MAX_GROUPS]>>,
}

impl<'a> Request<'a> {
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

    /// The number of sockets subscribing to each of groups 1..=32 in the family's
    /// namespace. Counting walks every subscribed socket of the protocol with interrupts
    /// off (see `membership.rs`), so it is done at most once per datagram: however many
    /// requests one `sendmsg` carries, they share one count.
    pub(crate) fn subscribers(&self) -> [u32; MAX_GROUPS] {
        if let Some(counts) = self.subscribers.get() {
            return counts;
        }
        let counts = self.sock.subscribers();
        self.subscribers.set(Some(counts));
        counts
    }

    /// Multicasts `skb` to `group` (see [`SocketRef::broadcast`]), after the answers so
    /// far: a requester that also subscribes sees them in the order they happened.
    pub(crate) fn broadcast(&self, skb: SkBuff, group: u32) -> Result {
        self.replies.flush();
        self.sock.broadcast(skb, group)
    }

    /// The family's kernel socket and the input skb with this message's header, for C
    /// calls that send on the requester's behalf: answers so far go out first.
    pub(super) fn raw_parts(
        &self,
    ) -> (
        SocketRef<'a>,
        *mut bindings::sk_buff,
        *mut bindings::nlmsghdr,
    ) {
        self.replies.flush();
        (self.sock, self.skb.as_ptr(), self.nlh.cast_mut().cast())
    }

    /// Answers the requester with one message of type `ty` and the request's sequence
    /// number; `size` bounds its payload and `f` writes it. The message may share an skb
    /// with the other answers to the same datagram (see [`Replies`]).
    pub(crate) fn reply(
        &self,
        ty: u16,
        flags: u16,
        size: usize,
        f: impl FnOnce(&mut Writer<'_>) -> Result<(), NoSpace>,
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

/// The `input` callback of every family socket.
///
/// # Safety
///
/// Called by the netlink core only, with a valid skb sent to a socket created by
/// `Registration::<T>::new`.
pub(crate) unsafe extern "C" fn input_trampoline<T: Handler>(skb: *mut bindings::sk_buff) {
    // SAFETY: The core passes a valid skb that stays alive during this callback.
    let Some(skb) = (unsafe { InSkb::from_raw(skb) }) else {
        return;
    };
    // SAFETY: `skb->sk` is our live kernel socket while the callback runs.
    let Some(sock) = (unsafe { SocketRef::from_raw(skb.sk()) }) else {
        return;
    };
    // SAFETY: The socket was created by `Registration::<T>::new` (our precondition).
    let handler = unsafe { sock.state::<T>() };
    receive(&skb, sock, handler);
}

/// Size of an ACK without extended ACK attributes: header, errno, the request's header.
const ACK_SPACE: usize = NLMSG_HDRLEN + 4 + NLMSG_HDRLEN;

/// What the answers to a request are expected to take, to size the batch's skbs: as much
/// as the request (exact for echo) and, with `NLM_F_ACK`, an ACK.
fn answer_space(hdr: &NlMsgHdr) -> (usize, usize) {
    let ack = if hdr.flags & NLM_F_ACK != 0 {
        ACK_SPACE
    } else {
        0
    };
    (align(hdr.len as usize), ack)
}

fn receive<T: Handler>(skb: &InSkb, sock: SocketRef<'_>, handler: Option<ArcBorrow<'_, T>>) {
    let data = skb.data();
    let replies = Replies::new(sock, skb.portid());
    let subscribers = Cell::new(None);
    // Expected answers to the requests not handled yet (headers only: a cheap walk).
    let mut later = MsgIter::new(data)
        .map(|m| answer_space(&m.hdr))
        .fold(0usize, |sum, (data, ack)| {
            sum.saturating_add(data).saturating_add(ack)
        });
    for msg in MsgIter::new(data) {
        let (answer, ack_space) = answer_space(&msg.hdr);
        later = later.saturating_sub(answer.saturating_add(ack_space));
        let result = if !msg.hdr.is_family_request() {
            Ok(Outcome::Done)
        } else if let Some(h) = handler {
            let nlh = data
                .get(msg.offset..)
                .map_or(core::ptr::null(), |m| m.as_ptr());
            T::handle(
                h,
                &Request {
                    skb,
                    sock,
                    hdr: msg.hdr,
                    payload: msg.payload,
                    nlh,
                    replies: &replies,
                    rest: later.saturating_add(ack_space),
                    subscribers: &subscribers,
                },
            )
        } else {
            // The socket exists but its state is not published yet (module loading).
            Err(Failure::new(EAGAIN, "family is starting up, try again"))
        };
        match result {
            Ok(Outcome::Done) if msg.hdr.flags & NLM_F_ACK != 0 => {
                ack(skb, &replies, msg.offset, later, 0, None)
            }
            Ok(_) => {}
            Err(f) => ack(
                skb,
                &replies,
                msg.offset,
                later,
                f.error.to_errno(),
                Some(&f),
            ),
        }
    }
    let lost = replies.finish();
    if let (Some(h), true) = (handler, lost != 0) {
        h.replies_lost(lost);
    }
}

/// Answers the message at `offset` with `NLMSG_ERROR` (`err` 0 is an ACK), in the batch
/// of answers, built exactly as the core's `netlink_ack` builds it: the request's header
/// is echoed, its payload too for an error unless the sender set `NETLINK_CAP_ACK`
/// (otherwise `NLM_F_CAPPED`), and with `NETLINK_EXT_ACK` the failure's message, the
/// offending attribute's offset and a missing attribute's type follow as
/// `NLMSGERR_ATTR_*` attributes (`NLM_F_ACK_TLVS`). `nlmsg_pid` is the requester's port.
fn ack(
    skb: &InSkb,
    replies: &Replies<'_>,
    offset: usize,
    rest: usize,
    err: i32,
    failure: Option<&Failure>,
) {
    let data = skb.data();
    let Some(msg) = data.get(offset..) else {
        return;
    };
    let Some(hdr) = NlMsgHdr::parse(msg) else {
        return;
    };
    let len = (hdr.len as usize).min(msg.len());
    let (Some(header), Some(payload)) = (msg.get(..NLMSG_HDRLEN), msg.get(NLMSG_HDRLEN..len))
    else {
        return;
    };
    let opts = skb.sender_ack_options();
    let copy = err != 0 && !opts.cap;
    let failure = failure.filter(|_| opts.ext);
    let text = failure.and_then(|f| f.msg);
    let (bad_attr, missing) = match failure {
        Some(f) if err != 0 => (
            f.offset
                .filter(|o| *o >= NLMSG_HDRLEN && *o < len)
                .and_then(|o| u32::try_from(o).ok()),
            f.missing.filter(|t| *t != 0),
        ),
        _ => (None, None),
    };
    let tlvs = text.map_or(0, |t| attr_space(t.len() + 1))
        + bad_attr.map_or(0, |_| attr_space(4))
        + missing.map_or(0, |_| attr_space(4));
    let mut flags = if copy { 0 } else { NLM_F_CAPPED };
    if tlvs != 0 {
        flags |= NLM_F_ACK_TLVS;
    }
    let size = NLMSG_HDRLEN + 4 + NLMSG_HDRLEN + if copy { align(payload.len()) } else { 0 } + tlvs;
    // Without memory for it the answer is lost and counted, as one the requester's full
    // queue refuses.
    let built = replies.append(size, rest, |w| {
        let m = w.begin_msg(NLMSG_ERROR, flags, hdr.seq, replies.portid())?;
        w.put_bytes(&err.to_ne_bytes())?;
        w.put_bytes(header)?;
        if copy {
            w.put_bytes(payload)?;
            // The copy is padded like `nlmsg_append`: the padding counts in `nlmsg_len`.
            w.put_bytes(&[])?;
        }
        if let Some(t) = text {
            w.put_str(NLMSGERR_ATTR_MSG, t.as_bytes())?;
        }
        if let Some(o) = bad_attr {
            w.put_u32(NLMSGERR_ATTR_OFFS, o)?;
        }
        if let Some(t) = missing {
            w.put_u32(NLMSGERR_ATTR_MISS_TYPE, u32::from(t))?;
        }
        w.end_msg(m)
    });
    if built.is_err() {
        replies.count_lost();
        skb.report_lost_answer();
    }
}
