//! [`Event`]: the messages the family multicasts, decoded.

use crate::attrs::Attrs;
use crate::error::Error;
use crate::message::Message;
use nlfam_proto::family::{attr, msg};
use nlfam_proto::wire::NlMsgHdr;

/// A message the family multicasts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Event {
    /// A key was set (group 1).
    KvSet {
        key: Vec<u8>,
        value: Vec<u8>,
        portid: u32,
        seq: u32,
    },
    /// A key was deleted (group 1).
    KvDel { key: Vec<u8>, portid: u32, seq: u32 },
    /// A user published a payload (groups 3-32).
    Publish {
        group: u32,
        payload: Vec<u8>,
        portid: u32,
        uid: u32,
        timestamp_ns: u64,
    },
    /// The kernel's heartbeat (group 2).
    Heartbeat { counter: u64, timestamp_ns: u64 },
    /// Anything else, kept as received.
    Other(Message),
}

impl Event {
    /// Decodes a received multicast message. A message of a known event type with a
    /// missing or malformed attribute is an error naming the attribute; a message of
    /// another type is [`Event::Other`].
    pub fn parse(m: &Message) -> Result<Event, Error> {
        Self::decode(&m.hdr, &m.payload)
    }

    pub(crate) fn decode(hdr: &NlMsgHdr, payload: &[u8]) -> Result<Event, Error> {
        let what = match hdr.ty {
            msg::KV_SET => "kv-set event",
            msg::KV_DEL => "kv-del event",
            msg::PUBLISH => "publish event",
            msg::HEARTBEAT => "heartbeat event",
            _ => {
                return Ok(Event::Other(Message {
                    hdr: *hdr,
                    payload: payload.to_vec(),
                }))
            }
        };
        let a = Attrs::parse(what, payload)?;
        Ok(match hdr.ty {
            msg::KV_SET => Event::KvSet {
                key: a.string(attr::KEY)?,
                value: a.bytes(attr::VALUE)?,
                portid: a.u32(attr::PORTID)?,
                seq: a.u32(attr::SEQ)?,
            },
            msg::KV_DEL => Event::KvDel {
                key: a.string(attr::KEY)?,
                portid: a.u32(attr::PORTID)?,
                seq: a.u32(attr::SEQ)?,
            },
            msg::PUBLISH => Event::Publish {
                group: a.u32(attr::GROUP)?,
                payload: a.bytes(attr::PAYLOAD)?,
                portid: a.u32(attr::PORTID)?,
                uid: a.u32(attr::UID)?,
                timestamp_ns: a.u64(attr::TIMESTAMP_NS)?,
            },
            _ => Event::Heartbeat {
                counter: a.u64(attr::COUNTER)?,
                timestamp_ns: a.u64(attr::TIMESTAMP_NS)?,
            },
        })
    }
}
