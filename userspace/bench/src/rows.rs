//! What is measured: the rows of the tables, and the plan (sizes, sample length) that
//! lists them in the order one module load runs them.

use std::fmt;
use std::time::Duration;

/// The kind of workload a row runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Kind {
    /// ECHO round trip, one message per `sendto` and one answer per `recv`.
    Echo,
    /// The floor: the same message sent to the socket's own port id and received back
    /// (same two syscalls and copies, no module work).
    Floor,
    /// ECHO, [`BATCH`] messages per `sendmsg`.
    Batch,
    /// PUBLISH to a group with N subscribed sockets; cost per delivery.
    Fanout,
    /// Dump of a store holding N entries; cost per entry.
    Dump,
    /// KV_SET (replace) of a random existing key with `NLM_F_ACK`, store of N entries.
    Set,
    /// KV_GET of a random existing key, store of N entries.
    Get,
}

/// Messages per datagram of the batched echo.
pub const BATCH: usize = 64;
/// Payload of the batched echo's messages and of published events.
pub const SMALL_PAYLOAD: usize = 64;

impl Kind {
    /// Every kind, in table order.
    pub const ALL: [Kind; 7] = [
        Kind::Echo,
        Kind::Floor,
        Kind::Batch,
        Kind::Fanout,
        Kind::Dump,
        Kind::Set,
        Kind::Get,
    ];

    /// The name used in row ids and `--rows`.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Echo => "echo",
            Kind::Floor => "floor",
            Kind::Batch => "batch",
            Kind::Fanout => "fanout",
            Kind::Dump => "dump",
            Kind::Set => "set",
            Kind::Get => "get",
        }
    }

    /// Parses [`Kind::name`].
    pub fn parse(s: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.name() == s)
    }

    /// What one operation of the row is, for "per ..." and "/s".
    pub fn unit(self) -> &'static str {
        match self {
            Kind::Echo | Kind::Floor | Kind::Batch => "msg",
            Kind::Fanout => "delivery",
            Kind::Dump => "entry",
            Kind::Set | Kind::Get => "op",
        }
    }

    /// The rate's unit in the tables.
    pub fn rate_unit(self) -> &'static str {
        match self {
            Kind::Echo | Kind::Floor | Kind::Batch => "msg/s",
            Kind::Fanout => "deliveries/s",
            Kind::Dump => "entries/s",
            Kind::Set | Kind::Get => "ops/s",
        }
    }

    /// What the size of a row of this kind counts.
    pub fn size_is(self) -> &'static str {
        match self {
            Kind::Echo | Kind::Floor | Kind::Batch => "payload",
            Kind::Fanout => "subscribers",
            Kind::Dump | Kind::Set | Kind::Get => "entries",
        }
    }

    /// Whether the row needs the module loaded (the floor does not use it).
    pub fn uses_module(self) -> bool {
        self != Kind::Floor
    }

    /// Whether the row needs the store filled to its size.
    pub fn uses_store(self) -> bool {
        matches!(self, Kind::Dump | Kind::Set | Kind::Get)
    }
}

/// One row: a kind and its size (payload bytes, subscribers or entries).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Row {
    /// The workload.
    pub kind: Kind,
    /// Payload bytes (echo, floor, batch), subscribers (fanout) or entries (dump, set, get).
    pub size: u64,
}

/// `65536` -> "64 KiB", `64` -> "64 B".
pub fn fmt_bytes(n: u64) -> String {
    if n >= 1024 && n.is_multiple_of(1024) {
        format!("{} KiB", n / 1024)
    } else {
        format!("{n} B")
    }
}

/// `1000000` -> "1M", `100000` -> "100k", `7` -> "7".
pub fn fmt_count(n: u64) -> String {
    if n >= 1_000_000 && n.is_multiple_of(1_000_000) {
        format!("{}M", n / 1_000_000)
    } else if n >= 1000 && n.is_multiple_of(1000) {
        format!("{}k", n / 1000)
    } else {
        n.to_string()
    }
}

