// SPDX-License-Identifier: GPL-2.0

//! The heartbeat: a kernel-originated event on group 2 (COUNTER, TIMESTAMP_NS), off by
//! default, started by the `heartbeat_ms` parameter or a CONFIG request.
//!
//! Every change of the period goes through the family's `heartbeat_config` mutex, so the
//! period and the timer always agree (two concurrent CONFIGs cannot leave a period with
//! the timer stopped). In namespaces any user can create (not owned by the initial user
//! namespace) the period has a floor (`userns_min_period_ms`) and the heartbeats armed
//! at once are capped over all of them (`userns_max_heartbeats`): each one is a timer
//! allocating in softirq context.

use super::{required, Attrs, Family, Owner};
use crate::netlink::errno::{EMSGSIZE, ENOSPC, ERANGE};
use crate::netlink::{err, Failure, Gfp, Outcome, Request, SkBuff};
use crate::proto::attr::{attr_space, NoSpace};
use crate::proto::family::{attr, limits, msg};
use crate::proto::wire::nlmsg_space;
use core::sync::atomic::{AtomicU32, Ordering};
use kernel::error::Result;
use kernel::sync::ArcBorrow;

/// Heartbeats armed in namespaces not owned by the initial user namespace, over all
/// families and namespaces.
static ARMED_IN_USER_NAMESPACES: AtomicU32 = AtomicU32::new(0);

/// What the `heartbeat_config` mutex guards.
#[derive(Default)]
pub(crate) struct HeartbeatConfig {
    /// The timer is armed (period != 0); in a user namespace it holds one slot of
    /// [`ARMED_IN_USER_NAMESPACES`].
    armed: bool,
    /// A CONFIG was handled: the `heartbeat_ms` parameter no longer applies.
    configured: bool,
}

/// Builds heartbeat number `n` (runs in the timer's atomic context).
pub(crate) fn build(n: u64) -> Result<SkBuff> {
    let size = nlmsg_space(2 * attr_space(8));
    let mut skb = SkBuff::alloc(size, Gfp::Atomic)?;
    skb.append(size, |w| {
        let m = w.begin_msg(msg::HEARTBEAT, 0, 0, 0)?;
        w.put_u64(attr::COUNTER, n)?;
        w.put_u64(attr::TIMESTAMP_NS, crate::netlink::realtime_ns())?;
        w.end_msg(m)
    })
    .map_err(|NoSpace| err(EMSGSIZE))?;
    Ok(skb)
}

/// Takes one slot of the user-namespace heartbeat cap, if one is free.
fn reserve_slot(max: u32) -> bool {
    ARMED_IN_USER_NAMESPACES
        .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
            (n < max).then_some(n + 1)
        })
        .is_ok()
}

fn release_slot() {
    ARMED_IN_USER_NAMESPACES.fetch_sub(1, Ordering::AcqRel);
}

/// CONFIG: sets the heartbeat period (PERIOD_MS, 0 = off, else 10 ms - 1 day) and
/// answers with the configuration now in force.
pub(crate) fn config(
    this: ArcBorrow<'_, Family>,
    req: &Request<'_>,
    p: &Attrs<'_>,
) -> Result<Outcome, Failure> {
    let f = &*this;
    let ms = required(p.u32(attr::PERIOD_MS), attr::PERIOD_MS)?;
    if ms != 0 && !(limits::PERIOD_MS_MIN..=limits::PERIOD_MS_MAX).contains(&ms) {
        return Err(
            Failure::new(err(ERANGE), "PERIOD_MS must be 0 (off) or 10-86400000")
                .at(p.offset(attr::PERIOD_MS)),
        );
    }
    let mut cfg = f.heartbeat_config.lock();
    let mut reserved = false;
    if f.owner == Owner::OtherUserNs && ms != 0 {
        if ms < f.limits.userns_min_period_ms {
            return Err(Failure::new(
                err(ERANGE),
                "PERIOD_MS is below userns_min_period_ms (this namespace is not owned by the initial user namespace)",
            )
            .at(p.offset(attr::PERIOD_MS)));
        }
        if !cfg.armed {
            if !reserve_slot(f.limits.userns_max_heartbeats) {
                return Err(Failure::new(
                    err(ENOSPC),
                    "too many heartbeats in namespaces not owned by the initial user namespace (module parameter userns_max_heartbeats)",
                ));
            }
            reserved = true;
        }
    }
    // The answer (the configuration about to be in force) is queued first: when it cannot
    // be, the request fails with nothing changed, never half-applied.
    let ticks = f.heartbeat.ticks();
    if let Err(e) = req.reply(msg::CONFIG, 0, 2 * attr_space(8), |w| {
        w.put_u32(attr::PERIOD_MS, ms)?;
        w.put_u64(attr::COUNTER, ticks)
    }) {
        if reserved {
            release_slot();
        }
        return Err(e);
    }
    if f.owner == Owner::OtherUserNs && ms == 0 && cfg.armed {
        release_slot();
    }
    cfg.armed = ms != 0;
    cfg.configured = true;
    f.heartbeat.set_period(ms);
    Ok(Outcome::Done)
}

/// Starts the heartbeat with the `heartbeat_ms` parameter once the family's socket
/// exists, unless a CONFIG got there first. The parameter applies to namespaces owned by
/// the initial user namespace only: in the others, CONFIG starts it, within their limits.
pub(crate) fn start_from_parameter(f: &Family) {
    let ms = f.limits.heartbeat_ms;
    if ms == 0 || f.owner != Owner::InitialUserNs {
        return;
    }
    let mut cfg = f.heartbeat_config.lock();
    if !cfg.configured {
        cfg.armed = true;
        f.heartbeat.set_period(ms);
    }
}

/// Stops the heartbeat for good (the family's socket is going away).
pub(crate) fn shutdown(f: &Family) {
    let mut cfg = f.heartbeat_config.lock();
    if f.owner == Owner::OtherUserNs && cfg.armed {
        release_slot();
    }
    cfg.armed = false;
    f.heartbeat.stop();
}
