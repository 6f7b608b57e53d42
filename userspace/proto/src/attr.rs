//! Netlink attributes (`struct nlattr` TLVs): a bounds-checked iterator and a writer that
//! encodes messages into a caller-owned buffer (the kernel hands it an skb's tailroom,
//! userspace a `Vec`), so both sides frame messages with the same code.

use crate::proto::wire::{align, NlMsgHdr, NLMSG_HDRLEN};

/// Size of `struct nlattr`.
pub const NLA_HDRLEN: usize = 4;
/// The attribute carries nested attributes.
pub const NLA_F_NESTED: u16 = 1 << 15;
/// The payload is in network byte order.
pub const NLA_F_NET_BYTEORDER: u16 = 1 << 14;
/// Mask for the attribute type without the flags.
pub const NLA_TYPE_MASK: u16 = !(NLA_F_NESTED | NLA_F_NET_BYTEORDER);

/// Space one attribute with `payload` bytes takes, padding included (`nla_total_size`).
pub const fn attr_space(payload: usize) -> usize {
    align(payload.saturating_add(NLA_HDRLEN))
}

/// One attribute found by [`AttrIter`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Attr<'a> {
    /// Type with the flag bits masked off.
    pub ty: u16,
    /// Flag bits (`NLA_F_NESTED`, `NLA_F_NET_BYTEORDER`).
    pub flags: u16,
    /// Payload (`nla_len - NLA_HDRLEN` bytes).
    pub payload: &'a [u8],
    /// Offset of the attribute header within the walked buffer.
    pub offset: usize,
}

impl<'a> Attr<'a> {
    /// The payload as a `u8`, if it is exactly one byte.
    pub fn u8(&self) -> Option<u8> {
        match self.payload {
            [a] => Some(*a),
            _ => None,
        }
    }
    /// The payload as a host-endian `u16`, if it is exactly two bytes.
    pub fn u16(&self) -> Option<u16> {
        let b: [u8; 2] = self.payload.try_into().ok()?;
        Some(u16::from_ne_bytes(b))
    }
    /// The payload as a host-endian `u32`, if it is exactly four bytes.
    pub fn u32(&self) -> Option<u32> {
        let b: [u8; 4] = self.payload.try_into().ok()?;
        Some(u32::from_ne_bytes(b))
    }
    /// The payload as a host-endian `u64`, if it is exactly eight bytes.
    pub fn u64(&self) -> Option<u64> {
        let b: [u8; 8] = self.payload.try_into().ok()?;
        Some(u64::from_ne_bytes(b))
    }
    /// The payload as a NUL-terminated string, without the NUL (`None` if unterminated).
    pub fn cstr(&self) -> Option<&'a [u8]> {
        match self.payload.split_last() {
            Some((0, s)) if !s.contains(&0) => Some(s),
            _ => None,
        }
    }
    /// Iterates over the attributes nested in this one.
    pub fn nested(&self) -> AttrIter<'a> {
        AttrIter::new(self.payload)
    }
}

/// Walks the attributes of a buffer. Stops at the first attribute whose header or length
/// does not fit; [`AttrIter::malformed`] then tells the offset where it stopped.
#[derive(Clone, Debug)]
pub struct AttrIter<'a> {
    buf: &'a [u8],
    off: usize,
    malformed: Option<usize>,
}

impl<'a> AttrIter<'a> {
    /// Starts at the beginning of `buf`.
    pub fn new(buf: &'a [u8]) -> Self {
        Self {
            buf,
            off: 0,
            malformed: None,
        }
    }
    /// Offset of the bytes that did not form an attribute, if the walk stopped early.
    pub fn malformed(&self) -> Option<usize> {
        self.malformed
    }
}

impl<'a> Iterator for AttrIter<'a> {
    type Item = Attr<'a>;

