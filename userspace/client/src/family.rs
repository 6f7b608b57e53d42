//! Typed requests for every message of the nlfam protocol (`docs/protocol.md`).

use crate::attrs::{bad, msg_name, Attrs};
use crate::error::Error;
use crate::message::Message;
use crate::socket::Socket;
use nlfam_proto::family::{attr, msg};
use nlfam_proto::wire::{NLM_F_CREATE, NLM_F_DUMP, NLM_F_DUMP_INTR, NLM_F_EXCL, NLM_F_REPLACE};

/// How SET treats an existing or missing key (rtnetlink's `NLM_F_*` modifiers).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SetMode {
    /// Create or overwrite (`NLM_F_CREATE | NLM_F_REPLACE`), like `ip route replace`.
    Upsert,
    /// Create only; an existing key fails with `EEXIST` (`NLM_F_CREATE | NLM_F_EXCL`).
    Create,
    /// Overwrite only; a missing key fails with `ENOENT` (`NLM_F_REPLACE`).
    Replace,
}

impl SetMode {
    /// The `nlmsg_flags` modifiers.
    pub fn flags(self) -> u16 {
        match self {
            SetMode::Upsert => NLM_F_CREATE | NLM_F_REPLACE,
            SetMode::Create => NLM_F_CREATE | NLM_F_EXCL,
            SetMode::Replace => NLM_F_REPLACE,
        }
    }
}

/// The result of a dump.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Dump {
    /// Entries in key order.
    pub entries: Vec<(Vec<u8>, Vec<u8>)>,
    /// The store changed while the dump ran (`NLM_F_DUMP_INTR`): re-dump for a consistent view.
    pub interrupted: bool,
}

/// Counters of a family (STATS).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    /// Family number.
    pub family: u32,
    /// Requests received.
    pub rx: u64,
    /// Answers sent.
    pub tx: u64,
    /// Requests refused.
    pub errors: u64,
    /// Notifications or events that could not be delivered.
    pub dropped: u64,
    /// Notifications and events multicast.
    pub notifications: u64,
    /// Entries in the store.
    pub entries: u32,
    /// `(group, subscribing sockets)` for every group that has any, in the family's
    /// network namespace.
    pub subscribers: Vec<(u32, u32)>,
    /// Heartbeat period in milliseconds (0 = off).
    pub heartbeat_ms: u32,
}

/// The one data answer a request expects before its ACK, of type `ty`.
fn only_answer<'m>(
    what: &'static str,
    replies: &'m [Message],
    ty: u16,
) -> Result<&'m Message, Error> {
    match replies {
        [m] if m.hdr.ty == ty => Ok(m),
        [m] => Err(bad(
            what,
            format!("answer of type {:#x} ({})", m.hdr.ty, msg_name(m.hdr.ty)),
        )),
        _ => Err(bad(
            what,
            format!("{} answers before the ACK, want 1", replies.len()),
        )),
    }
}

impl Socket {
    /// KV_SET.
    pub fn set(&mut self, key: &[u8], value: &[u8], mode: SetMode) -> Result<(), Error> {
        self.request(msg::KV_SET, mode.flags(), |w| {
            w.put_str(attr::KEY, key)?;
            w.put_attr(attr::VALUE, value)
        })?;
        Ok(())
    }

    /// KV_GET of one key. The answer must carry that key (and its value).
    pub fn get(&mut self, key: &[u8]) -> Result<Vec<u8>, Error> {
        let replies = self.request(msg::KV_GET, 0, |w| w.put_str(attr::KEY, key))?;
        let m = only_answer("GET", &replies, msg::KV_SET)?;
        let a = Attrs::parse("GET answer", &m.payload)?;
        let answered = a.string(attr::KEY)?;
        if answered != key {
            return Err(bad(
                "GET",
                format!(
                    "answer for key {:?}, asked for {:?}",
                    String::from_utf8_lossy(&answered),
                    String::from_utf8_lossy(key)
                ),
            ));
        }
        a.bytes(attr::VALUE)
    }

    /// KV_DEL.
    pub fn del(&mut self, key: &[u8]) -> Result<(), Error> {
        self.request(msg::KV_DEL, 0, |w| w.put_str(attr::KEY, key))?;
        Ok(())
    }

    /// KV_GET with `NLM_F_DUMP`: the whole store, over as many datagrams as it takes.
    pub fn dump(&mut self) -> Result<Dump, Error> {
        let seq = self.send(msg::KV_GET, NLM_F_DUMP, |_| Ok(()))?;
        let msgs = self.collect(seq)?;
        let mut d = Dump::default();
        for m in &msgs {
            if m.hdr.ty != msg::KV_SET {
                return Err(bad(
                    "dump",
                    format!("entry of type {:#x} ({})", m.hdr.ty, msg_name(m.hdr.ty)),
                ));
            }
            d.interrupted |= m.hdr.flags & NLM_F_DUMP_INTR != 0;
            let a = Attrs::parse("dump entry", &m.payload)?;
            d.entries
                .push((a.string(attr::KEY)?, a.bytes(attr::VALUE)?));
        }
        d.interrupted |= self.last_done_flags() & NLM_F_DUMP_INTR != 0;
        Ok(d)
    }

    /// PUBLISH `payload` to `group` (3-32).
    pub fn publish(&mut self, group: u32, payload: &[u8]) -> Result<(), Error> {
        self.request(msg::PUBLISH, 0, |w| {
            w.put_u32(attr::GROUP, group)?;
            w.put_attr(attr::PAYLOAD, payload)
        })?;
        Ok(())
    }

    /// STATS.
    pub fn stats(&mut self) -> Result<Stats, Error> {
        let replies = self.request(msg::STATS, 0, |_| Ok(()))?;
        let m = only_answer("STATS", &replies, msg::STATS)?;
        let a = Attrs::parse("STATS answer", &m.payload)?;
        let nest = a.need(attr::STAT_SUBSCRIBERS)?;
        let mut subscribers = Vec::new();
        let mut groups = nest.nested();
        for g in groups.by_ref() {
            match g.u32() {
                Some(n) if (1..=nlfam_proto::family::GROUPS).contains(&u32::from(g.ty)) => {
                    subscribers.push((u32::from(g.ty), n))
                }
                _ => return Err(a.malformed(&g, "a u32 count for group 1-32")),
            }
        }
        if groups.malformed().is_some() {
            return Err(a.malformed(&nest, "a nest of u32 attributes"));
        }
        Ok(Stats {
            family: a.u32(attr::FAMILY)?,
            rx: a.u64(attr::STAT_RX)?,
            tx: a.u64(attr::STAT_TX)?,
            errors: a.u64(attr::STAT_ERRORS)?,
            dropped: a.u64(attr::STAT_DROPPED)?,
            notifications: a.u64(attr::STAT_NOTIFICATIONS)?,
            entries: a.u32(attr::STAT_ENTRIES)?,
            subscribers,
            heartbeat_ms: a.u32(attr::PERIOD_MS)?,
        })
    }

    /// CONFIG: sets the heartbeat period (0 = off, else 10 ms to one day); returns the
    /// period now in force and the number of heartbeats sent so far.
    pub fn config(&mut self, heartbeat_ms: u32) -> Result<(u32, u64), Error> {
        let replies = self.request(msg::CONFIG, 0, |w| w.put_u32(attr::PERIOD_MS, heartbeat_ms))?;
        let m = only_answer("CONFIG", &replies, msg::CONFIG)?;
        let a = Attrs::parse("CONFIG answer", &m.payload)?;
        Ok((a.u32(attr::PERIOD_MS)?, a.u64(attr::COUNTER)?))
    }
}
