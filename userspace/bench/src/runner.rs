//! One module load's share of a benchmark (a "slot"): every row of the plan, the store
//! filled as the rows need it, the results as a JSON "part" for [`crate::report::merge`].

use crate::report::Stat;
use crate::rows::{Kind, PlanArgs, Row, FLOOR};
use crate::stats::fmt_rate;
use crate::workload::Bench;
use nlfam::Error;
use serde_json::{json, Value};
use std::time::Instant;

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
    /// module's max_entries (`nlfam bench`); without it such rows fail (the VM run).
    #[arg(long)]
    pub cleanup: bool,
    #[command(flatten)]
    pub plan: PlanArgs,
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
        let s = String::from_utf8_lossy(&b);
        let s = s.trim_end_matches('\0');
        if !s.is_empty() {
            return s.to_string();
        }
    }
    "unknown".into()
}

/// The module serving the benchmark now, if it is one of ours: the Rust module or the C
/// reference.
pub fn loaded_module() -> Option<&'static str> {
    let loaded = |m: &&str| std::path::Path::new(&format!("/sys/module/{m}")).exists();
    ["nlfam", "nlfam_c"].into_iter().find(loaded)
}

/// The contents of the file at `path`, trimmed; "" when it cannot be read.
fn read(path: &str) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    text.trim().to_string()
}

/// Runs a slot and returns its part: `{"label", "round", "guest", "rows": [{"id", "label",
/// "samples", "hist"}]}`. Progress lines go to stderr.
pub fn run_slot(slot: &Slot) -> Result<Value, Error> {
    let prefix = match slot.cleanup {
        true => format!("bench: {}", slot.label),
        false => format!("round {}/{}: {}", slot.round, slot.rounds, slot.label),
    };
    let plan = slot.plan.plan().map_err(crate::usage)?;
    let max = loaded_module().map(|m| read(&format!("/sys/module/{m}/parameters/max_entries")));
    let max = max.and_then(|s| s.parse().ok()).unwrap_or(u64::MAX);
    let fits = |r: &Row| !r.kind.uses_store() || r.size <= max;
    let (mut rows, big): (Vec<Row>, Vec<Row>) = plan.rows().into_iter().partition(fits);
    if !big.is_empty() {
        let ids = big.iter().map(Row::id).collect::<Vec<_>>().join(", ");
        let msg = format!("the module's max_entries is {max}, too small for {ids}");
        let msg = format!("{msg} (load it with max_entries=1100000)");
        if !slot.cleanup {
            return Err(crate::usage(msg));
        }
        eprintln!("{prefix}: skipping rows: {msg}");
    }
    let mut bench = Bench::open(slot.family)?;
    if rows.iter().any(|r| r.kind.uses_store()) {
        let have = bench.sock.stats()?.entries;
        if have != 0 {
            return Err(crate::usage(format!(
                "the store holds {have} entries; the dump, SET and GET rows need an empty \
                 store (reload the module, or leave them out with --rows)"
            )));
        }
    }
    let samples = |row: &Row| match row.kind {
        Kind::Floor => slot.floor_samples,
        _ => slot.samples,
    };
    rows.retain(|r| samples(r) > 0);
    let mut out = Vec::new();
    let result: Result<(), Error> = rows.iter().try_for_each(|&row| {
        if row.kind.uses_store() && bench.filled < row.size {
            let size = row.size;
            eprintln!("{prefix}: filling the store to {size} entries (not measured)");
            bench.fill_to(row.size)?;
        }
        let (t, id, n) = (Instant::now(), row.id(), samples(&row));
        let ran = bench.run_row(row, n, plan.sample());
        let ran = ran.map_err(|e| Error::Protocol(format!("{id} ({}): {e}", slot.label)))?;
        let s = Stat::of(&ran, None).expect("at least one sample");
        let drops = s.drops.map_or(String::new(), |d| format!(", {d} drops"));
        let secs = t.elapsed().as_secs_f64();
        let rate = fmt_rate(s.rate.mean, s.rate.half);
        let unit = row.kind.spec().rate_unit;
        eprintln!("{prefix}: {id:<11} {n:>2} samples in {secs:5.1} s: {rate} {unit}{drops}");
        let mut r = json!({"id": id, "label": slot.label, "samples": ran});
        if row.kind == Kind::Floor {
            (r["label"], r["loaded"]) = (json!(FLOOR), json!(slot.label));
        }
        if matches!(row.kind, Kind::Echo | Kind::Floor) {
            r["hist"] = std::mem::take(&mut bench.hist).to_json();
        }
        out.push(r);
        Ok(())
    });
    if slot.cleanup && bench.filled > 0 {
        eprintln!("{prefix}: deleting the {} entries added", bench.filled);
        bench.fill_to(0)?;
    }
    result?;
    let cpu = read("/proc/cpuinfo");
    let mut lines = cpu.lines();
    let model = lines.find_map(|l| l.strip_prefix("model name")?.split_once(':'));
    let guest = json!({
        "kernel": read("/proc/sys/kernel/osrelease"),
        // Online CPUs, not the affinity mask (the client may be pinned).
        // SAFETY: sysconf has no side effects.
        "cpus": unsafe { libc::sysconf(libc::_SC_NPROCESSORS_ONLN) },
        "cpu_model": model.map_or("", |(_, m)| m.trim()),
        "clocksource": read("/sys/devices/system/clocksource/clocksource0/current_clocksource"),
        "hypervisor": hypervisor_signature(),
    });
    let (label, round, rounds) = (&slot.label, slot.round, slot.rounds);
    let part = json!({"schema": 1, "part": true, "label": label, "round": round,
        "rounds": rounds, "guest": guest, "rows": out});
    Ok(part)
}
