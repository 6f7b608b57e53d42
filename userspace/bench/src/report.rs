//! Raw results to reports: [`merge`] joins the per-slot parts into the raw JSON
//! (`bench/results/latest.json`), [`Data::parse`] reads it back, [`Data::markdown`]
//! renders the tables and [`Data::summary`] the statistics the chart plots.

use crate::hist::Hist;
use crate::rows::{Kind, Row, BATCH, SMALL_PAYLOAD};
use crate::runner::FLOOR;
use crate::stats::{self, fmt_rate, Ratio, Summary};
use crate::workload::Sample;
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;
use std::fmt::Write as _;

/// Joins slot parts into the raw result: `meta` (kernel, accelerator, commit, date,
/// config, ...) plus `labels` and every row's samples per label, each sample tagged with
/// its round (and, for the floor, the module that was loaded). Module labels keep the
/// order of `labels` (then first appearance); the floor comes last.
pub fn merge(parts: &[Value], meta: Value, labels: &[String]) -> Result<Value, String> {
    let mut order: Vec<String> = labels.to_vec();
    let mut rows: BTreeMap<Row, BTreeMap<String, Vec<Value>>> = BTreeMap::new();
    let mut hists: BTreeMap<(Row, String), Hist> = BTreeMap::new();
    let mut guest = Value::Null;
    for p in parts {
        if p["part"] != json!(true) {
            return Err("not a part of nlfam-bench run".into());
        }
        if guest.is_null() {
            guest = p["guest"].clone();
        }
        let round = p["round"].clone();
        let module = p["label"].as_str().unwrap_or("?").to_string();
        if !order.contains(&module) {
            order.push(module.clone());
        }
        for r in p["rows"].as_array().map(Vec::as_slice).unwrap_or(&[]) {
            let id = r["id"].as_str().unwrap_or("");
            let row = Row::parse_id(id).ok_or_else(|| format!("unknown row {id:?}"))?;
            let label = r["label"].as_str().unwrap_or(&module).to_string();
            if let Some(h) = r.get("hist") {
                hists
                    .entry((row, label.clone()))
                    .or_default()
                    .add(&Hist::from_json(h));
            }
            let list = rows.entry(row).or_default().entry(label).or_default();
            for s in r["samples"].as_array().map(Vec::as_slice).unwrap_or(&[]) {
                let mut s = s.clone();
                s["round"] = round.clone();
                if let Some(l) = r.get("loaded") {
                    s["loaded"] = l.clone();
                }
                list.push(s);
            }
        }
    }
    if rows.values().any(|m| m.contains_key(FLOOR)) {
        order.retain(|l| l != FLOOR);
        order.push(FLOOR.into());
    }
    let mut out = match meta {
        Value::Object(m) => m,
        _ => Map::new(),
    };
    out.insert("schema".into(), json!(1));
    if !out.contains_key("kernel") {
        out.insert("kernel".into(), guest["kernel"].clone());
    }
    out.insert("guest".into(), guest);
    out.insert("labels".into(), json!(order));
    out.insert(
        "method".into(),
        json!({
            "interval": "95% Student t interval of the mean of the samples (t(0.975, n-1) sd / sqrt(n))",
            "ratio": stats::RATIO_METHOD,
            "sample": "one sample = as many operations as fit the sample time (at least one); rate = operations / wall time",
        }),
    );
    let rows: Vec<Value> = rows
        .into_iter()
        .map(|(row, samples)| {
            let mut v = json!({
                "id": row.id(),
                "kind": row.kind.name(),
                "size": row.size,
                "title": row.title(),
                "unit": row.kind.rate_unit(),
                "samples": samples,
            });
            let h: Map<String, Value> = hists
                .iter()
                .filter(|((r, _), _)| *r == row)
                .map(|((_, l), h)| (l.clone(), h.to_json()))
                .collect();
            if !h.is_empty() {
                v["latency_hist"] = Value::Object(h);
            }
            v
        })
        .collect();
    out.insert("rows".into(), json!(rows));
    Ok(Value::Object(out))
}

