// SPDX-License-Identifier: GPL-2.0

//! nlfam: custom netlink families (protocol numbers 23–31) in safe Rust.
//!
//! Layers, bottom up: `compat` (what this kernel version lacks), `netlink` (the safe
//! raw-netlink model; the only `unsafe`), `proto` (the wire protocol, shared with
//! userspace), `service` (the family's behaviour), and this file (module lifetime).

use kernel::prelude::*;
use kernel::sync::Arc;

#[macro_use]
mod compat;
mod netlink;
mod params;
#[path = "../userspace/proto/src/proto.rs"]
#[allow(dead_code, unreachable_pub)]
pub mod proto;
mod service;

use compat::ffi::NL_CFG_F_NONROOT_RECV;
use netlink::{Net, PerNet, PernetRegistration, Registration};
use proto::family::GROUPS;
use service::Family;

module! {
    type: Nlfam,
    name: "nlfam",
    author: "nlfam developers",
    description: "Custom netlink families 23-31 with request/reply, dumps and events",
    license: "GPL",
    alias: ["net-pf-16-proto-25"],
}

struct Nlfam {
    _pernet: PernetRegistration<NetFamilies>,
}

impl kernel::Module for Nlfam {
    fn init(_module: &'static ThisModule) -> Result<Self> {
        // Validate the parameters once, with log lines, before any namespace is set up.
        params::families()?;
        params::limits()?;
        Ok(Self {
            _pernet: PernetRegistration::new()?,
        })
    }
}

/// The families of one network namespace: each its own kernel socket and store.
struct NetFamilies {
    net: Net,
    // Dropped in order, releasing each kernel socket before its state.
    families: KVec<Registration<Family>>,
}

impl PerNet for NetFamilies {
    fn init(net: Net) -> Result<Self> {
        let numbers = params::families()?;
        let limits = params::limits()?;
        let flags = if limits.nonroot {
            NL_CFG_F_NONROOT_RECV
        } else {
            0
        };
        let mut families = KVec::with_capacity(numbers.len(), GFP_KERNEL)?;
        for &n in numbers.iter() {
            let state = Arc::pin_init(Family::new(n, limits), GFP_KERNEL)?;
            let reg = Registration::new(net, n, GROUPS, flags, state).inspect_err(|_| {
                pr_err!(
                    "netlink family {} is already registered by someone else\n",
                    n
                );
            })?;
            // On an error below, `families` drops: every socket created so far is released.
            families.push(reg, GFP_KERNEL)?;
            if net.is_init() {
                pr_info!(
                    "registered netlink family {} with {} multicast groups\n",
                    n,
                    GROUPS
                );
            }
        }
        Ok(Self { net, families })
    }
}

impl Drop for NetFamilies {
    fn drop(&mut self) {
        if self.net.is_init() {
            for f in self.families.iter() {
                pr_info!("releasing netlink family {}\n", f.state().number());
            }
        }
    }
}
