// SPDX-License-Identifier: GPL-2.0

//! The family's services, in safe Rust over the netlink layer: one [`Family`] per
//! registered family number and network namespace, dispatching requests by message type.
//!
//! Every request type is declared once, as data, in the shared protocol crate
//! ([`OPS`]: who may send it, its attribute policy and required attributes, whether it
//! dumps, whether it is answered). [`Family::serve`] enforces all of that before the
//! type's handler ([`SERVED`]) runs, so handlers receive validated attributes and
//! contain no permission or parsing code.

mod echo;
mod heartbeat;
mod kv;
mod publish;
mod stats;
mod store;

use crate::netlink::errno::{ENOBUFS, EOPNOTSUPP, EPERM, ESRCH};
use crate::netlink::{err, Failure, Handler, Outcome, Periodic, Request, SocketRef};
use crate::params::{Limits, Quota};
use crate::proto::family::{attr, group, msg, Access, Op, Payload, GROUPS, OPS};
use crate::proto::policy::{parse, Parsed};
use crate::proto::wire::{NLMSG_HDRLEN, NLM_F_DUMP};
use heartbeat::HeartbeatConfig;
use kernel::prelude::*;
use kernel::sync::{ArcBorrow, Mutex};
use stats::Stats;
use store::Store;

/// Who owns a family's network namespace, which decides its limits.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Owner {
    /// The initial user namespace: the administrator's own namespaces.
    InitialUserNs,
    /// Any other user namespace: any user can create one (`unshare -Urn`) and has
    /// `CAP_NET_ADMIN` over its network namespaces, so these get the `userns_*` limits.
    OtherUserNs,
}

/// The state of one family in one network namespace.
#[pin_data]
pub(crate) struct Family {
    number: u32,
    limits: Limits,
    owner: Owner,
    stats: Stats,
    #[pin]
    store: Mutex<Store>,
    #[pin]
    heartbeat: Periodic,
    /// Serialises every change of the heartbeat's period and timer.
    #[pin]
    heartbeat_config: Mutex<HeartbeatConfig>,
}

impl Family {
    pub(crate) fn new(number: u32, limits: Limits, owner: Owner) -> impl PinInit<Self> {
        pin_init!(Self {
            number,
            limits,
            owner,
            stats: Stats::default(),
            store <- kernel::new_mutex!(Store::new(), "nlfam_store"),
            heartbeat <- Periodic::new(group::HEARTBEAT, heartbeat::build),
            heartbeat_config <- kernel::new_mutex!(HeartbeatConfig::default(), "nlfam_heartbeat"),
        })
    }

    /// The store quota of this family's namespace.
    fn quota(&self) -> &Quota {
        match self.owner {
            Owner::InitialUserNs => &self.limits.quota,
            Owner::OtherUserNs => &self.limits.userns_quota,
        }
    }

    /// Writing (SET, DEL, PUBLISH, CONFIG) needs `CAP_NET_ADMIN` in the user namespace
    /// that owns the family's network namespace.
    fn require_admin(&self, req: &Request<'_>, why: &'static str) -> Result<(), Failure> {
        if req.net_admin() {
            Ok(())
        } else {
            Err(Failure::new(err(EPERM), why))
        }
    }

    /// Reading (GET, dumps, STATS) needs `CAP_NET_ADMIN` unless the module was loaded
    /// with `nonroot=1`, the same rule the core applies to subscribing.
    fn require_reader(&self, req: &Request<'_>) -> Result<(), Failure> {
        if self.limits.nonroot || req.net_admin() {
            Ok(())
        } else {
            Err(Failure::new(
                err(EPERM),
                "CAP_NET_ADMIN is required to read (module parameter nonroot=1 opens it)",
            ))
        }
    }

    /// Accounts for a multicast: `ESRCH` (nobody listened any more) is not a failure,
    /// `ENOBUFS` means at least one subscriber lost it.
    fn count_broadcast(&self, r: Result) {
        match r {
            Ok(()) => Stats::bump(&self.stats.notifications),
            Err(e) if e == err(ESRCH) => {}
            Err(e) => {
                if e == err(ENOBUFS) {
                    Stats::bump(&self.stats.notifications);
                }
                Stats::bump(&self.stats.dropped);
            }
        }
    }

    /// Serves one request: the checks its type's declaration asks for, in this order
    /// (permission, attribute policy, required attributes), then its handler. Also says
    /// whether the answer counts as sent data.
    fn serve(this: ArcBorrow<'_, Self>, req: &Request<'_>) -> Result<(Outcome, bool), Failure> {
        let ty = req.hdr().ty;
        let Some(served) = SERVED.iter().find(|s| s.op.ty == ty) else {
            return Err(Failure::new(
                err(EOPNOTSUPP),
                "unknown message type for this family",
            ));
        };
        let op = &served.op;
        match op.access {
            Access::Anyone => {}
            Access::Reader => this.require_reader(req)?,
            Access::Admin(why) => this.require_admin(req, why)?,
        }
        let attrs = match op.payload {
            Payload::Attrs(policy) => parse(policy, req.payload(), NLMSG_HDRLEN)?,
            Payload::Raw => Attrs::empty(NLMSG_HDRLEN),
        };
        let handle = match served.dumpit {
            Some(dumpit) if req.hdr().flags & NLM_F_DUMP == NLM_F_DUMP => dumpit,
            _ => {
                if let Some((missing, why)) =
                    op.required.iter().find(|(a, _)| attrs.get(*a).is_none())
                {
                    return Err(Failure::missing(*missing, why));
                }
                served.doit
            }
        };
        Ok((handle(this, req, &attrs)?, op.answers))
    }

