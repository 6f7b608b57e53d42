//! Raw results to reports: [`with_meta`] adds the run's metadata, [`Data::parse`] computes all
//! statistics in one place ([`Stat::of`]), [`Data::markdown`] and [`Data::summary`] use them.

use crate::rows::{Kind, Row, BATCH, FLOOR, SMALL_PAYLOAD, SPECS};
use crate::stats::{self, fmt_rate, Hist, Ratio, Sample, Summary};
use serde::Deserialize;
use serde_json::{json, Value};
use std::collections::BTreeMap;

/// What the raw result and the summary say of a row besides its numbers.
pub fn describe(r: Row) -> Value {
    let spec = r.kind.spec();
    json!({"id": r.id(), "kind": spec.name, "size": r.size, "title": r.title(),
        "unit": spec.rate_unit})
}

/// The raw result with the run's metadata (`meta`: commit, date, host, config) added.
pub fn with_meta(raw: Value, meta: Value) -> Result<Value, String> {
    let mut out = meta.as_object().cloned().unwrap_or_default();
    let raw = raw.as_object().filter(|_| raw["schema"] == 1);
    out.extend(raw.ok_or("not an nlfam-bench result (schema 1)")?.clone());
    Ok(Value::Object(out))
}

/// The accelerator a hypervisor signature means.
pub fn accelerator_of(signature: &str) -> &'static str {
    match signature {
        "" => "none (bare metal)",
        s if s.starts_with("TCG") => "TCG",
        s if s.starts_with("KVMKVMKVM") => "KVM",
        _ => "unknown",
    }
}

/// The statistics of a row for a label: rate (per second), cost (ns per operation), the
/// pooled median and 99th percentile round trip in ns, the events not delivered.
#[derive(Clone, Debug)]
pub struct Stat {
    pub rate: Summary,
    pub cost: Summary,
    pub p50: Option<f64>,
    pub p99: Option<f64>,
    pub drops: Option<u64>,
}

impl Stat {
    /// The statistics of `samples` and their latency histogram; `None` without samples.
    pub fn of(samples: &[Sample], hist: Option<Hist>) -> Option<Stat> {
        let rate = Summary::of(&samples.iter().map(Sample::rate).collect::<Vec<_>>())?;
        let pct = |p| hist.as_ref()?.percentile(p);
        let drops = samples.iter().filter_map(|s| s.drops).reduce(|a, b| a + b);
        Some(Stat {
            rate,
            cost: rate.reciprocal(1e9),
            p50: pct(50.0),
            p99: pct(99.0),
            drops,
        })
    }
}

/// The raw result, parsed: everything but the rows (`meta`), the module labels in table
/// order (without the floor), the rows, and the statistics of every row and label.
#[derive(Clone, Debug)]
pub struct Data {
    pub meta: Value,
    pub modules: Vec<String>,
    pub rows: Vec<Row>,
    pub stats: BTreeMap<(Row, String), Stat>,
}

/// A ratio with its interval: "1.03 [0.99, 1.07]".
pub fn fmt_ratio(r: Ratio) -> String {
    match r.lo.is_nan() {
        true => format!("{:.2} (pooled medians, no interval)", r.ratio),
        false => format!("{:.2} [{:.2}, {:.2}]", r.ratio, r.lo, r.hi),
    }
}

/// A table cell: `f` of the value, "–" without one.
fn cell<T>(v: Option<T>, f: impl FnOnce(T) -> String) -> String {
    v.map_or_else(|| "–".into(), f)
}

/// Whether "ratio ≤ limit" (≥ if `at_least`) is met: by the estimate, only within the CI, or not.
fn verdict(r: &Ratio, limit: f64, at_least: bool) -> &'static str {
    let (point, reach) = match at_least {
        true => (r.ratio >= limit, r.hi >= limit),
        false => (r.ratio <= limit, r.lo <= limit),
    };
    ["no", "within CI", "yes"][if point { 2 } else { usize::from(reach) }]
}

