//! FL901 changes near onset and recovery: see [`DOC`].

use super::{Ctx, Detector, FaultDomain, Finding, Threshold, Unit};
use crate::model::ChangeKind;

pub const DOC: &str = "\
Looks at: the change log (deploys, config changes, rollbacks, maintenance) against the incident window: changes that took effect in the {LOOKBACK_MIN} minutes before onset (or up to {LATE_MIN} minute after it), and rollbacks within {ROLLBACK_MIN} minutes of recovery or during the incident.

Points to: no domain by itself: a change names a likely trigger, not a place. It adds a little weight (a tie-breaker, never a verdict; more when the change came at most {CLOSE_MIN} minutes before onset) to the domain its service name suggests (a `dns`, `cdn`, `tls`/`cert` or network service points there; anything else to backend, since most changes are to the service's own systems), and a rollback near recovery adds a little weight of its own to the domain of its service. The likeliest trigger is a change whose service was later rolled back, then a config change before a deploy, then the closer one. The report's next steps are built from it (\"a config change preceded onset by 3 min: roll back, stage the rollout, add a validation step\").

Known false positives: coincidental changes (busy teams deploy often: the closer to onset, the stronger; whether the service matches the failing component is for the reader to judge); changes logged with local time and no offset (give offsets).";

/// Minutes before onset that count.
pub const LOOKBACK_MIN: f64 = 30.0;
/// Minutes after onset a change still counts (clocks differ a little).
const LATE_MIN: f64 = 1.0;
/// Minutes around recovery in which a rollback counts.
pub const ROLLBACK_MIN: f64 = 15.0;
/// A change at most this many minutes before onset weighs more.
const CLOSE_MIN: f64 = 10.0;

const THRESHOLDS: &[Threshold] = &[
    Threshold {
        name: "LOOKBACK_MIN",
        value: LOOKBACK_MIN,
        unit: Unit::Number,
        meaning: "minutes before onset in which a change counts",
    },
    Threshold {
        name: "LATE_MIN",
        value: LATE_MIN,
        unit: Unit::Number,
        meaning: "minutes after onset in which a change still counts",
    },
    Threshold {
        name: "ROLLBACK_MIN",
        value: ROLLBACK_MIN,
        unit: Unit::Number,
        meaning: "minutes around recovery in which a rollback counts",
    },
    Threshold {
        name: "CLOSE_MIN",
        value: CLOSE_MIN,
        unit: Unit::Number,
        meaning: "minutes before onset within which a change weighs more",
    },
];

pub static DETECTOR: Detector = Detector {
    code: "FL901",
    name: "changes",
    doc: DOC,
    thresholds: THRESHOLDS,
    run,
};

pub fn domain_hint(service: &str, summary: &str) -> FaultDomain {
    let s = format!("{service} {summary}").to_ascii_lowercase();
    if s.contains("dns")
        || s.contains("resolver")
        || s.contains("route53")
        || s.contains("nameserver")
    {
        FaultDomain::Dns
    } else if s.contains("cdn")
        || s.contains("edge")
        || s.contains("cloudflare")
        || s.contains("fastly")
        || s.contains("akamai")
    {
        FaultDomain::Cdn
    } else if s.contains("tls") || s.contains("cert") || s.contains("ssl") {
        FaultDomain::Tls
    } else if s.contains("bgp")
        || s.contains("network")
        || s.contains("router")
        || s.contains("peering")
    {
        FaultDomain::Network
    } else {
        FaultDomain::Backend
    }
}

fn run(ctx: &Ctx) -> Vec<Finding> {
    let Some(d) = ctx.an.windows.during else {
        return vec![];
    };
    if ctx.ds.changes.is_empty() {
        return vec![];
    }
    let mut f = Finding::new(DETECTOR.code, DETECTOR.name);
    let onset = d.start;
    let before: Vec<_> = ctx
        .ds
        .changes
        .iter()
        .filter(|c| c.kind != ChangeKind::Rollback)
        .filter(|c| {
            let m = (onset - c.ts).num_milliseconds() as f64 / 60_000.0;
            (-LATE_MIN..=LOOKBACK_MIN).contains(&m)
        })
        .collect();
    let rollbacks: Vec<_> = ctx
        .ds
        .changes
        .iter()
        .filter(|c| c.kind == ChangeKind::Rollback)
        .filter(|c| {
            ((c.ts - d.end).num_milliseconds() as f64 / 60_000.0).abs() <= ROLLBACK_MIN
                || d.contains(c.ts)
        })
        .collect();
    if before.is_empty() && rollbacks.is_empty() {
        f.summary = format!(
            "no change in the {LOOKBACK_MIN:.0} minutes before onset ({} changes in the log)",
            ctx.ds.changes.len()
        );
        return vec![f];
    }
    f.fired = true;
    let mut parts = Vec::new();
    // the likeliest trigger: a change whose service was later rolled back
    // near recovery beats one that merely happened to be closest; config
    // changes (the commonest trigger) beat deploys, closer beats farther
    let score = |c: &&crate::model::Change| {
        let m = (onset - c.ts).num_milliseconds() as f64 / 60_000.0;
        let rolled_back = rollbacks.iter().any(|r| r.service == c.service);
        let kind = match c.kind {
            ChangeKind::Config => 1.0,
            ChangeKind::Deploy => 0.6,
            _ => 0.2,
        };
        (if rolled_back { 3.0 } else { 0.0 }) + kind + (LOOKBACK_MIN - m.max(0.0)) / LOOKBACK_MIN
    };
    if let Some(c) = before
        .iter()
        .max_by(|a, b| score(a).total_cmp(&score(b)).then(a.ts.cmp(&b.ts)))
    {
        let m = (onset - c.ts).num_milliseconds() as f64 / 60_000.0;
        parts.push(format!(
            "a {} change to {} preceded onset by {m:.0} min",
            c.kind.as_str(),
            c.service
        ));
        let w = if m <= CLOSE_MIN { 0.1 } else { 0.05 };
        f.support(
            domain_hint(&c.service, &c.summary),
            w,
            format!("{} {} {m:.0} min before onset", c.kind.as_str(), c.service),
        );
        f.evidence.push(super::evidence_levels(
            &format!("{} {}: minutes before onset", c.kind.as_str(), c.service),
            "min",
            [None, Some(m), None],
            [0, 0],
            vec![c.source],
        ));
    }
    // the rollback that matches the trigger, else the first one
    let trigger = before
        .iter()
        .max_by(|a, b| score(a).total_cmp(&score(b)).then(a.ts.cmp(&b.ts)))
        .map(|c| c.service.clone());
    if let Some(r) = rollbacks
        .iter()
        .find(|r| Some(&r.service) == trigger.as_ref())
        .or(rollbacks.first())
    {
        let m = (r.ts - d.end).num_milliseconds() as f64 / 60_000.0;
        parts.push(format!(
            "a rollback of {} came {:.0} min {} recovery",
            r.service,
            m.abs(),
            if m <= 0.0 { "before" } else { "after" }
        ));
        f.support(
            domain_hint(&r.service, &r.summary),
            0.1,
            "recovery followed a rollback",
        );
        f.evidence.push(super::evidence_levels(
            &format!("rollback {}: minutes from recovery", r.service),
            "min",
            [None, Some(m), None],
            [0, 0],
            vec![r.source],
        ));
    }
    f.summary = parts.join("; ");
    vec![f]
}
