//! [`Socket`]: one netlink socket on an nlfam family, and the routing of what it receives:
//! answers to the request they answer, everything else to the socket's queue.

use crate::error::Error;
use crate::event::Event;
use crate::message::Message;
use crate::sys::{self, Peer};
use nlfam_proto::attr::{NoSpace, Writer};
use nlfam_proto::wire::{
    Msg, MsgIter, NlMsgHdr, NETLINK_ADD_MEMBERSHIP, NETLINK_DROP_MEMBERSHIP, NETLINK_EXT_ACK,
    NLMSG_DONE, NLMSG_ERROR, NLMSG_HDRLEN, NLMSG_NOOP, NLM_F_ACK, NLM_F_REQUEST, SOL_NETLINK,
};
use std::collections::VecDeque;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd};
use std::time::Duration;

/// Largest datagram the module sends is a 64 KiB echo plus headers and dump skbs of at
/// most 32 KiB; the receive buffer is four times that and grows if a datagram is larger.
const RX_BUF: usize = 256 * 1024;
/// Largest request: a 64 KiB payload plus headers.
const TX_BUF: usize = 72 * 1024;
/// Most payload bytes the queue of [`Socket::recv`] holds; beyond, messages are lost and
/// the next receive reports [`Error::Overrun`], as the kernel does when the socket's own
/// receive queue is full.
const QUEUE_MAX_BYTES: usize = 16 << 20;

/// A message [`Socket::recv`] returns.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Incoming {
    /// An answer addressed to this socket that no [`Socket::collect`] took: data, ACK,
    /// error or `NLMSG_DONE` of a request sent without waiting for it (or abandoned).
    Reply(Message),
    /// A multicast event, decoded.
    Event(Event),
}

/// One datagram, borrowed from the socket's receive buffer until the next receive
/// ([`Socket::recv_datagram`]). Its messages were checked to frame cleanly.
#[derive(Clone, Copy, Debug)]
pub struct Datagram<'a> {
    bytes: &'a [u8],
    peer: Peer,
}

impl<'a> Datagram<'a> {
    /// The datagram's bytes.
    pub fn bytes(&self) -> &'a [u8] {
        self.bytes
    }

    /// Port id of the sender: 0 for the kernel.
    pub fn sender(&self) -> u32 {
        self.peer.portid
    }

    /// Whether it was multicast (to a group 1-32) rather than sent to this socket.
    pub fn is_multicast(&self) -> bool {
        self.peer.groups != 0
    }

    /// Its messages, borrowed.
    pub fn messages(&self) -> MsgIter<'a> {
        MsgIter::new(self.bytes)
    }
}

impl<'a> IntoIterator for Datagram<'a> {
    type Item = Msg<'a>;
    type IntoIter = MsgIter<'a>;

    fn into_iter(self) -> MsgIter<'a> {
        self.messages()
    }
}

/// A received message no caller has taken yet.
#[derive(Debug)]
struct Queued {
    event: bool,
    msg: Message,
}

/// A netlink socket bound to one family (protocol number).
#[derive(Debug)]
pub struct Socket {
    fd: OwnedFd,
    family: u32,
    portid: u32,
    seq: u32,
    rx: Vec<u8>,
    tx: Vec<u8>,
    done_flags: u16,
    /// Messages received while waiting for something else, in arrival order.
    queue: VecDeque<Queued>,
    /// Payload bytes in `queue`.
    queued_bytes: usize,
    /// Most payload bytes `queue` may hold (`QUEUE_MAX_BYTES`; tests lower it).
    queue_max: usize,
    /// A message was lost to a full queue: the next receive reports `Overrun`.
    lost: bool,
}

impl AsFd for Socket {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }
}

