//! The measurements, through the client's socket: requests framed in place in buffers
//! allocated before the clock starts, answers borrowed from its receive buffer and checked.

use crate::rows::{Kind, Row, BATCH, SMALL_PAYLOAD};
use crate::stats::{Hist, Sample};
use nlfam::proto::attr::{Attr, AttrIter, NoSpace, Writer};
use nlfam::proto::family::{attr, msg};
use nlfam::proto::wire::{Msg, NLM_F_DUMP, NLM_F_DUMP_INTR, NLM_F_MULTI, NLM_F_REQUEST};
use nlfam::{Error, SetMode, Socket};
use std::time::{Duration, Instant};

type Result<T, E = Error> = std::result::Result<T, E>;
type Written = Result<(), NoSpace>;
type Laps<'a> = Option<&'a mut Vec<u32>>;

/// Publishes per fan-out iteration before the subscribers are drained.
const FANOUT_BURST: usize = 16;
const FANOUT_GROUP: u32 = 7;
/// How long a subscriber waits for an event before counting it as dropped.
const SUBSCRIBER_WAIT: Duration = Duration::from_secs(2);
/// Longest wait for any answer of the module: beyond it the run fails.
const ANSWER_WAIT: Duration = Duration::from_secs(30);

/// Repeats `op`, which returns how many operations it did, until `dur` has passed: one
/// sample. One clock read per call, whose time goes to `laps` when given.
fn timed(dur: Duration, mut laps: Laps, mut op: impl FnMut() -> Result<u64>) -> Result<Sample> {
    let (start, mut ops, drops) = (Instant::now(), 0, None);
    let mut prev = start;
    loop {
        ops += op()?;
        let now = Instant::now();
        if let Some(laps) = laps.as_deref_mut() {
            laps.push((now - prev).as_nanos().min(u32::MAX.into()) as u32);
        }
        prev = now;
        if now - start >= dur {
            let ns = (now - start).as_nanos() as u64;
            return Ok(Sample { ops, ns, drops });
        }
    }
}

fn wrong(what: String) -> Error {
    Error::Protocol(format!("wrong answer: {what}"))
}

/// The error for an answer that is not `what` was expected: the kernel's if it is one.
fn unexpected(m: &Msg<'_>, what: &str) -> Error {
    Error::of_answer(m).unwrap_or_else(|| wrong(format!("expected {what}, got {:?}", m.hdr)))
}

fn too_big(_: NoSpace) -> Error {
    Error::Protocol("a request does not fit the transmit buffer".into())
}

/// Key and value of entry `i` of the benchmark's store: "k" and seven digits (bytewise
/// order = index order), and "v", the same digits and a filler to 32 bytes.
pub fn entry(i: u64) -> ([u8; 8], [u8; 32]) {
    let (mut k, mut v) = (*b"k0000000", *b"v0000000:nlfam-bench-value-32-b.");
    for (at, d) in k[1..].iter_mut().enumerate() {
        *d += (i / 10u64.pow(6 - at as u32) % 10) as u8;
    }
    v[1..8].copy_from_slice(&k[1..]);
    (k, v)
}

/// The attributes of `m` of types `types`, in that order.
fn attrs<'a, const N: usize>(m: &Msg<'a>, types: [u16; N]) -> [Option<Attr<'a>>; N] {
    let mut found = [None; N];
    for a in AttrIter::new(m.payload) {
        if let Some(i) = types.iter().position(|&t| t == a.ty) {
            found[i] = Some(a);
        }
    }
    found
}

/// Checks that `m` is the `kv-set` entry `(k, v)` with `flags` (`NLM_F_MULTI` for a dump
/// entry, none for a GET answer; never `NLM_F_DUMP_INTR`).
fn check_entry(m: &Msg<'_>, (k, v): ([u8; 8], [u8; 32]), flags: u16) -> Result<()> {
    let [key, value] = attrs(m, [attr::KEY, attr::VALUE]);
    let (key, value) = (key.and_then(|a| a.cstr()), value.map(|a| a.payload));
    let flags_ok = m.hdr.flags & (NLM_F_MULTI | NLM_F_DUMP_INTR) == flags;
    if m.hdr.ty != msg::KV_SET || !flags_ok || key != Some(&k[..]) || value != Some(&v[..]) {
        let text = |b: Option<&[u8]>| format!("{:?}", b.map(String::from_utf8_lossy));
        let got = format!("key {} value {}", text(key), text(value));
        let what = format!("entry {:?} ({flags:#x})", String::from_utf8_lossy(&k));
        return Err(unexpected(m, &format!("{what}, {got}")));
    }
    Ok(())
}