/// A markdown section: title and table, the first `left` columns left-aligned, the rest right.
fn section(title: &str, left: usize, head: &[String], rows: &[Vec<String>]) -> String {
    let line = |cells: &[String]| format!("| {} |\n", cells.join(" | "));
    let align = |i| if i < left { "---|" } else { "---:|" };
    let rule: String = (0..head.len()).map(align).collect();
    let body: String = rows.iter().map(|r| line(r)).collect();
    format!("## {title}\n\n{}|{rule}\n{body}", line(head))
}

/// The report's header: a line per part of the metadata (see [`fill`]).
const HEADER: &str = "# nlfam benchmark: {/names} vs the send-to-self floor

- kernel {/kernel} (plain), accelerator **{/accelerator}** (guest CPUID says {/cpuid}), \
    {/guest/cpus} guest CPUs ({/guest/cpu_model}), clock source {/guest/clocksource}
- {/commit}{/date}
- host: {/host/cpus} CPUs ({/host/cpu_model}), load average {/host/load_before} before and \
    {/host/load_after} after the run, VM wall time {/wall_s} s
- {/config/samples} samples per row and series, {/config/sample_ms} ms per sample{/quick}; \
    the series of a row (the modules, and the floor on echo rows) take turns sample by \
    sample, the one that goes first rotating
- modules: {/modules} (loaded with `{/params}`)
- mean ± half-width of the 95% Student t interval; ratios: delta method on the log ratio \
    (Welch–Satterthwaite df), interval in brackets";

/// `template` with each `{/json/pointer}` replaced by that value of `v` (a string as it
/// is, anything else as JSON); `None` when one is missing.
fn fill(template: &str, v: &Value) -> Option<String> {
    let mut parts = template.split('{');
    let mut out = parts.next()?.to_string();
    for (path, rest) in parts.map(|p| p.split_once('}').unwrap_or((p, ""))) {
        out += &match v.pointer(path).filter(|v| !v.is_null())? {
            Value::String(s) => s.clone(),
            v => v.to_string(),
        };
        out += rest;
    }
    Some(out)
}

impl Data {
    /// Reads a raw result of [`crate::runner::run`].
    pub fn parse(v: &Value) -> Result<Data, String> {
        let meta = v.as_object().filter(|_| v["schema"] == 1);
        let mut meta = meta.ok_or("not an nlfam-bench result (schema 1)")?.clone();
        meta.remove("rows");
        let (mut rows, mut stats) = (Vec::new(), BTreeMap::new());
        for r in v["rows"].as_array().into_iter().flatten() {
            let id = &r["id"];
            let row = Row::parse_id(id.as_str().unwrap_or(""));
            let row = row.ok_or_else(|| format!("unknown row {id}"))?;
            rows.push(row);
            for (label, list) in r["samples"].as_object().into_iter().flatten() {
                let samples: Vec<Sample> =
                    Vec::deserialize(list).map_err(|e| format!("{id}: {e}"))?;
                let hist = r["latency_hist"].get(label).map(Hist::from_json);
                stats.extend(Stat::of(&samples, hist).map(|s| ((row, label.clone()), s)));
            }
        }
        rows.sort();
        let labels = v["labels"].as_array().into_iter().flatten();
        let labels = labels.filter_map(Value::as_str).filter(|l| *l != FLOOR);
        let modules = labels.map(String::from).collect();
        Ok(Data {
            meta: meta.into(),
            modules,
            rows,
            stats,
        })
    }

    /// The statistics of `label` on `row`; the floor's on an echo row are the floor row's.
    fn stat(&self, row: Row, label: &str) -> Option<&Stat> {
        let floor = row.kind == Kind::Echo && label == FLOOR;
        let kind = if floor { Kind::Floor } else { row.kind };
        let key = (Row::new(kind, row.size), label.to_string());
        self.stats.get(&key)
    }

    /// The ratio of two mean rates (row and label each); the cost ratio is its inverse.
    fn ratio(&self, a: (Row, &str), b: (Row, &str)) -> Option<Ratio> {
        stats::ratio(&self.stat(a.0, a.1)?.rate, &self.stat(b.0, b.1)?.rate)
    }

