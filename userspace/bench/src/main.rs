//! `nlfam-bench`: the benchmark's workloads (in the VM) and reports (on the host).
//!
//!   nlfam-bench run --module rust=25 --module c=26 --samples 40 --out raw.json
//!   nlfam-bench merge --meta meta.json --out latest.json raw.json
//!   nlfam-bench report latest.json --md latest.md --summary summary.json

use clap::Parser;
use nlfam_bench::{report, RunArgs};
use serde_json::Value;
use std::path::PathBuf;
use std::process::ExitCode;

/// Benchmarks of nlfam's kernel modules: workloads, merge and reports (make bench drives it)
#[derive(Parser)]
#[command(name = "nlfam-bench")]
enum Command {
    /// Run every row against the loaded modules, samples interleaved; write them as JSON.
    Run {
        #[command(flatten)]
        args: RunArgs,
        /// Where to write the raw result.
        #[arg(long)]
        out: PathBuf,
    },
    /// Add the run's metadata to its raw result.
    Merge {
        /// JSON object with the run's metadata (accelerator, commit, date, host, config).
        #[arg(long)]
        meta: PathBuf,
        #[arg(long)]
        out: PathBuf,
        raw: PathBuf,
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
        Command::Run { args, out } => {
            let raw = nlfam_bench::run(&args).map_err(|e| e.to_string())?;
            write(&out, raw.to_string())
        }
        Command::Merge { meta, out, raw } => {
            let raw = report::with_meta(read(&raw)?, read(&meta)?)?;
            write(&out, format!("{raw:#}"))
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