/// A target: its description, and per module the measured ratio and the verdict.
pub type Target = (String, Vec<(String, Option<Ratio>, &'static str)>);

/// One row of the raw result.
#[derive(Clone, Debug)]
pub struct RowData {
    /// The row.
    pub row: Row,
    /// Samples per label.
    pub samples: BTreeMap<String, Vec<Sample>>,
    /// Round-trip latencies per label, pooled over every sample (echo and floor).
    pub hists: BTreeMap<String, Hist>,
}

impl RowData {
    fn rates(&self, label: &str) -> Option<Summary> {
        let xs: Vec<f64> = self.samples.get(label)?.iter().map(Sample::rate).collect();
        Summary::of(&xs)
    }
    /// Cost per operation in ns: the reciprocal of the mean rate, its half-width by the
    /// delta method (`cost · half_rate / mean_rate`), so costs, rates and their ratios
    /// agree. (A mean of per-sample costs would be dominated by one stalled sample.)
    fn costs(&self, label: &str) -> Option<Summary> {
        let r = self.rates(label)?;
        let mean = 1e9 / r.mean;
        Some(Summary {
            n: r.n,
            mean,
            sd: mean * r.sd / r.mean,
            half: mean * r.half / r.mean,
        })
    }
    /// Pooled percentile of every round trip (the histogram); without one (older raw
    /// files), the median of the per-sample percentiles.
    fn pct(&self, label: &str, p99: bool) -> Option<f64> {
        let p = if p99 { 99.0 } else { 50.0 };
        if let Some(h) = self.hists.get(label) {
            return h.percentile(p);
        }
        let mut xs: Vec<u32> = self
            .samples
            .get(label)?
            .iter()
            .filter_map(|s| if p99 { s.p99_ns } else { s.p50_ns })
            .collect();
        (!xs.is_empty()).then(|| f64::from(stats::percentile(&mut xs, 50.0)))
    }
    fn drops(&self, label: &str) -> Option<u64> {
        let s = self.samples.get(label)?;
        s.iter()
            .any(|s| s.drops.is_some())
            .then(|| s.iter().filter_map(|s| s.drops).sum())
    }
}

/// The raw result, parsed.
#[derive(Clone, Debug)]
pub struct Data {
    /// Everything but the rows.
    pub meta: Value,
    /// Module labels in table order (the floor excluded).
    pub modules: Vec<String>,
    /// Rows in table order.
    pub rows: Vec<RowData>,
}

fn sample_of(v: &Value) -> Sample {
    let u = |k: &str| v[k].as_u64();
    Sample {
        ops: u("ops").unwrap_or(0),
        ns: u("ns").unwrap_or(0),
        p50_ns: u("p50_ns").map(|x| x as u32),
        p99_ns: u("p99_ns").map(|x| x as u32),
        drops: u("drops"),
    }
}

/// A ratio with its interval: "1.03 [0.99, 1.07]".
pub fn fmt_ratio(r: &Ratio) -> String {
    if r.lo.is_nan() {
        return format!("{:.2} (pooled medians, no interval)", r.ratio);
    }
    format!("{:.2} [{:.2}, {:.2}]", r.ratio, r.lo, r.hi)
}

fn fmt_pct(ns: Option<f64>) -> String {
    match ns {
        Some(ns) => fmt_rate(ns / 1000.0, f64::NAN),
        None => "–".into(),
    }
}

fn fmt_us(s: Option<Summary>) -> String {
    s.map(|s| fmt_rate(s.mean / 1000.0, s.half / 1000.0))
        .unwrap_or_else(|| "–".into())
}

/// Whether a target "value ≤ limit" (or ≥ when `at_least`) is met: by the estimate,
/// only within the interval, or not.
fn verdict(r: &Ratio, limit: f64, at_least: bool) -> &'static str {
    let (point, reach) = if at_least {
        (r.ratio >= limit, r.hi >= limit)
    } else {
        (r.ratio <= limit, r.lo <= limit)
    };
    match (point, reach) {
        (true, _) => "yes",
        (false, true) => "within CI",
        _ => "no",
    }
}

impl Data {
    /// Reads a raw result written by [`merge`].
    pub fn parse(v: &Value) -> Result<Data, String> {
        if v["schema"] != json!(1) {
            return Err("not an nlfam-bench result (schema 1)".into());
        }
        let mut meta = v.clone();
        let rows_v = meta
            .as_object_mut()
            .and_then(|m| m.remove("rows"))
            .unwrap_or(Value::Null);
        let modules: Vec<String> = v["labels"]
            .as_array()
            .map(Vec::as_slice)
            .unwrap_or(&[])
            .iter()
            .filter_map(Value::as_str)
            .filter(|l| *l != FLOOR)
            .map(String::from)
            .collect();
        let mut rows = Vec::new();
        for r in rows_v.as_array().map(Vec::as_slice).unwrap_or(&[]) {
            let id = r["id"].as_str().unwrap_or("");
            let row = Row::parse_id(id).ok_or_else(|| format!("unknown row {id:?}"))?;
            let mut samples = BTreeMap::new();
            if let Some(m) = r["samples"].as_object() {
                for (label, list) in m {
                    let list: Vec<Sample> = list
                        .as_array()
                        .map(Vec::as_slice)
                        .unwrap_or(&[])
                        .iter()
                        .map(sample_of)
                        .collect();
                    samples.insert(label.clone(), list);
                }
            }
            let hists = r["latency_hist"]
                .as_object()
                .map(|m| {
                    m.iter()
                        .map(|(l, h)| (l.clone(), Hist::from_json(h)))
                        .collect()
                })
                .unwrap_or_default();
            rows.push(RowData {
                row,
                samples,
                hists,
            });
        }
        rows.sort_by_key(|r| r.row);
        Ok(Data {
            meta,
            modules,
            rows,
        })
    }

    fn find(&self, kind: Kind, size: u64) -> Option<&RowData> {
        self.rows.iter().find(|r| r.row == Row::new(kind, size))
    }

    /// Ratio of two rows' rates for one label each.
    fn rate_ratio(&self, a: (&RowData, &str), b: (&RowData, &str)) -> Option<Ratio> {
        stats::ratio(&a.0.rates(a.1)?, &b.0.rates(b.1)?)
    }

    /// Ratio of two rows' per-operation costs: the inverse ratio of their rates.
    fn cost_ratio(&self, a: (&RowData, &str), b: (&RowData, &str)) -> Option<Ratio> {
        self.rate_ratio(b, a)
    }

    /// Ratio of pooled median round trips (a point value: no interval).
    fn p50_ratio(&self, size: u64, label: &str) -> Option<Ratio> {
        let e = self.find(Kind::Echo, size)?.pct(label, false)?;
        let f = self.find(Kind::Floor, size)?.pct(FLOOR, false)?;
        Some(Ratio {
            ratio: e / f,
            lo: f64::NAN,
            hi: f64::NAN,
            se_log: f64::NAN,
            df: f64::NAN,
        })
    }

    /// The pair compared in the ratio column ("rust" / "c"), if two modules ran.
    fn pair(&self) -> Option<(&str, &str)> {
        match self.modules.as_slice() {
            [a, b, ..] => Some((a, b)),
            _ => None,
        }
    }

    fn sizes(&self, kind: Kind) -> Vec<u64> {
        self.rows
            .iter()
            .filter(|r| r.row.kind == kind)
            .map(|r| r.row.size)
            .collect()
    }

    /// The report in markdown: header, throughput with ratios, latency, scaling, targets.
    pub fn markdown(&self) -> String {
        let mut o = String::new();
        let m = &self.meta;
        let s = |k: &str| m[k].as_str().unwrap_or("?").to_string();
        let names = self.modules.join(" vs ");
        let _ = writeln!(o, "# nlfam benchmark: {names} vs the send-to-self floor\n");
        let sig = m["guest"]["hypervisor"].as_str().unwrap_or("");
        let _ = writeln!(
            o,
            "- kernel {} (plain), accelerator **{}** (guest CPUID says {}), {} guest CPUs ({}), clock source {}",
            s("kernel"),
            s("accelerator"),
            crate::runner::accelerator_of(sig),
            m["guest"]["cpus"],
            m["guest"]["cpu_model"].as_str().unwrap_or("?"),
            m["guest"]["clocksource"].as_str().unwrap_or("?")
        );
        if s("commit") == "-" {
            let _ = writeln!(o, "- {}", s("date"));
        } else {
            let _ = writeln!(o, "- commit {}, {}", s("commit"), s("date"));
        }
        if let Some(h) = m["host"].as_object() {
            let _ = writeln!(
                o,
                "- host: {} CPUs ({}), load average {} before and {} after the run, VM wall time {} s",
                h.get("cpus").cloned().unwrap_or(json!("?")),
                h.get("cpu_model").and_then(Value::as_str).unwrap_or("?"),
                h.get("load_before").and_then(Value::as_str).unwrap_or("?"),
                h.get("load_after").and_then(Value::as_str).unwrap_or("?"),
                m["wall_s"]
            );
        }
        if let Some(c) = m["config"].as_object() {
            let rounds = c.get("rounds").and_then(Value::as_u64).unwrap_or(1);
            let _ = writeln!(
                o,
                "- {} samples per row{}, {} ms per sample{}",
                c.get("samples").cloned().unwrap_or(json!("?")),
                if rounds > 1 {
                    format!(
                        " in {rounds} rounds (every round loads each module once; the first one swaps every round)"
                    )
                } else {
                    String::new()
                },
                c.get("sample_ms").cloned().unwrap_or(json!("?")),
                if c.get("quick") == Some(&json!(true)) {
                    ", QUICK sizes"
                } else {
                    ""
                }
            );
        }
        if let Some(mods) = m["modules"].as_object() {
            let list: Vec<String> = mods
                .iter()
                .map(|(k, v)| format!("{k} = `{}`", v["path"].as_str().unwrap_or("?")))
                .collect();
            let _ = writeln!(
                o,
                "- modules: {} (loaded with `{}`)",
                list.join(", "),
                m["config"]["params"].as_str().unwrap_or("")
            );
        }
        let _ = writeln!(
            o,
            "- mean ± half-width of the 95% Student t interval; ratios: delta method on the log \
             ratio (Welch–Satterthwaite df), interval in brackets\n"
        );

        self.throughput(&mut o);
        self.latency(&mut o);
        self.scaling(&mut o);
        self.targets(&mut o);
        o
    }

    fn throughput(&self, o: &mut String) {
        let pair = self.pair();
        let _ = writeln!(o, "## Throughput\n");
        let mut head = "| row | unit |".to_string();
        let mut rule = "|---|---|".to_string();
        for l in &self.modules {
            let _ = write!(head, " {l} |");
            rule.push_str("---:|");
        }
        if let Some((a, b)) = pair {
            let _ = write!(head, " {a}/{b} |");
            rule.push_str("---:|");
        }
        let _ = write!(head, " floor (same size) |");
        rule.push_str("---:|");
        let _ = writeln!(o, "{head}\n{rule}");
        for r in self.rows.iter().filter(|r| r.row.kind != Kind::Floor) {
            let mut line = format!("| {} | {} |", r.row.title(), r.row.kind.rate_unit());
            for l in &self.modules {
                let cell = r
                    .rates(l)
                    .map(|s| fmt_rate(s.mean, s.half))
                    .unwrap_or_else(|| "–".into());
                let drops = r
                    .drops(l)
                    .map(|d| format!(" ({d} drops)"))
                    .unwrap_or_default();
                let _ = write!(line, " {cell}{drops} |");
            }
            if let Some((a, b)) = pair {
                let cell = self
                    .rate_ratio((r, a), (r, b))
                    .map(|x| fmt_ratio(&x))
                    .unwrap_or_else(|| "–".into());
                let _ = write!(line, " {cell} |");
            }
            let floor = (r.row.kind == Kind::Echo)
                .then(|| self.find(Kind::Floor, r.row.size))
                .flatten()
                .and_then(|f| f.rates(FLOOR))
                .map(|s| fmt_rate(s.mean, s.half))
                .unwrap_or_else(|| "–".into());
            let _ = writeln!(line, " {floor} |");
            o.push_str(&line);
        }
        if let Some((a, _)) = pair {
            let _ = writeln!(o, "\nA ratio above 1 means {a} is faster.");
        }
        let _ = writeln!(
            o,
            "\nFan-out rates count deliveries (events received by subscribers).\n"
        );
    }

    fn latency(&self, o: &mut String) {
        let sizes = self.sizes(Kind::Echo);
        if sizes.is_empty() {
            return;
        }
        let mut labels: Vec<&str> = self.modules.iter().map(String::as_str).collect();
        labels.push(FLOOR);
        let _ = writeln!(
            o,
            "## Round-trip latency, µs (one message per syscall; percentiles of every round trip of the row, pooled over its samples)\n"
        );
        let mut head = "| payload |".to_string();
        let mut rule = "|---|".to_string();
        for l in &labels {
            let _ = write!(head, " {l} p50 | {l} p99 |");
            rule.push_str("---:|---:|");
        }
        for l in &self.modules {
            let _ = write!(head, " {l}/floor p50 |");
            rule.push_str("---:|");
        }
        let _ = writeln!(o, "{head}\n{rule}");
        for size in sizes {
            let mut line = format!("| {} |", Row::new(Kind::Echo, size).size_label());
            for l in &labels {
                let kind = if *l == FLOOR { Kind::Floor } else { Kind::Echo };
                let r = self.find(kind, size);
                let _ = write!(
                    line,
                    " {} | {} |",
                    fmt_pct(r.and_then(|r| r.pct(l, false))),
                    fmt_pct(r.and_then(|r| r.pct(l, true)))
                );
            }
            for l in &self.modules {
                let cell = self
                    .p50_ratio(size, l)
                    .map(|x| format!("{:.2}", x.ratio))
                    .unwrap_or_else(|| "–".into());
                let _ = write!(line, " {cell} |");
            }
            let _ = writeln!(o, "{line}");
        }
        o.push('\n');
    }

    fn scaling(&self, o: &mut String) {
        let mut labels: Vec<&str> = self.modules.iter().map(String::as_str).collect();
        labels.push(FLOOR);
        let _ = writeln!(
            o,
            "## Scaling: cost per operation against size, µs (×: relative to the smallest size of the series)\n"
        );
        let mut head = "| series | size |".to_string();
        let mut rule = "|---|---|".to_string();
        for l in &labels {
            let _ = write!(head, " {l} | × |");
            rule.push_str("---:|---:|");
        }
        for l in &self.modules {
            let _ = write!(head, " {l}/floor |");
            rule.push_str("---:|");
        }
        let _ = writeln!(o, "{head}\n{rule}");
        let series = [
            (Kind::Echo, "echo, per round trip"),
            (Kind::Fanout, "fan-out, per delivery"),
            (Kind::Dump, "dump, per entry"),
            (Kind::Set, "SET, per op"),
            (Kind::Get, "GET, per op"),
        ];
        for (kind, name) in series {
            let sizes = self.sizes(kind);
            let Some(&first) = sizes.first() else {
                continue;
            };
            for size in &sizes {
                let r = self.find(kind, *size);
                let mut line = format!("| {name} | {} |", Row::new(kind, *size).size_label());
                for l in &labels {
                    let (this, base) = if *l == FLOOR {
                        if kind != Kind::Echo {
                            let _ = write!(line, " – | – |");
                            continue;
                        }
                        (self.find(Kind::Floor, *size), self.find(Kind::Floor, first))
                    } else {
                        (r, self.find(kind, first))
                    };
                    let cost = this.and_then(|t| t.costs(l));
                    let growth = match (this, base) {
                        (Some(t), Some(b)) => self.cost_ratio((t, l), (b, l)),
                        _ => None,
                    };
                    let _ = write!(
                        line,
                        " {} | {} |",
                        fmt_us(cost),
                        growth
                            .map(|g| format!("{:.2}", g.ratio))
                            .unwrap_or_else(|| "–".into())
                    );
                }
                for l in &self.modules {
                    let cell = match (kind, r, self.find(Kind::Floor, *size)) {
                        (Kind::Echo, Some(e), Some(f)) => self
                            .cost_ratio((e, l), (f, FLOOR))
                            .map(|x| fmt_ratio(&x))
                            .unwrap_or_else(|| "–".into()),
                        _ => "–".into(),
                    };
                    let _ = write!(line, " {cell} |");
                }
                let _ = writeln!(o, "{line}");
            }
        }
        o.push('\n');
    }

    /// The targets with the measured values.
    pub fn target_values(&self) -> Vec<Target> {
        let mut out = Vec::new();
        let p = SMALL_PAYLOAD as u64;
        // echo <= 1.2x floor, per round trip.
        let mut v = Vec::new();
        for l in &self.modules {
            let r = match (self.find(Kind::Echo, p), self.find(Kind::Floor, p)) {
                (Some(e), Some(f)) => self.cost_ratio((e, l), (f, FLOOR)),
                _ => None,
            };
            let verdict = r.map(|r| verdict(&r, 1.2, false)).unwrap_or("–");
            v.push((l.clone(), r, verdict));
        }
        out.push((
            format!("echo ≤ 1.2× floor per round trip ({p} B, mean cost)"),
            v,
        ));
        // The same by the median round trip: robust to stalls of a busy host.
        let mut v = Vec::new();
        for l in &self.modules {
            let r = self.p50_ratio(p, l);
            v.push((
                l.clone(),
                r,
                r.map(|r| verdict(&r, 1.2, false)).unwrap_or("–"),
            ));
        }
        out.push((
            format!("echo ≤ 1.2× floor per round trip ({p} B, median round trip)"),
            v,
        ));
        // batched >= 5x unbatched.
        let mut v = Vec::new();
        for l in &self.modules {
            let r = match (self.find(Kind::Batch, p), self.find(Kind::Echo, p)) {
                (Some(b), Some(e)) => self.rate_ratio((b, l), (e, l)),
                _ => None,
            };
            v.push((
                l.clone(),
                r,
                r.map(|r| verdict(&r, 5.0, true)).unwrap_or("–"),
            ));
        }
        out.push((
            format!("batched ({BATCH} per sendmsg) ≥ 5× unbatched echo rate ({p} B)"),
            v,
        ));
        // dump flat: rate at the largest store / rate at the smallest >= 0.8.
        let sizes = self.sizes(Kind::Dump);
        if let (Some(&lo), Some(&hi)) = (
            sizes.first(),
            sizes
                .last()
                .filter(|h| sizes.len() > 1 && Some(*h) != sizes.first()),
        ) {
            let mut v = Vec::new();
            for l in &self.modules {
                let r = match (self.find(Kind::Dump, hi), self.find(Kind::Dump, lo)) {
                    (Some(a), Some(b)) if lo != hi => self.rate_ratio((a, l), (b, l)),
                    _ => None,
                };
                v.push((
                    l.clone(),
                    r,
                    r.map(|r| verdict(&r, 0.8, true)).unwrap_or("–"),
                ));
            }
            out.push((
                format!(
                    "dump entries/s flat from {} to {} (rate ratio ≥ 0.80)",
                    crate::rows::fmt_count(lo),
                    crate::rows::fmt_count(hi)
                ),
                v,
            ));
        }
        out
    }

    fn targets(&self, o: &mut String) {
        let _ = writeln!(o, "## Targets (informational)\n");
        let _ = writeln!(o, "| target | {} |", self.modules.join(" | "));
        let _ = writeln!(o, "|---|{}", "---|".repeat(self.modules.len()));
        if let Some((a, b)) = self.pair() {
            let mut slower = Vec::new();
            let mut faster = 0;
            let mut total = 0;
            for r in self.rows.iter().filter(|r| r.row.kind != Kind::Floor) {
                if let Some(x) = self.rate_ratio((r, a), (r, b)) {
                    total += 1;
                    if x.hi < 1.0 {
                        slower.push(format!("{} {:.2}", r.row.id(), x.ratio));
                    } else if x.lo > 1.0 {
                        faster += 1;
                    }
                }
            }
            let verdict = if slower.is_empty() {
                format!("yes: on all {total} rows the interval reaches 1.00 ({faster} significantly faster)")
            } else {
                format!(
                    "no: significantly slower on {} of {total} rows: {}",
                    slower.len(),
                    slower.join(", ")
                )
            };
            let mut cells = vec![verdict];
            cells.resize(self.modules.len(), "(reference)".into());
            let _ = writeln!(
                o,
                "| {a} ≥ 1.00× {b} on every row, within the 95% interval | {} |",
                cells.join(" | ")
            );
        }
        for (name, vals) in self.target_values() {
            let cells: Vec<String> = vals
                .iter()
                .map(|(_, r, v)| match r {
                    Some(r) => format!("{} — {v}", fmt_ratio(r)),
                    None => "–".into(),
                })
                .collect();
            let _ = writeln!(o, "| {name} | {} |", cells.join(" | "));
        }
        let _ = writeln!(
            o,
            "\n\"yes\": the estimate meets the target; \"within CI\": only the 95% interval reaches it; targets never fail the run."
        );
    }

    /// Statistics per row and label, for the chart: rate and cost (mean, half-width,
    /// n), the ratio of the first two modules, drops.
    pub fn summary(&self) -> Value {
        let mut rows = Vec::new();
        for r in &self.rows {
            let mut per = Map::new();
            for (label, _) in r.samples.iter() {
                let rate = r.rates(label);
                let cost = r.costs(label);
                per.insert(
                    label.clone(),
                    json!({
                        "n": rate.map(|s| s.n),
                        "rate": rate.map(|s| json!({"mean": s.mean, "half": finite(s.half)})),
                        "cost_ns": cost.map(|s| json!({"mean": s.mean, "half": finite(s.half)})),
                        "drops": r.drops(label),
                    }),
                );
            }
            let ratio = self
                .pair()
                .and_then(|(a, b)| self.rate_ratio((r, a), (r, b)))
                .map(|x| json!({"ratio": x.ratio, "lo": x.lo, "hi": x.hi, "df": finite(x.df)}));
            rows.push(json!({
                "id": r.row.id(),
                "kind": r.row.kind.name(),
                "size": r.row.size,
                "title": r.row.title(),
                "unit": r.row.kind.rate_unit(),
                "labels": per,
                "ratio": ratio,
            }));
        }
        let mut meta = self.meta.clone();
        if let Some(m) = meta.as_object_mut() {
            m.remove("method");
        }
        json!({"meta": meta, "modules": self.modules, "rows": rows})
    }
}

fn finite(x: f64) -> Value {
    if x.is_finite() {
        json!(x)
    } else {
        Value::Null
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn part(label: &str, round: u32, rows: Value) -> Value {
        json!({"part": true, "label": label, "round": round, "guest": {"kernel": "6.12.0", "cpus": 2}, "rows": rows})
    }

    fn samples(rate_per_s: &[u64]) -> Value {
        // ns = 1e9 per sample: ops = rate.
        json!(rate_per_s
            .iter()
            .map(|r| json!({"ops": r, "ns": 1_000_000_000u64, "p50_ns": 1000, "p99_ns": 2000}))
            .collect::<Vec<_>>())
    }

    fn fixture() -> Value {
        let parts = vec![
            part(
                "rust",
                1,
                json!([
                    {"id": "echo/64B", "label": "rust", "samples": samples(&[1000, 1100])},
                    {"id": "floor/64B", "label": "floor", "loaded": "rust", "samples": samples(&[2000])},
                    {"id": "batch/64B", "label": "rust", "samples": samples(&[6000, 6600])},
                    {"id": "dump/1k", "label": "rust", "samples": samples(&[500, 510])},
                    {"id": "dump/1M", "label": "rust", "samples": samples(&[450, 460])},
                ]),
            ),
            part(
                "c",
                1,
                json!([
                    {"id": "echo/64B", "label": "c", "samples": samples(&[900, 1000])},
                    {"id": "floor/64B", "label": "floor", "loaded": "c", "samples": samples(&[2200])},
                ]),
            ),
            part(
                "c",
                2,
                json!([{"id": "echo/64B", "label": "c", "samples": samples(&[950])}]),
            ),
        ];
        merge(
            &parts,
            json!({"accelerator": "TCG", "commit": "abc", "date": "today"}),
            &["rust".into(), "c".into()],
        )
        .unwrap()
    }

    #[test]
    fn merge_tags_rounds_and_orders_labels() {
        let raw = fixture();
        assert_eq!(raw["labels"], json!(["rust", "c", "floor"]));
        assert_eq!(raw["kernel"], json!("6.12.0"));
        let echo = &raw["rows"][0];
        assert_eq!(echo["id"], json!("echo/64B"));
        assert_eq!(echo["samples"]["c"].as_array().unwrap().len(), 3);
        assert_eq!(echo["samples"]["c"][2]["round"], json!(2));
        let floor = raw["rows"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["id"] == json!("floor/64B"))
            .unwrap();
        assert_eq!(floor["samples"]["floor"][1]["loaded"], json!("c"));
    }

    #[test]
    fn report_has_every_section_and_ratios() {
        let data = Data::parse(&fixture()).unwrap();
        assert_eq!(data.modules, ["rust", "c"]);
        let md = data.markdown();
        for needle in [
            "## Throughput",
            "| echo 64 B | msg/s | 1,050 ± 640 | 950 ± 120 |",
            "## Round-trip latency",
            "## Scaling",
            "## Targets",
            "rust ≥ 1.00× c",
        ] {
            assert!(md.contains(needle), "missing {needle:?} in\n{md}");
        }
        // Batched / unbatched for rust: 6300 / 1050 = 6.
        let t = data.target_values();
        let (_, batch) = &t[2];
        assert!((batch[0].1.unwrap().ratio - 6.0).abs() < 1e-12);
        assert_eq!(batch[0].2, "yes");
        // Echo / floor cost per round trip: the floor's samples come from both loads.
        // rust: mean(1e6, 1e9/1100) ns; floor: mean(1e9/2000, 1e9/2200) ns: exactly 2.
        let (_, ef) = &t[0];
        assert!((ef[0].1.unwrap().ratio - 2.0).abs() < 1e-12);
        // Dump 1M / 1k rate = 455 / 505.
        let (_, dump) = &t[3];
        // Median echo / floor: p50 1000 ns each: 1.
        let (_, med) = &t[1];
        assert!((med[0].1.unwrap().ratio - 1.0).abs() < 1e-12);
        assert!((dump[0].1.unwrap().ratio - 455.0 / 505.0).abs() < 1e-12);
        let s = data.summary();
        assert_eq!(s["modules"], json!(["rust", "c"]));
        assert!(s["rows"][0]["ratio"]["ratio"].as_f64().unwrap() > 1.0);
    }

    #[test]
    fn latency_histograms_pool_across_loads() {
        let hist = |ns: &[u32]| {
            let mut h = Hist::default();
            for &n in ns {
                h.record(n);
            }
            h.to_json()
        };
        let parts = vec![
            part(
                "rust",
                1,
                json!([{"id": "echo/0B", "label": "rust", "samples": samples(&[10, 12]), "hist": hist(&[100, 100, 100])}]),
            ),
            part(
                "rust",
                2,
                json!([{"id": "echo/0B", "label": "rust", "samples": samples(&[11]), "hist": hist(&[200, 200, 200, 200])}]),
            ),
        ];
        let raw = merge(&parts, json!({}), &[]).unwrap();
        let data = Data::parse(&raw).unwrap();
        let r = &data.rows[0];
        assert_eq!(r.hists["rust"].count(), 7);
        // 4 of 7 round trips took 200 ns: the pooled median is 200, the per-sample
        // medians (1000 ns in the fixture) are not used.
        assert_eq!(r.pct("rust", false), Some(200.0));
        // Costs are the reciprocal of the mean rate: 1e9 / 11 ns.
        let c = r.costs("rust").unwrap();
        assert!((c.mean - 1e9 / 11.0).abs() < 1e-6);
        let rate = r.rates("rust").unwrap();
        assert!((c.half / c.mean - rate.half / rate.mean).abs() < 1e-12);
    }

    #[test]
    fn numbers_round_to_the_interval() {
        assert_eq!(fmt_rate(1_234_567.8, 2_345.6), "1,234,600 ± 2,300");
        assert_eq!(fmt_rate(41_234.5, 523.0), "41,230 ± 520");
        assert_eq!(fmt_rate(12.345, 0.0123), "12.345 ± 0.012");
        assert_eq!(fmt_rate(12.346, f64::NAN), "12.35");
        assert_eq!(fmt_rate(123_456.0, f64::NAN), "123,500");
        let r = Ratio {
            ratio: 1.034,
            lo: 0.991,
            hi: 1.079,
            se_log: 0.0,
            df: 10.0,
        };
        assert_eq!(fmt_ratio(&r), "1.03 [0.99, 1.08]");
        assert_eq!(verdict(&r, 1.0, true), "yes");
        assert_eq!(verdict(&r, 1.05, true), "within CI");
        assert_eq!(verdict(&r, 1.1, true), "no");
        assert_eq!(verdict(&r, 1.0, false), "within CI");
    }
}