    fn next(&mut self) -> Option<Attr<'a>> {
        let rest = self.buf.get(self.off..)?;
        if rest.is_empty() {
            return None;
        }
        let hdr = rest.get(..NLA_HDRLEN);
        let len = hdr
            .map(|h| u16::from_ne_bytes([h[0], h[1]]) as usize)
            .unwrap_or(0);
        let (Some(h), true) = (hdr, len >= NLA_HDRLEN && len <= rest.len()) else {
            self.malformed = Some(self.off);
            self.off = self.buf.len();
            return None;
        };
        let raw_ty = u16::from_ne_bytes([h[2], h[3]]);
        let attr = Attr {
            ty: raw_ty & NLA_TYPE_MASK,
            flags: raw_ty & !NLA_TYPE_MASK,
            payload: rest.get(NLA_HDRLEN..len)?,
            offset: self.off,
        };
        self.off = self.off.saturating_add(align(len)).min(self.buf.len());
        Some(attr)
    }
}

/// The buffer given to a [`Writer`] is too small for what was asked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NoSpace;

/// A started nest; pass it back to [`Writer::end_nest`].
#[derive(Debug)]
#[must_use = "a nest must be closed with end_nest"]
pub struct Nest(usize);

/// A started message; pass it back to [`Writer::end_msg`].
#[derive(Debug)]
#[must_use = "a message must be closed with end_msg"]
pub struct MsgStart(usize);

/// Where a [`Writer`] puts its bytes: a byte slice, or storage that is not initialised
/// (the kernel's skb tailroom, which cannot be lent out as `&mut [u8]` without zeroing it
/// first: one more pass over every payload). The writer writes every byte it claims (the
/// padding when it claims them, the data right after, lengths patched at the end), so
/// everything before its length has been written: the kernel sends those bytes as they
/// are, and an unwritten one would leak kernel memory.
pub trait Sink {
    /// Bytes available.
    fn capacity(&self) -> usize;
    /// Copies `bytes` to `at..`; does nothing unless that range is within the capacity
    /// (the writer checks first).
    fn copy_at(&mut self, at: usize, bytes: &[u8]);
    /// Zeroes `n` bytes at `at..`, under the same condition.
    fn zero_at(&mut self, at: usize, n: usize);
}

impl Sink for [u8] {
    fn capacity(&self) -> usize {
        self.len()
    }

    #[inline]
    fn copy_at(&mut self, at: usize, bytes: &[u8]) {
        if let Some(d) = at
            .checked_add(bytes.len())
            .and_then(|end| self.get_mut(at..end))
        {
            d.copy_from_slice(bytes);
        }
    }

    #[inline]
    fn zero_at(&mut self, at: usize, n: usize) {
        if let Some(d) = at.checked_add(n).and_then(|end| self.get_mut(at..end)) {
            d.fill(0);
        }
    }
}

/// Encodes netlink messages and attributes into a caller-owned buffer (a byte slice by
/// default, any [`Sink`]). Every write is bounds-checked; on [`NoSpace`] the caller
/// cancels with [`Writer::truncate`].
#[derive(Debug)]
pub struct Writer<'a, S: Sink + ?Sized = [u8]> {
    buf: &'a mut S,
    len: usize,
    /// Alignment padding after raw payload bytes, which a message's length excludes (as
    /// `nlmsg_put` does); attribute padding counts, as after `nlmsg_end`.
    pad: usize,
}

impl<'a> Writer<'a> {
    /// Writes into `buf` from its start.
    pub fn new(buf: &'a mut [u8]) -> Self {
        Self::over(buf)
    }

    /// The bytes written so far.
    pub fn written(&self) -> &[u8] {
        self.buf.get(..self.len).unwrap_or(&[])
    }
}

impl<'a, S: Sink + ?Sized> Writer<'a, S> {
    /// Writes into `buf` from its start.
    pub fn over(buf: &'a mut S) -> Self {
        Self {
            buf,
            len: 0,
            pad: 0,
        }
    }

    /// Bytes written so far.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether nothing was written.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Drops everything written after `len`: a half-built message (`len` taken before its
    /// `begin_msg`), or the attributes written after `len` in the current one. The raw
    /// payload's padding remembered for `end_msg` goes with what is dropped.
    pub fn truncate(&mut self, len: usize) {
        if len < self.len {
            self.len = len;
            self.pad = 0;
        }
    }