/// Receives a subscriber's events up to counter `last`, each checked (group, publisher
/// `portid`, counter); returns how many were lost: gaps in the counters, and the events still
/// missing [`SUBSCRIBER_WAIT`] after an overrun. Nothing at all, with no overrun, means the
/// module stopped delivering: an error, not a row that crawls from timeout to timeout.
fn drain(s: &mut Socket, expected: &mut u64, last: u64, portid: u32) -> Result<u64> {
    let (start, mut received, mut overrun) = (*expected, 0, false);
    while *expected <= last {
        let d = match s.recv_datagram() {
            Err(Error::Overrun) => {
                overrun = true;
                continue;
            }
            Err(Error::Timeout) if received == 0 && !overrun => {
                let what = format!("no event {start}..={last} of {portid} and no overrun");
                return Err(wrong(format!("{what}: the module stopped delivering")));
            }
            Err(Error::Timeout) => break,
            d => d?,
        };
        for m in d {
            let [group, port, payload] = attrs(&m, [attr::GROUP, attr::PORTID, attr::PAYLOAD]);
            let (group, port) = (group.and_then(|a| a.u32()), port.and_then(|a| a.u32()));
            let payload = payload.filter(|a| a.payload.len() == SMALL_PAYLOAD);
            let counter = payload.map(|a| u64::from_ne_bytes(a.payload[..8].try_into().unwrap()));
            let ours = (m.hdr.ty, group, port) == (msg::PUBLISH, Some(FANOUT_GROUP), Some(portid));
            let Some(c) = counter.filter(|c| ours && (*expected..=last).contains(c)) else {
                let want = format!("event {expected}..={last} of {portid}");
                let got = format!("group {group:?} port {port:?} counter {counter:?}");
                return Err(unexpected(&m, &format!("{want}, {got}")));
            };
            (*expected, received) = (c + 1, received + 1);
        }
    }
    *expected = last + 1;
    Ok(last + 1 - start - received)
}

/// A benchmark client: a socket on the family, and how many entries it put in the store.
pub struct Bench {
    pub sock: Socket,
    tx: Vec<u8>,
    /// Round trips of the current sample; `hist` pools those of the row's samples.
    lat: Vec<u32>,
    pub hist: Hist,
    /// Fan-out subscribers, each with the event counter it expects next.
    subs: Vec<(Socket, u64)>,
    published: u64,
    pub filled: u64,
    rng: u64,
}

impl Bench {
    /// Opens a socket on `family` (the module must be loaded).
    pub fn open(family: u32) -> Result<Bench> {
        let sock = Socket::open(family)?;
        sock.set_timeout(Some(ANSWER_WAIT))?;
        Ok(Bench {
            sock,
            // Room for the largest echo (64 KiB and its headers).
            tx: vec![0; 128 * 1024],
            lat: Vec::with_capacity(1 << 20),
            hist: Hist::default(),
            subs: vec![],
            published: 0,
            filled: 0,
            rng: 0x9e37_79b9_7f4a_7c15,
        })
    }

    /// A new socket, transmit buffer and fan-out subscribers for the next sample (not
    /// measured), after [`Bench::end_row`]'s check: where the client's objects lie can slow
    /// a series under TCG, so they are placed anew for every sample.
    pub fn renew(&mut self) -> Result<()> {
        let subscribers = self.subs.len();
        self.end_row()?;
        let sock = Socket::open(self.sock.family())?;
        sock.set_timeout(Some(ANSWER_WAIT))?;
        (self.sock, self.tx) = (sock, vec![0; 128 * 1024]);
        self.subscribe(subscribers)
    }

    /// Opens `n` fan-out subscribers.
    fn subscribe(&mut self, n: usize) -> Result<()> {
        for _ in 0..n {
            let s = Socket::open(self.sock.family())?;
            s.add_membership(FANOUT_GROUP)?;
            s.set_timeout(Some(SUBSCRIBER_WAIT))?;
            self.subs.push((s, self.published + 1));
        }
        Ok(())
    }

    /// A random entry of the store (Knuth's MMIX LCG: cheap, deterministic).
    fn random_entry(&mut self) -> u64 {
        let mul = self.rng.wrapping_mul(6364136223846793005);
        self.rng = mul.wrapping_add(1442695040888963407);
        (self.rng >> 32) % self.filled.max(1)
    }