    /// Echo over floor by the pooled median round trip (a point value: no interval).
    fn p50_ratio(&self, size: u64, label: &str) -> Option<Ratio> {
        let p50 = |label| self.stat(Row::new(Kind::Echo, size), label)?.p50;
        let (ratio, lo, hi, df) = (p50(label)? / p50(FLOOR)?, f64::NAN, f64::NAN, f64::NAN);
        Some(Ratio { ratio, lo, hi, df })
    }

    /// The pair compared in the ratio columns ("rust" / "c"), if two modules ran.
    fn pair(&self) -> Option<(&str, &str)> {
        Some((self.modules.first()?, self.modules.get(1)?))
    }

    /// The columns of the latency and scaling tables: the modules, then the floor.
    fn columns(&self) -> Vec<&str> {
        let modules = self.modules.iter().map(String::as_str);
        modules.chain([FLOOR]).collect()
    }

    fn sizes(&self, kind: Kind) -> Vec<u64> {
        let rows = self.rows.iter().filter(|r| r.kind == kind);
        rows.map(|r| r.size).collect()
    }

    /// The report in markdown: header, throughput with ratios, latency, scaling, targets.
    pub fn markdown(&self) -> String {
        self.header() + &self.throughput() + &self.latency() + &self.scaling() + &self.targets()
    }

    /// The header: the lines of [`HEADER`] whose metadata the raw result has.
    fn header(&self) -> String {
        let (mut m, c) = (self.meta.clone(), &self.meta["config"]);
        let path = |(k, v): (_, &Value)| format!("{k} = `{}`", v["path"].as_str().unwrap_or("?"));
        let modules = m["modules"].as_object().map(|ms| ms.iter().map(path));
        m["modules"] = json!(modules.map(|list| list.collect::<Vec<_>>().join(", ")));
        let quick = c["quick"] == true;
        m["quick"] = if quick { ", QUICK sizes" } else { "" }.into();
        m["params"] = c["params"].as_str().unwrap_or("").into();
        m["cpuid"] = accelerator_of(m["guest"]["hypervisor"].as_str().unwrap_or("")).into();
        m["names"] = self.modules.join(" vs ").into();
        let commit = m["commit"].as_str().filter(|c| *c != "-");
        m["commit"] = json!(commit.map_or(String::new(), |c| format!("commit {c}, ")));
        let lines: Vec<_> = HEADER.lines().filter_map(|l| fill(l, &m)).collect();
        lines.join("\n") + "\n\n"
    }

    fn throughput(&self) -> String {
        let pair = self.pair();
        let mut head = vec!["row".to_string(), "unit".into()];
        head.extend(self.modules.iter().cloned());
        head.extend(pair.map(|(a, b)| format!("{a}/{b}")));
        head.push("floor (same size)".into());
        let rate = |s: &Stat| fmt_rate(s.rate.mean, s.rate.half);
        let mut rows = Vec::new();
        for &r in self.rows.iter().filter(|r| r.kind != Kind::Floor) {
            let mut cells = vec![r.title(), r.kind.spec().rate_unit.into()];
            for s in self.modules.iter().map(|l| self.stat(r, l)) {
                let drops = s.and_then(|s| s.drops).map(|d| format!(" ({d} drops)"));
                cells.push(cell(s, rate) + &drops.unwrap_or_default());
            }
            cells.extend(pair.map(|(a, b)| cell(self.ratio((r, a), (r, b)), fmt_ratio)));
            cells.push(cell(self.stat(r, FLOOR), rate));
            rows.push(cells);
        }
        let faster = pair.map(|(a, _)| format!("\nA ratio above 1 means {a} is faster.\n"));
        let fanout = "\nFan-out rates count deliveries (events received by subscribers).\n\n";
        section("Throughput", 2, &head, &rows) + &faster.unwrap_or_default() + fanout
    }