    fn stats(
        this: ArcBorrow<'_, Self>,
        req: &Request<'_>,
        _: &Attrs<'_>,
    ) -> Result<Outcome, Failure> {
        let this = &*this;
        let entries = this.store.lock().len() as u32;
        let s = &this.stats;
        let subscribers = req.subscribers()?;
        req.reply(msg::STATS, 0, 512, |w| {
            w.put_u32(attr::FAMILY, this.number)?;
            w.put_u64(attr::STAT_RX, Stats::read(&s.rx))?;
            w.put_u64(attr::STAT_TX, Stats::read(&s.tx))?;
            w.put_u64(attr::STAT_ERRORS, Stats::read(&s.errors))?;
            let hb = &this.heartbeat;
            w.put_u64(
                attr::STAT_DROPPED,
                Stats::read(&s.dropped) + Stats::read(&hb.dropped),
            )?;
            w.put_u64(
                attr::STAT_NOTIFICATIONS,
                Stats::read(&s.notifications) + Stats::read(&hb.sent),
            )?;
            w.put_u32(attr::PERIOD_MS, hb.period_ms())?;
            w.put_u32(attr::STAT_ENTRIES, entries)?;
            // Subscribing sockets per group, for the groups that have any.
            let nest = w.begin_nest(attr::STAT_SUBSCRIBERS)?;
            for (g, n) in (1u16..).zip(subscribers).take(GROUPS as usize) {
                if n != 0 {
                    w.put_u32(g, n)?;
                }
            }
            w.end_nest(nest)
        })?;
        Ok(Outcome::Done)
    }
}

/// The protocol's attributes of one request, validated against its type's policy.
pub(crate) type Attrs<'a> = Parsed<'a, { attr::MAX as usize + 1 }>;

/// A request type's handler, called with the request's validated attributes once the
/// checks its declaration asks for have passed.
type Handle = fn(ArcBorrow<'_, Family>, &Request<'_>, &Attrs<'_>) -> Result<Outcome, Failure>;

/// What serves one request type (genetlink's `struct genl_ops`): the protocol's
/// declaration and the handlers.
#[derive(Clone, Copy)]
struct Served {
    op: Op,
    /// Handles a request.
    doit: Handle,
    /// Starts a dump: for a request with `NLM_F_DUMP`, of a type declared to dump.
    dumpit: Option<Handle>,
}

/// Every request type: its declaration ([`OPS`]) and its handlers, listed with their
/// types in the order of `OPS`. The build fails if the two lists disagree, or if a type
/// declared to dump has no dump handler (or the reverse).
static SERVED: [Served; OPS.len()] = {
    const HANDLERS: [(u16, Handle, Option<Handle>); OPS.len()] = [
        (msg::ECHO, echo::handle, None),
        (msg::KV_SET, kv::set, None),
        (msg::KV_GET, kv::get, Some(kv::dump)),
        (msg::KV_DEL, kv::del, None),
        (msg::PUBLISH, publish::handle, None),
        (msg::STATS, Family::stats, None),
        (msg::CONFIG, heartbeat::config, None),
    ];
    let (_, doit, dumpit) = HANDLERS[0];
    let mut served = [Served {
        op: OPS[0],
        doit,
        dumpit,
    }; OPS.len()];
    let mut i = 0;
    while i < OPS.len() {
        let (ty, doit, dumpit) = HANDLERS[i];
        assert!(OPS[i].ty == ty, "HANDLERS must follow OPS");
        assert!(
            OPS[i].dump == dumpit.is_some(),
            "a dump handler for each type that dumps"
        );
        served[i] = Served {
            op: OPS[i],
            doit,
            dumpit,
        };
        i += 1;
    }
    served
};

/// A required attribute, which [`Family::serve`] has checked is present: `None` cannot
/// happen, and would be the same refusal rather than a panic.
fn required<T>(v: Option<T>, ty: u16) -> Result<T, Failure> {
    v.ok_or_else(|| {
        let why = OPS
            .iter()
            .flat_map(|o| o.required)
            .find(|(a, _)| *a == ty)
            .map_or("required attribute is missing", |(_, why)| *why);
        Failure::missing(ty, why)
    })
}

impl Handler for Family {
    fn handle(this: ArcBorrow<'_, Self>, req: &Request<'_>) -> Result<Outcome, Failure> {
        let f = &*this;
        Stats::bump(&f.stats.rx);
        let r = Self::serve(this, req);
        match &r {
            Ok((Outcome::Done, true)) => Stats::bump(&f.stats.tx),
            Ok(_) => {}
            Err(_) => Stats::bump(&f.stats.errors),
        }
        r.map(|(outcome, _)| outcome)
    }

    fn attached(&self, _sock: SocketRef<'_>) {
        heartbeat::start_from_parameter(self);
    }

    fn shutdown(&self) {
        heartbeat::shutdown(self);
    }

    fn periodic(&self) -> Option<&Periodic> {
        Some(&self.heartbeat)
    }

    fn replies_lost(&self, n: u64) {
        Stats::add(&self.stats.dropped, n);
    }
}
