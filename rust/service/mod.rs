// SPDX-License-Identifier: GPL-2.0

//! The family's services, in safe Rust over the netlink layer: one [`Family`] per
//! registered family number and network namespace, dispatching requests by message type.

mod echo;
mod heartbeat;
mod kv;
mod publish;
mod stats;
mod store;

use crate::netlink::errno::{ENOBUFS, EOPNOTSUPP, EPERM, ESRCH};
use crate::netlink::{err, Failure, Handler, Outcome, Periodic, Request, SocketRef};
use crate::params::{Limits, Quota};
use crate::proto::family::{attr, group, msg, GROUPS, POLICY_NONE};
use crate::proto::policy::parse;
use crate::proto::wire::NLMSG_HDRLEN;
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

    /// The family number (23–31).
    pub(crate) fn number(&self) -> u32 {
        self.number
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

    fn stats(&self, req: &Request<'_>) -> Result<Outcome, Failure> {
        self.require_reader(req)?;
        parse(&POLICY_NONE, req.payload(), NLMSG_HDRLEN)?;
        let entries = self.store.lock().len() as u32;
        let s = &self.stats;
        let subscribers = req.subscribers();
        req.reply(msg::STATS, 0, 512, |w| {
            w.put_u32(attr::FAMILY, self.number)?;
            w.put_u64(attr::STAT_RX, Stats::read(&s.rx))?;
            w.put_u64(attr::STAT_TX, Stats::read(&s.tx))?;
            w.put_u64(attr::STAT_ERRORS, Stats::read(&s.errors))?;
            let hb = &self.heartbeat;
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

impl Handler for Family {
    fn handle(this: ArcBorrow<'_, Self>, req: &Request<'_>) -> Result<Outcome, Failure> {
        let f = &*this;
        Stats::bump(&f.stats.rx);
        let r = match req.hdr().ty {
            msg::ECHO => echo::handle(req),
            msg::KV_SET => kv::set(f, req),
            msg::KV_GET => kv::get(this, req),
            msg::KV_DEL => kv::del(f, req),
            msg::PUBLISH => publish::handle(f, req),
            msg::STATS => f.stats(req),
            msg::CONFIG => heartbeat::config(f, req),
            _ => Err(Failure::new(
                err(EOPNOTSUPP),
                "unknown message type for this family",
            )),
        };
        match &r {
            Ok(Outcome::Done)
                if matches!(
                    req.hdr().ty,
                    msg::ECHO | msg::KV_GET | msg::STATS | msg::CONFIG
                ) =>
            {
                Stats::bump(&f.stats.tx)
            }
            Ok(_) => {}
            Err(_) => Stats::bump(&f.stats.errors),
        }
        r
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
