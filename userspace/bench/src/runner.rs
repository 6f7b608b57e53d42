//! One module load's share of a benchmark (a "slot"): every row of the plan, the store
//! filled as the rows need it, the results as a JSON "part". The VM driver runs one slot
//! per module and round; [`crate::report::merge`] joins the parts.

use crate::rows::{Kind, PlanArgs, Row, FLOOR};
use crate::stats::{fmt_rate, Sample, Summary};
use crate::workload::Bench;
use nlfam::Error;
use serde_json::{json, Value};
use std::time::{Duration, Instant};

/// What a slot runs: the options of `nlfam-bench run`.
#[derive(Clone, Debug, clap::Args)]
pub struct Slot {
    /// Label of the loaded module in the results (rust, c, ...).
    #[arg(long)]
    pub label: String,
    /// Netlink family the module serves.
    #[arg(long, default_value_t = 25)]
    pub family: u32,
    /// This round, for progress lines and the JSON.
    #[arg(long, default_value_t = 1)]
    pub round: u32,
    /// Number of rounds.
    #[arg(long, default_value_t = 1)]
    pub rounds: u32,
    /// Samples of every module row in this slot.
    #[arg(long)]
    pub samples: usize,
    /// Samples of every floor row in this slot (the floor runs in every slot).
    #[arg(long)]
    pub floor_samples: usize,
    /// Delete the entries added to the store at the end, and skip the rows beyond the
    /// module's max_entries (a module loaded by someone else, as for `nlfam bench`);
    /// without it such rows fail the run (the VM, which unloads the module instead).
    #[arg(long)]
    pub cleanup: bool,
    #[command(flatten)]
    pub plan: PlanArgs,
}

/// The `max_entries` parameter of the loaded nlfam module (Rust or C), from /sys/module.
pub fn max_entries_param() -> Option<u64> {
    ["nlfam", "nlfam_c"].into_iter().find_map(|m| {
        let p = format!("/sys/module/{m}/parameters/max_entries");
        std::fs::read_to_string(p).ok()?.trim().parse().ok()
    })
}

/// What the guest is: kernel release, CPUs, CPU model, clock source, and the hypervisor
/// signature.
pub fn guest_info() -> Value {
    let read = |p: &str| {
        std::fs::read_to_string(p)
            .unwrap_or_default()
            .trim()
            .to_string()
    };
    let cpuinfo = read("/proc/cpuinfo");
    let model = cpuinfo.lines().find_map(|l| l.strip_prefix("model name"));
    let model = model
        .and_then(|l| l.split_once(':'))
        .map_or("", |(_, m)| m.trim());
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
        let b: Vec<u8> = [l4.ebx, l4.ecx, l4.edx]
            .iter()
            .flat_map(|r| r.to_le_bytes())
            .collect();
        let s = String::from_utf8_lossy(&b)
            .trim_end_matches('\0')
            .to_string();
        if !s.is_empty() {
            return s;
        }
    }
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
/// "samples": [...], "hist"}]}`. Progress lines go to stderr.
pub fn run_slot(slot: &Slot) -> Result<Value, Error> {
    let prefix = match slot.cleanup {
        true => format!("bench: {}", slot.label),
        false => format!("round {}/{}: {}", slot.round, slot.rounds, slot.label),
    };
    let plan = slot.plan.plan().map_err(crate::usage)?;
    let mut rows = plan.rows();
    let max = max_entries_param().unwrap_or(u64::MAX);
    let too_big: Vec<String> = (rows.iter())
        .filter(|r| r.kind.uses_store() && r.size > max)
        .map(Row::id)
        .collect();
    if !too_big.is_empty() {
        let msg = format!(
            "the module's max_entries is {max}, too small for {} (load it with max_entries=1100000)",
            too_big.join(", ")
        );
        if !slot.cleanup {
            return Err(crate::usage(msg));
        }
        eprintln!("{prefix}: skipping rows: {msg}");
        rows.retain(|r| !r.kind.uses_store() || r.size <= max);
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
    let result = run_rows(slot, &prefix, &rows, plan.sample, &mut bench);
    if slot.cleanup && bench.filled() > 0 {
        eprintln!("{prefix}: deleting the {} entries added", bench.filled());
        bench.fill_to(0)?;
    }
    Ok(json!({
        "schema": 1,
        "part": true,
        "label": slot.label,
        "round": slot.round,
        "rounds": slot.rounds,
        "guest": guest_info(),
        "rows": result?,
    }))
}

fn run_rows(
    slot: &Slot,
    prefix: &str,
    rows: &[Row],
    sample: Duration,
    bench: &mut Bench,
) -> Result<Vec<Value>, Error> {
    let mut out = Vec::new();
    for &row in rows {
        let floor = row.kind == Kind::Floor;
        let (label, n) = match floor {
            true => (FLOOR, slot.floor_samples),
            false => (slot.label.as_str(), slot.samples),
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
                let msg = format!(
                    "wrong answer: STATS counts {have} entries after filling to {}",
                    row.size
                );
                return Err(Error::Protocol(msg));
            }
            eprintln!("{prefix}: filled in {:.1} s", t.elapsed().as_secs_f64());
        }
        let t = Instant::now();
        let samples = (bench.run_row(row, n, sample))
            .map_err(|e| Error::Protocol(format!("{row} ({}): {e}", slot.label)))?;
        let rates: Vec<f64> = samples.iter().map(Sample::rate).collect();
        let rate = Summary::of(&rates).map_or(String::new(), |s| fmt_rate(s.mean, s.half));
        let drops = samples.iter().filter_map(|s| s.drops).reduce(|a, b| a + b);
        eprintln!(
            "{prefix}: {:<11} {n:>2} samples in {:5.1} s: {rate} {}{}",
            row.id(),
            t.elapsed().as_secs_f64(),
            row.kind.spec().rate_unit,
            drops.map_or(String::new(), |d| format!(", {d} drops"))
        );
        let mut r = json!({"id": row.id(), "label": label, "samples": samples});
        if floor {
            r["loaded"] = json!(slot.label);
        }
        if matches!(row.kind, Kind::Echo | Kind::Floor) {
            r["hist"] = bench.take_hist().to_json();
        }
        out.push(r);
    }
    Ok(out)
}