fn parse_count(s: &str) -> Option<u64> {
    let s = s.trim_end_matches(['B', ' ']);
    let (num, mul) = if let Some(n) = s.strip_suffix("KiB").or_else(|| s.strip_suffix("Ki")) {
        (n, 1024)
    } else if let Some(n) = s.strip_suffix('M') {
        (n, 1_000_000)
    } else if let Some(n) = s.strip_suffix('k') {
        (n, 1000)
    } else {
        (s, 1)
    };
    num.trim().parse::<u64>().ok().map(|n| n * mul)
}

impl Row {
    /// A row.
    pub fn new(kind: Kind, size: u64) -> Row {
        Row { kind, size }
    }

    /// The row's size as the tables print it ("64 B", "16 KiB", "8", "1M").
    pub fn size_label(&self) -> String {
        match self.kind {
            Kind::Echo | Kind::Floor | Kind::Batch => fmt_bytes(self.size),
            _ => fmt_count(self.size),
        }
    }

    /// A stable identifier: "echo/64B", "batch/64B", "fanout/8", "dump/1M".
    pub fn id(&self) -> String {
        format!(
            "{}/{}",
            self.kind.name(),
            self.size_label().replace(' ', "")
        )
    }

    /// Parses [`Row::id`].
    pub fn parse_id(s: &str) -> Option<Row> {
        let (k, size) = s.split_once('/')?;
        Some(Row::new(Kind::parse(k)?, parse_count(size)?))
    }

    /// A human title: "echo 64 B", "batched echo 64 x 64 B", "fan-out 8 subscribers",
    /// "dump 1M entries", "SET at 1k entries".
    pub fn title(&self) -> String {
        let s = self.size_label();
        match self.kind {
            Kind::Echo => format!("echo {s}"),
            Kind::Floor => format!("floor {s}"),
            Kind::Batch => format!("batched echo {BATCH} x {s}"),
            Kind::Fanout => format!(
                "fan-out {s} subscriber{}",
                if self.size == 1 { "" } else { "s" }
            ),
            Kind::Dump => format!("dump {s} entries"),
            Kind::Set => format!("SET at {s} entries"),
            Kind::Get => format!("GET at {s} entries"),
        }
    }

    /// Whether `filter` (kinds like "echo" or ids like "dump/1M"; empty = all) selects it.
    pub fn selected(&self, filter: &[String]) -> bool {
        filter.is_empty()
            || filter.iter().any(|f| {
                f == self.kind.name()
                    || (f == "kv" && matches!(self.kind, Kind::Set | Kind::Get))
                    || Row::parse_id(f).is_some_and(|r| r == *self)
            })
    }
}

impl fmt::Display for Row {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.id())
    }
}

/// The sizes measured and how long a sample runs.
#[derive(Clone, Debug, PartialEq)]
pub struct Plan {
    /// Echo and floor payloads.
    pub payloads: Vec<u64>,
    /// Fan-out subscriber counts.
    pub subscribers: Vec<u64>,
    /// Store sizes of the dump rows.
    pub dump_entries: Vec<u64>,
    /// Store sizes of the SET and GET rows.
    pub kv_entries: Vec<u64>,
    /// Wall time of one sample (at least one operation).
    pub sample: Duration,
    /// Rows to run (see [`Row::selected`]); empty = all.
    pub filter: Vec<String>,
}

impl Plan {
    /// The issue's sizes: payloads 0 B to 64 KiB, 1/8/64 subscribers, dumps of 1k, 100k
    /// and 1M entries, SET/GET at 1k and 1M entries.
    pub fn full() -> Plan {
        Plan {
            payloads: vec![0, 64, 1024, 16 * 1024, 64 * 1024],
            subscribers: vec![1, 8, 64],
            dump_entries: vec![1000, 100_000, 1_000_000],
            kv_entries: vec![1000, 1_000_000],
            sample: Duration::from_millis(200),
            filter: Vec::new(),
        }
    }

