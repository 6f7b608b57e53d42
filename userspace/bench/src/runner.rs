//! One module load's share of a benchmark (a "slot"): every row of the plan, the store
//! filled as the rows need it, the results as a JSON "part". The VM driver runs one slot
//! per module and round; [`crate::report::merge`] joins the parts (the report depends on the
//! runner's labels, never the other way round).

use crate::rows::{Kind, Plan, Row};
use crate::workload::{Bench, Sample};
use nlfam::Error;
use serde_json::{json, Value};
use std::time::Instant;

/// Label of the floor's samples (the floor does not depend on the loaded module).
pub const FLOOR: &str = "floor";

/// What a slot runs.
#[derive(Clone, Debug)]
pub struct Slot {
    /// Netlink family of the loaded module.
    pub family: u32,
    /// Label of the loaded module ("rust", "c", ...).
    pub label: String,
    /// This round (1-based) and the number of rounds, for progress lines and the JSON.
    pub round: u32,
    /// Number of rounds.
    pub rounds: u32,
    /// Samples of every module row.
    pub samples: usize,
    /// Samples of every floor row (the floor runs in every slot, so it gets its share).
    pub floor_samples: usize,
    /// Sizes, sample length, row filter.
    pub plan: Plan,
    /// Delete the entries the slot added at the end (the CLI; the VM unloads instead).
    pub cleanup: bool,
    /// Fail when the module's `max_entries` is below a store row's size (the VM run);
    /// otherwise skip those rows with a message (the CLI).
    pub strict: bool,
}

/// The `max_entries` parameter of the loaded nlfam module (Rust or C), from /sys/module.
pub fn max_entries_param() -> Option<u64> {
    ["nlfam", "nlfam_c"].into_iter().find_map(|m| {
        std::fs::read_to_string(format!("/sys/module/{m}/parameters/max_entries"))
            .ok()
            .and_then(|s| s.trim().parse().ok())
    })
}

fn sample_json(s: &Sample) -> Value {
    let mut v = json!({"ops": s.ops, "ns": s.ns});
    if let Some(p) = s.p50_ns {
        v["p50_ns"] = json!(p);
    }
    if let Some(p) = s.p99_ns {
        v["p99_ns"] = json!(p);
    }
    if let Some(d) = s.drops {
        v["drops"] = json!(d);
    }
    v
}

/// What the guest is: kernel release, CPUs, CPU model, clock source, and the hypervisor
/// signature of CPUID leaf 0x40000000 ("TCGTCGTCGTCG" under QEMU's TCG, "KVMKVMKVM"
/// under KVM).
pub fn guest_info() -> Value {
    let read = |p: &str| {
        std::fs::read_to_string(p)
            .map(|s| s.trim().to_string())
            .unwrap_or_default()
    };
    let model = read("/proc/cpuinfo")
        .lines()
        .find(|l| l.starts_with("model name"))
        .and_then(|l| l.split_once(':'))
        .map(|(_, m)| m.trim().to_string())
        .unwrap_or_default();
    json!({
        "kernel": read("/proc/sys/kernel/osrelease"),
        // Online CPUs, not the affinity mask (the client may be pinned).
        // SAFETY: sysconf has no side effects.
        "cpus": unsafe { libc::sysconf(libc::_SC_NPROCESSORS_ONLN) },
        "cpu_model": model,
        "clocksource": read("/sys/devices/system/clocksource/clocksource0/current_clocksource"),
        "hypervisor": hypervisor_signature(),
    })
}

/// The hypervisor's CPUID signature, or "" on bare metal.
#[cfg(target_arch = "x86_64")]
pub fn hypervisor_signature() -> String {
    use std::arch::x86_64::__cpuid;
    // Leaf 1, ECX bit 31: running under a hypervisor.
    #[allow(unused_unsafe)]
    // SAFETY: CPUID exists on every x86_64 CPU and has no side effects.
    let (l1, l4) = unsafe { (__cpuid(1), __cpuid(0x4000_0000)) };
    if l1.ecx & (1 << 31) == 0 {
        return String::new();
    }
    let mut b = Vec::with_capacity(12);
    for r in [l4.ebx, l4.ecx, l4.edx] {
        b.extend_from_slice(&r.to_le_bytes());
    }
    let s: String = String::from_utf8_lossy(&b)
        .trim_end_matches('\0')
        .to_string();
    if s.is_empty() {
        "unknown".into()
    } else {
        s
    }
}