    /// Frames one request of type `ty` at the start of the transmit buffer; its length.
    fn frame(&mut self, ty: u16, build: impl FnOnce(&mut Writer) -> Written) -> Result<usize> {
        let portid = self.sock.portid();
        let mut w = Writer::new(&mut self.tx);
        let m = w.begin_msg(ty, NLM_F_REQUEST, 0, portid).map_err(too_big)?;
        build(&mut w).map_err(too_big)?;
        w.end_msg(m).map_err(too_big)?;
        Ok(w.len())
    }

    /// Prepares `row` (the store filled to its size): its fan-out subscribers, then one
    /// unrecorded warm-up sample at least `dur` and 100 ms long.
    pub fn begin_row(&mut self, row: Row, dur: Duration) -> Result<()> {
        if row.kind == Kind::Fanout {
            self.subscribe(row.size as usize)?;
        }
        // Under TCG the first run of a kernel path pays for its translation.
        self.sample(row, dur.max(Duration::from_millis(100)))?;
        self.hist = Hist::default();
        Ok(())
    }

    /// Ends a row (or a sample: [`Bench::renew`]): anything left unread on the socket or a
    /// subscriber (an answer or event nobody asked for) fails it; no more subscribers.
    pub fn end_row(&mut self) -> Result<()> {
        for s in self.subs.iter_mut().map(|(s, _)| s).chain([&mut self.sock]) {
            if let Some(m) = s.try_recv()? {
                return Err(wrong(format!("an answer or event nobody asked for: {m:?}")));
            }
        }
        self.subs.clear();
        Ok(())
    }

    /// One sample of `row`, at least `dur` and one operation long.
    pub fn sample(&mut self, row: Row, dur: Duration) -> Result<Sample> {
        let size = row.size as usize;
        match row.kind {
            Kind::Echo => self.echoes(Some(0), size, 1, dur),
            Kind::Floor => self.echoes(Some(self.sock.portid()), size, 1, dur),
            Kind::Batch => self.echoes(None, size, BATCH, dur),
            Kind::Fanout => self.fanout(dur),
            Kind::Dump => self.dump(dur),
            Kind::Set | Kind::Get => self.kv(row.kind == Kind::Get, dur),
        }
    }

    /// `n` ECHO messages of `size` payload bytes (a pattern: a mix-up shows) in one send, and
    /// their answers (coalesced into as few datagrams as the module manages), checked. One is
    /// the echo row, to port id `to` (0, the module; the socket's own for the floor: the same
    /// calls and copies without the module), each round trip timed. More: the batched echo.
    fn echoes(&mut self, to: Option<u32>, size: usize, n: usize, dur: Duration) -> Result<Sample> {
        let pattern: Vec<u8> = (0..size).map(|i| (i % 251) as u8).collect();
        let one = self.frame(msg::ECHO, |w| w.put_bytes(&pattern))?;
        for i in 1..n {
            self.tx.copy_within(..one, i * one);
        }
        let mut seqs = [0u32; BATCH];
        self.lat.clear();
        let sample = timed(dur, to.map(|_| &mut self.lat), || {
            for (i, seq) in seqs[..n].iter_mut().enumerate() {
                *seq = self.sock.next_seq();
                self.tx[i * one + 8..i * one + 12].copy_from_slice(&seq.to_ne_bytes());
            }
            let datagram = &self.tx[..one * n];
            match to {
                Some(portid) => self.sock.send_raw_to(datagram, portid)?,
                None => self.sock.send_raw(datagram)?,
            }
            let mut got = 0;
            while got < n {
                for m in self.sock.recv_datagram()? {
                    let want = seqs.get(got).copied().unwrap_or(0);
                    if m.hdr.ty != msg::ECHO || m.hdr.seq != want || m.payload != pattern {
                        return Err(unexpected(&m, &format!("echo {want} of {size} bytes")));
                    }
                    got += 1;
                }
            }
            Ok(n as u64)
        })?;
        self.lat.iter().for_each(|&ns| self.hist.record(ns));
        Ok(sample)
    }

