//! `nlfam ls`: every netlink family on the running system, with its kernel socket, its
//! user sockets, their port ids, owning processes and subscribed groups — the table the
//! BoxMatrix page assembles by hand, read from `/proc/net/netlink` and `/proc/*/fd`.

use serde_json::json;
use std::collections::BTreeMap;
use std::fs;

/// Names of the protocol numbers the kernel defines (`include/uapi/linux/netlink.h`).
const NAMES: [&str; 32] = [
    "NETLINK_ROUTE",
    "NETLINK_UNUSED",
    "NETLINK_USERSOCK",
    "NETLINK_FIREWALL",
    "NETLINK_SOCK_DIAG",
    "NETLINK_NFLOG",
    "NETLINK_XFRM",
    "NETLINK_SELINUX",
    "NETLINK_ISCSI",
    "NETLINK_AUDIT",
    "NETLINK_FIB_LOOKUP",
    "NETLINK_CONNECTOR",
    "NETLINK_NETFILTER",
    "NETLINK_IP6_FW",
    "NETLINK_DNRTMSG",
    "NETLINK_KOBJECT_UEVENT",
    "NETLINK_GENERIC",
    "NETLINK_DM",
    "NETLINK_SCSITRANSPORT",
    "NETLINK_ECRYPTFS",
    "NETLINK_RDMA",
    "NETLINK_CRYPTO",
    "NETLINK_SMC",
    "NETLINK_FAMILY_23",
    "NETLINK_FAMILY_24",
    "NETLINK_FAMILY_25",
    "NETLINK_FAMILY_26",
    "NETLINK_FAMILY_27",
    "NETLINK_FAMILY_28",
    "NETLINK_FAMILY_29",
    "NETLINK_FAMILY_30",
    "NETLINK_FAMILY_31",
];

/// One line of `/proc/net/netlink`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SockLine {
    pub protocol: u32,
    pub portid: u32,
    pub groups: u32,
    pub inode: u64,
}

/// Parses `/proc/net/netlink` (header: sk Eth Pid Groups Rmem Wmem Dump Locks Drops Inode).
pub fn parse_proc(text: &str) -> Vec<SockLine> {
    text.lines()
        .skip(1)
        .filter_map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            Some(SockLine {
                protocol: f.get(1)?.parse().ok()?,
                portid: f.get(2)?.parse().ok()?,
                groups: u32::from_str_radix(f.get(3)?, 16).ok()?,
                inode: f.get(9)?.parse().ok()?,
            })
        })
        .collect()
}

/// Socket inode -> "comm[pid]" of every process holding it.
fn owners() -> BTreeMap<u64, Vec<String>> {
    let mut map: BTreeMap<u64, Vec<String>> = BTreeMap::new();
    let Ok(procs) = fs::read_dir("/proc") else {
        return map;
    };
    for p in procs.flatten() {
        let name = p.file_name();
        let Some(pid) = name
            .to_str()
            .filter(|s| s.bytes().all(|b| b.is_ascii_digit()))
        else {
            continue;
        };
        let comm = fs::read_to_string(format!("/proc/{pid}/comm")).unwrap_or_default();
        let Ok(fds) = fs::read_dir(format!("/proc/{pid}/fd")) else {
            continue;
        };
        for fd in fds.flatten() {
            let Ok(target) = fs::read_link(fd.path()) else {
                continue;
            };
            let t = target.to_string_lossy();
            if let Some(inode) = t
                .strip_prefix("socket:[")
                .and_then(|s| s.strip_suffix(']'))
                .and_then(|s| s.parse().ok())
            {
                let who = format!("{}[{pid}]", comm.trim());
                let v = map.entry(inode).or_default();
                if !v.contains(&who) {
                    v.push(who);
                }
            }
        }
    }
    map
}

pub fn run(json: bool, all: bool) -> Result<(), nlfam::Error> {
    let text = fs::read_to_string("/proc/net/netlink")?;
    let socks = parse_proc(&text);
    let owners = owners();
    if !json {
        println!(
            "{:<3} {:<24} {:<6} {:>5}  user sockets (port: process, groups)",
            "#", "family", "kernel", "users"
        );
    }
    for proto in 0..32u32 {
        let of: Vec<&SockLine> = socks.iter().filter(|s| s.protocol == proto).collect();
        let kernel = of.iter().any(|s| s.portid == 0);
        let users: Vec<&&SockLine> = of.iter().filter(|s| s.portid != 0).collect();
        if !all && !kernel && users.is_empty() {
            continue;
        }
        let name = NAMES.get(proto as usize).copied().unwrap_or("?");
        let user_list: Vec<serde_json::Value> = users
            .iter()
            .map(|s| {
                json!({"port": s.portid, "groups": format!("{:#010x}", s.groups),
                       "processes": owners.get(&s.inode).cloned().unwrap_or_default(), "inode": s.inode})
            })
            .collect();
        if json {
            println!(
                "{}",
                json!({"family": proto, "name": name, "kernel_socket": kernel, "users": user_list})
            );
        } else {
            let shown: Vec<String> = users
                .iter()
                .map(|s| {
                    let who = owners
                        .get(&s.inode)
                        .map(|v| v.join(","))
                        .unwrap_or_else(|| "?".into());
                    if s.groups != 0 {
                        format!("{}: {} {:#x}", s.portid, who, s.groups)
                    } else {
                        format!("{}: {}", s.portid, who)
                    }
                })
                .collect();
            println!(
                "{:<3} {:<24} {:<6} {:>5}  {}",
                proto,
                name,
                if kernel { "yes" } else { "no" },
                users.len(),
                shown.join("; ")
            );
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_proc_net_netlink() {
        let t = "sk               Eth Pid        Groups   Rmem     Wmem     Dump  Locks    Drops    Inode\n\
                 00000000469f34fb 25  0          00000000 0        0        0     2        0        150\n\
                 00000000532df485 25  196        00000005 0        0        0     2        0        155\n\
                 garbage line\n";
        let v = parse_proc(t);
        assert_eq!(v.len(), 2);
        assert_eq!(
            v[0],
            SockLine {
                protocol: 25,
                portid: 0,
                groups: 0,
                inode: 150
            }
        );
        assert_eq!(
            v[1],
            SockLine {
                protocol: 25,
                portid: 196,
                groups: 5,
                inode: 155
            }
        );
    }

    #[test]
    fn names_cover_every_protocol() {
        assert_eq!(NAMES[0], "NETLINK_ROUTE");
        assert_eq!(NAMES[16], "NETLINK_GENERIC");
        assert_eq!(NAMES[25], "NETLINK_FAMILY_25");
    }
}
