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
use netlink::{Net, Registration};
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
    _families: KVec<Registration<Family>>,
}

impl kernel::Module for Nlfam {
    fn init(_module: &'static ThisModule) -> Result<Self> {
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
            let reg =
                Registration::new(Net::init(), n, GROUPS, flags, state).inspect_err(|_| {
                    pr_err!(
                        "netlink family {} is already registered by someone else\n",
                        n
                    );
                })?;
            // On an error below, `families` drops: every socket created so far is released.
            families.push(reg, GFP_KERNEL)?;
            pr_info!(
                "registered netlink family {} with {} multicast groups\n",
                n,
                GROUPS
            );
        }
        Ok(Self {
            _families: families,
        })
    }
}

impl Drop for Nlfam {
    fn drop(&mut self) {
        for f in self._families.iter() {
            pr_info!("releasing netlink family {}\n", f.state().number());
        }
    }
}
