//! What is measured: the kinds of rows as a table of specs, the rows, and the plan.

use std::time::Duration;

/// Messages per datagram of the batched echo.
pub const BATCH: usize = 64;
/// Payload of the batched echo's messages and of published events.
pub const SMALL_PAYLOAD: usize = 64;
/// Label of the floor's samples (the floor does not depend on the loaded module).
pub const FLOOR: &str = "floor";

/// The workload of a row (see [`SPECS`], and `workload` for the details).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Kind {
    Echo,   // ECHO round trips: one message per send, its answer per receive
    Floor,  // the same to the socket's own port id: the same calls and copies, no module
    Batch,  // ECHO, BATCH messages per send
    Fanout, // PUBLISH to a group of N subscribed sockets; the rate of deliveries
    Dump,   // dumps of a store of N entries; the rate of entries
    Set,    // SET (replace) of random existing keys, each with its ACK, N entries stored
    Get,    // GET of random existing keys, N entries stored
}

/// A kind's name (in row ids and `--rows`), row title (`{}` the size, `{s}` a plural "s"),
/// rate unit, scaling series, sizes (full and quick plans) and stage in a module load: the
/// store rows (3) last and by growing size, so that the store is filled once, incrementally.
pub struct Spec {
    pub kind: Kind,
    pub name: &'static str,
    title: &'static str,
    pub rate_unit: &'static str,
    pub series: Option<&'static str>,
    full: &'static [u64],
    quick: &'static [u64],
    stage: u8,
}

const PAYLOADS: &[u64] = &[0, 64, 1024, 16 * 1024, 64 * 1024];
const DUMP: [&[u64]; 2] = [&[1000, 100_000, 1_000_000], &[1000, 10_000, 50_000]];
const KV: [&[u64]; 2] = [&[1000, 1_000_000], &[1000, 50_000]];

/// One spec per [`Kind`], in its order: the rows of the plan, as data.
#[rustfmt::skip]
pub const SPECS: [Spec; 7] = [
    Spec { kind: Kind::Echo, name: "echo", title: "echo {}", rate_unit: "msg/s",
           series: Some("echo, per round trip"), full: PAYLOADS, quick: PAYLOADS, stage: 0 },
    Spec { kind: Kind::Floor, name: "floor", title: "floor {}", rate_unit: "msg/s",
           series: None, full: PAYLOADS, quick: PAYLOADS, stage: 0 },
    Spec { kind: Kind::Batch, name: "batch", title: "batched echo 64 x {}", rate_unit: "msg/s",
           series: None, full: &[SMALL_PAYLOAD as u64], quick: &[SMALL_PAYLOAD as u64], stage: 1 },
    Spec { kind: Kind::Fanout, name: "fanout", title: "fan-out {} subscriber{s}", stage: 2,
           rate_unit: "deliveries/s", series: Some("fan-out, per delivery"), full: &[1, 8, 64],
           quick: &[1, 8, 64] },
    Spec { kind: Kind::Dump, name: "dump", title: "dump {} entries", rate_unit: "entries/s",
           series: Some("dump, per entry"), full: DUMP[0], quick: DUMP[1], stage: 3 },
    Spec { kind: Kind::Set, name: "set", title: "SET at {} entries", rate_unit: "ops/s",
           series: Some("SET, per op"), full: KV[0], quick: KV[1], stage: 3 },
    Spec { kind: Kind::Get, name: "get", title: "GET at {} entries", rate_unit: "ops/s",
           series: Some("GET, per op"), full: KV[0], quick: KV[1], stage: 3 },
];

impl Kind {
    pub fn spec(self) -> &'static Spec {
        &SPECS[self as usize]
    }

    /// Whether the row needs the store filled to its size.
    pub fn uses_store(self) -> bool {
        self.spec().stage == 3
    }
}

/// One row: a kind and its size (payload bytes, subscribers or entries).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Row {
    pub kind: Kind,
    pub size: u64,
}

impl Row {
    pub fn new(kind: Kind, size: u64) -> Row {
        Row { kind, size }
    }

    /// The size as printed: bytes ("64 B", "16 KiB") for payloads, else counts ("8", "100k", "1M").
    pub fn size_label(&self) -> String {
        let units: &[(u64, &str)] = match self.kind {
            Kind::Echo | Kind::Floor | Kind::Batch => &[(1024, " KiB"), (1, " B")],
            _ => &[(1_000_000, "M"), (1000, "k"), (1, "")],
        };
        let fits = |&&(d, _): &&(u64, &str)| self.size.max(1) >= d && self.size.is_multiple_of(d);
        let (div, unit) = units.iter().find(fits).unwrap_or(&(1, ""));
        format!("{}{unit}", self.size / div)
    }

    /// A stable identifier: "echo/64B", "batch/64B", "fanout/8", "dump/1M".
    pub fn id(&self) -> String {
        let size = self.size_label().replace(' ', "");
        format!("{}/{size}", self.kind.spec().name)
    }

