//! A run: every row of the plan against every loaded module and the floor, their samples
//! interleaved — the modules (and, on echo rows, the floor) take turns sample by sample —
//! so that a slow stretch of the host or the guest lands on all of them, not on one. The
//! result is the raw JSON that [`crate::report`] reads.

use crate::report::{describe, Stat};
use crate::rows::{Kind, PlanArgs, Row, FLOOR};
use crate::stats::{fmt_rate, Sample};
use crate::workload::Bench;
use nlfam::Error;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::time::Duration;

/// What a run measures: the options of `nlfam-bench run`.
#[derive(Clone, Debug, clap::Args)]
pub struct RunArgs {
    /// A loaded module, as LABEL=FAMILY ("rust=25"), in table order; repeat for more.
    #[arg(long = "module", value_name = "LABEL=FAMILY", required = true,
          value_parser = parse_module)]
    pub modules: Vec<(String, u32)>,
    /// Samples of every row, per module and for the floor.
    #[arg(long)]
    pub samples: usize,
    /// Delete the entries added to the stores at the end, and skip the rows beyond the
    /// modules' max_entries (`nlfam bench`); without it such rows fail (the VM run).
    #[arg(long)]
    pub cleanup: bool,
    #[command(flatten)]
    pub plan: PlanArgs,
}

fn parse_module(s: &str) -> Result<(String, u32), String> {
    match s.split_once('=').map(|(l, f)| (l, f.parse())) {
        Some((l, Ok(family))) if l != FLOOR => Ok((l.into(), family)),
        _ => Err(format!("{s:?} is not LABEL=FAMILY")),
    }
}

/// The signature of CPUID leaf 0x40000000 ("TCGTCGTCGTCG" under QEMU's TCG, "KVMKVMKVM"
/// under KVM), "" on bare metal, "unknown" when it cannot be told.
pub fn hypervisor_signature() -> String {
    #[cfg(target_arch = "x86_64")]
    {
        use std::arch::x86_64::__cpuid;
        // SAFETY: CPUID exists on every x86_64 CPU and has no side effects.
        #[allow(unused_unsafe)]
        let (l1, l4) = unsafe { (__cpuid(1), __cpuid(0x4000_0000)) };
        // Leaf 1, ECX bit 31: running under a hypervisor.
        if l1.ecx & (1 << 31) == 0 {
            return String::new();
        }
        let b = [l4.ebx, l4.ecx, l4.edx].map(u32::to_le_bytes).concat();
        let s: String = String::from_utf8_lossy(&b).trim_end_matches('\0').into();
        if !s.is_empty() {
            return s;
        }
    }
    "unknown".into()
}

/// Our modules that are loaded now: the Rust module and the C reference.
pub fn loaded_modules() -> Vec<&'static str> {
    let loaded = |m: &&str| std::path::Path::new(&format!("/sys/module/{m}")).exists();
    ["nlfam", "nlfam_c"].into_iter().filter(loaded).collect()
}

/// The contents of the file at `path`, trimmed; "" when it cannot be read.
fn read(path: &str) -> String {
    String::from(std::fs::read_to_string(path).unwrap_or_default().trim())
}

/// What is measured together on `row`, as (series index, row): every module, and on an
/// echo row the floor of that size when the plan has it (its samples are the floor row's).
/// The floor alone only when the plan has no echo of its size.
fn turns(row: Row, rows: &[Row], modules: usize) -> Vec<(usize, Row)> {
    let floor = (modules, Row::new(Kind::Floor, row.size));
    match row.kind {
        Kind::Floor if rows.contains(&Row::new(Kind::Echo, row.size)) => vec![],
        Kind::Floor => vec![floor],
        kind => {
            let mut turns: Vec<_> = (0..modules).map(|m| (m, row)).collect();
            turns.extend(Some(floor).filter(|f| kind == Kind::Echo && rows.contains(&f.1)));
            turns
        }
    }
}