/// The hypervisor's CPUID signature (not x86_64: unknown).
#[cfg(not(target_arch = "x86_64"))]
pub fn hypervisor_signature() -> String {
    "unknown".into()
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

/// Runs a slot and returns its part: `{"label", "round", "guest", "rows": [{"id", "label",
/// "samples": [...]}]}`. Progress lines go to stderr.
pub fn run_slot(slot: &Slot) -> Result<Value, Error> {
    let prefix = if slot.cleanup {
        format!("bench: {}", slot.label)
    } else {
        format!("round {}/{}: {}", slot.round, slot.rounds, slot.label)
    };
    let mut rows = slot.plan.rows();
    if let Some(max) = max_entries_param() {
        let (fit, big): (Vec<Row>, Vec<Row>) = rows
            .into_iter()
            .partition(|r| !r.kind.uses_store() || r.size <= max);
        if !big.is_empty() {
            let ids: Vec<String> = big.iter().map(Row::id).collect();
            let msg = format!(
                "the module's max_entries is {max}, too small for {} (load it with max_entries=1100000)",
                ids.join(", ")
            );
            if slot.strict {
                return Err(crate::usage(msg));
            }
            eprintln!("{prefix}: skipping rows: {msg}");
        }
        rows = fit;
    }
    let mut bench = Bench::open(slot.family)?;
    if rows.iter().any(|r| r.kind.uses_store()) {
        let have = bench.entries()?;
        if have != 0 {
            return Err(crate::usage(format!(
                "the store holds {have} entries; the dump, SET and GET rows need an empty \
                 store (reload the module, or leave them out with --rows)"
            )));
        }
    }
    let result = run_rows(slot, &prefix, &rows, &mut bench);
    if slot.cleanup && bench.filled() > 0 {
        eprintln!("{prefix}: deleting the {} entries added", bench.filled());
        bench.clear()?;
    }
    let out = result?;
    Ok(json!({
        "schema": 1,
        "part": true,
        "label": slot.label,
        "round": slot.round,
        "rounds": slot.rounds,
        "guest": guest_info(),
        "rows": out,
    }))
}

fn run_rows(
    slot: &Slot,
    prefix: &str,
    rows: &[Row],
    bench: &mut Bench,
) -> Result<Vec<Value>, Error> {
    let mut out = Vec::new();
    for &row in rows {
        let (label, n) = if row.kind == Kind::Floor {
            (FLOOR, slot.floor_samples)
        } else {
            (slot.label.as_str(), slot.samples)
        };
        if n == 0 {
            continue;
        }
        if row.kind.uses_store() && bench.filled() < row.size {
            let t = Instant::now();
            eprintln!(
                "{prefix}: filling the store to {} entries (not measured)",
                row.size
            );
            bench.fill_to(row.size)?;
            let have = bench.entries()?;
            if have != row.size {
                return Err(Error::Protocol(format!(
                    "wrong answer: STATS counts {have} entries after filling to {}",
                    row.size
                )));
            }
            eprintln!("{prefix}: filled in {:.1} s", t.elapsed().as_secs_f64());
        }
        let t = Instant::now();
        let samples = bench
            .run_row(row, n, slot.plan.sample)
            .map_err(|e| Error::Protocol(format!("{row} ({}): {e}", slot.label)))?;
        let rates: Vec<f64> = samples.iter().map(Sample::rate).collect();
        let s = crate::stats::Summary::of(&rates);
        let drops: u64 = samples.iter().filter_map(|s| s.drops).sum();
        eprintln!(
            "{prefix}: {:<11} {:>2} samples in {:5.1} s: {} {}{}",
            row.id(),
            n,
            t.elapsed().as_secs_f64(),
            s.map(|s| crate::stats::fmt_rate(s.mean, s.half))
                .unwrap_or_default(),
            row.kind.rate_unit(),
            if row.kind == Kind::Fanout {
                format!(", {drops} drops")
            } else {
                String::new()
            }
        );
        let mut r = json!({
            "id": row.id(),
            "label": label,
            "samples": samples.iter().map(sample_json).collect::<Vec<_>>(),
        });
        if row.kind == Kind::Floor {
            r["loaded"] = json!(slot.label);
        }
        if matches!(row.kind, Kind::Echo | Kind::Floor) {
            r["hist"] = bench.take_hist().to_json();
        }
        out.push(r);
    }
    Ok(out)
}
