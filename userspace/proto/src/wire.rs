//! Netlink framing as netlink(7) defines it: `struct nlmsghdr`, alignment, the standard
//! flags and control message types, `struct nlmsgerr` and its extended-ACK TLVs.
//!
//! Everything is host byte order, as on the wire of a local netlink socket.

/// Messages and attributes start on multiples of this (`NLMSG_ALIGNTO`, `NLA_ALIGNTO`).
pub const ALIGNTO: usize = 4;

/// Rounds `len` up to the netlink alignment (`NLMSG_ALIGN`). Saturates instead of
/// overflowing: callers bound lengths by `u32` first, so saturation never changes a result.
pub const fn align(len: usize) -> usize {
    len.saturating_add(ALIGNTO - 1) & !(ALIGNTO - 1)
}

/// Size of `struct nlmsghdr` (`NLMSG_HDRLEN`).
pub const NLMSG_HDRLEN: usize = 16;

/// `NLMSG_LENGTH(payload)`: header plus payload, unpadded.
pub const fn nlmsg_length(payload: usize) -> usize {
    payload.saturating_add(NLMSG_HDRLEN)
}

/// `NLMSG_SPACE(payload)`: header plus payload, padded.
pub const fn nlmsg_space(payload: usize) -> usize {
    align(nlmsg_length(payload))
}

/// No operation; ignored.
pub const NLMSG_NOOP: u16 = 0x1;
/// Error or acknowledgement (`struct nlmsgerr` payload).
pub const NLMSG_ERROR: u16 = 0x2;
/// End of a multipart message (a dump); payload is an `i32` status, then extack TLVs.
pub const NLMSG_DONE: u16 = 0x3;
/// Data lost.
pub const NLMSG_OVERRUN: u16 = 0x4;
/// Types below this are control messages, never handed to a family.
pub const NLMSG_MIN_TYPE: u16 = 0x10;

/// It is a request message.
pub const NLM_F_REQUEST: u16 = 0x01;
/// Multipart message, terminated by `NLMSG_DONE`.
pub const NLM_F_MULTI: u16 = 0x02;
/// Reply with an acknowledgement on success.
pub const NLM_F_ACK: u16 = 0x04;
/// Echo this request to the sender as well (in notifications).
pub const NLM_F_ECHO: u16 = 0x08;
/// A dump was inconsistent because the data changed while it ran.
pub const NLM_F_DUMP_INTR: u16 = 0x10;
/// The dump was filtered as requested.
pub const NLM_F_DUMP_FILTERED: u16 = 0x20;
/// GET modifier: return the complete table.
pub const NLM_F_ROOT: u16 = 0x100;
/// GET modifier: return all matching entries.
pub const NLM_F_MATCH: u16 = 0x200;
/// GET modifier: atomic GET (unsupported here, ignored).
pub const NLM_F_ATOMIC: u16 = 0x400;
/// GET modifier: `NLM_F_ROOT | NLM_F_MATCH`.
pub const NLM_F_DUMP: u16 = NLM_F_ROOT | NLM_F_MATCH;
/// NEW modifier: replace an existing object.
pub const NLM_F_REPLACE: u16 = 0x100;
/// NEW modifier: do not touch the object if it exists.
pub const NLM_F_EXCL: u16 = 0x200;
/// NEW modifier: create the object if it does not exist.
pub const NLM_F_CREATE: u16 = 0x400;
/// NEW modifier: add to the end of a list.
pub const NLM_F_APPEND: u16 = 0x800;
/// ACK flag: the request was not echoed back in the error message (`NETLINK_CAP_ACK`).
pub const NLM_F_CAPPED: u16 = 0x100;
/// ACK flag: extended ACK TLVs follow the error message.
pub const NLM_F_ACK_TLVS: u16 = 0x200;

/// Socket option level for netlink options (`SOL_NETLINK`).
pub const SOL_NETLINK: i32 = 270;
/// Subscribe to a multicast group (group number, not mask).
pub const NETLINK_ADD_MEMBERSHIP: i32 = 1;
/// Unsubscribe from a multicast group.
pub const NETLINK_DROP_MEMBERSHIP: i32 = 2;
/// Report broadcast delivery errors to the sender.
pub const NETLINK_BROADCAST_ERROR: i32 = 4;
/// Do not report ENOBUFS on overrun.
pub const NETLINK_NO_ENOBUFS: i32 = 5;
/// Do not copy the request into error messages.
pub const NETLINK_CAP_ACK: i32 = 10;
/// Ask for extended ACK TLVs (message, offending attribute).
pub const NETLINK_EXT_ACK: i32 = 11;
/// Strict checking of dump requests.
pub const NETLINK_GET_STRICT_CHK: i32 = 12;

