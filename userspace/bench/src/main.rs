//! `nlfam-bench`: the benchmark's workloads (in the VM) and reports (on the host).
//!
//!   nlfam-bench run --label rust --round 1 --rounds 5 --samples 8 --floor-samples 4 --out part.json
//!   nlfam-bench merge --meta meta.json --labels rust,c --out latest.json parts/*.json
//!   nlfam-bench report latest.json --md latest.md --summary summary.json

use clap::{Parser, Subcommand};
use nlfam_bench::{report, run_slot, PlanArgs, Slot};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "nlfam-bench",
    about = "Benchmarks of nlfam's kernel modules: workloads, merge and reports (make bench drives it)"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run every row against the loaded module (one slot) and write the samples as JSON.
    Run {
        /// Label of the loaded module in the results (rust, c, ...).
        #[arg(long)]
        label: String,
        /// Netlink family the module serves.
        #[arg(long, default_value_t = 25)]
        family: u32,
        /// This round, for progress lines and the JSON.
        #[arg(long, default_value_t = 1)]
        round: u32,
        /// Number of rounds.
        #[arg(long, default_value_t = 1)]
        rounds: u32,
        /// Samples of every module row in this slot.
        #[arg(long)]
        samples: usize,
        /// Samples of every floor row in this slot.
        #[arg(long)]
        floor_samples: usize,
        /// Delete the entries added to the store at the end.
        #[arg(long)]
        cleanup: bool,
        #[command(flatten)]
        plan: PlanArgs,
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

fn read_json(p: &PathBuf) -> Result<serde_json::Value, String> {
    let s = std::fs::read_to_string(p).map_err(|e| format!("{}: {e}", p.display()))?;
    serde_json::from_str(&s).map_err(|e| format!("{}: {e}", p.display()))
}

fn write(p: &PathBuf, s: &str) -> Result<(), String> {
    std::fs::write(p, s).map_err(|e| format!("{}: {e}", p.display()))
}

fn run(cli: Cli) -> Result<(), String> {
    match cli.command {
        Command::Run {
            label,
            family,
            round,
            rounds,
            samples,
            floor_samples,
            cleanup,
            plan,
            out,
        } => {
            let slot = Slot {
                family,
                label,
                round,
                rounds,
                samples,
                floor_samples,
                plan: plan.plan()?,
                cleanup,
                strict: true,
            };
            let part = run_slot(&slot).map_err(|e| e.to_string())?;
            write(
                &out,
                &serde_json::to_string(&part).map_err(|e| e.to_string())?,
            )
        }
        Command::Merge {
            meta,
            labels,
            out,
            parts,
        } => {
            let meta = match meta {
                Some(p) => read_json(&p)?,
                None => serde_json::json!({}),
            };
            let parts = parts.iter().map(read_json).collect::<Result<Vec<_>, _>>()?;
            let raw = report::merge(&parts, meta, &labels)?;
            write(
                &out,
                &serde_json::to_string_pretty(&raw).map_err(|e| e.to_string())?,
            )
        }
        Command::Report { raw, md, summary } => {
            let data = report::Data::parse(&read_json(&raw)?)?;
            let text = data.markdown();
            print!("{text}");
            if let Some(p) = md {
                write(&p, &text)?;
            }
            if let Some(p) = summary {
                write(
                    &p,
                    &serde_json::to_string_pretty(&data.summary()).map_err(|e| e.to_string())?,
                )?;
            }
            Ok(())
        }
    }
}

fn main() -> ExitCode {
    match run(Cli::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("nlfam-bench: {e}");
            ExitCode::FAILURE
        }
    }
}
