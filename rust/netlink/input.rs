// SPDX-License-Identifier: GPL-2.0

//! The input path: what `netlink_rcv_skb` does in C, in Rust, over the shared protocol
//! crate's message walker. For every message of a datagram: stop silently at a malformed
//! header (as the kernel does); skip control messages and non-requests (ACKing them only
//! on `NLM_F_ACK`); hand requests to the family's [`Handler`]; answer an error with
//! `NLMSG_ERROR` and extended ACK, a success with an ACK when `NLM_F_ACK` asks for one.

use super::error::err;
use super::error::Failure;
use super::reply::Replies;
use super::skb::{InSkb, SkBuff};
use super::socket::SocketRef;
use crate::proto::attr::{NoSpace, Writer};
use crate::proto::errno::EMSGSIZE;
use crate::proto::wire::{align, MsgIter, NlMsgHdr, NLMSG_HDRLEN, NLM_F_ACK};
use kernel::bindings;
use kernel::error::{code::EAGAIN, Result};

/// What a handler did with a request that did not fail.
pub(crate) enum Outcome {
    /// Finished: ACK if the request asked for one.
    Done,
    /// A dump was started: the dump ends with `NLMSG_DONE`, so no ACK now.
    DumpStarted,
}

/// A family's request handler; the services implement it in safe Rust.
pub(crate) trait Handler: Send + Sync + Sized {
    /// Handles one request message.
    fn handle(&self, req: &Request<'_>) -> Result<Outcome, Failure>;

    /// The kernel socket exists: event sources may start sending through it.
    fn attached(&self, _sock: SocketRef<'_>) {}

    /// The kernel socket is about to be released: stop everything that sends through it.
    fn shutdown(&self) {}

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
    /// Bytes of the datagram after this message.
    rest: usize,
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

    /// The number of sockets subscribing to each of groups 1..=N in the family's namespace.
    pub(crate) fn subscribers<const N: usize>(&self) -> [u32; N] {
        self.sock.subscribers()
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
        let total = align(size.checked_add(NLMSG_HDRLEN).ok_or(err(EMSGSIZE))?);
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

fn receive<T: Handler>(skb: &InSkb, sock: SocketRef<'_>, handler: Option<&T>) {
    let data = skb.data();
    let replies = Replies::new(sock, skb.portid());
    for msg in MsgIter::new(data) {
        let result = if !msg.hdr.is_family_request() {
            Ok(Outcome::Done)
        } else if let Some(h) = handler {
            let nlh = data
                .get(msg.offset..)
                .map_or(core::ptr::null(), |m| m.as_ptr());
            h.handle(&Request {
                skb,
                sock,
                hdr: msg.hdr,
                payload: msg.payload,
                nlh,
                replies: &replies,
                rest: data
                    .len()
                    .saturating_sub(msg.offset.saturating_add(msg.hdr.len as usize)),
            })
        } else {
            // The socket exists but its state is not published yet (module loading).
            Err(Failure::new(EAGAIN, "family is starting up, try again"))
        };
        match result {
            Ok(Outcome::Done) if msg.hdr.flags & NLM_F_ACK != 0 => {
                replies.flush();
                ack(skb, msg.offset, 0, None)
            }
            Ok(_) => {}
            Err(f) => {
                replies.flush();
                ack(skb, msg.offset, f.error.to_errno(), Some(&f))
            }
        }
    }
    let lost = replies.finish();
    if let (Some(h), true) = (handler, lost != 0) {
        h.replies_lost(lost);
    }
}

/// Sends `NLMSG_ERROR` for the message at `offset` through the core's `netlink_ack`, which
/// honours `NETLINK_CAP_ACK` and `NETLINK_EXT_ACK` of the receiving socket.
fn ack(skb: &InSkb, offset: usize, err: i32, failure: Option<&Failure>) {
    let data = skb.data();
    let Some(msg_bytes) = data.get(offset..) else {
        return;
    };
    let msg_len = NlMsgHdr::parse(msg_bytes).map_or(0, |h| h.len as usize);
    let mut ext = bindings::netlink_ext_ack::default();
    if let Some(f) = failure {
        if let Some(text) = f.msg {
            // `_msg` must be a C string: copy into the struct's own buffer, truncated and
            // always NUL-terminated (the buffer is zeroed by `default`).
            let room = ext._msg_buf.len().saturating_sub(1);
            for (d, s) in ext._msg_buf.iter_mut().zip(text.bytes().take(room)) {
                *d = s as _;
            }
            ext._msg = ext._msg_buf.as_ptr();
        }
        if let Some(attr) = f
            .offset
            .filter(|o| *o >= NLMSG_HDRLEN && *o < msg_len)
            .and_then(|o| msg_bytes.get(o..))
        {
            // The core computes the reported offset from this pointer, which must point
            // into the request: the filter above guarantees it.
            ext.bad_attr = attr.as_ptr().cast();
        }
        ext.miss_type = f.missing.unwrap_or(0);
    }
    // SAFETY: `skb` is the live input skb; the header pointer is inside its data (the
    // walker only yields messages inside it); `ext` lives across the call and its
    // `_msg` points into itself; `netlink_ack` copies what it needs.
    unsafe {
        bindings::netlink_ack(
            skb.as_ptr(),
            msg_bytes.as_ptr().cast_mut().cast(),
            err,
            &ext,
        );
    }
}