    fn latency(&self) -> String {
        let (sizes, columns) = (self.sizes(Kind::Echo), self.columns());
        if sizes.is_empty() {
            return String::new();
        }
        let mut head = vec!["payload".to_string()];
        let percentiles = |l: &&str| [format!("{l} p50"), format!("{l} p99")];
        head.extend(columns.iter().flat_map(percentiles));
        head.extend(self.modules.iter().map(|l| format!("{l}/floor p50")));
        let us = |ns: Option<f64>| cell(ns, |ns| fmt_rate(ns / 1000.0, f64::NAN));
        let mut rows = Vec::new();
        for &size in &sizes {
            let echo = Row::new(Kind::Echo, size);
            let mut cells = vec![echo.size_label()];
            for s in columns.iter().map(|l| self.stat(echo, l)) {
                cells.extend([us(s.and_then(|s| s.p50)), us(s.and_then(|s| s.p99))]);
            }
            let ratio = |l| cell(self.p50_ratio(size, l), |x| format!("{:.2}", x.ratio));
            cells.extend(self.modules.iter().map(|l| ratio(l)));
            rows.push(cells);
        }
        let title = "Round-trip latency, µs (one message per syscall; percentiles of every \
                     round trip of the row, pooled over its samples)";
        section(title, 1, &head, &rows) + "\n"
    }

    fn scaling(&self) -> String {
        let columns = self.columns();
        let mut head = vec!["series".to_string(), "size".into()];
        head.extend(columns.iter().flat_map(|l| [l.to_string(), "×".into()]));
        head.extend(self.modules.iter().map(|l| format!("{l}/floor")));
        let cost = |s: &Stat| fmt_rate(s.cost.mean / 1000.0, s.cost.half / 1000.0);
        let times = |g: Ratio| format!("{:.2}", g.ratio);
        let mut rows = Vec::new();
        for (kind, series) in SPECS.iter().filter_map(|s| Some((s.kind, s.series?))) {
            let sizes = self.sizes(kind);
            for &size in &sizes {
                let (row, base) = (Row::new(kind, size), Row::new(kind, sizes[0]));
                let mut cells = vec![series.to_string(), row.size_label()];
                for l in &columns {
                    let growth = self.ratio((base, l), (row, l));
                    cells.extend([cell(self.stat(row, l), cost), cell(growth, times)]);
                }
                let to_floor = |l| cell(self.ratio((row, FLOOR), (row, l)), fmt_ratio);
                cells.extend(self.modules.iter().map(|l| to_floor(l)));
                rows.push(cells);
            }
        }
        let title = "Scaling: cost per operation against size, µs (×: relative to the smallest \
                     size of the series)";
        section(title, 2, &head, &rows) + "\n"
    }

