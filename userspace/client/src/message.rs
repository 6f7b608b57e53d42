//! [`Message`]: one received netlink message, owned.

use nlfam_proto::wire::{Msg, NlMsgHdr};

/// One received netlink message, owned.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Message {
    /// Its header.
    pub hdr: NlMsgHdr,
    /// Its payload (bytes after the header).
    pub payload: Vec<u8>,
}

impl From<Msg<'_>> for Message {
    fn from(m: Msg<'_>) -> Self {
        Message {
            hdr: m.hdr,
            payload: m.payload.to_vec(),
        }
    }
}