impl Socket {
    /// Opens and binds a socket on `family`, asking for extended ACKs. Fails with
    /// `EPROTONOSUPPORT` when no kernel socket serves the family (module not loaded).
    pub fn open(family: u32) -> Result<Self, Error> {
        let fd = sys::socket(family)?;
        // Extended ACK: error messages and attribute offsets. Best effort: kernels
        // before 4.12 do not have it.
        let _ = sys::set_opt(fd.as_raw_fd(), SOL_NETLINK, NETLINK_EXT_ACK, 1);
        sys::bind(fd.as_raw_fd(), 0)?;
        let portid = sys::portid(fd.as_raw_fd())?;
        Ok(Self::from_bound(fd, family, portid))
    }

    /// A socket over `fd`, bound with port id `portid`. (Tests put a fake kernel behind
    /// the descriptor.)
    pub(crate) fn from_bound(fd: OwnedFd, family: u32, portid: u32) -> Self {
        let seq = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs() as u32)
            .unwrap_or(1);
        Self {
            fd,
            family,
            portid,
            seq,
            rx: vec![0; RX_BUF],
            tx: vec![0; TX_BUF],
            done_flags: 0,
            queue: VecDeque::new(),
            queued_bytes: 0,
            queue_max: QUEUE_MAX_BYTES,
            lost: false,
        }
    }

    /// The family number.
    pub fn family(&self) -> u32 {
        self.family
    }

    /// The port id the kernel assigned to this socket.
    pub fn portid(&self) -> u32 {
        self.portid
    }

    /// Sets a socket option at `SOL_NETLINK` (e.g. `NETLINK_CAP_ACK`).
    pub fn set_netlink_opt(&self, opt: i32, val: u32) -> Result<(), Error> {
        Ok(sys::set_opt(self.fd.as_raw_fd(), SOL_NETLINK, opt, val)?)
    }

    /// Sets the receive buffer size (`SO_RCVBUFFORCE` when allowed, else `SO_RCVBUF`).
    pub fn set_rcvbuf(&self, bytes: u32) -> Result<(), Error> {
        Ok(sys::set_rcvbuf(self.fd.as_raw_fd(), bytes)?)
    }

    /// Bounds how long a receive waits; `None` waits forever.
    pub fn set_timeout(&self, timeout: Option<Duration>) -> Result<(), Error> {
        Ok(sys::set_rcvtimeo(self.fd.as_raw_fd(), timeout)?)
    }

    /// Subscribes to multicast group `group` (1..=32).
    pub fn add_membership(&self, group: u32) -> Result<(), Error> {
        self.set_netlink_opt(NETLINK_ADD_MEMBERSHIP, group)
    }

    /// Subscribes to exactly the groups of the legacy 32-bit mask `groups` (bit N-1 =
    /// group N), replacing the groups 1..=32 joined before (by either means): binds again
    /// to this socket's port id with that `nl_groups` (netlink(7)).
    pub fn bind_groups(&self, groups: u32) -> Result<(), Error> {
        Ok(sys::bind_to(self.fd.as_raw_fd(), self.portid, groups)?)
    }

    /// Unsubscribes from multicast group `group`.
    pub fn drop_membership(&self, group: u32) -> Result<(), Error> {
        self.set_netlink_opt(NETLINK_DROP_MEMBERSHIP, group)
    }

    /// The next sequence number (never 0: sequence number 0 marks events).
    pub fn next_seq(&mut self) -> u32 {
        self.seq = self.seq.wrapping_add(1).max(1);
        self.seq
    }

    /// Sends bytes framed by the caller (one or more messages) as one datagram to the
    /// kernel. Low-level: collect the answers with [`Socket::collect`] (or read them with
    /// [`Socket::recv_datagram`]) by the sequence numbers the caller put in.
    pub fn send_raw(&self, bytes: &[u8]) -> Result<(), Error> {
        sys::send(self.fd.as_raw_fd(), bytes)?;
        Ok(())
    }

    /// Like [`Socket::send_raw`], with the destination address: port id `portid` (0 is
    /// the kernel; a user socket's port id sends to that socket, e.g. to measure the
    /// netlink core alone with the same system call).
    pub fn send_raw_to(&self, bytes: &[u8], portid: u32) -> Result<(), Error> {
        sys::send_to(self.fd.as_raw_fd(), bytes, portid)?;
        Ok(())
    }

    /// Sends one message of type `ty` with `flags` (`NLM_F_REQUEST` is added) whose
    /// payload `build` writes; returns its sequence number.
    pub fn send(
        &mut self,
        ty: u16,
        flags: u16,
        build: impl FnOnce(&mut Writer<'_>) -> Result<(), NoSpace>,
    ) -> Result<u32, Error> {
        let seq = self.next_seq();
        let mut w = Writer::new(&mut self.tx);
        let m = w
            .begin_msg(ty, flags | NLM_F_REQUEST, seq, self.portid)
            .map_err(too_big)?;
        build(&mut w).map_err(too_big)?;
        w.end_msg(m).map_err(too_big)?;
        let n = w.len();
        sys::send(self.fd.as_raw_fd(), &self.tx[..n])?;
        Ok(seq)
    }

    /// Receives one datagram with `flags` and returns its length and sender. Uses
    /// `MSG_TRUNC` to learn a datagram's real size: a datagram larger than the buffer
    /// grows the buffer and is reported, never silently cut; a datagram that does not
    /// frame cleanly is an error.
    fn recv_into_buffer(&mut self, flags: i32) -> Result<(usize, Peer), Error> {
        let (n, peer) = sys::recv_from(self.fd.as_raw_fd(), &mut self.rx, libc::MSG_TRUNC | flags)?;
        if n > self.rx.len() {
            self.rx.resize(n.next_power_of_two(), 0);
            return Err(Error::Protocol(format!(
                "a {n}-byte datagram did not fit the receive buffer and was lost"
            )));
        }
        let mut it = MsgIter::new(&self.rx[..n]);
        it.by_ref().for_each(drop);
        if it.malformed() {
            return Err(Error::Protocol(
                "the kernel sent a malformed datagram".into(),
            ));
        }
        Ok((n, peer))
    }

    /// Receives one datagram and lends it, without copying: the borrowing receive path.
    /// Low-level: it reads the socket directly, so it neither routes nor sees messages
    /// already queued for [`Socket::recv`] (see [`Socket::pending`]).
    pub fn recv_datagram(&mut self) -> Result<Datagram<'_>, Error> {
        let (n, peer) = self.recv_into_buffer(0)?;
        Ok(Datagram {
            bytes: &self.rx[..n],
            peer,
        })
    }

    /// Like [`Socket::recv_datagram`] but never blocks: `Ok(None)` when nothing is queued.
    pub fn try_recv_datagram(&mut self) -> Result<Option<Datagram<'_>>, Error> {
        match self.recv_into_buffer(libc::MSG_DONTWAIT) {
            Ok((n, peer)) => Ok(Some(Datagram {
                bytes: &self.rx[..n],
                peer,
            })),
            Err(Error::Timeout) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Whether a message is an event rather than an answer to one of this socket's
    /// requests: multicast, or sequence number 0 (the kernel's unsolicited messages), or
    /// stamped with another socket's port id. Answers are unicast, carry the request's
    /// sequence number and port id 0 (data) or this socket's (ACKs, errors).
    fn is_event(portid: u32, peer: Peer, hdr: &NlMsgHdr) -> bool {
        peer.groups != 0 || hdr.seq == 0 || (hdr.pid != 0 && hdr.pid != portid)
    }

    /// Queues a message for [`Socket::recv`]; a full queue loses it and remembers that.
    fn enqueue(&mut self, event: bool, m: &Msg<'_>) {
        if self.queued_bytes + m.payload.len() > self.queue_max {
            self.lost = true;
            return;
        }
        self.queued_bytes += m.payload.len();
        self.queue.push_back(Queued {
            event,
            msg: Message::from(*m),
        });
    }

    fn dequeue(&mut self, i: usize) -> Option<Queued> {
        let q = self.queue.remove(i)?;
        self.queued_bytes -= q.msg.payload.len();
        Some(q)
    }

    /// Receives one datagram and queues all its messages.
    fn receive_into_queue(&mut self, flags: i32) -> Result<(), Error> {
        let (n, peer) = self.recv_into_buffer(flags)?;
        let rx = std::mem::take(&mut self.rx);
        for m in MsgIter::new(&rx[..n]) {
            self.enqueue(Self::is_event(self.portid, peer, &m.hdr), &m);
        }
        self.rx = rx;
        Ok(())
    }

    /// Messages received and queued for [`Socket::recv`] (events, answers no
    /// [`Socket::collect`] took). They do not make the socket's descriptor readable:
    /// drain them with [`Socket::try_recv`] before polling.
    pub fn pending(&self) -> usize {
        self.queue.len()
    }

    /// The oldest queued message, or `Overrun` once if the queue lost some.
    fn pop(&mut self) -> Result<Option<Incoming>, Error> {
        if std::mem::take(&mut self.lost) {
            return Err(Error::Overrun);
        }
        Ok(match self.dequeue(0) {
            None => None,
            Some(q) if q.event => Some(Incoming::Event(Event::parse(&q.msg)?)),
            Some(q) => Some(Incoming::Reply(q.msg)),
        })
    }

    /// The next message, reply or event, waiting for one (up to the timeout of
    /// [`Socket::set_timeout`]): the single place to wait on both. Queued messages come
    /// first, in arrival order. `Error::Overrun` means messages were lost (resync); an
    /// event with a missing or malformed attribute is an `Error::Protocol` naming it (that
    /// message is consumed, the next call goes on with the next one).
    pub fn recv(&mut self) -> Result<Incoming, Error> {
        loop {
            if let Some(m) = self.pop()? {
                return Ok(m);
            }
            self.receive_into_queue(0)?;
        }
    }

    /// Like [`Socket::recv`] but never blocks: `Ok(None)` when nothing is queued or
    /// waiting on the socket. Drain it to `None` before polling the descriptor.
    pub fn try_recv(&mut self) -> Result<Option<Incoming>, Error> {
        loop {
            if let Some(m) = self.pop()? {
                return Ok(Some(m));
            }
            match self.receive_into_queue(libc::MSG_DONTWAIT) {
                Ok(()) => {}
                Err(Error::Timeout) => return Ok(None),
                Err(e) => return Err(e),
            }
        }
    }

    /// The next multicast event, waiting for one. Answers received meanwhile stay queued
    /// for [`Socket::collect`] and [`Socket::recv`]. `Error::Overrun` means events were
    /// lost: re-read the state (e.g. dump) to resync.
    pub fn next_event(&mut self) -> Result<Event, Error> {
        loop {
            if std::mem::take(&mut self.lost) {
                return Err(Error::Overrun);
            }
            if let Some(i) = self.queue.iter().position(|q| q.event) {
                let q = self.dequeue(i).expect("position is in the queue");
                return Event::parse(&q.msg);
            }
            self.receive_into_queue(0)?;
        }
    }

    /// Sends a request with `NLM_F_ACK` and collects its answers (see [`Socket::collect`]).
    pub fn request(
        &mut self,
        ty: u16,
        flags: u16,
        build: impl FnOnce(&mut Writer<'_>) -> Result<(), NoSpace>,
    ) -> Result<Vec<Message>, Error> {
        let seq = self.send(ty, flags | NLM_F_ACK, build)?;
        self.collect(seq)
    }

    /// Collects the data answers to the request with sequence number `seq` until its ACK
    /// (or `NLMSG_DONE` for a dump); an error answer is [`Error::Kernel`]. Everything
    /// else received meanwhile (events, answers to other requests, what follows the ACK
    /// in its datagram) is queued for [`Socket::recv`], never dropped.
    pub fn collect(&mut self, seq: u32) -> Result<Vec<Message>, Error> {
        let mut out = Vec::new();
        self.collect_each(seq, |m| {
            out.push(Message::from(*m));
            Ok(())
        })?;
        Ok(out)
    }

    /// Like [`Socket::collect`], handing each data answer to `f` borrowed from the receive
    /// buffer instead of copying it (e.g. a dump of a million entries); an error from `f`
    /// ends the collection with that error.
    pub fn collect_each(
        &mut self,
        seq: u32,
        mut f: impl FnMut(&Msg<'_>) -> Result<(), Error>,
    ) -> Result<(), Error> {
        // Answers that arrived while something else was collected.
        let mut i = 0;
        while i < self.queue.len() {
            let q = &self.queue[i];
            if q.event || q.msg.hdr.seq != seq {
                i += 1;
                continue;
            }
            let q = self.dequeue(i).expect("index is in the queue");
            let m = Msg {
                hdr: q.msg.hdr,
                payload: &q.msg.payload,
                offset: 0,
            };
            if let Some(end) = self.answer(&m, &mut f) {
                return end;
            }
        }
        loop {
            let (n, peer) = self.recv_into_buffer(0)?;
            let rx = std::mem::take(&mut self.rx);
            let mut end = None;
            for m in MsgIter::new(&rx[..n]) {
                let event = Self::is_event(self.portid, peer, &m.hdr);
                if end.is_some() || event || m.hdr.seq != seq {
                    self.enqueue(event, &m);
                } else {
                    end = self.answer(&m, &mut f);
                }
            }
            self.rx = rx;
            if let Some(end) = end {
                return end;
            }
        }
    }

    /// Handles one answer to the request being collected: `Some` with the outcome when it
    /// ends the request (ACK, error, `NLMSG_DONE`, overrun, or an error of `f`).
    fn answer(
        &mut self,
        m: &Msg<'_>,
        f: &mut impl FnMut(&Msg<'_>) -> Result<(), Error>,
    ) -> Option<Result<(), Error>> {
        if m.hdr.ty == NLMSG_DONE {
            // A dump ends with DONE; the kernel sends no ACK after it.
            self.done_flags = m.hdr.flags;
        }
        if let Some(e) = Error::of_answer(m) {
            return Some(Err(e));
        }
        match m.hdr.ty {
            NLMSG_NOOP => None,
            NLMSG_ERROR | NLMSG_DONE => Some(Ok(())),
            _ => f(m).err().map(Err),
        }
    }

    /// Flags of the last `NLMSG_DONE` received (e.g. `NLM_F_DUMP_INTR`).
    pub fn last_done_flags(&self) -> u16 {
        self.done_flags
    }

    /// ECHO: sends `payload` and returns what came back.
    pub fn echo(&mut self, payload: &[u8]) -> Result<Vec<u8>, Error> {
        let replies = self.request(nlfam_proto::family::msg::ECHO, 0, |w| w.put_bytes(payload))?;
        match replies.as_slice() {
            [one] if one.hdr.ty == nlfam_proto::family::msg::ECHO => Ok(one.payload.clone()),
            _ => Err(Error::Protocol(format!(
                "expected one echo reply, got {} messages",
                replies.len()
            ))),
        }
    }

    /// Waits up to `timeout` for something to receive: true at once when messages are
    /// queued ([`Socket::pending`]), else when the socket becomes readable.
    pub fn wait_readable(&self, timeout: Duration) -> Result<bool, Error> {
        if !self.queue.is_empty() || self.lost {
            return Ok(true);
        }
        Ok(sys::poll_readable(
            &self.fd,
            timeout.as_millis().min(i32::MAX as u128) as i32,
        )?)
    }
}

fn too_big(_: NoSpace) -> Error {
    Error::Protocol(format!(
        "request larger than {} bytes",
        TX_BUF - NLMSG_HDRLEN
    ))
}

#[cfg(test)]
#[path = "socket_tests.rs"]
mod tests;