/// Extended ACK TLV: human-readable error message (NUL-terminated string).
pub const NLMSGERR_ATTR_MSG: u16 = 1;
/// Extended ACK TLV: offset of the offending attribute within the request (u32).
pub const NLMSGERR_ATTR_OFFS: u16 = 2;
/// Extended ACK TLV: opaque cookie.
pub const NLMSGERR_ATTR_COOKIE: u16 = 3;
/// Extended ACK TLV: policy of the offending attribute (nest).
pub const NLMSGERR_ATTR_POLICY: u16 = 4;
/// Extended ACK TLV: type of a missing required attribute (u32).
pub const NLMSGERR_ATTR_MISS_TYPE: u16 = 5;
/// Extended ACK TLV: offset of the nest missing an attribute (u32).
pub const NLMSGERR_ATTR_MISS_NEST: u16 = 6;

/// `struct nlmsghdr`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct NlMsgHdr {
    /// Length of the message including this header.
    pub len: u32,
    /// Message type.
    pub ty: u16,
    /// `NLM_F_*` flags.
    pub flags: u16,
    /// Sequence number, chosen by the requester and copied into answers.
    pub seq: u32,
    /// Port id of the sender (0 = kernel). Informational: the kernel never trusts it.
    pub pid: u32,
}

fn u16_at(b: &[u8], off: usize) -> Option<u16> {
    let s = b.get(off..off.checked_add(2)?)?;
    Some(u16::from_ne_bytes([s[0], s[1]]))
}

fn u32_at(b: &[u8], off: usize) -> Option<u32> {
    let s = b.get(off..off.checked_add(4)?)?;
    Some(u32::from_ne_bytes([s[0], s[1], s[2], s[3]]))
}

/// Reads a host-endian `i32` at `off`, if the buffer holds one there.
pub fn i32_at(b: &[u8], off: usize) -> Option<i32> {
    u32_at(b, off).map(|v| v as i32)
}

impl NlMsgHdr {
    /// Decodes a header from the first 16 bytes of `buf`; `None` when shorter.
    #[inline]
    pub fn parse(buf: &[u8]) -> Option<Self> {
        Some(Self {
            len: u32_at(buf, 0)?,
            ty: u16_at(buf, 4)?,
            flags: u16_at(buf, 6)?,
            seq: u32_at(buf, 8)?,
            pid: u32_at(buf, 12)?,
        })
    }

    /// Encodes the header.
    #[inline]
    pub fn to_bytes(&self) -> [u8; NLMSG_HDRLEN] {
        let mut b = [0u8; NLMSG_HDRLEN];
        let parts: [(&[u8], usize); 5] = [
            (&self.len.to_ne_bytes(), 0),
            (&self.ty.to_ne_bytes(), 4),
            (&self.flags.to_ne_bytes(), 6),
            (&self.seq.to_ne_bytes(), 8),
            (&self.pid.to_ne_bytes(), 12),
        ];
        for (src, at) in parts {
            for (i, byte) in src.iter().enumerate() {
                if let Some(d) = b.get_mut(at + i) {
                    *d = *byte;
                }
            }
        }
        b
    }

    /// Whether this is a request the kernel should act on (`NLM_F_REQUEST` set and not a
    /// control message), as `netlink_rcv_skb` decides.
    #[inline]
    pub fn is_family_request(&self) -> bool {
        self.flags & NLM_F_REQUEST != 0 && self.ty >= NLMSG_MIN_TYPE
    }
}

/// One message found by [`MsgIter`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Msg<'a> {
    /// Its header.
    pub hdr: NlMsgHdr,
    /// The payload: `hdr.len - NLMSG_HDRLEN` bytes after the header.
    pub payload: &'a [u8],
    /// Offset of the header within the walked buffer.
    pub offset: usize,
}

/// Walks the messages of one datagram with the checks of the kernel's `netlink_rcv_skb`:
/// it stops (yields `None`) at the first header that is shorter than `NLMSG_HDRLEN`,
/// claims less than a header, or claims more bytes than remain. Like the kernel, a
/// truncated tail is dropped silently; [`MsgIter::malformed`] tells whether that happened.
#[derive(Clone, Debug)]
pub struct MsgIter<'a> {
    buf: &'a [u8],
    off: usize,
    malformed: bool,
}

impl<'a> MsgIter<'a> {
    /// Starts at the beginning of `buf`.
    pub fn new(buf: &'a [u8]) -> Self {
        Self {
            buf,
            off: 0,
            malformed: false,
        }
    }

    /// True when the walk stopped at bytes that did not form a valid message.
    pub fn malformed(&self) -> bool {
        self.malformed
    }
}

impl<'a> Iterator for MsgIter<'a> {
    type Item = Msg<'a>;

