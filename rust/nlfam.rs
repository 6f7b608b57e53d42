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
use kernel::error::code::EBUSY;
use netlink::{unit_registered, Net, PerNet, PernetId, PernetRegistration, Sockets};
use proto::family::GROUPS;
use service::{Family, Owner};

nlfam_module! {
    type: Nlfam,
    name: "nlfam",
    author: "nlfam developers",
    description: "Custom netlink families 23-31 with request/reply, dumps and events",
    license: "GPL",
    alias: ["net-pf-16-proto-25"],
    params: {
        max_key_len: u32 {
            default: crate::proto::family::limits::KEY_LEN_DEFAULT,
            description: "Longest key in bytes (1-1024, default 256)",
        },
        max_value_len: u32 {
            default: crate::proto::family::limits::VALUE_LEN_DEFAULT,
            description: "Longest value in bytes (0-65000, default 4096)",
        },
        max_entries: u32 {
            default: crate::proto::family::limits::ENTRIES_DEFAULT,
            description: "Most entries per family and network namespace (1-4194304, default 65536)",
        },
        max_bytes: u32 {
            default: crate::proto::family::limits::BYTES_DEFAULT,
            description: "Most bytes of keys and values per family and network namespace (default 256 MiB)",
        },
        userns_max_entries: u32 {
            default: crate::proto::family::limits::USERNS_ENTRIES_DEFAULT,
            description: "max_entries for namespaces not owned by the initial user namespace (default 1024)",
        },
        userns_max_bytes: u32 {
            default: crate::proto::family::limits::USERNS_BYTES_DEFAULT,
            description: "max_bytes for namespaces not owned by the initial user namespace (default 1 MiB)",
        },
        userns_min_period_ms: u32 {
            default: crate::proto::family::limits::USERNS_PERIOD_MS_MIN_DEFAULT,
            description: "Shortest heartbeat in namespaces not owned by the initial user namespace (default 1000)",
        },
        userns_max_heartbeats: u32 {
            default: crate::proto::family::limits::USERNS_HEARTBEATS_DEFAULT,
            description: "Heartbeats armed at once over all namespaces not owned by the initial user namespace (default 16)",
        },
        nonroot: bool {
            default: false,
            description: "Let users without CAP_NET_ADMIN subscribe and read (default: root only)",
        },
        heartbeat_ms: u32 {
            default: 0,
            description: "Heartbeat period on group 2 in milliseconds (0 = off, 10-86400000)",
        },
    },
}

struct Nlfam {
    /// `None` only when loading failed while user sockets pinned the module (see `init`).
    _pernet: Option<PernetRegistration<PerNamespace>>,
}

impl kernel::Module for Nlfam {
    fn init(module: &'static ThisModule) -> Result<Self> {
        // Validate the parameters once, with log lines, before any namespace is set up.
        params::families()?;
        params::limits()?;
        match PernetRegistration::new(module) {
            Ok(pernet) => Ok(Self {
                _pernet: Some(pernet),
            }),
            Err(e) => stay_if_pinned(module, e),
        }
    }
}

/// After a failed setup: fails the load, unless user sockets hold references on the
/// module.
///
/// A family is visible from its first kernel socket on, and every `socket()` on it takes
/// a reference on this module (`try_module_get` succeeds while a module is loading); the
/// core frees a module whose init failed whatever its references, and closing those
/// sockets would then drop a reference in freed memory. The pernet layer fails a
/// registration only before any kernel socket exists (after that, a namespace whose setup
/// fails is left without the families and loading goes on), so no such reference should
/// exist here; should one exist all the same, the module stays loaded, serving nothing,
/// until the sockets are closed and it is unloaded. No new socket can add a reference
/// after the check: the core takes them only while the family is registered.
fn stay_if_pinned(module: &'static ThisModule, e: Error) -> Result<Nlfam> {
    // The loader holds one reference during init.
    let held = netlink::module_refcount(module).saturating_sub(1);
    if held <= 0 {
        return Err(e);
    }
    pr_err!(
        "setting up the families failed ({:?}), but {} sockets opened meanwhile hold the \
         module: it stays loaded without families until they are closed and it is unloaded\n",
        e,
        held
    );
    Ok(Nlfam { _pernet: None })
}

/// The families of one network namespace: each its own kernel socket (in the namespace's
/// `Sockets`, which the netlink layer releases after this is dropped) and store.
struct NetFamilies {
    /// This is the initial namespace (log lines are for that one only).
    initial: bool,
    /// The family numbers registered.
    numbers: KVec<u32>,
}

/// nlfam's per-namespace state: a [`NetFamilies`] in every network namespace.
struct PerNamespace;

/// The slot of [`NetFamilies`] in every namespace.
static NET_FAMILIES_ID: PernetId = PernetId::new();

impl PerNet for PerNamespace {
    type Handler = Family;
    type State<'net> = NetFamilies;

    fn id() -> &'static PernetId {
        &NET_FAMILIES_ID
    }

    fn init<'net>(net: Net<'net>, sockets: &mut Sockets<'net, Family>) -> Result<NetFamilies> {
        let numbers = params::families()?;
        let limits = params::limits()?;
        let flags = if limits.nonroot {
            NL_CFG_F_NONROOT_RECV
        } else {
            0
        };
        let owner = if net.owned_by_initial_user_ns() {
            Owner::InitialUserNs
        } else {
            Owner::OtherUserNs
        };
        // As little as possible can fail once a kernel socket exists: a kernel socket
        // makes the family visible, and user sockets can use it at once. So the states
        // are allocated and the family numbers checked first; after the first socket,
        // only socket creation itself can fail (a number taken by a concurrent
        // registration after the check, memory inside `__netlink_kernel_create`). While
        // the module loads, the pernet layer then keeps the sockets created (see
        // `netlink::pernet`): the namespace lacks the families that failed, and says so.
        let mut states = KVec::with_capacity(numbers.len(), GFP_KERNEL)?;
        for &n in numbers.iter() {
            states.push(
                (n, Arc::pin_init(Family::new(n, limits, owner), GFP_KERNEL)?),
                GFP_KERNEL,
            )?;
        }
        if net.is_init() {
            if let Some(&n) = numbers.iter().find(|&&n| unit_registered(n as usize)) {
                pr_err!(
                    "netlink family {} is already registered by someone else\n",
                    n
                );
                return Err(EBUSY);
            }
        }
        let mut registered = KVec::with_capacity(numbers.len(), GFP_KERNEL)?;
        sockets.reserve(numbers.len())?;
        for (n, state) in states.into_iter() {
            sockets.add(n, GROUPS, flags, state).inspect_err(|e| {
                if *e == EBUSY {
                    pr_err!(
                        "netlink family {} is already registered by someone else\n",
                        n
                    );
                } else {
                    pr_err!("netlink family {}: kernel socket not created: {:?}\n", n, e);
                }
            })?;
            // Within the capacity reserved above: cannot fail. (If it did, the error would
            // release every socket created so far.)
            registered.push(n, GFP_KERNEL)?;
            if net.is_init() {
                pr_info!(
                    "registered netlink family {} with {} multicast groups\n",
                    n,
                    GROUPS
                );
            }
        }
        Ok(NetFamilies {
            initial: net.is_init(),
            numbers: registered,
        })
    }
}

impl Drop for NetFamilies {
    fn drop(&mut self) {
        if self.initial {
            for n in self.numbers.iter() {
                pr_info!("releasing netlink family {}\n", n);
            }
        }
    }
}
