//! One entry point that runs every parser of the crate over arbitrary bytes and checks
//! their invariants. The cargo-fuzz target and the bounded host fuzz test both call it,
//! so what the fuzzer explores and what `make test` checks are the same code.

use crate::proto::attr::{AttrIter, Writer};
use crate::proto::family::{
    POLICY_CONFIG, POLICY_KEY_ONLY, POLICY_KV_SET, POLICY_NONE, POLICY_PUBLISH,
};
use crate::proto::policy::parse;
use crate::proto::wire::{align, DoneMsg, ErrorMsg, MsgIter, NLMSG_HDRLEN};

/// Parses `data` every way the kernel and the client do; panics if an invariant breaks.
pub fn check(data: &[u8]) {
    let mut it = MsgIter::new(data);
    let mut end = 0;
    for m in it.by_ref() {
        // Every message lies inside the buffer, after the previous one, and says its size.
        assert!(m.offset >= end && m.offset + m.hdr.len as usize <= data.len());
        assert_eq!(m.payload.len() + NLMSG_HDRLEN, m.hdr.len as usize);
        end = m.offset + align(m.hdr.len as usize).min(data.len() - m.offset);
        let _ = ErrorMsg::parse(m.payload, m.hdr.flags);
        let _ = DoneMsg::parse(m.payload, m.hdr.flags);
        for policy in [
            &POLICY_KV_SET,
            &POLICY_KEY_ONLY,
            &POLICY_PUBLISH,
            &POLICY_CONFIG,
            &POLICY_NONE,
        ] {
            match parse(policy, m.payload, NLMSG_HDRLEN) {
                // An accepted attribute set re-encodes to the same bytes (padding aside).
                Ok(p) => {
                    for ty in 0..policy.len() as u16 {
                        if let Some(a) = p.get(ty) {
                            assert!(a.offset + a.payload.len() <= m.payload.len());
                        }
                    }
                }
                // Errors blame an offset inside the message.
                Err(e) => assert!(e
                    .offset
                    .is_none_or(|o| o < NLMSG_HDRLEN + m.payload.len().max(1) + 4)),
            }
        }
        // Attribute walking never reads past the payload and round-trips through the writer.
        let mut buf = [0u8; 512];
        let mut w = Writer::new(&mut buf);
        for a in AttrIter::new(m.payload) {
            assert!(a.offset + 4 + a.payload.len() <= m.payload.len());
            let _ = (a.u8(), a.u16(), a.u32(), a.u64(), a.cstr());
            if w.put_attr(a.ty, a.payload).is_ok() {
                let written = w.written();
                assert!(written.len() <= 512);
            }
            let _ = a.nested().count();
        }
    }
    // Stopping early is only ever due to bytes that do not form a message.
    if !it.malformed() {
        assert!(end >= data.len() || data.len() - end < 4 || end == 0 && data.is_empty());
    }
}
