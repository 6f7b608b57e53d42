// SPDX-License-Identifier: GPL-2.0

//! The module's parameters (`modinfo nlfam.ko` lists them) and their validation.

use crate::proto::family::{family_in_range, FAMILIES_MAX, FAMILY_MAX, FAMILY_MIN};
use kernel::error::{code::EINVAL, Result};
use kernel::prelude::*;

module_param!(family: [i32; 9] = [crate::proto::family::FAMILY_DEFAULT as i32, 0, 0, 0, 0, 0, 0, 0, 0], count 1,
              "Netlink family numbers to register, 23-31, comma-separated (default 25)");

/// The family numbers to register, validated: in range and without duplicates.
pub(crate) fn families() -> Result<KVec<u32>> {
    let (values, count) = family::get();
    let mut out = KVec::with_capacity(FAMILIES_MAX, GFP_KERNEL)?;
    for &n in values.iter().take(count) {
        if !family_in_range(i64::from(n)) {
            pr_err!(
                "family={} is out of range: netlink families {}-{} are free for private use\n",
                n,
                FAMILY_MIN,
                FAMILY_MAX
            );
            return Err(EINVAL);
        }
        let n = n as u32;
        if out.contains(&n) {
            pr_err!("family={} is given twice\n", n);
            return Err(EINVAL);
        }
        out.push(n, GFP_KERNEL)?;
    }
    Ok(out)
}

module_param!(max_key_len: u32 = crate::proto::family::limits::KEY_LEN_DEFAULT, param_ops_uint, "uint",
              "Longest key in bytes (1-1024, default 256)");
module_param!(max_value_len: u32 = crate::proto::family::limits::VALUE_LEN_DEFAULT, param_ops_uint, "uint",
              "Longest value in bytes (0-65000, default 4096)");
module_param!(max_entries: u32 = crate::proto::family::limits::ENTRIES_DEFAULT, param_ops_uint, "uint",
              "Most entries per family and network namespace (1-4194304, default 65536)");
module_param!(max_bytes: u32 = crate::proto::family::limits::BYTES_DEFAULT, param_ops_uint, "uint",
              "Most bytes of keys and values per family and network namespace (default 256 MiB)");
module_param!(userns_max_entries: u32 = crate::proto::family::limits::USERNS_ENTRIES_DEFAULT, param_ops_uint, "uint",
              "max_entries for namespaces not owned by the initial user namespace (default 1024)");
module_param!(userns_max_bytes: u32 = crate::proto::family::limits::USERNS_BYTES_DEFAULT, param_ops_uint, "uint",
              "max_bytes for namespaces not owned by the initial user namespace (default 1 MiB)");
module_param!(userns_min_period_ms: u32 = crate::proto::family::limits::USERNS_PERIOD_MS_MIN_DEFAULT, param_ops_uint, "uint",
              "Shortest heartbeat in namespaces not owned by the initial user namespace (default 1000)");
module_param!(userns_max_heartbeats: u32 = crate::proto::family::limits::USERNS_HEARTBEATS_DEFAULT, param_ops_uint, "uint",
              "Heartbeats armed at once over all namespaces not owned by the initial user namespace (default 16)");
module_param!(nonroot: bool = false, param_ops_bool, "bool",
              "Let users without CAP_NET_ADMIN subscribe and read (default: root only)");
module_param!(heartbeat_ms: u32 = 0, param_ops_uint, "uint",
              "Heartbeat period on group 2 in milliseconds (0 = off, 10-86400000)");

/// How much one store may hold, and the names of the module parameters that set it (for
/// the extended ACK of a refused SET).
#[derive(Clone, Copy)]
pub(crate) struct Quota {
    pub(crate) max_entries: usize,
    /// Bytes of keys plus values.
    pub(crate) max_bytes: usize,
    pub(crate) entries_full: &'static str,
    pub(crate) bytes_full: &'static str,
}

/// Store limits and access rules, validated once at load.
#[derive(Clone, Copy)]
pub(crate) struct Limits {
    pub(crate) max_key_len: usize,
    pub(crate) max_value_len: usize,
    /// The store quota of namespaces owned by the initial user namespace.
    pub(crate) quota: Quota,
    /// The store quota of every other namespace: any user can create those, with
    /// `CAP_NET_ADMIN` over them.
    pub(crate) userns_quota: Quota,
    /// Shortest heartbeat period in namespaces not owned by the initial user namespace.
    pub(crate) userns_min_period_ms: u32,
    /// Heartbeats armed at once over all those namespaces.
    pub(crate) userns_max_heartbeats: u32,
    /// Reading and subscribing are open to users without `CAP_NET_ADMIN`.
    pub(crate) nonroot: bool,
    /// Initial heartbeat period (0 = off).
    pub(crate) heartbeat_ms: u32,
}

fn in_range(name: &str, v: u32, min: u32, max: u32) -> Result<usize> {
    if v < min || v > max {
        pr_err!("{}={} is out of range {}-{}\n", name, v, min, max);
        return Err(EINVAL);
    }
    Ok(v as usize)
}

/// The limits given at load time, validated.
pub(crate) fn limits() -> Result<Limits> {
    use crate::proto::family::limits as l;
    let hb = heartbeat_ms::get();
    if hb != 0 {
        in_range("heartbeat_ms", hb, l::PERIOD_MS_MIN, l::PERIOD_MS_MAX)?;
    }
    let min_period = userns_min_period_ms::get();
    in_range(
        "userns_min_period_ms",
        min_period,
        l::PERIOD_MS_MIN,
        l::PERIOD_MS_MAX,
    )?;
    Ok(Limits {
        max_key_len: in_range("max_key_len", max_key_len::get(), 1, l::KEY_LEN_MAX)?,
        max_value_len: in_range("max_value_len", max_value_len::get(), 0, l::VALUE_LEN_MAX)?,
        quota: Quota {
            max_entries: in_range("max_entries", max_entries::get(), 1, l::ENTRIES_MAX)?,
            max_bytes: in_range("max_bytes", max_bytes::get(), 1, l::BYTES_MAX)?,
            entries_full: "store is full (module parameter max_entries)",
            bytes_full: "store is full (module parameter max_bytes)",
        },
        userns_quota: Quota {
            max_entries: in_range(
                "userns_max_entries",
                userns_max_entries::get(),
                1,
                l::ENTRIES_MAX,
            )?,
            max_bytes: in_range("userns_max_bytes", userns_max_bytes::get(), 1, l::BYTES_MAX)?,
            entries_full: "store is full (module parameter userns_max_entries: this namespace is not owned by the initial user namespace)",
            bytes_full: "store is full (module parameter userns_max_bytes: this namespace is not owned by the initial user namespace)",
        },
        userns_min_period_ms: min_period,
        userns_max_heartbeats: in_range(
            "userns_max_heartbeats",
            userns_max_heartbeats::get(),
            0,
            l::USERNS_HEARTBEATS_MAX,
        )? as u32,
        nonroot: nonroot::get(),
        heartbeat_ms: hb,
    })
}