    /// Smaller stores and shorter samples, for trying the machinery out.
    pub fn quick() -> Plan {
        Plan {
            dump_entries: vec![1000, 10_000, 50_000],
            kv_entries: vec![1000, 50_000],
            sample: Duration::from_millis(50),
            ..Plan::full()
        }
    }

    /// Every row of the plan, in the order one module load runs them: echo and floor
    /// by payload, batched echo, fan-out, then the store rows by growing store size (the
    /// store is filled once, incrementally).
    pub fn rows(&self) -> Vec<Row> {
        let mut rows = Vec::new();
        for &p in &self.payloads {
            rows.push(Row::new(Kind::Echo, p));
            rows.push(Row::new(Kind::Floor, p));
        }
        rows.push(Row::new(Kind::Batch, SMALL_PAYLOAD as u64));
        for &s in &self.subscribers {
            rows.push(Row::new(Kind::Fanout, s));
        }
        let mut sizes: Vec<u64> = self
            .dump_entries
            .iter()
            .chain(&self.kv_entries)
            .copied()
            .collect();
        sizes.sort_unstable();
        sizes.dedup();
        for n in sizes {
            if self.dump_entries.contains(&n) {
                rows.push(Row::new(Kind::Dump, n));
            }
            if self.kv_entries.contains(&n) {
                rows.push(Row::new(Kind::Set, n));
                rows.push(Row::new(Kind::Get, n));
            }
        }
        rows.retain(|r| r.selected(&self.filter));
        rows
    }

    /// The largest store a plan's rows need.
    pub fn max_entries(&self) -> u64 {
        self.rows()
            .iter()
            .filter(|r| r.kind.uses_store())
            .map(|r| r.size)
            .max()
            .unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip() {
        for r in Plan::full().rows() {
            assert_eq!(Row::parse_id(&r.id()), Some(r), "{r}");
        }
        assert_eq!(Row::new(Kind::Echo, 65536).id(), "echo/64KiB");
        assert_eq!(Row::new(Kind::Echo, 0).id(), "echo/0B");
        assert_eq!(Row::new(Kind::Dump, 1_000_000).id(), "dump/1M");
        assert_eq!(Row::new(Kind::Get, 1000).id(), "get/1k");
        assert_eq!(Row::new(Kind::Fanout, 64).title(), "fan-out 64 subscribers");
        assert_eq!(Row::new(Kind::Batch, 64).title(), "batched echo 64 x 64 B");
    }

    #[test]
    fn full_plan_has_the_issues_rows_in_store_order() {
        let ids: Vec<String> = Plan::full().rows().iter().map(Row::id).collect();
        assert_eq!(
            ids,
            [
                "echo/0B",
                "floor/0B",
                "echo/64B",
                "floor/64B",
                "echo/1KiB",
                "floor/1KiB",
                "echo/16KiB",
                "floor/16KiB",
                "echo/64KiB",
                "floor/64KiB",
                "batch/64B",
                "fanout/1",
                "fanout/8",
                "fanout/64",
                "dump/1k",
                "set/1k",
                "get/1k",
                "dump/100k",
                "dump/1M",
                "set/1M",
                "get/1M"
            ]
        );
        assert_eq!(Plan::full().max_entries(), 1_000_000);
    }

    #[test]
    fn filters() {
        let plan = Plan {
            filter: vec!["kv".into(), "echo/64B".into()],
            ..Plan::full()
        };
        let ids: Vec<String> = plan.rows().iter().map(Row::id).collect();
        assert_eq!(ids, ["echo/64B", "set/1k", "get/1k", "set/1M", "get/1M"]);
        let plan = Plan {
            filter: vec!["echo".into()],
            ..Plan::full()
        };
        assert_eq!(plan.rows().len(), 5);
        assert_eq!(plan.max_entries(), 0);
    }
}
