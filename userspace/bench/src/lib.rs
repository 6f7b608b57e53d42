//! Benchmarks of nlfam's kernel modules. The workloads ([`workload`]) run in the VM against
//! the loaded modules, their samples interleaved ([`runner`]), with the rows of [`rows`]; the
//! statistics ([`stats`]) and reports ([`report`]) run on the host from the raw JSON.
//! `make bench` drives it all; `nlfam bench` (the CLI) runs the rows against the module
//! loaded now.

pub mod report;
pub mod rows;
pub mod runner;
pub mod stats;
pub mod workload;

pub use rows::{Kind, PlanArgs, Row};
pub use runner::{run, RunArgs};

use nlfam::Error;

/// An error that is the user's to fix, printed as it is.
pub fn usage(msg: String) -> Error {
    Error::Io(std::io::Error::other(msg))
}