    #[inline]
    fn next(&mut self) -> Option<Msg<'a>> {
        let rest = self.buf.get(self.off..)?;
        if rest.is_empty() {
            return None;
        }
        let Some(hdr) = NlMsgHdr::parse(rest) else {
            self.malformed = true;
            self.off = self.buf.len();
            return None;
        };
        let len = hdr.len as usize;
        if len < NLMSG_HDRLEN || len > rest.len() {
            self.malformed = true;
            self.off = self.buf.len();
            return None;
        }
        let payload = rest.get(NLMSG_HDRLEN..len)?;
        let msg = Msg {
            hdr,
            payload,
            offset: self.off,
        };
        // The last message may omit its padding: never step past the end.
        self.off = self.off.saturating_add(align(len)).min(self.buf.len());
        Some(msg)
    }
}

/// The payload of an `NLMSG_ERROR` message, decoded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ErrorMsg<'a> {
    /// 0 for an ACK, otherwise a negative errno.
    pub error: i32,
    /// The header of the request this answers.
    pub request: NlMsgHdr,
    /// The request's payload as echoed back (empty when capped).
    pub request_payload: &'a [u8],
    /// Extended ACK TLVs, if any.
    pub ext: ExtAck<'a>,
}

/// Extended ACK information (`NLMSGERR_ATTR_*`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct ExtAck<'a> {
    /// The error message, without its NUL.
    pub msg: Option<&'a [u8]>,
    /// Offset of the offending attribute from the start of the request's header.
    pub offset: Option<u32>,
    /// Type of a missing attribute.
    pub missing_type: Option<u32>,
}

impl<'a> ExtAck<'a> {
    /// Decodes extended ACK TLVs (unknown ones are skipped, malformed tails ignored).
    pub fn parse(tlvs: &'a [u8]) -> Self {
        let mut ext = ExtAck::default();
        for a in crate::proto::attr::AttrIter::new(tlvs) {
            match a.ty {
                NLMSGERR_ATTR_MSG => {
                    let s = a.payload;
                    let end = s.iter().position(|&c| c == 0).unwrap_or(s.len());
                    ext.msg = s.get(..end);
                }
                NLMSGERR_ATTR_OFFS => ext.offset = a.u32(),
                NLMSGERR_ATTR_MISS_TYPE => ext.missing_type = a.u32(),
                _ => {}
            }
        }
        ext
    }
}

impl<'a> ErrorMsg<'a> {
    /// Decodes the payload of an `NLMSG_ERROR` message whose header had flags `flags`.
    /// The request is echoed whole unless `NLM_F_CAPPED`; TLVs follow when
    /// `NLM_F_ACK_TLVS`.
    pub fn parse(payload: &'a [u8], flags: u16) -> Option<Self> {
        let error = i32_at(payload, 0)?;
        let request = NlMsgHdr::parse(payload.get(4..)?)?;
        let after_hdr = 4 + NLMSG_HDRLEN;
        let (request_payload, tlv_start) = if flags & NLM_F_CAPPED != 0 {
            (&payload[after_hdr..after_hdr], after_hdr)
        } else {
            let req_len = (request.len as usize).max(NLMSG_HDRLEN);
            let end = 4usize.saturating_add(req_len).min(payload.len());
            (payload.get(after_hdr..end).unwrap_or(&[]), align(end))
        };
        let ext = if flags & NLM_F_ACK_TLVS != 0 {
            ExtAck::parse(payload.get(tlv_start..).unwrap_or(&[]))
        } else {
            ExtAck::default()
        };
        Some(Self {
            error,
            request,
            request_payload,
            ext,
        })
    }
}

/// The payload of an `NLMSG_DONE` message: a status, then (with `NLM_F_ACK_TLVS`) extack
/// TLVs directly after it, without an inner header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DoneMsg<'a> {
    /// 0 or a negative errno that ended the dump.
    pub error: i32,
    /// Extended ACK information.
    pub ext: ExtAck<'a>,
}