    /// Fan-out to `subs`, sockets joined to the group: per iteration [`FANOUT_BURST`]
    /// PUBLISH requests (one per send, no ACK: an error would be answered, and
    /// [`Bench::end_row`] finds it), then every subscriber drained in turn.
    fn fanout(&mut self, dur: Duration) -> Result<Sample> {
        let mut counter_at = 0;
        let len = self.frame(msg::PUBLISH, |w| {
            w.put_u32(attr::GROUP, FANOUT_GROUP)?;
            counter_at = w.len() + 4;
            w.put_attr(attr::PAYLOAD, &[0u8; SMALL_PAYLOAD])
        })?;
        let (portid, mut drops) = (self.sock.portid(), 0);
        let mut sample = timed(dur, None, || {
            for _ in 0..FANOUT_BURST {
                self.published += 1;
                let (counter, seq) = (self.published.to_ne_bytes(), self.sock.next_seq());
                self.tx[counter_at..counter_at + 8].copy_from_slice(&counter);
                self.tx[8..12].copy_from_slice(&seq.to_ne_bytes());
                self.sock.send_raw(&self.tx[..len])?;
            }
            for (s, expected) in &mut self.subs {
                drops += drain(s, expected, self.published, portid)?;
            }
            Ok((FANOUT_BURST * self.subs.len()) as u64)
        })?;
        (sample.ops, sample.drops) = (sample.ops - drops, Some(drops));
        Ok(sample)
    }

    /// Adds (SET with `NLM_F_CREATE | NLM_F_EXCL`) or deletes entries until the store holds
    /// `n` of this client's, through the client's API, one request each (not measured).
    pub fn fill_to(&mut self, n: u64) -> Result<()> {
        while self.filled < n {
            let (k, v) = entry(self.filled);
            self.sock.set(&k, &v, SetMode::Create)?;
            self.filled += 1;
        }
        while self.filled > n {
            self.filled -= 1;
            self.sock.del(&entry(self.filled).0)?;
        }
        Ok(())
    }

    /// One dump per iteration, every entry checked (key, value, order, count, no
    /// `NLM_F_DUMP_INTR`, `NLMSG_DONE` with status 0).
    fn dump(&mut self, dur: Duration) -> Result<Sample> {
        let n = self.filled;
        timed(dur, None, || {
            let seq = self.sock.send(msg::KV_GET, NLM_F_DUMP, |_| Ok(()))?;
            let mut i = 0u64;
            self.sock.collect_each(seq, |m| {
                check_entry(m, entry(i), NLM_F_MULTI)?;
                i += 1;
                Ok(())
            })?;
            let intr = self.sock.last_done_flags() & NLM_F_DUMP_INTR != 0;
            if intr || i != n {
                let what = format!("dump of {i} entries, {n} stored, NLM_F_DUMP_INTR {intr}");
                return Err(wrong(what));
            }
            Ok(n)
        })
    }

    /// SET (`NLM_F_REPLACE`, same value, waiting for the ACK) or GET (no ACK: the answer is
    /// the entry, checked) of random existing keys, one per request.
    fn kv(&mut self, get: bool, dur: Duration) -> Result<Sample> {
        timed(dur, None, || {
            let (k, v) = entry(self.random_entry());
            if !get {
                return self.sock.set(&k, &v, SetMode::Replace).map(|()| 1);
            }
            let key = |w: &mut Writer| w.put_str(attr::KEY, &k);
            let seq = self.sock.send(msg::KV_GET, 0, key)?;
            match self.sock.recv_datagram()?.messages().next() {
                Some(m) if m.hdr.seq == seq => check_entry(&m, (k, v), 0).map(|()| 1),
                Some(m) => Err(unexpected(&m, "a GET answer")),
                None => Err(wrong("a datagram without a message".into())),
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_subscriber_with_no_event_and_no_overrun_fails() {
        let mut s = Socket::open(libc::NETLINK_USERSOCK as u32).unwrap();
        s.set_timeout(Some(Duration::from_millis(50))).unwrap();
        let mut expected = 1;
        let e = drain(&mut s, &mut expected, 3, 1).unwrap_err();
        assert!(e.to_string().contains("stopped delivering"), "{e}");
    }

    #[test]
    fn a_new_socket_only_once_the_old_one_and_the_subscribers_have_nothing_left_to_read() {
        let mut b = Bench::open(libc::NETLINK_USERSOCK as u32).unwrap();
        let len = b.frame(msg::ECHO, |_| Ok(())).unwrap();
        for to_subscriber in [false, true] {
            b.subs
                .push((Socket::open(libc::NETLINK_USERSOCK as u32).unwrap(), 1));
            let to = [b.sock.portid(), b.subs[0].0.portid()][usize::from(to_subscriber)];
            b.sock.send_raw_to(&b.tx[..len], to).unwrap();
            let e = b.renew().unwrap_err();
            assert!(e.to_string().contains("nobody asked for"), "{e}");
        }
    }
}
