//! Policy-driven attribute validation, the counterpart of the kernel's `nla_parse` with
//! strict validation: every attribute must be known, well-formed and within its limits,
//! and each error names the offending attribute's offset for the extended ACK.

use crate::proto::attr::{Attr, AttrIter};
use crate::proto::errno::{EINVAL, EMSGSIZE, ERANGE};

/// What an attribute type must look like.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// Not a valid attribute type (type 0, or a gap): rejected.
    Reject,
    /// One byte.
    U8,
    /// Two bytes, host order.
    U16,
    /// Four bytes, host order.
    U32,
    /// Eight bytes, host order.
    U64,
    /// A NUL-terminated string of 1..=`max` bytes before the NUL.
    String {
        /// Longest accepted string, NUL excluded.
        max: usize,
    },
    /// Opaque bytes, `min..=max` long.
    Binary {
        /// Shortest accepted payload.
        min: usize,
        /// Longest accepted payload.
        max: usize,
    },
    /// A nest whose members follow the given policy.
    Nested(&'static [Kind]),
}

/// Why validation failed: an errno, a message for the extended ACK and the offset of the
/// offending attribute from the start of the buffer that was parsed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AttrError {
    /// Positive errno.
    pub errno: i32,
    /// Human-readable reason (goes into `NLMSGERR_ATTR_MSG`).
    pub msg: &'static str,
    /// Offset of the offending attribute (goes into `NLMSGERR_ATTR_OFFS`), if one is to blame.
    pub offset: Option<usize>,
}

impl AttrError {
    const fn at(errno: i32, msg: &'static str, offset: usize) -> Self {
        Self {
            errno,
            msg,
            offset: Some(offset),
        }
    }
}

/// The validated attributes of one message, indexed by type; `N` is the policy's length.
/// Kept small (where each attribute starts, not the attributes themselves): it is built
/// for every request, and a table of `N` full `Attr`s would be hundreds of bytes to
/// initialise and move each time.
#[derive(Clone, Copy, Debug)]
pub struct Parsed<'a, const N: usize> {
    /// The attributes' bytes.
    buf: &'a [u8],
    /// Per type: where its attribute's header starts in `buf`, plus one; 0 when absent.
    at: [u32; N],
    /// Offset of the attributes within the message (`parse`'s `base`).
    base: usize,
}

impl<'a, const N: usize> Parsed<'a, N> {
    /// No attributes (a message whose payload is not attributes), at `base`.
    pub const fn empty(base: usize) -> Self {
        Parsed {
            buf: &[],
            at: [0; N],
            base,
        }
    }
    /// The attribute of type `ty`, if present.
    pub fn get(&self, ty: u16) -> Option<Attr<'a>> {
        let at = (*self.at.get(ty as usize)? as usize).checked_sub(1)?;
        let a = AttrIter::new(self.buf.get(at..)?).next()?;
        Some(Attr { offset: at, ..a })
    }
    /// A present `u32` attribute (validation guarantees its size).
    pub fn u32(&self, ty: u16) -> Option<u32> {
        self.get(ty)?.u32()
    }
    /// A present `u64` attribute.
    pub fn u64(&self, ty: u16) -> Option<u64> {
        self.get(ty)?.u64()
    }
    /// A present string attribute, without its NUL.
    pub fn str(&self, ty: u16) -> Option<&'a [u8]> {
        self.get(ty)?.cstr()
    }
    /// A present binary attribute.
    pub fn bytes(&self, ty: u16) -> Option<&'a [u8]> {
        Some(self.get(ty)?.payload)
    }
    /// Where the attribute of type `ty` starts, from the start of the message header:
    /// the offset an extended ACK blames.
    pub fn offset(&self, ty: u16) -> Option<usize> {
        Some(self.base.saturating_add(self.get(ty)?.offset))
    }
}

fn check(kind: Kind, a: &Attr<'_>, base: usize) -> Result<(), AttrError> {
    let off = base.saturating_add(a.offset);
    let len = a.payload.len();
    let exact = |n: usize| {
        if len == n {
            Ok(())
        } else {
            Err(AttrError::at(
                EINVAL,
                "attribute has the wrong size for its type",
                off,
            ))
        }
    };
    match kind {
        Kind::Reject => Err(AttrError::at(EINVAL, "unknown attribute type", off)),
        Kind::U8 => exact(1),
        Kind::U16 => exact(2),
        Kind::U32 => exact(4),
        Kind::U64 => exact(8),
        Kind::String { max } => match a.cstr() {
            None => Err(AttrError::at(
                EINVAL,
                "string attribute is not NUL-terminated or has an inner NUL",
                off,
            )),
            Some([]) => Err(AttrError::at(EINVAL, "string attribute is empty", off)),
            Some(s) if s.len() > max => Err(AttrError::at(
                EMSGSIZE,
                "string attribute is longer than allowed",
                off,
            )),
            Some(_) => Ok(()),
        },
        Kind::Binary { min, max } => {
            if len < min {
                Err(AttrError::at(
                    EINVAL,
                    "binary attribute is shorter than allowed",
                    off,
                ))
            } else if len > max {
                Err(AttrError::at(
                    EMSGSIZE,
                    "binary attribute is longer than allowed",
                    off,
                ))
            } else {
                Ok(())
            }
        }
        Kind::Nested(inner) => validate(
            inner,
            a.payload,
            off.saturating_add(crate::proto::attr::NLA_HDRLEN),
        ),
    }
}

/// Validates a nested attribute tree without collecting it.
fn validate(policy: &[Kind], buf: &[u8], base: usize) -> Result<(), AttrError> {
    let mut it = AttrIter::new(buf);
    for a in it.by_ref() {
        let kind = policy.get(a.ty as usize).copied().unwrap_or(Kind::Reject);
        check(kind, &a, base)?;
    }
    match it.malformed() {
        Some(at) => Err(AttrError::at(
            EINVAL,
            "malformed attribute (bad length)",
            base.saturating_add(at),
        )),
        None => Ok(()),
    }
}