    /// The targets (informational) with the measured ratios and verdicts.
    fn targets(&self) -> String {
        let mut rows = Vec::new();
        if let Some((a, b)) = self.pair() {
            let modules = self.rows.iter().filter(|r| r.kind != Kind::Floor);
            let ratio = |&r: &Row| Some((r, self.ratio((r, a), (r, b))?));
            let ratios: Vec<_> = modules.filter_map(ratio).collect();
            let faster = ratios.iter().filter(|(_, x)| x.lo > 1.0).count();
            let slower = ratios.iter().filter(|(_, x)| x.hi < 1.0);
            let slower = Vec::from_iter(slower.map(|(r, x)| format!("{} {:.2}", r.id(), x.ratio)));
            let (n, total, slower) = (slower.len(), ratios.len(), slower.join(", "));
            let all = format!("on all {total} rows the interval reaches 1.00");
            let verdict = match n {
                0 => format!("yes: {all} ({faster} significantly faster)"),
                _ => format!("no: significantly slower on {n} of {total} rows: {slower}"),
            };
            let name = format!("{a} ≥ 1.00× {b} on every row, within the 95% interval");
            let mut cells = vec![name, verdict];
            cells.resize(1 + self.modules.len(), "(reference)".into());
            rows.push(cells);
        }
        // A target "ratio ≤ limit" (≥ when `at_least`), with the ratio of each module.
        let mut target = |name: String, limit, at_least, ratio: &dyn Fn(&str) -> Option<Ratio>| {
            let judged = |r: Ratio| format!("{} — {}", fmt_ratio(r), verdict(&r, limit, at_least));
            let cells = self.modules.iter().map(|l| cell(ratio(l), judged));
            rows.push([name].into_iter().chain(cells).collect());
        };
        let p = SMALL_PAYLOAD as u64;
        let (echo, batch) = (Row::new(Kind::Echo, p), Row::new(Kind::Batch, p));
        let name = format!("echo ≤ 1.2× floor per round trip ({p} B, mean cost)");
        target(name, 1.2, false, &|l| self.ratio((echo, FLOOR), (echo, l)));
        // The same by the median round trip: robust to stalls of a busy host.
        let name = format!("echo ≤ 1.2× floor per round trip ({p} B, median round trip)");
        target(name, 1.2, false, &|l| self.p50_ratio(p, l));
        let name = format!("batched ({BATCH} per sendmsg) ≥ 5× unbatched echo rate ({p} B)");
        target(name, 5.0, true, &|l| self.ratio((batch, l), (echo, l)));
        if let [lo, .., hi] = self.sizes(Kind::Dump)[..] {
            let (lo, hi) = (Row::new(Kind::Dump, lo), Row::new(Kind::Dump, hi));
            let (from, to) = (lo.size_label(), hi.size_label());
            let name = format!("dump entries/s flat from {from} to {to} (rate ratio ≥ 0.80)");
            target(name, 0.8, true, &|l| self.ratio((hi, l), (lo, l)));
        }
        let mut head = vec!["target".to_string()];
        head.extend(self.modules.iter().cloned());
        section("Targets (informational)", head.len(), &head, &rows)
            + "\n\"yes\": the estimate meets the target; \"within CI\": only the 95% interval \
               reaches it; targets never fail the run.\n"
    }

    /// Per row and label, for the chart: rate, cost (mean, half-width, n), drops; the pair's ratio.
    pub fn summary(&self) -> Value {
        let mean = |s: &Summary| json!({"mean": s.mean, "half": s.half});
        let stat = |s: &Stat| {
            let (rate, cost, drops) = (mean(&s.rate), mean(&s.cost), s.drops);
            json!({"n": s.rate.n, "rate": rate, "cost_ns": cost, "drops": drops})
        };
        let row = |&r: &Row| {
            let stats = self.stats.iter().filter(|(k, _)| k.0 == r);
            let mut v = describe(r);
            v["labels"] = Value::Object(stats.map(|((_, l), s)| (l.clone(), stat(s))).collect());
            v["ratio"] = json!(self.pair().and_then(|(a, b)| self.ratio((r, a), (r, b))));
            v
        };
        let rows: Vec<Value> = self.rows.iter().map(row).collect();
        json!({"meta": self.meta, "modules": self.modules, "rows": rows})
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The raw result and the report of the last `make bench`, as committed.
    #[test]
    fn the_committed_report_is_this_report_of_the_committed_result() {
        let raw = serde_json::from_str(include_str!("../../../bench/results/latest.json")).unwrap();
        let data = Data::parse(&raw).unwrap();
        let md = include_str!("../../../bench/results/latest.md");
        assert_eq!(data.markdown(), md);
        let echo = &data.summary()["rows"][0];
        assert_eq!(echo["id"], "echo/0B");
        assert_eq!(echo["labels"]["rust"]["n"], 40);
        assert!(with_meta(json!({"rows": []}), raw).is_err_and(|e| e.contains("(schema 1)")));
    }

    #[test]
    fn verdicts_by_estimate_and_interval() {
        let (ratio, lo, hi, df) = (1.034, 0.991, 1.079, 10.0);
        let r = Ratio { ratio, lo, hi, df };
        let verdicts = [(1.0, true), (1.05, true), (1.1, true), (1.0, false)];
        let verdicts = verdicts.map(|(limit, at_least)| verdict(&r, limit, at_least));
        assert_eq!(verdicts, ["yes", "within CI", "no", "within CI"]);
    }
}
