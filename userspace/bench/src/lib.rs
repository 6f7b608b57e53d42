//! Benchmarks of nlfam's kernel modules.
//!
//! The workloads ([`workload`]) run inside the VM against whichever module is loaded, one
//! "slot" per module load ([`runner`]); the statistics ([`stats`]) and reports
//! ([`report`]) run on the host from the raw JSON, so they are unit-tested with
//! `cargo test`. `make bench` drives it all (scripts/bench, bench/run-in-vm.sh);
//! `nlfam bench` runs the same rows against the module loaded now.

pub mod hist;
pub mod report;
pub mod rows;
pub mod runner;
pub mod stats;
pub mod workload;

pub use rows::{Kind, Plan, Row};
pub use runner::{run_slot, Slot};

use std::time::Duration;

/// Options shared by `nlfam-bench run` and `nlfam bench`.
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
    /// The plan these options describe; an unknown row name is an error.
    pub fn plan(&self) -> Result<Plan, String> {
        let mut plan = if self.quick {
            Plan::quick()
        } else {
            Plan::full()
        };
        if let Some(ms) = self.sample_ms {
            plan.sample = Duration::from_millis(ms.max(1));
        }
        for r in &self.rows {
            if Kind::parse(r).is_none() && r != "kv" && Row::parse_id(r).is_none() {
                return Err(format!(
                    "unknown row {r:?}: use echo, floor, batch, fanout, dump, set, get, kv or an id like dump/1M"
                ));
            }
        }
        plan.filter = self.rows.clone();
        if plan.rows().is_empty() {
            return Err(format!(
                "--rows {} selects no row of the plan",
                self.rows.join(",")
            ));
        }
        Ok(plan)
    }
}

/// The name of the nlfam module loaded now ("nlfam" or "nlfam_c"), from /sys/module.
pub fn loaded_module() -> Option<String> {
    ["nlfam", "nlfam_c"]
        .into_iter()
        .find(|m| std::path::Path::new(&format!("/sys/module/{m}")).exists())
        .map(String::from)
}

/// `nlfam bench`: the plan's rows against the loaded module, `samples` each (the floor
/// too), entries added to the store deleted afterwards; returns the raw result.
pub fn bench_loaded(
    family: u32,
    samples: usize,
    args: &PlanArgs,
) -> Result<serde_json::Value, nlfam::Error> {
    let plan = args.plan().map_err(usage)?;
    let label = loaded_module().unwrap_or_else(|| "module".into());
    let slot = Slot {
        family,
        label: label.clone(),
        round: 1,
        rounds: 1,
        samples,
        floor_samples: samples,
        plan: plan.clone(),
        cleanup: true,
        strict: false,
    };
    let part = run_slot(&slot)?;
    let meta = serde_json::json!({
        "accelerator": runner::accelerator_of(&runner::hypervisor_signature()),
        "commit": "-",
        "date": now_utc(),
        "config": {
            "samples": samples, "rounds": 1, "sample_ms": plan.sample.as_millis() as u64,
            "quick": args.quick, "params": "(as loaded)", "family": family,
        },
    });
    report::merge(&[part], meta, &[label]).map_err(usage)
}

/// An error that is the user's to fix, printed as it is.
pub fn usage(msg: String) -> nlfam::Error {
    nlfam::Error::Io(std::io::Error::other(msg))
}

/// The current time as "YYYY-MM-DDTHH:MM:SSZ".
pub fn now_utc() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0) as i64;
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    // Civil from days (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem / 60 % 60,
        rem % 60
    )
}