/// Runs the plan and returns the raw result: `{"schema", "kernel", "guest", "labels",
/// "rows": [{"id", ..., "samples": {label: [...]}, "latency_hist": {label: ...}}]}`.
/// In the `i`-th round of a row's turns, turn `(i + j) % turns` goes `j`-th: the first
/// rotates. Progress lines go to stderr.
pub fn run(args: &RunArgs) -> Result<Value, Error> {
    let plan = args.plan.plan().map_err(crate::usage)?;
    let max_of = |m| read(&format!("/sys/module/{m}/parameters/max_entries")).parse();
    let max = loaded_modules().into_iter().flat_map(max_of).min();
    let fits = |r: &Row| !r.kind.uses_store() || r.size <= max.unwrap_or(u64::MAX);
    let (rows, big): (Vec<Row>, Vec<Row>) = plan.rows().into_iter().partition(fits);
    if let Some(max) = max.filter(|_| !big.is_empty()) {
        let ids = big.iter().map(Row::id).collect::<Vec<_>>().join(", ");
        let msg = format!("max_entries is {max}, too small for {ids} (load with 1100000)");
        match args.cleanup {
            true => eprintln!("bench: skipping rows: {msg}"),
            false => return Err(crate::usage(msg)),
        }
    }
    // The modules' clients, then the floor's on the first module's family.
    let floor = (FLOOR.to_string(), args.modules.first().map_or(0, |m| m.1));
    let mut series = Vec::new();
    for (label, family) in args.modules.iter().chain([&floor]) {
        let mut bench = Bench::open(*family)?;
        if label != FLOOR && rows.iter().any(|r| r.kind.uses_store()) {
            let have = bench.sock.stats()?.entries;
            if have != 0 {
                return Err(crate::usage(format!(
                    "{label}'s store holds {have} entries; the dump, SET and GET rows need \
                     an empty store (reload the module, or leave them out with --rows)"
                )));
            }
        }
        series.push((label.as_str(), bench));
    }
    let mut out = BTreeMap::new();
    let result: Result<(), Error> = rows.iter().try_for_each(|&row| {
        let turns = turns(row, &rows, args.modules.len());
        let measured = measure(row, &turns, &mut series, args.samples, plan.sample());
        let measured = measured.map_err(|e| Error::Protocol(format!("{}: {e}", row.id())))?;
        for ((s, r), samples) in turns.into_iter().zip(measured) {
            let (label, bench) = &mut series[s];
            let v = out.entry(r).or_insert_with(|| describe(r));
            if let Some(s) = Stat::of(&samples, None) {
                let rate = fmt_rate(s.rate.mean, s.rate.half);
                let drops = s.drops.map_or(String::new(), |d| format!(", {d} drops"));
                let (id, unit) = (r.id(), r.kind.spec().rate_unit);
                eprintln!("bench: {id:<11} {label:<5} {rate} {unit}{drops}");
            }
            v["samples"][*label] = json!(samples);
            if matches!(r.kind, Kind::Echo | Kind::Floor) {
                v["latency_hist"][*label] = std::mem::take(&mut bench.hist).to_json();
            }
        }
        Ok(())
    });
    for (label, bench) in &mut series {
        let n = bench.filled;
        if args.cleanup && n > 0 {
            eprintln!("bench: {label}: deleting the {n} entries added");
            bench.fill_to(0)?;
        }
    }
    result?;
    let mut labels: Vec<&str> = args.modules.iter().map(|m| m.0.as_str()).collect();
    labels.extend(Some(FLOOR).filter(|_| out.keys().any(|r: &Row| r.kind == Kind::Floor)));
    let rows: Vec<Value> = out.into_values().collect();
    let mut raw = json!({"schema": 1, "guest": guest(), "labels": labels, "rows": rows});
    raw["kernel"] = raw["guest"]["kernel"].clone();
    Ok(raw)
}

/// The samples of `row`'s turns (their clients in `series`), the stores filled first.
fn measure(
    row: Row,
    turns: &[(usize, Row)],
    series: &mut [(&str, Bench)],
    samples: usize,
    dur: Duration,
) -> Result<Vec<Vec<Sample>>, Error> {
    for (label, bench) in series.iter_mut().filter(|(l, _)| *l != FLOOR) {
        if row.kind.uses_store() && bench.filled < row.size {
            eprintln!("bench: {label}: filling the store to {} entries", row.size);
            bench.fill_to(row.size).map_err(named(label))?;
        }
    }
    for &(s, r) in turns {
        let (label, bench) = &mut series[s];
        bench.begin_row(r, dur).map_err(named(label))?;
    }
    let mut out = vec![Vec::with_capacity(samples); turns.len()];
    for i in 0..samples {
        for t in (0..turns.len()).map(|j| (i + j) % turns.len()) {
            let (s, r) = turns[t];
            let (label, bench) = &mut series[s];
            bench.renew().map_err(named(label))?;
            out[t].push(bench.sample(r, dur).map_err(named(label))?);
        }
    }
    for &(s, _) in turns {
        let (label, bench) = &mut series[s];
        bench.end_row().map_err(named(label))?;
    }
    Ok(out)
}

/// Names the series whose step failed: a row interleaves them.
fn named(label: &str) -> impl Fn(Error) -> Error + '_ {
    move |e| Error::Protocol(format!("{label}: {e}"))
}

/// What the guest is: kernel, CPUs, clock source, hypervisor.
fn guest() -> Value {
    let cpu = read("/proc/cpuinfo");
    let model = cpu
        .lines()
        .find_map(|l| l.strip_prefix("model name")?.split_once(':'));
    json!({
        "kernel": read("/proc/sys/kernel/osrelease"),
        // Online CPUs, not the affinity mask (the client may be pinned).
        // SAFETY: sysconf has no side effects.
        "cpus": unsafe { libc::sysconf(libc::_SC_NPROCESSORS_ONLN) },
        "cpu_model": model.map_or("", |(_, m)| m.trim()),
        "clocksource": read("/sys/devices/system/clocksource/clocksource0/current_clocksource"),
        "hypervisor": hypervisor_signature(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_floor_takes_turns_with_the_modules_on_echo_rows() {
        let (echo, floor) = (Row::new(Kind::Echo, 64), Row::new(Kind::Floor, 64));
        let dump = Row::new(Kind::Dump, 1000);
        let rows = [echo, floor, dump];
        assert_eq!(turns(echo, &rows, 2), [(0, echo), (1, echo), (2, floor)]);
        assert_eq!(turns(floor, &rows, 2), []);
        assert_eq!(turns(dump, &rows, 2), [(0, dump), (1, dump)]);
        assert_eq!(turns(echo, &[echo], 1), [(0, echo)]);
        assert_eq!(turns(floor, &[floor], 1), [(1, floor)]);
        assert!(parse_module("floor=25").is_err() && parse_module("rust").is_err());
        assert_eq!(parse_module("c=26"), Ok(("c".into(), 26)));
    }
}