/// Parses `buf` (the attributes of one message) against `policy` (indexed by type).
/// `base` is the offset of `buf` within the message, so error offsets count from the
/// message header as the extended ACK wants. Rejects unknown types, bad sizes, malformed
/// lengths and duplicates.
pub fn parse<'a, const N: usize>(
    policy: &[Kind; N],
    buf: &'a [u8],
    base: usize,
) -> Result<Parsed<'a, N>, AttrError> {
    let mut out = Parsed {
        buf,
        at: [0; N],
        base,
    };
    let mut it = AttrIter::new(buf);
    for a in it.by_ref() {
        let off = base.saturating_add(a.offset);
        let kind = policy.get(a.ty as usize).copied().unwrap_or(Kind::Reject);
        check(kind, &a, base)?;
        let slot = out.at.get_mut(a.ty as usize).ok_or(AttrError::at(
            EINVAL,
            "unknown attribute type",
            off,
        ))?;
        if *slot != 0 {
            return Err(AttrError::at(EINVAL, "duplicate attribute", off));
        }
        *slot = u32::try_from(a.offset.saturating_add(1))
            .map_err(|_| AttrError::at(EMSGSIZE, "attributes longer than 4 GiB", off))?;
    }
    if let Some(at) = it.malformed() {
        return Err(AttrError::at(
            EINVAL,
            "malformed attribute (bad length)",
            base.saturating_add(at),
        ));
    }
    Ok(out)
}

/// Error for a value outside an allowed range, blamed on the attribute of type `ty`.
pub fn out_of_range<const N: usize>(
    parsed: &Parsed<'_, N>,
    ty: u16,
    base: usize,
    msg: &'static str,
) -> AttrError {
    AttrError {
        errno: ERANGE,
        msg,
        offset: parsed.get(ty).map(|a| base.saturating_add(a.offset)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proto::attr::Writer;

    const INNER: [Kind; 2] = [Kind::Reject, Kind::U8];
    const POLICY: [Kind; 5] = [
        Kind::Reject,
        Kind::String { max: 4 },
        Kind::Binary { min: 0, max: 8 },
        Kind::U32,
        Kind::Nested(&INNER),
    ];

    fn build(f: impl FnOnce(&mut Writer<'_>)) -> ([u8; 128], usize) {
        let mut buf = [0u8; 128];
        let mut w = Writer::new(&mut buf);
        f(&mut w);
        let n = w.len();
        (buf, n)
    }

    #[test]
    fn accepts_valid_attributes() {
        let (b, n) = build(|w| {
            w.put_str(1, b"abcd").unwrap();
            w.put_attr(2, b"").unwrap();
            w.put_u32(3, 5).unwrap();
            let t = w.begin_nest(4).unwrap();
            w.put_u8(1, 9).unwrap();
            w.end_nest(t).unwrap();
        });
        let p = parse(&POLICY, &b[..n], 0).unwrap();
        assert_eq!(p.str(1), Some(&b"abcd"[..]));
        assert_eq!(p.bytes(2), Some(&b""[..]));
        assert_eq!(p.u32(3), Some(5));
        assert!(p.get(4).is_some());
    }

    #[test]
    fn errors_point_at_the_offending_attribute() {
        let (b, n) = build(|w| {
            w.put_u32(3, 1).unwrap();
            w.put_str(1, b"toolong").unwrap();
        });
        let e = parse(&POLICY, &b[..n], 16).unwrap_err();
        assert_eq!((e.errno, e.offset), (EMSGSIZE, Some(16 + 8)));

        let (b, n) = build(|w| w.put_u16(3, 1).unwrap());
        assert_eq!(parse(&POLICY, &b[..n], 0).unwrap_err().errno, EINVAL);

        let (b, n) = build(|w| w.put_u32(9, 1).unwrap());
        assert_eq!(
            parse(&POLICY, &b[..n], 0).unwrap_err().msg,
            "unknown attribute type"
        );

        let (b, n) = build(|w| w.put_u32(0, 1).unwrap());
        assert_eq!(
            parse(&POLICY, &b[..n], 0).unwrap_err().msg,
            "unknown attribute type"
        );

        let (b, n) = build(|w| {
            w.put_u32(3, 1).unwrap();
            w.put_u32(3, 2).unwrap();
        });
        assert_eq!(
            parse(&POLICY, &b[..n], 0).unwrap_err(),
            AttrError::at(EINVAL, "duplicate attribute", 8)
        );

        let (b, n) = build(|w| w.put_str(1, b"").unwrap());
        assert_eq!(
            parse(&POLICY, &b[..n], 0).unwrap_err().msg,
            "string attribute is empty"
        );
    }

    #[test]
    fn nested_errors_point_inside_the_nest() {
        let (b, n) = build(|w| {
            let t = w.begin_nest(4).unwrap();
            w.put_u8(1, 1).unwrap();
            w.put_u32(1, 1).unwrap();
            w.end_nest(t).unwrap();
        });
        let e = parse(&POLICY, &b[..n], 0).unwrap_err();
        assert_eq!(e.offset, Some(4 + 8));
    }

    #[test]
    fn malformed_tail_is_rejected() {
        let (mut b, n) = build(|w| w.put_u32(3, 1).unwrap());
        b[n..n + 4].copy_from_slice(&[40, 0, 3, 0]);
        let e = parse(&POLICY, &b[..n + 4], 0).unwrap_err();
        assert_eq!((e.errno, e.offset), (EINVAL, Some(8)));
    }
}
