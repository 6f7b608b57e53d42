//! [`Socket`]: one netlink socket on an nlfam family.

use crate::error::Error;
use crate::sys;
use nlfam_proto::attr::{NoSpace, Writer};
use nlfam_proto::wire::{
    DoneMsg, ErrorMsg, MsgIter, NlMsgHdr, NETLINK_ADD_MEMBERSHIP, NETLINK_DROP_MEMBERSHIP,
    NETLINK_EXT_ACK, NLMSG_DONE, NLMSG_ERROR, NLMSG_HDRLEN, NLMSG_NOOP, NLMSG_OVERRUN, NLM_F_ACK,
    NLM_F_REQUEST, SOL_NETLINK,
};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd};
use std::time::Duration;

/// Largest datagram the module sends is a 64 KiB echo plus headers and dump skbs of at
/// most 32 KiB; the receive buffer is four times that and grows if a datagram is larger.
const RX_BUF: usize = 256 * 1024;
/// Largest request: a 64 KiB payload plus headers.
const TX_BUF: usize = 72 * 1024;

/// One received netlink message, owned.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Message {
    /// Its header.
    pub hdr: NlMsgHdr,
    /// Its payload (bytes after the header).
    pub payload: Vec<u8>,
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
        let seq = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs() as u32)
            .unwrap_or(1);
        Ok(Self {
            fd,
            family,
            portid,
            seq,
            rx: vec![0; RX_BUF],
            tx: vec![0; TX_BUF],
            done_flags: 0,
        })
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

    /// The next sequence number.
    pub fn next_seq(&mut self) -> u32 {
        self.seq = self.seq.wrapping_add(1);
        self.seq
    }

    /// Sends raw bytes as one datagram to the kernel.
    pub fn send_raw(&self, bytes: &[u8]) -> Result<(), Error> {
        sys::send_to(self.fd.as_raw_fd(), bytes, 0)?;
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
        sys::send_to(self.fd.as_raw_fd(), &self.tx[..n], 0)?;
        Ok(seq)
    }

    /// Receives one datagram with `flags` and returns its length. Uses `MSG_TRUNC` to
    /// learn a datagram's real size: a datagram larger than the buffer grows the buffer
    /// and is reported, never silently cut.
    fn recv_into_buffer(&mut self, flags: i32) -> Result<usize, Error> {
        let n = sys::recv(self.fd.as_raw_fd(), &mut self.rx, libc::MSG_TRUNC | flags)?;
        if n > self.rx.len() {
            self.rx.resize(n.next_power_of_two(), 0);
            return Err(Error::Protocol(format!(
                "a {n}-byte datagram did not fit the receive buffer and was lost"
            )));
        }
        Ok(n)
    }

    /// Receives one datagram and returns its bytes.
    pub fn recv_datagram(&mut self) -> Result<&[u8], Error> {
        let n = self.recv_into_buffer(0)?;
        Ok(&self.rx[..n])
    }

    /// Splits the first `n` bytes of the receive buffer into owned messages.
    fn messages(&self, n: usize) -> Result<Vec<Message>, Error> {
        let mut it = MsgIter::new(&self.rx[..n]);
        let msgs = it
            .by_ref()
            .map(|m| Message {
                hdr: m.hdr,
                payload: m.payload.to_vec(),
            })
            .collect();
        if it.malformed() {
            return Err(Error::Protocol(
                "the kernel sent a malformed datagram".into(),
            ));
        }
        Ok(msgs)
    }

    /// Like [`Socket::recv_messages`] but never blocks: `Ok(None)` when nothing is queued.
    pub fn try_recv_messages(&mut self) -> Result<Option<Vec<Message>>, Error> {
        match self.recv_into_buffer(libc::MSG_DONTWAIT) {
            Ok(n) => self.messages(n).map(Some),
            Err(Error::Timeout) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Receives one datagram and splits it into messages.
    pub fn recv_messages(&mut self) -> Result<Vec<Message>, Error> {
        let n = self.recv_into_buffer(0)?;
        self.messages(n)
    }

    /// Sends a request with `NLM_F_ACK` and collects the answers that carry its sequence
    /// number until the ACK (or `NLMSG_DONE` for a dump). Answers to other sequence
    /// numbers (late replies to an earlier, abandoned request) are skipped.
    pub fn request(
        &mut self,
        ty: u16,
        flags: u16,
        build: impl FnOnce(&mut Writer<'_>) -> Result<(), NoSpace>,
    ) -> Result<Vec<Message>, Error> {
        let seq = self.send(ty, flags | NLM_F_ACK, build)?;
        self.collect(seq)
    }

    /// Collects the answers to the request with sequence number `seq`.
    pub fn collect(&mut self, seq: u32) -> Result<Vec<Message>, Error> {
        let mut out = Vec::new();
        loop {
            for m in self.recv_messages()? {
                if m.hdr.seq != seq || m.hdr.ty == NLMSG_NOOP {
                    continue;
                }
                match m.hdr.ty {
                    NLMSG_ERROR => {
                        let e = ErrorMsg::parse(&m.payload, m.hdr.flags)
                            .ok_or_else(|| Error::Protocol("short NLMSG_ERROR".into()))?;
                        return if e.error == 0 {
                            Ok(out)
                        } else {
                            Err(kernel_error(e.error, &e.ext))
                        };
                    }
                    NLMSG_DONE => {
                        self.done_flags = m.hdr.flags;
                        let d = DoneMsg::parse(&m.payload, m.hdr.flags);
                        if d.error != 0 {
                            return Err(kernel_error(d.error, &d.ext));
                        }
                        // A dump ends with DONE; an ACK may still follow if one was
                        // asked for, but the kernel does not send one after a dump.
                        return Ok(out);
                    }
                    NLMSG_OVERRUN => return Err(Error::Overrun),
                    _ => out.push(m),
                }
            }
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

    /// Waits up to `timeout` for the socket to become readable.
    pub fn wait_readable(&self, timeout: Duration) -> Result<bool, Error> {
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

fn kernel_error(error: i32, ext: &nlfam_proto::wire::ExtAck<'_>) -> Error {
    Error::Kernel {
        errno: error.saturating_neg(),
        msg: ext.msg.map(|m| String::from_utf8_lossy(m).into_owned()),
        offset: ext.offset,
        missing: ext.missing_type,
    }
}

#[cfg(test)]
#[path = "socket_tests.rs"]
mod tests;