    /// Parses [`Row::id`]: a row of the full or the quick plan.
    pub fn parse_id(id: &str) -> Option<Row> {
        all_rows().find(|r| r.id() == id)
    }

    /// A human title: "echo 64 B", "batched echo 64 x 64 B", "fan-out 8 subscribers".
    pub fn title(&self) -> String {
        let title = self.kind.spec().title.replace("{}", &self.size_label());
        title.replace("{s}", if self.size == 1 { "" } else { "s" })
    }

    /// Whether filter entry `f` selects it: its kind ("echo"; "kv": SET and GET) or id ("dump/1M").
    fn matches(&self, f: &str) -> bool {
        let kv = matches!(self.kind, Kind::Set | Kind::Get);
        self.kind.spec().name == f || (kv && f == "kv") || self.id() == f
    }
}

/// Every row of the full and the quick plan.
fn all_rows() -> impl Iterator<Item = Row> {
    let rows = |s: &'static Spec| s.full.iter().chain(s.quick).map(|&n| Row::new(s.kind, n));
    SPECS.iter().flat_map(rows)
}

/// The plan: which rows run (the full or the quick sizes, and a filter), how long a
/// sample runs. The options of `nlfam-bench run` and `nlfam bench`.
#[derive(Clone, Debug, clap::Args)]
pub struct PlanArgs {
    /// Smaller stores (dumps of 1k/10k/50k, SET/GET at 1k/50k) and 50 ms samples.
    #[arg(long)]
    pub quick: bool,
    /// Wall time of one sample in milliseconds (default: 200, 50 with --quick).
    #[arg(long, value_name = "MS")]
    pub sample_ms: Option<u64>,
    /// Rows to run, comma-separated: kinds (echo, floor, batch, fanout, dump, set, get,
    /// kv) or row ids (echo/64B, dump/1M, fanout/8, ...). Default: all.
    #[arg(long, value_delimiter = ',', value_name = "LIST")]
    pub rows: Vec<String>,
}

impl PlanArgs {
    /// The plan, checked: an unknown row name, or a filter that selects nothing, is an error.
    pub fn plan(&self) -> Result<&PlanArgs, String> {
        if let Some(f) = self.rows.iter().find(|f| !all_rows().any(|r| r.matches(f))) {
            let kinds = SPECS.map(|s| s.name).join(", ");
            let msg = format!("unknown row {f:?}: use {kinds}, kv or an id like dump/1M");
            return Err(msg);
        }
        if self.rows().is_empty() {
            let rows = self.rows.join(",");
            return Err(format!("--rows {rows} selects no row of the plan"));
        }
        Ok(self)
    }

    pub fn sample(&self) -> Duration {
        let default = if self.quick { 50 } else { 200 };
        Duration::from_millis(self.sample_ms.unwrap_or(default).max(1))
    }

    /// The rows of the plan that the filter selects, in the order of a module load.
    pub fn rows(&self) -> Vec<Row> {
        let sizes = |s: &'static Spec| if self.quick { s.quick } else { s.full };
        let of_spec = |s: &'static Spec| sizes(s).iter().map(|&n| Row::new(s.kind, n));
        let rows = SPECS.iter().flat_map(of_spec);
        let selected = |r: &Row| self.rows.is_empty() || self.rows.iter().any(|f| r.matches(f));
        let mut rows: Vec<Row> = rows.filter(selected).collect();
        rows.sort_by_key(|r| (r.kind.spec().stage, r.size, r.kind));
        rows
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan(quick: bool, rows: &[&str]) -> Result<String, String> {
        let rows = rows.iter().map(|r| r.to_string()).collect();
        let args = PlanArgs {
            quick,
            sample_ms: None,
            rows,
        };
        let rows = args.plan()?.rows();
        Ok(rows.iter().map(Row::id).collect::<Vec<_>>().join(" "))
    }

    /// The store rows by growing store size, so that it is filled once (titles and ids
    /// are in the committed report: see `report`).
    #[test]
    fn plans_in_the_order_of_a_module_load() {
        let full = "echo/0B floor/0B echo/64B floor/64B echo/1KiB floor/1KiB echo/16KiB \
                    floor/16KiB echo/64KiB floor/64KiB batch/64B fanout/1 fanout/8 fanout/64 \
                    dump/1k set/1k get/1k dump/100k dump/1M set/1M get/1M";
        assert_eq!(plan(false, &[]).unwrap(), full);
        let quick = plan(true, &[]).unwrap();
        assert!(quick.ends_with("dump/1k set/1k get/1k dump/10k dump/50k set/50k get/50k"));
        let kv = plan(false, &["kv", "echo/64B"]).unwrap();
        assert_eq!(kv, "echo/64B set/1k get/1k set/1M get/1M");
        assert!(plan(false, &["nonsense"]).is_err() && plan(true, &["dump/1M"]).is_err());
        assert!(SPECS.iter().enumerate().all(|(i, s)| s.kind as usize == i));
    }
}
