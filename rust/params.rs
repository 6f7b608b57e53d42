// SPDX-License-Identifier: GPL-2.0

//! The module's parameters (`modinfo nlfam.ko` lists them) and their validation. The
//! scalar ones are declared in `nlfam_module!` (rust/nlfam.rs), the `family` array here.

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
    use crate::param_values as p;
    use crate::proto::family::limits as l;
    let hb = p::heartbeat_ms.value();
    if hb != 0 {
        in_range("heartbeat_ms", hb, l::PERIOD_MS_MIN, l::PERIOD_MS_MAX)?;
    }
    let min_period = p::userns_min_period_ms.value();
    in_range(
        "userns_min_period_ms",
        min_period,
        l::PERIOD_MS_MIN,
        l::PERIOD_MS_MAX,
    )?;
    Ok(Limits {
        max_key_len: in_range("max_key_len", p::max_key_len.value(), 1, l::KEY_LEN_MAX)?,
        max_value_len: in_range("max_value_len", p::max_value_len.value(), 0, l::VALUE_LEN_MAX)?,
        quota: Quota {
            max_entries: in_range("max_entries", p::max_entries.value(), 1, l::ENTRIES_MAX)?,
            max_bytes: in_range("max_bytes", p::max_bytes.value(), 1, l::BYTES_MAX)?,
            entries_full: "store is full (module parameter max_entries)",
            bytes_full: "store is full (module parameter max_bytes)",
        },
        userns_quota: Quota {
            max_entries: in_range(
                "userns_max_entries",
                p::userns_max_entries.value(),
                1,
                l::ENTRIES_MAX,
            )?,
            max_bytes: in_range("userns_max_bytes", p::userns_max_bytes.value(), 1, l::BYTES_MAX)?,
            entries_full: "store is full (module parameter userns_max_entries: this namespace is not owned by the initial user namespace)",
            bytes_full: "store is full (module parameter userns_max_bytes: this namespace is not owned by the initial user namespace)",
        },
        userns_min_period_ms: min_period,
        userns_max_heartbeats: in_range(
            "userns_max_heartbeats",
            p::userns_max_heartbeats.value(),
            0,
            l::USERNS_HEARTBEATS_MAX,
        )? as u32,
        nonroot: p::nonroot.value(),
        heartbeat_ms: hb,
    })
}
