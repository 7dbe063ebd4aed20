//! FL102 server wait: see [`DOC`].

use super::{Ctx, Detector, FaultDomain, Finding, Threshold, Unit, evidence_from, ms};
use crate::aggregate::{Axis, Dim, Signal};
use crate::aggregate::{Comparison, WindowName};

pub const DOC: &str = "\
Looks at: the server wait (time to first byte, HAR `wait`, probe `wait_ms`) of successful first-party calls during vs before (Mann-Whitney U, Cliff's delta, bootstrap CI of the median ratio), API calls (XHR/fetch) and documents separately, next to the DNS, connect and TLS phases of the same requests.

Points to: backend, when wait rises (median ratio >= {WAIT_RATIO_MIN} against each endpoint's own baseline, Cliff's delta >= {WAIT_EFFECT_MIN}, at least {MIN_RISE_MS} more, significant) while DNS, connect and TLS stay flat (ratio < {FLAT_RATIO}, or less than {MIN_RISE_MS} more): the bytes reached the server as fast as before and the server took longer to answer. \"API response times doubled while the frontend stayed fast\" is the typical shape. When connect rises as much as wait, the path is slow rather than the server, and this detector stays silent (the network detector FL301 looks at that). When third-party servers' wait rose significantly by at least {THIRD_PARTY_RISE_SHARE} of the site's rise in milliseconds, the delay rides every round trip (on reused connections a path delay shows in the wait, not the connect): it points weakly to network and against backend instead. A vantage is listed as affected when its own wait ratio reaches {VANTAGE_RATIO_MIN}, significant. When the capturing browser was busy in the window (FL111's test: the static and third-party answers read far slower, more than the wait and connects grew), the wait it records rides on the machine's delay too, and only a rise of {BUSY_WAIT_RATIO}x or more counts.

Known false positives: a slower client machine whose reading stayed quick (producers that time no `receive`); a changed request mix (heavier queries during the window): check the endpoint breakdown; HTTP/2 or HTTP/3 connection reuse that hides connect time in wait.";

/// Wait over its baseline at or above which the server wait rose.
const WAIT_RATIO_MIN: f64 = 1.4;
/// Cliff's delta of that rise.
const WAIT_EFFECT_MIN: f64 = 0.33;
/// A median that moved less than this did not move.
const MIN_RISE_MS: f64 = 10.0;
/// Ratio below which a phase (or the frontend document) is unchanged.
const FLAT_RATIO: f64 = 1.3;
/// Wait ratio at which one vantage counts as affected.
const VANTAGE_RATIO_MIN: f64 = 1.5;
/// Share of the site's rise in wait (ms) that third parties' wait rising
/// too makes a path delay.
const THIRD_PARTY_RISE_SHARE: f64 = 0.5;
/// Wait ratio that counts when the capturing browser was busy (the lab's
/// healthy captures, three browsers and the servers on two cores: the API's
/// wait x3.5 in one vantage; its 16x slower API: x8 and more).
const BUSY_WAIT_RATIO: f64 = 5.0;

const THRESHOLDS: &[Threshold] = &[
    Threshold {
        name: "WAIT_RATIO_MIN",
        value: WAIT_RATIO_MIN,
        unit: Unit::Number,
        meaning: "wait over each endpoint's baseline median at or above which wait rose",
    },
    Threshold {
        name: "WAIT_EFFECT_MIN",
        value: WAIT_EFFECT_MIN,
        unit: Unit::Number,
        meaning: "Cliff's delta of the rise",
    },
    Threshold {
        name: "MIN_RISE_MS",
        value: MIN_RISE_MS,
        unit: Unit::Ms,
        meaning: "a median that moved less than this did not move",
    },
    Threshold {
        name: "FLAT_RATIO",
        value: FLAT_RATIO,
        unit: Unit::Number,
        meaning: "ratio below which DNS, connect, TLS (or the document's wait) are unchanged",
    },
    Threshold {
        name: "VANTAGE_RATIO_MIN",
        value: VANTAGE_RATIO_MIN,
        unit: Unit::Number,
        meaning: "wait ratio at which one vantage counts as affected",
    },
    Threshold {
        name: "BUSY_WAIT_RATIO",
        value: BUSY_WAIT_RATIO,
        unit: Unit::Number,
        meaning: "wait ratio that counts when the capturing browser was busy",
    },
    Threshold {
        name: "THIRD_PARTY_RISE_SHARE",
        value: THIRD_PARTY_RISE_SHARE,
        unit: Unit::Share,
        meaning: "share of the site's rise in wait (ms) that third parties' rise must reach to make it a path delay",
    },
];

