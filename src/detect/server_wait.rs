//! FL102 server wait: see [`DOC`].

use super::{Ctx, Detector, FaultDomain, Finding, evidence_from, ms};
use crate::aggregate::{Axis, Dim, Signal};
use crate::aggregate::{Comparison, WindowName};

pub const DOC: &str = "\
Looks at: the server wait (time to first byte, HAR `wait`, probe `wait_ms`) of successful first-party calls during vs before (Mann-Whitney U, Cliff's delta, bootstrap CI of the median ratio), API calls (XHR/fetch) and documents separately, next to the DNS, connect and TLS phases of the same requests.

Points to: backend, when wait rises (median ratio >= 1.5, significant) while DNS, connect and TLS stay flat (ratio < 1.3): the bytes reached the server as fast as before and the server took longer to answer. \"API response times doubled while the frontend stayed fast\" is the typical shape. When connect rises as much as wait, the path is slow rather than the server, and this detector stays silent (the network detector FL301 looks at that).

Known false positives: a slower client machine (every phase slows, including connect); a changed request mix (heavier queries during the window): check the endpoint breakdown; HTTP/2 or HTTP/3 connection reuse that hides connect time in wait.";

pub static DETECTOR: Detector = Detector {
    code: "FL102",
    name: "server-wait",
    doc: DOC,
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
                || ratio(Some(x)).unwrap_or(1.0) < 1.3
                || x.value.unwrap_or(0.0) - x.before.unwrap_or(0.0) < 10.0
        })
    });
    let rose = rel.unwrap_or(c).significant()
        && rel.unwrap_or(c).effect.unwrap_or(0.0) >= 0.33
        && r >= 1.4
        && c.value.unwrap_or(0.0) - c.before.unwrap_or(0.0) >= 10.0;
    let doc = ctx.cmp(
        Axis::Http(Dim::ResourceType),
        "first:document",
        Signal::WaitMs,
    );
    let front_fast = doc.is_some_and(|d| d.sufficient && d.ratio.unwrap_or(1.0) < 1.3);
    if rose && transport_flat {
        f.fired = true;
        f.summary = format!(
            "{label} rose {} -> {} (x{r:.1} against each endpoint's baseline) while DNS, connect and TLS stayed flat{}",
            ms(c.before.unwrap_or(0.0)),
            ms(c.value.unwrap_or(0.0)),
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
        f.support(
            FaultDomain::Network,
            -0.2,
            "connect times flat while only the server wait rose",
        );
        for v in ctx.vantages("first") {
            let k = format!("first@{v}");
            if let Some(vc) = ctx.cmp(Axis::Http(Dim::Vantage), &k, Signal::WaitMs)
                && vc.significant()
                && vc.ratio.unwrap_or(1.0) >= 1.5
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
