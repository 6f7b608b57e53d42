//! `nlfam`: talk to nlfam's custom netlink families from the command line.

mod bench;
mod ls;

use clap::{Parser, Subcommand};
use nlfam::proto::family::{self, group, msg};
use nlfam::{Error, Event, Incoming, SetMode, Socket};
use serde_json::json;
use std::process::ExitCode;
use std::time::{Duration, Instant};

#[derive(Parser)]
#[command(
    name = "nlfam",
    version,
    about = "Talk to nlfam's custom netlink families (23-31)",
    long_about = "Talk to nlfam's custom netlink families (protocol numbers 23-31) served by the \
nlfam kernel module: echo, a key-value store with dumps and change notifications, publish/subscribe \
and statistics. Errors print the errno name and the kernel's extended-ACK message and exit 1.\n\n\
Writing (set, del, publish) needs CAP_NET_ADMIN; reading and subscribing need it too unless the \
module was loaded with nonroot=1."
)]
struct Cli {
    /// Netlink family (protocol number) to talk to, 23-31.
    #[arg(long, short = 'f', global = true, default_value_t = family::FAMILY_DEFAULT,
          value_parser = clap::value_parser!(u32).range(family::FAMILY_MIN as i64..=family::FAMILY_MAX as i64))]
    family: u32,

    /// Print machine-readable JSON (one object per line) instead of text.
    #[arg(long, global = true)]
    json: bool,

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
    /// Store KEY=VALUE (creates or overwrites unless --create or --replace).
    Set {
        key: String,
        value: String,
        /// Only create: fail with EEXIST if KEY exists (NLM_F_CREATE|NLM_F_EXCL).
        #[arg(long, conflicts_with = "replace")]
        create: bool,
        /// Only overwrite: fail with ENOENT if KEY is missing (NLM_F_REPLACE).
        #[arg(long)]
        replace: bool,
    },
    /// Print the value of KEY.
    Get { key: String },
    /// Delete KEY.
    Del { key: String },
    /// Print every entry, in key order.
    Dump,
    /// Publish a payload to a multicast group (3-32).
    Publish {
        /// Group, 3-32 (1 and 2 are the kernel's).
        #[arg(long, short = 'g', value_parser = clap::value_parser!(u32).range(group::PUBLISH_MIN as i64..=family::GROUPS as i64))]
        group: u32,
        payload: String,
    },
    /// Print the family's counters.
    Stats,
    /// List every netlink family on this system (0-31): kernel socket, user sockets with
    /// port ids, owning processes and subscribed group masks.
    Ls {
        /// Also list families with no socket at all.
        #[arg(long)]
        all: bool,
    },
    /// Print a shell completion script (e.g. `nlfam completions bash > /etc/bash_completion.d/nlfam`).
    Completions {
        /// bash, zsh, fish, elvish or powershell.
        shell: clap_complete::Shell,
    },
    /// Change run-time configuration: the heartbeat on group 2.
    Config {
        /// Heartbeat period in milliseconds: 0 = off, else 10-86400000.
        #[arg(long)]
        heartbeat_ms: u32,
    },
    /// Benchmark the loaded module: echo and the send-to-self floor (0 B to 64 KiB),
    /// batched echo, multicast fan-out, dumps, SET and GET; mean and 95% interval per row.
    ///
    /// Runs against whatever module serves --family now (one label, no ratios; `make bench`
    /// compares the Rust and C modules in a VM). The dump, SET and GET rows fill the store
    /// (it must be empty) up to 1M entries and delete them afterwards; rows beyond the
    /// module's max_entries are skipped (load it with max_entries=1100000 for all of them).
    /// The floor sends to the socket's own port id, which needs CAP_NET_ADMIN.
    #[command(
        after_help = "Examples:\n  nlfam bench --quick\n  nlfam bench --rows echo,floor --samples 10\n  nlfam bench --rows dump/1k,kv --json > raw.json"
    )]
    Bench {
        /// Samples per row.
        #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u32).range(1..=1000))]
        samples: u32,
        #[command(flatten)]
        plan: nlfam_bench::PlanArgs,
    },
    /// Subscribe to multicast groups and print every event until interrupted
    /// (1 = key-value changes, 2 = heartbeat, 3-32 = published).
    #[command(alias = "listen")]
    Monitor {
        /// Group to subscribe to, 1-32 (repeatable; default: 1).
        #[arg(long, short = 'g', value_parser = clap::value_parser!(u32).range(1..=family::GROUPS as i64))]
        group: Vec<u32>,
        /// Stop after this many events.
        #[arg(long)]
        count: Option<u64>,
        /// Stop after this many seconds without an event.
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
    let s = Socket::open(family).map_err(|e| match e.errno() {
        Some(nlfam::proto::errno::EPROTONOSUPPORT) => Error::Protocol(format!(
            "EPROTONOSUPPORT: family {family} is not registered (is the nlfam module loaded with family={family}?)"
        )),
        _ => e,
    })?;
    s.set_timeout(Some(Duration::from_secs(10)))?;
    Ok(s)
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn run(cli: Cli) -> Result<(), Error> {
    let json = cli.json;
    match cli.command {
        Command::Ls { all } => return ls::run(json, all),
        Command::Bench { samples, plan } => {
            // The check of `open` (module loaded, readable error) first; the benchmark opens
            // its own sockets.
            drop(open(cli.family)?);
            let raw = bench::bench_loaded(cli.family, samples as usize, &plan)?;
            if json {
                println!("{raw}");
            } else {
                let data = nlfam_bench::report::Data::parse(&raw).map_err(nlfam_bench::usage)?;
                print!("{}", data.markdown());
            }
            return Ok(());
        }
        Command::Completions { shell } => {
            use clap::CommandFactory;
            clap_complete::generate(shell, &mut Cli::command(), "nlfam", &mut std::io::stdout());
            return Ok(());
        }
        _ => {}
    }
    let mut sock = open(cli.family)?;
    match cli.command {
        Command::Echo {
            text: t,
            size,
            count,
        } => {
            let payload: Vec<u8> = match size {
                Some(n) => (0..n).map(|i| (i % 251) as u8).collect(),
                None => t.unwrap_or_else(|| "hello".into()).into_bytes(),
            };
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
            let per_us = (start.elapsed() / count.max(1)).as_secs_f64() * 1e6;
            if json {
                println!(
                    "{}",
                    json!({"family": cli.family, "port": sock.portid(), "bytes": reply.len(), "round_trip_us": per_us})
                );
            } else {
                let shown = if size.is_none() {
                    format!(": {}", text(&reply))
                } else {
                    String::new()
                };
                println!(
                    "echo from family {} (port {}): {} bytes back, identical, {:.1} us per round trip{}",
                    cli.family,
                    sock.portid(),
                    reply.len(),
                    per_us,
                    shown
                );
            }
        }
        Command::Set {
            key,
            value,
            create,
            replace,
        } => {
            let mode = if create {
                SetMode::Create
            } else if replace {
                SetMode::Replace
            } else {
                SetMode::Upsert
            };
            sock.set(key.as_bytes(), value.as_bytes(), mode)?;
        }
        Command::Get { key } => {
            let v = sock.get(key.as_bytes())?;
            if json {
                println!("{}", json!({"key": key, "value": text(&v)}));
            } else {
                println!("{}", text(&v));
            }
        }
        Command::Del { key } => sock.del(key.as_bytes())?,
        Command::Dump => {
            let d = sock.dump()?;
            for (k, v) in &d.entries {
                if json {
                    println!("{}", json!({"key": text(k), "value": text(v)}));
                } else {
                    println!("{}={}", text(k), text(v));
                }
            }
            if d.interrupted {
                eprintln!("nlfam: warning: the store changed during the dump (NLM_F_DUMP_INTR); run it again for a consistent view");
            }
        }
        Command::Publish { group, payload } => sock.publish(group, payload.as_bytes())?,
        Command::Ls { .. } | Command::Completions { .. } | Command::Bench { .. } => {}
        Command::Config { heartbeat_ms } => {
            let (period, sent) = sock.config(heartbeat_ms)?;
            if json {
                println!("{}", json!({"heartbeat_ms": period, "heartbeats": sent}));
            } else {
                println!("heartbeat every {period} ms ({sent} sent so far)");
            }
        }
        Command::Stats => {
            let s = sock.stats()?;
            if json {
                println!(
                    "{}",
                    json!({"family": s.family, "rx": s.rx, "tx": s.tx, "errors": s.errors, "dropped": s.dropped,
                           "notifications": s.notifications, "entries": s.entries,
                           "subscribers": s.subscribers.iter().map(|(g, n)| (g.to_string(), json!(n))).collect::<serde_json::Map<_, _>>(), "heartbeat_ms": s.heartbeat_ms})
                );
            } else {
                println!("family          {}", s.family);
                println!("received        {}", s.rx);
                println!("replied         {}", s.tx);
                println!("errors          {}", s.errors);
                println!("dropped         {}", s.dropped);
                println!("notifications   {}", s.notifications);
                println!("entries         {}", s.entries);
                let groups: Vec<String> = s
                    .subscribers
                    .iter()
                    .map(|(g, n)| format!("{g}: {n}"))
                    .collect();
                println!("subscribers     {}", groups.join(", "));
                println!("heartbeat       {} ms", s.heartbeat_ms);
            }
        }
        Command::Monitor {
            group: groups,
            count,
            timeout,
        } => {
            let groups = if groups.is_empty() {
                vec![group::KV]
            } else {
                groups
            };
            for g in &groups {
                sock.add_membership(*g)?;
            }
            sock.set_timeout(None)?;
            eprintln!(
                "monitoring family {} groups {:?} (port {})",
                cli.family,
                groups,
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
                let event = match sock.recv() {
                    Err(Error::Overrun) => {
                        // Events were lost: say so, and carry on (a store mirror would re-dump).
                        if json {
                            println!("{}", json!({"event": "overrun"}));
                        } else {
                            println!("overrun: events were lost (ENOBUFS); re-read state with `nlfam dump`");
                        }
                        continue;
                    }
                    // This socket sends nothing, so no answer is expected: shown as received.
                    Ok(Incoming::Reply(m)) => Event::Other(m),
                    Ok(Incoming::Event(e)) => e,
                    Err(e) => return Err(e),
                };
                seen += 1;
                print_event(&event, json);
            }
        }
    }
    Ok(())
}

fn print_event(e: &Event, json: bool) {
    match (e, json) {
        (
            Event::KvSet {
                key,
                value,
                portid,
                seq,
            },
            false,
        ) => {
            println!(
                "set {}={} (port {portid} seq {seq})",
                text(key),
                text(value)
            )
        }
        (
            Event::KvSet {
                key,
                value,
                portid,
                seq,
            },
            true,
        ) => println!(
            "{}",
            json!({"event": "set", "key": text(key), "value": text(value), "port": portid, "seq": seq})
        ),
        (Event::KvDel { key, portid, seq }, false) => {
            println!("del {} (port {portid} seq {seq})", text(key))
        }
        (Event::KvDel { key, portid, seq }, true) => {
            println!(
                "{}",
                json!({"event": "del", "key": text(key), "port": portid, "seq": seq})
            )
        }
        (
            Event::Publish {
                group,
                payload,
                portid,
                uid,
                timestamp_ns,
            },
            false,
        ) => println!(
            "publish group {group}: {} (port {portid} uid {uid} at {timestamp_ns})",
            text(payload)
        ),
        (
            Event::Publish {
                group,
                payload,
                portid,
                uid,
                timestamp_ns,
            },
            true,
        ) => println!(
            "{}",
            json!({"event": "publish", "group": group, "payload": text(payload), "port": portid, "uid": uid,
                   "timestamp_ns": timestamp_ns})
        ),
        (
            Event::Heartbeat {
                counter,
                timestamp_ns,
            },
            false,
        ) => println!("heartbeat {counter} at {timestamp_ns}"),
        (
            Event::Heartbeat {
                counter,
                timestamp_ns,
            },
            true,
        ) => {
            println!(
                "{}",
                json!({"event": "heartbeat", "counter": counter, "timestamp_ns": timestamp_ns})
            )
        }
        (Event::Other(m), false) => println!(
            "type={} ({}) flags={:#x} seq={} len={}",
            m.hdr.ty,
            msg::name(m.hdr.ty).unwrap_or("?"),
            m.hdr.flags,
            m.hdr.seq,
            m.payload.len()
        ),
        (Event::Other(m), true) => println!(
            "{}",
            json!({"event": "other", "type": m.hdr.ty, "flags": m.hdr.flags, "seq": m.hdr.seq, "len": m.payload.len()})
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn completions_name_every_command() {
        let mut out = Vec::new();
        clap_complete::generate(
            clap_complete::Shell::Bash,
            &mut Cli::command(),
            "nlfam",
            &mut out,
        );
        let text = String::from_utf8(out).unwrap();
        for cmd in [
            "echo", "set", "get", "del", "dump", "publish", "stats", "monitor", "ls", "config",
            "bench",
        ] {
            assert!(text.contains(cmd), "bash completion lacks {cmd}");
        }
    }

    #[test]
    fn family_out_of_range_is_refused() {
        assert!(Cli::try_parse_from(["nlfam", "--family", "22", "stats"]).is_err());
        assert!(Cli::try_parse_from(["nlfam", "--family", "32", "stats"]).is_err());
        assert!(Cli::try_parse_from(["nlfam", "--family", "31", "stats"]).is_ok());
        assert!(Cli::try_parse_from(["nlfam", "publish", "--group", "2", "x"]).is_err());
    }

    #[test]
    fn bench_options() {
        let cli = Cli::try_parse_from([
            "nlfam",
            "bench",
            "--samples",
            "3",
            "--rows",
            "echo,dump/1k",
            "--quick",
        ])
        .unwrap();
        let Command::Bench { samples, plan } = cli.command else {
            panic!("not bench");
        };
        assert_eq!(samples, 3);
        let ids: Vec<String> = plan.plan().unwrap().rows().iter().map(|r| r.id()).collect();
        assert_eq!(
            ids,
            [
                "echo/0B",
                "echo/64B",
                "echo/1KiB",
                "echo/16KiB",
                "echo/64KiB",
                "dump/1k"
            ]
        );
        assert!(Cli::try_parse_from(["nlfam", "bench", "--samples", "0"]).is_err());
        let cli = Cli::try_parse_from(["nlfam", "bench", "--rows", "nonsense"]).unwrap();
        let Command::Bench { plan, .. } = cli.command else {
            panic!("not bench");
        };
        assert!(plan.plan().is_err());
    }
}
