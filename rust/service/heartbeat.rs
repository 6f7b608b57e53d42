// SPDX-License-Identifier: GPL-2.0

//! The heartbeat: a kernel-originated event on group 2 (COUNTER, TIMESTAMP_NS), off by
//! default, started by the `heartbeat_ms` parameter or a CONFIG request.

use super::Family;
use crate::netlink::{err, Failure, Outcome, Request, SkBuff};
use crate::proto::attr::{attr_space, NoSpace};
use crate::proto::errno::{EMSGSIZE, ERANGE};
use crate::proto::family::{attr, limits, msg, POLICY_CONFIG};
use crate::proto::policy::parse;
use crate::proto::wire::{nlmsg_space, NLMSG_HDRLEN};
use kernel::error::Result;

/// Builds heartbeat number `n` (runs in the timer's atomic context).
pub(crate) fn build(n: u64) -> Result<SkBuff> {
    let size = nlmsg_space(2 * attr_space(8));
    let mut skb = SkBuff::alloc_atomic(size)?;
    skb.append(size, |w| {
        let m = w.begin_msg(msg::HEARTBEAT, 0, 0, 0)?;
        w.put_u64(attr::COUNTER, n)?;
        w.put_u64(attr::TIMESTAMP_NS, crate::netlink::realtime_ns())?;
        w.end_msg(m)
    })
    .map_err(|NoSpace| err(EMSGSIZE))?;
    Ok(skb)
}

/// CONFIG: sets the heartbeat period (PERIOD_MS, 0 = off, else 10 ms - 1 day) and
/// answers with the configuration now in force.
pub(crate) fn config(f: &Family, req: &Request<'_>) -> Result<Outcome, Failure> {
    f.require_admin(req, "CAP_NET_ADMIN is required to change the configuration")?;
    let p = parse(&POLICY_CONFIG, req.payload(), NLMSG_HDRLEN)?;
    let ms = p
        .u32(attr::PERIOD_MS)
        .ok_or_else(|| Failure::missing(attr::PERIOD_MS, "PERIOD_MS attribute is required"))?;
    if ms != 0 && !(limits::PERIOD_MS_MIN..=limits::PERIOD_MS_MAX).contains(&ms) {
        let at = p
            .get(attr::PERIOD_MS)
            .map_or(0, |a| NLMSG_HDRLEN + a.offset);
        return Err(Failure::new(err(ERANGE), "PERIOD_MS must be 0 (off) or 10-86400000").at(at));
    }
    f.heartbeat.set_period(ms);
    req.reply(msg::CONFIG, 0, 2 * attr_space(8), |w| {
        w.put_u32(attr::PERIOD_MS, f.heartbeat.period_ms())?;
        w.put_u64(attr::COUNTER, f.heartbeat.ticks())
    })?;
    Ok(Outcome::Done)
}