    /// Claims `n` bytes plus alignment padding: where they start. Only the padding is
    /// written here; every caller writes all `n` bytes itself.
    #[inline]
    fn reserve(&mut self, n: usize) -> Result<usize, NoSpace> {
        let start = self.len;
        let data_end = start.checked_add(n).ok_or(NoSpace)?;
        let end = start.checked_add(align(n)).ok_or(NoSpace)?;
        if end > self.buf.capacity() {
            return Err(NoSpace);
        }
        self.buf.zero_at(data_end, end - data_end);
        self.len = end;
        self.pad = 0;
        Ok(start)
    }

    /// Overwrites bytes already written (a length filled in at the end).
    #[inline]
    fn patch(&mut self, at: usize, bytes: &[u8]) {
        if at
            .checked_add(bytes.len())
            .is_some_and(|end| end <= self.len)
        {
            self.buf.copy_at(at, bytes);
        }
    }

    /// An attribute header at `at`.
    #[inline]
    fn attr_header(&mut self, at: usize, len: u16, ty: u16) {
        let mut h = [0u8; NLA_HDRLEN];
        h[..2].copy_from_slice(&len.to_ne_bytes());
        h[2..].copy_from_slice(&ty.to_ne_bytes());
        self.buf.copy_at(at, &h);
    }

    /// Starts a message; its length is filled in by [`Writer::end_msg`].
    #[inline]
    pub fn begin_msg(
        &mut self,
        ty: u16,
        flags: u16,
        seq: u32,
        pid: u32,
    ) -> Result<MsgStart, NoSpace> {
        let hdr = NlMsgHdr {
            len: NLMSG_HDRLEN as u32,
            ty,
            flags,
            seq,
            pid,
        };
        let at = self.reserve(NLMSG_HDRLEN)?;
        self.buf.copy_at(at, &hdr.to_bytes());
        Ok(MsgStart(at))
    }

    /// Finishes a message: stores its length (padding excluded for the payload, as
    /// `nlmsg_end` does: everything written since `begin_msg`).
    #[inline]
    pub fn end_msg(&mut self, start: MsgStart) -> Result<(), NoSpace> {
        let written = self.len - start.0.min(self.len);
        let len = u32::try_from(written.saturating_sub(self.pad)).map_err(|_| NoSpace)?;
        self.patch(start.0, &len.to_ne_bytes());
        Ok(())
    }

    /// Appends raw payload bytes (padded to alignment).
    #[inline]
    pub fn put_bytes(&mut self, bytes: &[u8]) -> Result<(), NoSpace> {
        let at = self.reserve(bytes.len())?;
        self.buf.copy_at(at, bytes);
        self.pad = align(bytes.len()) - bytes.len();
        Ok(())
    }

    /// Appends an attribute with the given payload.
    pub fn put_attr(&mut self, ty: u16, payload: &[u8]) -> Result<(), NoSpace> {
        let len = u16::try_from(payload.len() + NLA_HDRLEN).map_err(|_| NoSpace)?;
        let at = self.reserve(usize::from(len))?;
        self.attr_header(at, len, ty);
        self.buf.copy_at(at + NLA_HDRLEN, payload);
        Ok(())
    }

    /// Appends a `u8` attribute.
    pub fn put_u8(&mut self, ty: u16, v: u8) -> Result<(), NoSpace> {
        self.put_attr(ty, &[v])
    }
    /// Appends a `u16` attribute.
    pub fn put_u16(&mut self, ty: u16, v: u16) -> Result<(), NoSpace> {
        self.put_attr(ty, &v.to_ne_bytes())
    }
    /// Appends a `u32` attribute.
    pub fn put_u32(&mut self, ty: u16, v: u32) -> Result<(), NoSpace> {
        self.put_attr(ty, &v.to_ne_bytes())
    }
    /// Appends a `u64` attribute.
    pub fn put_u64(&mut self, ty: u16, v: u64) -> Result<(), NoSpace> {
        self.put_attr(ty, &v.to_ne_bytes())
    }
    /// Appends a NUL-terminated string attribute.
    pub fn put_str(&mut self, ty: u16, s: &[u8]) -> Result<(), NoSpace> {
        let len = u16::try_from(s.len() + 1 + NLA_HDRLEN).map_err(|_| NoSpace)?;
        let at = self.reserve(usize::from(len))?;
        self.attr_header(at, len, ty);
        self.buf.copy_at(at + NLA_HDRLEN, s);
        self.buf.zero_at(at + NLA_HDRLEN + s.len(), 1);
        Ok(())
    }