pub static DETECTOR: Detector = Detector {
    code: "FL102",
    name: "server-wait",
    doc: DOC,
    thresholds: THRESHOLDS,
    run,
};

fn ratio(c: Option<&Comparison>) -> Option<f64> {
    c.and_then(|c| c.ratio)
}

fn run(ctx: &Ctx) -> Vec<Finding> {
    if !ctx.has_incident() || ctx.an.windows.get(ctx.an.baseline).is_none() {
        return vec![];
    }
    let mut f = Finding::new(DETECTOR.code, DETECTOR.name);
    // API calls first; fall back to all first-party
    let api = ctx.cmp(Axis::Http(Dim::ResourceType), "first:xhr", Signal::WaitMs);
    let all = ctx.cmp(Axis::Http(Dim::Party), "first", Signal::WaitMs);
    let (cmp, label, key, axis) = match api {
        Some(c) if c.sufficient => (
            Some(c),
            "first-party API wait (p50)",
            "first:xhr",
            Axis::Http(Dim::ResourceType),
        ),
        _ => (
            all,
            "first-party server wait (p50)",
            "first",
            Axis::Http(Dim::Party),
        ),
    };
    let Some(c) = cmp else { return vec![] };
    let after = ctx
        .an
        .comparison(axis, key, Signal::WaitMs, WindowName::After);
    f.evidence
        .push(evidence_from(Some(c), after, label, "ms", vec![]));
    let flat: Vec<(Signal, Option<&Comparison>)> =
        [Signal::DnsMs, Signal::ConnectMs, Signal::TlsMs]
            .iter()
            .map(|p| (*p, ctx.cmp(Axis::Http(Dim::Party), "first", *p)))
            .collect();
    for (p, fc) in &flat {
        if fc.is_some_and(|x| x.sufficient) {
            f.evidence.push(evidence_from(
                *fc,
                ctx.an
                    .comparison(Axis::Http(Dim::Party), "first", *p, WindowName::After),
                &format!("first-party {} (p50)", p.as_str().trim_end_matches("_ms")),
                "ms",
                vec![],
            ));
        }
    }
    // the test runs on wait relative to each vantage/endpoint's baseline
    let rel = ctx.cmp(axis, key, Signal::WaitRel);
    let r = rel
        .and_then(|x| x.value)
        .unwrap_or_else(|| ratio(Some(c)).unwrap_or(1.0));
    if let Some(x) = rel {
        f.evidence.push(evidence_from(
            Some(x),
            ctx.an
                .comparison(axis, key, Signal::WaitRel, WindowName::After),
            &format!("{label}, relative to each endpoint's baseline"),
            "ratio",
            vec![],
        ));
    }
    let transport_flat = flat.iter().all(|(_, fc)| {
        fc.is_none_or(|x| {
            !x.sufficient
                || ratio(Some(x)).unwrap_or(1.0) < FLAT_RATIO
                || x.value.unwrap_or(0.0) - x.before.unwrap_or(0.0) < MIN_RISE_MS
        })
    });
    // flat as measured, not flat for want of new connections to time
    let connect_timed = flat
        .iter()
        .any(|(p, fc)| *p == Signal::ConnectMs && fc.is_some_and(|x| x.sufficient));
    let rose = rel.unwrap_or(c).significant()
        && rel.unwrap_or(c).effect.unwrap_or(0.0) >= WAIT_EFFECT_MIN
        && r >= WAIT_RATIO_MIN
        && c.value.unwrap_or(0.0) - c.before.unwrap_or(0.0) >= MIN_RISE_MS;
    let doc = ctx.cmp(
        Axis::Http(Dim::ResourceType),
        "first:document",
        Signal::WaitMs,
    );
    let front_fast = doc.is_some_and(|d| d.sufficient && d.ratio.unwrap_or(1.0) < FLAT_RATIO);
    // other organisations' servers waiting longer by as many milliseconds:
    // a path delay rides every round trip, and on reused connections it
    // shows in the wait, not the connect
    let rise_ms = c.value.unwrap_or(0.0) - c.before.unwrap_or(0.0);
    let third_rise_ms = ctx
        .cmp(Axis::Http(Dim::Party), "third", Signal::WaitMs)
        .filter(|x| x.significant())
        .map(|x| x.value.unwrap_or(0.0) - x.before.unwrap_or(0.0))
        .filter(|t| *t >= MIN_RISE_MS && *t >= rise_ms * THIRD_PARTY_RISE_SHARE);
    let busy = {
        let (base, inc) = ctx.loads_of_hit_captures(|_| true);
        crate::aggregate::loads::busy_client(&base, &inc)
    };
    if rose
        && transport_flat
        && r < BUSY_WAIT_RATIO
        && let Some(p) = busy
    {
        f.summary = format!(
            "{label} rose {} -> {} (x{r:.1}), but the {}",
            ms(c.before.unwrap_or(0.0)),
            ms(c.value.unwrap_or(0.0)),
            super::slow_loads::busy_words(&p)
        );
    } else if rose
        && transport_flat
        && let Some(t) = third_rise_ms
    {
        f.summary = format!(
            "{label} rose {} -> {}, but third-party servers' wait rose by {} as well (the site's by {}): a slower path, not a slower server",
            ms(c.before.unwrap_or(0.0)),
            ms(c.value.unwrap_or(0.0)),
            ms(t),
            ms(rise_ms)
        );
        f.support(
            FaultDomain::Network,
            0.3,
            "other organisations' servers slowed by as many milliseconds",
        );
        f.support(
            FaultDomain::Backend,
            -0.2,
            "backend: third-party servers slowed as much as the site's",
        );
    } else if rose && transport_flat {
        f.fired = true;
        f.summary = format!(
            "{label} rose {} -> {} (x{r:.1} against each endpoint's baseline) while {}{}",
            ms(c.before.unwrap_or(0.0)),
            ms(c.value.unwrap_or(0.0)),
            if connect_timed {
                "DNS, connect and TLS stayed flat"
            } else {
                "too few new connections were made to time the path (reused connections carry a path delay in the wait too)"
            },
            if front_fast && key == "first:xhr" {
                "; the frontend document stayed fast"
            } else {
                ""
            }
        );
        f.support(
            FaultDomain::Backend,
            (0.3 + (r - 1.0) * 0.25).min(0.75),
            format!("server wait x{r:.1} with transport phases flat"),
        );
        if connect_timed {
            f.support(
                FaultDomain::Network,
                -0.2,
                "connect times flat while only the server wait rose",
            );
        }
        for v in ctx.vantages("first") {
            let k = format!("first@{v}");
            if let Some(vc) = ctx.cmp(Axis::Http(Dim::Vantage), &k, Signal::WaitMs)
                && vc.significant()
                && vc.ratio.unwrap_or(1.0) >= VANTAGE_RATIO_MIN
            {
                f.regions.push(v);
            }
        }
    } else {
        f.summary = format!(
            "{label} {} -> {} (x{r:.2})",
            ms(c.before.unwrap_or(0.0)),
            ms(c.value.unwrap_or(0.0))
        );
    }
    vec![f]
}
