//! `nlfam`: talk to nlfam's custom netlink families from the command line.

use clap::{Parser, Subcommand};
use nlfam::proto::family::{self, msg};
use nlfam::{Error, Socket};
use std::process::ExitCode;
use std::time::{Duration, Instant};

#[derive(Parser)]
#[command(
    name = "nlfam",
    version,
    about = "Talk to nlfam's custom netlink families (23-31)",
    long_about = "Talk to nlfam's custom netlink families (protocol numbers 23-31) served by the \
nlfam kernel module: echo, key-value store, publish/subscribe and statistics. Errors print the \
errno name and the kernel's extended-ACK message and exit non-zero."
)]
struct Cli {
    /// Netlink family (protocol number) to talk to, 23-31.
    #[arg(long, short = 'f', global = true, default_value_t = family::FAMILY_DEFAULT,
          value_parser = clap::value_parser!(u32).range(family::FAMILY_MIN as i64..=family::FAMILY_MAX as i64))]
    family: u32,

    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Send a payload and print what the kernel echoes back.
    Echo {
        /// Text to send (default: "hello").
        text: Option<String>,
        /// Send this many bytes of a test pattern instead of TEXT (0-65536).
        #[arg(long, conflicts_with = "text", value_parser = clap::value_parser!(u32).range(0..=65536))]
        size: Option<u32>,
        /// Repeat this many times and report the mean round trip.
        #[arg(long, default_value_t = 1)]
        count: u32,
    },
    /// Subscribe to multicast groups and print every message until interrupted.
    #[command(alias = "monitor")]
    Listen {
        /// Group to subscribe to, 1-32 (repeatable).
        #[arg(long, short = 'g', required = true,
              value_parser = clap::value_parser!(u32).range(1..=family::GROUPS as i64))]
        group: Vec<u32>,
        /// Stop after this many messages.
        #[arg(long)]
        count: Option<u64>,
        /// Stop after this many seconds without a message.
        #[arg(long)]
        timeout: Option<u64>,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("nlfam: {e}");
            ExitCode::FAILURE
        }
    }
}

fn open(family: u32) -> Result<Socket, Error> {
    Socket::open(family).map_err(|e| match e.errno() {
        Some(nlfam::proto::errno::EPROTONOSUPPORT) => Error::Protocol(format!(
            "family {family} is not registered (is the nlfam module loaded with family={family}?)"
        )),
        _ => e,
    })
}

fn run(cli: Cli) -> Result<(), Error> {
    match cli.command {
        Command::Echo { text, size, count } => {
            let payload: Vec<u8> = match size {
                Some(n) => (0..n).map(|i| (i % 251) as u8).collect(),
                None => text.unwrap_or_else(|| "hello".into()).into_bytes(),
            };
            let mut sock = open(cli.family)?;
            let start = Instant::now();
            let mut reply = Vec::new();
            for _ in 0..count.max(1) {
                reply = sock.echo(&payload)?;
                if reply != payload {
                    return Err(Error::Protocol(format!(
                        "echo came back different: sent {} bytes, got {}",
                        payload.len(),
                        reply.len()
                    )));
                }
            }
            let per = start.elapsed() / count.max(1);
            let shown = if size.is_none() {
                format!(": {}", String::from_utf8_lossy(&reply))
            } else {
                String::new()
            };
            println!(
                "echo from family {} (port {}): {} bytes back, identical, {:.1} us per round trip{}",
                cli.family,
                sock.portid(),
                reply.len(),
                per.as_secs_f64() * 1e6,
                shown
            );
            Ok(())
        }
        Command::Listen {
            group,
            count,
            timeout,
        } => {
            let mut sock = open(cli.family)?;
            for g in &group {
                sock.add_membership(*g)?;
            }
            eprintln!(
                "listening on family {} groups {:?} (port {})",
                cli.family,
                group,
                sock.portid()
            );
            let mut seen = 0u64;
            loop {
                if count.is_some_and(|c| seen >= c) {
                    return Ok(());
                }
                if let Some(t) = timeout {
                    if !sock.wait_readable(Duration::from_secs(t))? {
                        return Ok(());
                    }
                }
                for m in sock.recv_messages()? {
                    seen += 1;
                    let name = msg::name(m.hdr.ty).unwrap_or("?");
                    println!(
                        "type={} ({}) flags={:#x} seq={} port={} len={}",
                        m.hdr.ty,
                        name,
                        m.hdr.flags,
                        m.hdr.seq,
                        m.hdr.pid,
                        m.payload.len()
                    );
                }
            }
        }
    }
}
