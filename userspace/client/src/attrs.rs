//! Checked decoding of the attributes of one message from the kernel, with errors that name
//! the message and the attribute.

use crate::error::Error;
use nlfam_proto::attr::{Attr, AttrIter};
use nlfam_proto::family::{attr, msg};

/// The attributes of one message from the kernel, checked: the TLVs must walk cleanly,
/// no type may repeat, and every accessor names the attribute and the message when the
/// attribute is missing or has the wrong size. Unknown types are skipped (a newer module
/// may add some).
pub(crate) struct Attrs<'a> {
    what: &'static str,
    found: [Option<Attr<'a>>; attr::MAX as usize + 1],
}

fn attr_name(ty: u16) -> &'static str {
    attr::ALL
        .iter()
        .find(|(_, t)| *t == ty)
        .map_or("unknown", |(n, _)| *n)
}

pub(crate) fn bad(what: &str, text: String) -> Error {
    Error::Protocol(format!("{what}: {text}"))
}

impl<'a> Attrs<'a> {
    pub(crate) fn parse(what: &'static str, payload: &'a [u8]) -> Result<Self, Error> {
        let mut found = [None; attr::MAX as usize + 1];
        let mut it = AttrIter::new(payload);
        for a in it.by_ref() {
            if let Some(slot) = found.get_mut(usize::from(a.ty)) {
                if a.ty != 0 && slot.replace(a).is_some() {
                    return Err(bad(
                        what,
                        format!("duplicate {} attribute", attr_name(a.ty)),
                    ));
                }
            }
        }
        if let Some(at) = it.malformed() {
            return Err(bad(
                what,
                format!("malformed attribute at payload offset {at}"),
            ));
        }
        Ok(Self { what, found })
    }

    pub(crate) fn get(&self, ty: u16) -> Option<Attr<'a>> {
        self.found.get(usize::from(ty)).copied().flatten()
    }

    pub(crate) fn need(&self, ty: u16) -> Result<Attr<'a>, Error> {
        self.get(ty)
            .ok_or_else(|| bad(self.what, format!("no {} attribute", attr_name(ty))))
    }

    pub(crate) fn malformed(&self, a: &Attr<'_>, want: &str) -> Error {
        bad(
            self.what,
            format!(
                "malformed {} attribute ({} bytes, want {want})",
                attr_name(a.ty),
                a.payload.len()
            ),
        )
    }

    pub(crate) fn u32(&self, ty: u16) -> Result<u32, Error> {
        let a = self.need(ty)?;
        a.u32().ok_or_else(|| self.malformed(&a, "a 4-byte u32"))
    }

    pub(crate) fn u64(&self, ty: u16) -> Result<u64, Error> {
        let a = self.need(ty)?;
        a.u64().ok_or_else(|| self.malformed(&a, "an 8-byte u64"))
    }

    pub(crate) fn bytes(&self, ty: u16) -> Result<Vec<u8>, Error> {
        Ok(self.need(ty)?.payload.to_vec())
    }

    pub(crate) fn string(&self, ty: u16) -> Result<Vec<u8>, Error> {
        let a = self.need(ty)?;
        a.cstr()
            .map(<[u8]>::to_vec)
            .ok_or_else(|| self.malformed(&a, "a NUL-terminated string"))
    }
}

pub(crate) fn msg_name(ty: u16) -> &'static str {
    msg::name(ty).unwrap_or("message")
}