    /// Starts a nested attribute (`NLA_F_NESTED` set).
    pub fn begin_nest(&mut self, ty: u16) -> Result<Nest, NoSpace> {
        let at = self.len;
        self.put_attr(ty | NLA_F_NESTED, &[])?;
        Ok(Nest(at))
    }

    /// Closes a nest: stores its length.
    pub fn end_nest(&mut self, nest: Nest) -> Result<(), NoSpace> {
        let len = u16::try_from(self.len - nest.0.min(self.len)).map_err(|_| NoSpace)?;
        self.patch(nest.0, &len.to_ne_bytes());
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The writer zeroes only padding and string terminators, relying on callers to
    /// overwrite the rest: over a dirty buffer (an skb is not zeroed by its allocator
    /// in every path) nothing stale may leak into what is sent.
    #[test]
    fn dirty_buffer_leaks_nothing() {
        let mut clean = [0u8; 128];
        let mut dirty = [0xaau8; 128];
        let mut out = [0usize; 2];
        for (i, buf) in [&mut clean[..], &mut dirty[..]].into_iter().enumerate() {
            let mut w = Writer::new(buf);
            let m = w.begin_msg(0x10, 1, 2, 3).unwrap();
            w.put_str(1, b"abc").unwrap();
            w.put_str(1, b"abcd").unwrap();
            w.put_attr(2, &[1, 2, 3, 4, 5]).unwrap();
            let n = w.begin_nest(3).unwrap();
            w.put_u8(4, 9).unwrap();
            w.end_nest(n).unwrap();
            w.put_bytes(&[7; 3]).unwrap();
            w.end_msg(m).unwrap();
            out[i] = w.len();
        }
        assert_eq!(out[0], out[1]);
        assert_eq!(clean[..out[0]], dirty[..out[1]]);
    }
    use crate::proto::wire::MsgIter;
    use std::vec::Vec;

    /// Storage that remembers which bytes were written, as the kernel's uninitialised skb
    /// tailroom would need: everything below the writer's length must have been written
    /// (`Sink`'s contract), or stale kernel memory would be sent.
    struct Tracking(std::vec::Vec<Option<u8>>);

    impl Sink for Tracking {
        fn capacity(&self) -> usize {
            self.0.len()
        }
        fn copy_at(&mut self, at: usize, bytes: &[u8]) {
            for (d, b) in self.0[at..at + bytes.len()].iter_mut().zip(bytes) {
                *d = Some(*b);
            }
        }
        fn zero_at(&mut self, at: usize, n: usize) {
            self.0[at..at + n].fill(Some(0));
        }
    }

    #[test]
    fn every_byte_below_the_length_is_written() {
        let mut sink = Tracking(std::vec![None; 256]);
        let mut w = Writer::over(&mut sink);
        let m = w.begin_msg(0x10, 1, 2, 3).unwrap();
        w.put_str(1, b"abc").unwrap();
        w.put_attr(2, &[1, 2, 3, 4, 5]).unwrap();
        let n = w.begin_nest(3).unwrap();
        w.put_u8(4, 9).unwrap();
        w.put_u16(5, 7).unwrap();
        w.end_nest(n).unwrap();
        w.put_bytes(&[7; 3]).unwrap();
        w.end_msg(m).unwrap();
        // A message cut short and cancelled, then another.
        let before = w.len();
        let m2 = w.begin_msg(0x11, 0, 0, 0).unwrap();
        assert_eq!(w.put_attr(1, &[0; 300]), Err(NoSpace));
        w.truncate(before);
        let _ = m2;
        let m3 = w.begin_msg(0x12, 0, 0, 0).unwrap();
        w.put_u64(6, 1).unwrap();
        w.end_msg(m3).unwrap();
        let len = w.len();
        assert!(len > before);
        assert!(sink.0[..len].iter().all(Option::is_some));
    }

    #[test]
    fn truncate_drops_the_padding_of_what_it_drops() {
        let mut buf = [0u8; 64];
        let mut w = Writer::new(&mut buf);
        let m = w.begin_msg(0x10, 0, 0, 0).unwrap();
        w.put_u32(1, 7).unwrap();
        let before = w.len();
        // Raw payload bytes whose padding the message's length would exclude.
        w.put_bytes(&[1, 2, 3]).unwrap();
        w.truncate(before);
        w.end_msg(m).unwrap();
        let len = w.len();
        let hdr = NlMsgHdr::parse(&buf[..len]).unwrap();
        assert_eq!(hdr.len as usize, len);
    }

    #[test]
    fn write_then_read_back() {
        let mut buf = [0u8; 128];
        let mut w = Writer::new(&mut buf);
        let m = w.begin_msg(0x11, 1, 3, 0).unwrap();
        w.put_str(1, b"key").unwrap();
        w.put_u32(3, 0xdead_beef).unwrap();
        let n = w.begin_nest(9).unwrap();
        w.put_u64(1, 7).unwrap();
        w.put_u8(2, 1).unwrap();
        w.end_nest(n).unwrap();
        w.end_msg(m).unwrap();
        let len = w.len();
        let msgs: Vec<_> = MsgIter::new(&buf[..len]).collect();
        assert_eq!(msgs.len(), 1);
        assert_eq!(msgs[0].hdr.len as usize, len);
        let attrs: Vec<_> = AttrIter::new(msgs[0].payload).collect();
        assert_eq!(attrs.len(), 3);
        assert_eq!(attrs[0].cstr(), Some(&b"key"[..]));
        assert_eq!(attrs[1].u32(), Some(0xdead_beef));
        assert_eq!(attrs[2].flags, NLA_F_NESTED);
        let inner: Vec<_> = attrs[2].nested().collect();
        assert_eq!(inner[0].u64(), Some(7));
        assert_eq!(inner[1].u8(), Some(1));
        assert_eq!(attrs[1].offset, 8);
    }

    #[test]
    fn raw_payload_length_excludes_padding() {
        let mut buf = [0u8; 64];
        let mut w = Writer::new(&mut buf);
        let m = w.begin_msg(0x10, 0, 1, 0).unwrap();
        w.put_bytes(b"a").unwrap();
        w.end_msg(m).unwrap();
        assert_eq!(w.len(), 20);
        let msgs: Vec<_> = MsgIter::new(w.written()).collect();
        assert_eq!(msgs[0].hdr.len, 17);
        assert_eq!(msgs[0].payload, b"a");
    }

    #[test]
    fn writer_reports_no_space_and_never_overruns() {
        let mut buf = [0u8; 10];
        let mut w = Writer::new(&mut buf);
        assert_eq!(w.put_attr(1, &[0; 8]), Err(NoSpace));
        assert_eq!(w.len(), 0);
        w.put_u32(1, 1).unwrap();
        assert_eq!(w.put_u8(2, 1), Err(NoSpace));
        assert_eq!(w.len(), 8);
    }

    #[test]
    fn iterator_stops_at_bad_lengths() {
        let mut it = AttrIter::new(&[3, 0, 1, 0]);
        assert!(it.next().is_none());
        assert_eq!(it.malformed(), Some(0));
        let mut it = AttrIter::new(&[8, 0, 1, 0, 1, 2, 3, 4, 12, 0, 2, 0]);
        assert!(it.next().is_some());
        assert!(it.next().is_none());
        assert_eq!(it.malformed(), Some(8));
    }

    #[test]
    fn typed_accessors_check_length() {
        let a = Attr {
            ty: 1,
            flags: 0,
            payload: &[1, 2, 3],
            offset: 0,
        };
        assert_eq!(a.u32(), None);
        assert_eq!(a.u16(), None);
        assert_eq!(a.cstr(), None);
        let s = Attr {
            ty: 1,
            flags: 0,
            payload: b"ab\0",
            offset: 0,
        };
        assert_eq!(s.cstr(), Some(&b"ab"[..]));
        let bad = Attr {
            ty: 1,
            flags: 0,
            payload: b"a\0b\0",
            offset: 0,
        };
        assert_eq!(bad.cstr(), None);
    }
}