impl<'a> DoneMsg<'a> {
    /// Decodes an `NLMSG_DONE` payload. An empty payload (old kernels) means status 0.
    pub fn parse(payload: &'a [u8], flags: u16) -> Self {
        let error = i32_at(payload, 0).unwrap_or(0);
        let ext = if flags & NLM_F_ACK_TLVS != 0 {
            ExtAck::parse(payload.get(4..).unwrap_or(&[]))
        } else {
            ExtAck::default()
        };
        Self { error, ext }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::vec::Vec;

    fn msg(ty: u16, flags: u16, payload: &[u8]) -> Vec<u8> {
        let hdr = NlMsgHdr {
            len: (NLMSG_HDRLEN + payload.len()) as u32,
            ty,
            flags,
            seq: 7,
            pid: 0,
        };
        let mut v = hdr.to_bytes().to_vec();
        v.extend_from_slice(payload);
        while !v.len().is_multiple_of(4) {
            v.push(0);
        }
        v
    }

    #[test]
    fn alignment() {
        assert_eq!(align(0), 0);
        assert_eq!(align(1), 4);
        assert_eq!(align(4), 4);
        assert_eq!(align(5), 8);
        assert_eq!(nlmsg_space(1), 20);
        assert_eq!(align(usize::MAX), usize::MAX & !3);
    }

    #[test]
    fn header_round_trip() {
        let h = NlMsgHdr {
            len: 20,
            ty: 0x10,
            flags: NLM_F_REQUEST | NLM_F_ACK,
            seq: 9,
            pid: 42,
        };
        assert_eq!(NlMsgHdr::parse(&h.to_bytes()), Some(h));
        assert_eq!(NlMsgHdr::parse(&h.to_bytes()[..15]), None);
    }

    #[test]
    fn walks_several_messages() {
        let mut buf = msg(0x10, NLM_F_REQUEST, b"abc");
        buf.extend(msg(0x11, NLM_F_REQUEST, b""));
        let mut it = MsgIter::new(&buf);
        let a = it.next().unwrap();
        assert_eq!((a.hdr.ty, a.payload, a.offset), (0x10, &b"abc"[..], 0));
        let b = it.next().unwrap();
        assert_eq!((b.hdr.ty, b.payload.len(), b.offset), (0x11, 0, 20));
        assert!(it.next().is_none());
        assert!(!it.malformed());
    }

    #[test]
    fn last_message_may_omit_padding() {
        let mut buf = msg(0x10, NLM_F_REQUEST, b"a");
        buf.truncate(17);
        let v: Vec<_> = MsgIter::new(&buf).collect();
        assert_eq!(v.len(), 1);
        assert_eq!(v[0].payload, b"a");
    }

    #[test]
    fn stops_at_malformed_frames() {
        // Short header.
        let mut it = MsgIter::new(&[1, 2, 3]);
        assert!(it.next().is_none() && it.malformed());
        // Length beyond the datagram.
        let mut buf = msg(0x10, NLM_F_REQUEST, b"abcd");
        buf[0] = 200;
        let mut it = MsgIter::new(&buf);
        assert!(it.next().is_none() && it.malformed());
        // Zero length: a good message first, then a zero-length header.
        let mut buf = msg(0x10, NLM_F_REQUEST, b"");
        buf.extend_from_slice(&[0u8; 16]);
        let mut it = MsgIter::new(&buf);
        assert!(it.next().is_some());
        assert!(it.next().is_none() && it.malformed());
    }

    #[test]
    fn error_message_with_extack() {
        let req = NlMsgHdr {
            len: 24,
            ty: 0x11,
            flags: NLM_F_REQUEST,
            seq: 5,
            pid: 0,
        };
        let mut p = (-22i32).to_ne_bytes().to_vec();
        p.extend_from_slice(&req.to_bytes());
        // Capped: request payload omitted; TLVs follow the header.
        p.extend_from_slice(&[12, 0, 1, 0, b'b', b'a', b'd', b' ', b'k', b'e', b'y', 0]);
        p.extend_from_slice(&[8, 0, 2, 0, 20, 0, 0, 0]);
        let e = ErrorMsg::parse(&p, NLM_F_CAPPED | NLM_F_ACK_TLVS).unwrap();
        assert_eq!(e.error, -22);
        assert_eq!(e.request, req);
        assert_eq!(e.ext.msg, Some(&b"bad key"[..]));
        assert_eq!(e.ext.offset, Some(20));
    }

    #[test]
    fn error_message_uncapped_skips_request() {
        let req = NlMsgHdr {
            len: 21,
            ty: 0x11,
            flags: NLM_F_REQUEST,
            seq: 5,
            pid: 0,
        };
        let mut p = 0i32.to_ne_bytes().to_vec();
        p.extend_from_slice(&req.to_bytes());
        p.extend_from_slice(&[9, 8, 7, 6, 5, 0, 0, 0]); // 5-byte payload, padded
        p.extend_from_slice(&[8, 0, 1, 0, b'h', b'i', 0, 0]);
        let e = ErrorMsg::parse(&p, NLM_F_ACK_TLVS).unwrap();
        assert_eq!(e.error, 0);
        assert_eq!(e.request_payload, &[9, 8, 7, 6, 5][..]);
        assert_eq!(e.ext.msg, Some(&b"hi"[..]));
    }

    #[test]
    fn done_with_extack_has_no_inner_header() {
        let mut p = (-4i32).to_ne_bytes().to_vec();
        p.extend_from_slice(&[8, 0, 1, 0, b'x', 0, 0, 0]);
        let d = DoneMsg::parse(&p, NLM_F_ACK_TLVS);
        assert_eq!(d.error, -4);
        assert_eq!(d.ext.msg, Some(&b"x"[..]));
        assert_eq!(DoneMsg::parse(&[], 0).error, 0);
    }
}
