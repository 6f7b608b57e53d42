// SPDX-License-Identifier: GPL-2.0

//! The input path: what `netlink_rcv_skb` does in C, in Rust, over the shared protocol
//! crate's message walker. For every message of a datagram: stop silently at a malformed
//! header (as the kernel does); skip control messages and non-requests (ACKing them only
//! on `NLM_F_ACK`); hand requests to the family's [`Handler`]; answer an error with
//! `NLMSG_ERROR` and extended ACK, a success with an ACK when `NLM_F_ACK` asks for one.

use super::error::Failure;
use super::handler::{Handler, Outcome};
use super::reply::Replies;
use super::request::{Datagram, Request};
use super::skb::InSkb;
use super::socket::SocketRef;
use crate::proto::attr::attr_space;
use crate::proto::wire::{
    align, MsgIter, NlMsgHdr, NLMSGERR_ATTR_MISS_TYPE, NLMSGERR_ATTR_MSG, NLMSGERR_ATTR_OFFS,
    NLMSG_ERROR, NLMSG_HDRLEN, NLM_F_ACK, NLM_F_ACK_TLVS, NLM_F_CAPPED,
};
use core::cell::Cell;
use kernel::bindings;
use kernel::error::code::EAGAIN;
use kernel::sync::ArcBorrow;

/// The `input` callback of every family socket.
///
/// # Safety
///
/// Called by the netlink core only, with a valid skb sent to a socket created by
/// `Registration::<T>::new`.
pub(super) unsafe extern "C" fn input_trampoline<T: Handler>(skb: *mut bindings::sk_buff) {
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
    // SAFETY: `skb` is this callback's argument and `sock` the socket it was sent to.
    unsafe { receive(&skb, sock, handler) };
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

/// Walks the datagram in `skb`, handing each request to `handler`.
///
/// # Safety
///
/// `skb` must be the argument of the input callback running now on `sock`.
unsafe fn receive<T: Handler>(skb: &InSkb, sock: SocketRef<'_>, handler: Option<ArcBorrow<'_, T>>) {
    let data = skb.data();
    let replies = Replies::new(sock, skb.portid());
    let subscribers = Cell::new(None);
    // SAFETY: Our own precondition.
    let dgram = unsafe { Datagram::new(skb, sock, &replies, &subscribers) };
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
            let req = Request::new(&dgram, &msg, later.saturating_add(ack_space));
            T::handle(h, &req)
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
