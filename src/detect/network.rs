//! FL301 network path: see [`DOC`].

use super::{
    Ctx, Detector, FaultDomain, Finding, Threshold, Unit, evidence_from, evidence_levels, ms,
};
use crate::aggregate::loads::{
    RETRANSMIT_MIN_CONNECTS, RETRANSMIT_SHARE, SYN_RETRANSMIT_MS, is_retransmitting,
};
use crate::aggregate::{Axis, Signal};
use crate::aggregate::{Dim, WindowName};

pub const DOC: &str = "\
Looks at: network probe tests per region (packet loss and latency; the worst agent's loss for the summary), the connect phase of first-party HTTP requests and their transport errors (connection timed out / refused / reset / closed, timeouts), during vs before.

Points to: network, when in some region the probes' loss rises (mean >= {LOSS_MIN_PCT} %, at least {LOSS_RISE_PCT} points over before and, with a baseline, at least {RISE_FACTOR} times it) or their latency jumps (median ratio >= {RATIO_MIN}, at least {MIN_RISE_MS} more, significant): the transport path between the vantage and the service is degraded, so requests time out or never connect, whatever the service does. Only when there are no network (non-DNS) probes in the window does the HTTP side decide alone: first-party connect time jumping (same ratio, rise and significance) or transport errors rising (at least {MIN_TRANSPORT_ERRORS}, >= {TRANSPORT_SHARE_MIN} of first-party requests, at least {RISE_FACTOR} times the share before plus {TRANSPORT_RISE_MARGIN}) fire it, more weakly; with probes in the window that show nothing, connect time and transport errors alone do not. Vantages whose connect time jumps (ratio >= {RATIO_MIN}, significant) or whose transport errors reach {TRANSPORT_SHARE_MIN} are listed with the regions. With no network probe in the window and neither of those firing, the connects themselves still speak: when at least {RETRANSMIT_MIN_CONNECTS} and {RETRANSMIT_SHARE} of the new connections of the incident's page loads took {SYN_RETRANSMIT_MS} ms or more to open (the TCP handshake alone, TLS apart: a healthy path opens a connection in one round trip, a lost SYN is resent after 1 s, then 3 s), and at most half that share before when there is a baseline, it fires for network with {RETRANSMIT_WEIGHT}; a single capture taken inside the outage has no baseline, and this is absolute evidence. When loss stays low everywhere, reports the numbers that rule the network out (\"loss < X % from all N agents in M regions\", X the worst agent's loss rounded up, at least {LOSS_QUOTED_MIN_PCT} %); it argues less against network when some vantage's own first-party requests failed to connect at the transport thresholds above, since pings do not see resets, refused ports or blackholed connections.

Known false positives: ICMP deprioritised by a router (loss to an intermediate hop but not the destination: only the last hop counts here); a saturated uplink at one probe site (one agent only); a server that is too busy to accept connections (connect timeouts with zero loss point to the server instead).";

/// Mean packet loss (percent) a region must reach.
const LOSS_MIN_PCT: f64 = 2.0;
/// Percentage points of loss over before.
const LOSS_RISE_PCT: f64 = 2.0;
/// During at least this many times before (loss; transport error share).
const RISE_FACTOR: f64 = 2.0;
/// Latency or connect median over before at or above which it jumped.
const RATIO_MIN: f64 = 1.5;
/// A median that moved less than this did not jump.
const MIN_RISE_MS: f64 = 20.0;
/// Transport errors needed before they count.
const MIN_TRANSPORT_ERRORS: f64 = 3.0;
/// Share of first-party requests (or of one vantage's) with transport errors.
const TRANSPORT_SHARE_MIN: f64 = 0.05;
/// Margin over the doubled transport error share before.
const TRANSPORT_RISE_MARGIN: f64 = 0.02;
/// Support for a lossy path read from the connects alone.
const RETRANSMIT_WEIGHT: f64 = 0.45;
/// Least loss the ruling-out summary quotes.
const LOSS_QUOTED_MIN_PCT: f64 = 0.5;

const THRESHOLDS: &[Threshold] = &[
    Threshold {
        name: "LOSS_MIN_PCT",
        value: LOSS_MIN_PCT,
        unit: Unit::Number,
        meaning: "mean packet loss (percent) a region must reach",
    },
    Threshold {
        name: "LOSS_RISE_PCT",
        value: LOSS_RISE_PCT,
        unit: Unit::Number,
        meaning: "percentage points of loss over before",
    },
    Threshold {
        name: "RISE_FACTOR",
        value: RISE_FACTOR,
        unit: Unit::Number,
        meaning: "loss, or transport error share, during at least this many times before",
    },
    Threshold {
        name: "RATIO_MIN",
        value: RATIO_MIN,
        unit: Unit::Number,
        meaning: "latency or connect median over before at or above which it jumped",
    },
    Threshold {
        name: "MIN_RISE_MS",
        value: MIN_RISE_MS,
        unit: Unit::Ms,
        meaning: "a median that moved less than this did not jump",
    },
    Threshold {
        name: "MIN_TRANSPORT_ERRORS",
        value: MIN_TRANSPORT_ERRORS,
        unit: Unit::Count,
        meaning: "first-party transport errors needed before they count",
    },
    Threshold {
        name: "TRANSPORT_SHARE_MIN",
        value: TRANSPORT_SHARE_MIN,
        unit: Unit::Share,
        meaning: "share of first-party requests (or one vantage's) with transport errors",
    },
    Threshold {
        name: "TRANSPORT_RISE_MARGIN",
        value: TRANSPORT_RISE_MARGIN,
        unit: Unit::Share,
        meaning: "margin over the transport error share before, times the factor",
    },
    Threshold {
        name: "SYN_RETRANSMIT_MS",
        value: SYN_RETRANSMIT_MS,
        unit: Unit::Ms,
        meaning: "a TCP connect (TLS apart) this long took a retransmitted SYN",
    },
    Threshold {
        name: "RETRANSMIT_MIN_CONNECTS",
        value: RETRANSMIT_MIN_CONNECTS as f64,
        unit: Unit::Count,
        meaning: "new connections of the incident's loads that must have taken one",
    },
    Threshold {
        name: "RETRANSMIT_SHARE",
        value: RETRANSMIT_SHARE,
        unit: Unit::Share,
        meaning: "... and the share of its new connections they must be",
    },
    Threshold {
        name: "RETRANSMIT_WEIGHT",
        value: RETRANSMIT_WEIGHT,
        unit: Unit::Number,
        meaning: "support for a lossy path read from the connects alone",
    },
    Threshold {
        name: "LOSS_QUOTED_MIN_PCT",
        value: LOSS_QUOTED_MIN_PCT,
        unit: Unit::Number,
        meaning: "least loss (percent) the ruling-out summary quotes",
    },
];

pub static DETECTOR: Detector = Detector {
    code: "FL301",
    name: "network",
    doc: DOC,
    thresholds: THRESHOLDS,
    run,
};

fn is_transport_class(c: &str) -> bool {
    matches!(
        c,
        "connection_timed_out"
            | "connection_refused"
            | "connection_reset"
            | "connection_closed"
            | "timeout"
    )
}

/// (took a retransmitted SYN, timed) new connections.
type Connects = (u32, u32);

/// New connections of the incident's page loads that took a
/// retransmitted SYN, (retransmitted, timed, the baseline's pair when it
/// has timed connects), when enough did and clearly more than before.
fn retransmits(ctx: &Ctx) -> Option<(u32, u32, Option<Connects>)> {
    let (base, inc) = ctx.loads_of_hit_captures(|_| true);
    let sum = |ls: &[&crate::aggregate::loads::LoadFacts]| {
        ls.iter().fold((0u32, 0u32), |(r, c), l| {
            (r + l.retransmitted_connects, c + l.connects)
        })
    };
    let (rd, cd) = sum(&inc);
    let (rb, cb) = sum(&base);
    if !is_retransmitting(rd, cd) {
        return None;
    }
    let base = (cb > 0).then_some((rb, cb));
    if let Some((rb, cb)) = base
        && f64::from(rb) / f64::from(cb) * RISE_FACTOR > f64::from(rd) / f64::from(cd)
    {
        return None;
    }
    Some((rd, cd, base))
}

fn run(ctx: &Ctx) -> Vec<Finding> {
    if !ctx.has_incident() {
        return vec![];
    }
    let mut f = Finding::new(DETECTOR.code, DETECTOR.name);
    let nets = &ctx.an.net;
    let all_d = nets
        .get("all")
        .and_then(|m| m.get(&WindowName::During))
        .filter(|s| s.n > s.dns_n);
    let mut bad_regions = Vec::new();
    let mut max_loss: f64 = 0.0;
    let mut regions_with_data = 0;
    for (region, by_w) in nets {
        if region == "all" {
            continue;
        }
        let Some(d) = by_w.get(&WindowName::During).filter(|s| s.n > s.dns_n) else {
            continue;
        };
        regions_with_data += 1;
        let loss = d.loss_pct_mean.unwrap_or(0.0);
        max_loss = max_loss.max(d.loss_pct_max_agent.unwrap_or(loss));
        let before_loss = by_w
            .get(&ctx.an.baseline)
            .and_then(|b| b.loss_pct_mean)
            .unwrap_or(0.0);
        let lat = ctx.an.comparison(
            Axis::NetRegion,
            region,
            Signal::LatencyMs,
            WindowName::During,
        );
        let loss_up = loss >= LOSS_MIN_PCT
            && loss >= before_loss + LOSS_RISE_PCT
            && (ctx.an.windows.get(ctx.an.baseline).is_none() || before_loss < loss / RISE_FACTOR);
        let lat_up = lat.is_some_and(|c| {
            c.significant()
                && c.ratio.unwrap_or(1.0) >= RATIO_MIN
                && c.value.unwrap_or(0.0) - c.before.unwrap_or(0.0) >= MIN_RISE_MS
        });
        if loss_up || lat_up {
            bad_regions.push(region.clone());
            f.evidence.push(evidence_levels(
                &format!("packet loss {region}"),
                "pct",
                [
                    by_w.get(&ctx.an.baseline).and_then(|s| s.loss_pct_mean),
                    Some(loss),
                    by_w.get(&WindowName::After).and_then(|s| s.loss_pct_mean),
                ],
                [by_w.get(&ctx.an.baseline).map_or(0, |s| s.n), d.n],
                vec![],
            ));
            if let Some(c) = lat {
                f.evidence.push(evidence_from(
                    Some(c),
                    ctx.an.comparison(
                        Axis::NetRegion,
                        region,
                        Signal::LatencyMs,
                        WindowName::After,
                    ),
                    &format!("latency {region} (p50)"),
                    "ms",
                    vec![],
                ));
            }
        }
    }
    // connect phase and transport errors on first-party HTTP
    let conn = ctx.cmp(Axis::Http(Dim::Party), "first", Signal::ConnectMs);
    let conn_up = conn.is_some_and(|c| {
        c.significant()
            && c.ratio.unwrap_or(1.0) >= RATIO_MIN
            && c.value.unwrap_or(0.0) - c.before.unwrap_or(0.0) >= MIN_RISE_MS
    });
    let transport = |w: WindowName| {
        ctx.http(Dim::Party, "first", w)
            .map(|g| (g.errors_where(is_transport_class), g.count))
            .unwrap_or((0, 0))
    };
    let (tb, nb) = transport(ctx.an.baseline);
    let (td, nd) = transport(WindowName::During);
    let t_rate = if nd > 0 { td as f64 / nd as f64 } else { 0.0 };
    let t_before = if nb > 0 { tb as f64 / nb as f64 } else { 0.0 };
    let transport_up = td as f64 >= MIN_TRANSPORT_ERRORS
        && t_rate >= TRANSPORT_SHARE_MIN
        && t_rate >= RISE_FACTOR * t_before + TRANSPORT_RISE_MARGIN;
    let mut transport_regions = Vec::new();
    if conn_up || transport_up {
        for v in ctx.vantages("first") {
            let k = format!("first@{v}");
            let g = ctx.http(Dim::Vantage, &k, WindowName::During);
            let t: u64 = g
                .map(|g| {
                    g.errors_where(|c| {
                        matches!(
                            c,
                            "connection_timed_out"
                                | "connection_refused"
                                | "connection_reset"
                                | "timeout"
                        )
                    })
                })
                .unwrap_or(0);
            let c_up = ctx
                .cmp(Axis::Http(Dim::Vantage), &k, Signal::ConnectMs)
                .is_some_and(|c| c.significant() && c.ratio.unwrap_or(1.0) >= RATIO_MIN);
            if c_up
                || g.is_some_and(|g| {
                    g.count > 0 && t as f64 / g.count as f64 >= TRANSPORT_SHARE_MIN
                })
            {
                transport_regions.push(v);
            }
        }
    }
    if !bad_regions.is_empty()
        || ((conn_up || transport_up) && (all_d.is_none() || !bad_regions.is_empty()))
    {
        f.fired = true;
        let mut regions = bad_regions.clone();
        for r in transport_regions {
            if !regions.contains(&r) {
                regions.push(r);
            }
        }
        if conn_up || transport_up {
            f.evidence.push(evidence_levels(
                "first-party transport errors (timeouts, refused, reset)",
                "ratio",
                [Some(t_before), Some(t_rate), None],
                [nb, nd],
                ctx.example_requests(|r| r.error_class.is_some_and(|c| c.is_transport())),
            ));
            if let Some(c) = conn {
                f.evidence.push(evidence_from(
                    Some(c),
                    ctx.an.comparison(
                        Axis::Http(Dim::Party),
                        "first",
                        Signal::ConnectMs,
                        WindowName::After,
                    ),
                    "first-party connect (p50)",
                    "ms",
                    vec![],
                ));
            }
        }
        let loss_txt = if !bad_regions.is_empty() {
            format!(
                "packet loss up to {max_loss:.1} % from {}",
                bad_regions.join(", ")
            )
        } else {
            String::new()
        };
        let conn_txt = match conn {
            Some(c) if conn_up => format!(
                "connect time {} -> {}",
                ms(c.before.unwrap_or(0.0)),
                ms(c.value.unwrap_or(0.0))
            ),
            _ if transport_up => format!("{td} transport errors in {nd} requests"),
            _ => String::new(),
        };
        let parts: Vec<String> = [loss_txt, conn_txt]
            .into_iter()
            .filter(|s| !s.is_empty())
            .collect();
        f.summary = format!("the transport path degraded: {}", parts.join("; "));
        let w = if !bad_regions.is_empty() { 0.75 } else { 0.4 };
        f.support(FaultDomain::Network, w, f.summary.clone());
        if !bad_regions.is_empty() && regions_with_data > bad_regions.len() {
            f.support(
                FaultDomain::Backend,
                -0.2,
                "a regional path problem: other regions reached the same service fine",
            );
        }
        f.regions = regions;
    } else if all_d.is_none()
        && let Some((rd, cd, base)) = retransmits(ctx)
    {
        // no probe measured the path, no connect comparison or transport
        // error fired: what the connects themselves say, baseline or not
        f.fired = true;
        f.summary = format!(
            "the transport path lost packets: {rd} of {cd} new connections in the incident's page loads took {} or more to open (TCP only, TLS apart: a retransmitted SYN; the first retransmission waits 1 s){}",
            ms(SYN_RETRANSMIT_MS),
            match base {
                Some((rb, cb)) => format!(", against {rb} of {cb} before"),
                None => "; no baseline in the data: judged on absolute evidence".into(),
            }
        );
        f.support(FaultDomain::Network, RETRANSMIT_WEIGHT, f.summary.clone());
        f.regions = ctx
            .an
            .loads
            .loads
            .iter()
            .filter(|l| {
                ctx.window_at(l.file, l.start) == Some(WindowName::During)
                    && is_retransmitting(l.retransmitted_connects, l.connects)
            })
            .map(|l| l.vantage.clone())
            .filter(|v| !v.is_empty())
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .collect();
    } else if let Some(d) = all_d {
        let agents = d.agents;
        f.summary = format!(
            "network: loss < {:.1} % from all {agents} agents in {regions_with_data} regions during the window (latency p50 {})",
            (max_loss + 0.05).max(LOSS_QUOTED_MIN_PCT),
            ms(d.latency_ms.p50)
        );
        // ICMP does not see a reset, a refused port or a blackholed SYN:
        // clean pings beside such failures in some vantage only say the
        // packets got through, not that connections did
        let tcp_failing = ctx.vantages_failing(
            is_transport_class,
            MIN_TRANSPORT_ERRORS as u64,
            TRANSPORT_SHARE_MIN,
            RISE_FACTOR,
            TRANSPORT_RISE_MARGIN,
        );
        if let Some(v) = tcp_failing.first() {
            f.summary.push_str(&format!(
                "; but {} of first-party requests from {} ({} of {}) failed to connect (timed out, refused, reset), which ICMP does not see",
                super::pct(v.share),
                v.vantage,
                v.errors,
                v.requests
            ));
            f.support(FaultDomain::Network, -0.3, f.summary.clone());
        } else {
            f.support(FaultDomain::Network, -0.7, f.summary.clone());
        }
    } else if let Some(c) = conn.filter(|c| c.sufficient) {
        f.summary = format!(
            "network: first-party connect p50 {} -> {}, {td} transport errors in {nd} requests",
            ms(c.before.unwrap_or(0.0)),
            ms(c.value.unwrap_or(0.0))
        );
        f.support(FaultDomain::Network, -0.4, f.summary.clone());
    }
    vec![f]
}
