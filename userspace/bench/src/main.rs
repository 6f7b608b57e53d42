//! `nlfam-bench`: the benchmark's workloads (in the VM) and reports (on the host).
//!
//!   nlfam-bench run --label rust --round 1 --rounds 5 --samples 8 --floor-samples 4 --out p.json
//!   nlfam-bench merge --meta meta.json --labels rust,c --out latest.json parts/*.json
//!   nlfam-bench report latest.json --md latest.md --summary summary.json

use clap::Parser;
use nlfam_bench::{report, run_slot, Slot};
use serde_json::Value;
use std::path::PathBuf;
use std::process::ExitCode;

/// Benchmarks of nlfam's kernel modules: workloads, merge and reports (make bench drives it)
#[derive(Parser)]
#[command(name = "nlfam-bench")]
enum Command {
    /// Run every row against the loaded module (one slot) and write the samples as JSON.
    Run {
        #[command(flatten)]
        slot: Slot,
        /// Where to write the part.
        #[arg(long)]
        out: PathBuf,
    },
    /// Join the parts of a run into the raw result.
    Merge {
        /// JSON object with the run's metadata (kernel, accelerator, commit, date, config).
        #[arg(long)]
        meta: Option<PathBuf>,
        /// Module labels in table order.
        #[arg(long, value_delimiter = ',')]
        labels: Vec<String>,
        #[arg(long)]
        out: PathBuf,
        parts: Vec<PathBuf>,
    },
    /// Print the markdown report of a raw result; optionally write it and the statistics.
    Report {
        raw: PathBuf,
        /// Also write the markdown here.
        #[arg(long)]
        md: Option<PathBuf>,
        /// Write the statistics (means, intervals, ratios) as JSON here, for the chart.
        #[arg(long)]
        summary: Option<PathBuf>,
    },
}

fn read(p: &PathBuf) -> Result<Value, String> {
    let text = std::fs::read_to_string(p).map_err(|e| format!("{}: {e}", p.display()))?;
    serde_json::from_str(&text).map_err(|e| format!("{}: {e}", p.display()))
}

fn write(p: &PathBuf, text: String) -> Result<(), String> {
    std::fs::write(p, text).map_err(|e| format!("{}: {e}", p.display()))
}

fn run(command: Command) -> Result<(), String> {
    match command {
        Command::Run { slot, out } => write(
            &out,
            run_slot(&slot).map_err(|e| e.to_string())?.to_string(),
        ),
        Command::Merge {
            meta,
            labels,
            out,
            parts,
        } => {
            let meta = meta.as_ref().map_or(Ok(Value::Null), read)?;
            let parts = parts.iter().map(read).collect::<Result<Vec<_>, _>>()?;
            write(&out, format!("{:#}", report::merge(&parts, meta, &labels)?))
        }
        Command::Report { raw, md, summary } => {
            let data = report::Data::parse(&read(&raw)?)?;
            let text = data.markdown();
            print!("{text}");
            md.map_or(Ok(()), |p| write(&p, text))?;
            summary.map_or(Ok(()), |p| write(&p, format!("{:#}", data.summary())))
        }
    }
}

fn main() -> ExitCode {
    let result = run(Command::parse());
    if let Err(e) = &result {
        eprintln!("nlfam-bench: {e}");
    }
    ExitCode::from(u8::from(result.is_err()))
}
