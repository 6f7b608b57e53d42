//! Typed requests for every message of the nlfam protocol (`docs/protocol.md`), and
//! decoding of the events the family multicasts.

use crate::error::Error;
use crate::socket::{Message, Socket};
use nlfam_proto::attr::AttrIter;
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

#[derive(Default)]
struct Fields {
    key: Option<Vec<u8>>,
    value: Option<Vec<u8>>,
    payload: Option<Vec<u8>>,
    portid: u32,
    seq: u32,
    group: u32,
    uid: u32,
    timestamp_ns: u64,
    counter: u64,
}

fn fields(payload: &[u8]) -> Fields {
    let mut f = Fields::default();
    for a in AttrIter::new(payload) {
        match a.ty {
            attr::KEY => f.key = a.cstr().map(<[u8]>::to_vec),
            attr::VALUE => f.value = Some(a.payload.to_vec()),
            attr::PAYLOAD => f.payload = Some(a.payload.to_vec()),
            attr::PORTID => f.portid = a.u32().unwrap_or(0),
            attr::SEQ => f.seq = a.u32().unwrap_or(0),
            attr::GROUP => f.group = a.u32().unwrap_or(0),
            attr::UID => f.uid = a.u32().unwrap_or(0),
            attr::TIMESTAMP_NS => f.timestamp_ns = a.u64().unwrap_or(0),
            attr::COUNTER => f.counter = a.u64().unwrap_or(0),
            _ => {}
        }
    }
    f
}

impl Event {
    /// Decodes a received multicast message.
    pub fn parse(m: &Message) -> Event {
        let f = fields(&m.payload);
        match (m.hdr.ty, f.key) {
            (msg::KV_SET, Some(key)) => Event::KvSet {
                key,
                value: f.value.unwrap_or_default(),
                portid: f.portid,
                seq: f.seq,
            },
            (msg::KV_DEL, Some(key)) => Event::KvDel {
                key,
                portid: f.portid,
                seq: f.seq,
            },
            (msg::PUBLISH, _) => Event::Publish {
                group: f.group,
                payload: f.payload.unwrap_or_default(),
                portid: f.portid,
                uid: f.uid,
                timestamp_ns: f.timestamp_ns,
            },
            (msg::HEARTBEAT, _) => Event::Heartbeat {
                counter: f.counter,
                timestamp_ns: f.timestamp_ns,
            },
            _ => Event::Other(m.clone()),
        }
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

    /// KV_GET of one key.
    pub fn get(&mut self, key: &[u8]) -> Result<Vec<u8>, Error> {
        let replies = self.request(msg::KV_GET, 0, |w| w.put_str(attr::KEY, key))?;
        let m = replies
            .first()
            .ok_or_else(|| Error::Protocol("GET: no answer before the ACK".into()))?;
        fields(&m.payload)
            .value
            .ok_or_else(|| Error::Protocol("GET: answer without VALUE".into()))
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
            d.interrupted |= m.hdr.flags & NLM_F_DUMP_INTR != 0;
            let f = fields(&m.payload);
            if let Some(k) = f.key {
                d.entries.push((k, f.value.unwrap_or_default()));
            }
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
        let m = replies
            .first()
            .ok_or_else(|| Error::Protocol("STATS: no answer before the ACK".into()))?;
        let mut s = Stats::default();
        for a in AttrIter::new(&m.payload) {
            match a.ty {
                attr::FAMILY => s.family = a.u32().unwrap_or(0),
                attr::STAT_RX => s.rx = a.u64().unwrap_or(0),
                attr::STAT_TX => s.tx = a.u64().unwrap_or(0),
                attr::STAT_ERRORS => s.errors = a.u64().unwrap_or(0),
                attr::STAT_DROPPED => s.dropped = a.u64().unwrap_or(0),
                attr::STAT_NOTIFICATIONS => s.notifications = a.u64().unwrap_or(0),
                attr::STAT_ENTRIES => s.entries = a.u32().unwrap_or(0),
                attr::PERIOD_MS => s.heartbeat_ms = a.u32().unwrap_or(0),
                attr::STAT_SUBSCRIBERS => {
                    s.subscribers = a
                        .nested()
                        .map(|g| (u32::from(g.ty), g.u32().unwrap_or(0)))
                        .collect()
                }
                _ => {}
            }
        }
        Ok(s)
    }

    /// CONFIG: sets the heartbeat period (0 = off, else 10 ms to one day); returns the
    /// period now in force and the number of heartbeats sent so far.
    pub fn config(&mut self, heartbeat_ms: u32) -> Result<(u32, u64), Error> {
        let replies = self.request(msg::CONFIG, 0, |w| w.put_u32(attr::PERIOD_MS, heartbeat_ms))?;
        let m = replies
            .first()
            .ok_or_else(|| Error::Protocol("CONFIG: no answer before the ACK".into()))?;
        let f = fields(&m.payload);
        let period = AttrIter::new(&m.payload)
            .find(|a| a.ty == attr::PERIOD_MS)
            .and_then(|a| a.u32())
            .unwrap_or(0);
        Ok((period, f.counter))
    }

    /// Waits for the next multicast event(s). `Error::Overrun` means events were lost.
    pub fn next_events(&mut self) -> Result<Vec<Event>, Error> {
        Ok(self.recv_messages()?.iter().map(Event::parse).collect())
    }
}
