//! Replaying a template load into captures, with a fault let loose on it.
//!
//! Each load is the template with its own noise (page-level pace, per-request
//! wait and receive jitter, the odd third-party 404, aborted request or
//! cancelled beacon), then, while the fault is active, the fault's rewrite of
//! the requests it touches. A rewrite goes through `producer::apply`, so the
//! capture says what its producer would have said. What the fault is comes
//! from `plan`, what a failed request answers from `response`, and the
//! loads become a HAR in `render`.

use super::entry::{entry_time, retime, timing};
use super::plan::{FaultKind, FaultPlan, cdn_targets};
use super::producer::{NetError, Outcome};
use super::response::{edge_response, http, net, origin_error};
use super::template::{Role, Template, url_of};
use crate::evaluation::scenario::Rng;
use chrono::{DateTime, Utc};
use serde_json::Value;

/// One replayed page load.
#[derive(Debug, Clone)]
pub struct Load {
    pub start: DateTime<Utc>,
    pub entries: Vec<(f64, Value)>,
    pub on_load_ms: f64,
    pub on_content_load_ms: f64,
    /// Whether the fault touched this load.
    pub faulty: bool,
}

/// Build one load of the template at `start`; `phase` is the position in
/// the active wave (0..1) or None when the fault is not active.
pub fn build_load(
    t: &Template,
    plan: &FaultPlan,
    start: DateTime<Utc>,
    phase: Option<f64>,
    last: bool,
    rng: &mut Rng,
) -> Load {
    let pace = rng.lognormal(1.0, 0.08);
    let mut on_load = t.on_load_ms * pace;
    let mut on_dcl = t.on_content_load_ms * pace;
    // (offset, entry, role index, alive, touched)
    let mut es: Vec<(f64, Value, usize, bool, bool)> = Vec::with_capacity(t.entries.len());
    for (i, te) in t.entries.iter().enumerate() {
        let mut e = te.entry.clone();
        let fw = rng.lognormal(1.0, 0.15);
        let fr = rng.lognormal(1.0, 0.15);
        retime(&mut e, t.ssl_in_connect, |k, v| match k {
            "wait" => v * fw,
            "receive" => v * fr,
            _ => v,
        });
        es.push((te.offset_ms * pace, e, i, true, false));
    }
    let drawn = rng.chance(plan.load_share);
    let active = phase.is_some() && plan.kind != FaultKind::Healthy && (drawn || plan.force_one);
    let mut faulty = false;
    if active {
        faulty = apply_fault(
            t,
            plan,
            phase.unwrap_or(0.0),
            &mut es,
            &mut on_load,
            &mut on_dcl,
            rng,
        );
    }
    noise(t, &mut es, on_load, last, rng);
    let mut entries: Vec<(f64, Value)> =
        es.into_iter().filter(|x| x.3).map(|x| (x.0, x.1)).collect();
    entries.sort_by(|a, b| a.0.partial_cmp(&b.0).unwrap_or(std::cmp::Ordering::Equal));
    Load {
        start,
        entries,
        on_load_ms: on_load,
        on_content_load_ms: on_dcl.min(on_load),
        faulty,
    }
}

type Work = Vec<(f64, Value, usize, bool, bool)>;

fn fail(t: &Template, x: &mut (f64, Value, usize, bool, bool), o: &Outcome) {
    let kept = super::producer::apply(&mut x.1, t.producer, o, t.ssl_in_connect);
    x.3 = kept;
    x.4 = true;
}

/// Everything but the document is gone (the navigation itself failed).
fn only_document(t: &Template, es: &mut Work, on_load: &mut f64, on_dcl: &mut f64) {
    let mut doc_end = 0.0;
    for x in es.iter_mut() {
        if t.entries[x.2].role == Role::Document {
            doc_end = x.0 + entry_time(&x.1);
        } else {
            x.3 = false;
        }
    }
    *on_load = doc_end + 15.0;
    *on_dcl = doc_end + 10.0;
}

fn recompute_on_load(es: &Work, on_load: &mut f64, on_dcl: &mut f64) {
    let end = es
        .iter()
        .filter(|x| x.3 && x.0 <= *on_load)
        .map(|x| x.0 + entry_time(&x.1))
        .fold(0.0, f64::max);
    if end + 20.0 < *on_load {
        *on_load = end + 20.0;
        *on_dcl = on_dcl.min(*on_load);
    }
}

fn apply_fault(
    t: &Template,
    plan: &FaultPlan,
    phase: f64,
    es: &mut Work,
    on_load: &mut f64,
    on_dcl: &mut f64,
    rng: &mut Rng,
) -> bool {
    let role = |x: &(f64, Value, usize, bool, bool)| t.entries[x.2].role;
    match plan.kind {
        FaultKind::Healthy => false,
        FaultKind::Backend => {
            let status = if phase < 0.5 { 502 } else { 503 };
            if t.count(Role::Api) == 0 {
                for x in es.iter_mut().filter(|x| role(x) == Role::Document) {
                    let o = origin_error(&x.1, status, rng, plan.slow_errors);
                    fail(t, x, &o);
                }
                only_document(t, es, on_load, on_dcl);
                return true;
            }
            let mut first_fail = f64::MAX;
            for x in es.iter_mut().filter(|x| t.entries[x.2].role == Role::Api) {
                let o = origin_error(&x.1, status, rng, plan.slow_errors);
                fail(t, x, &o);
                first_fail = first_fail.min(x.0 + entry_time(&x.1));
            }
            // What the API calls would have rendered never gets requested.
            for x in es.iter_mut() {
                let te = &t.entries[x.2];
                if x.4 || !matches!(te.role, Role::OriginStatic | Role::CdnStatic | Role::Api) {
                    continue;
                }
                if x.0 > first_fail
                    && matches!(
                        te.kind.as_str(),
                        "image" | "script" | "xhr" | "fetch" | "media" | "other"
                    )
                    && rng.chance(0.85)
                {
                    x.3 = false;
                }
            }
            recompute_on_load(es, on_load, on_dcl);
            true
        }
        FaultKind::BackendSlow => {
            let factor = if phase < 0.5 { 2.0 } else { 16.0 };
            let mut added: f64 = 0.0;
            for x in es.iter_mut().filter(|x| t.entries[x.2].role == Role::Api) {
                let before = entry_time(&x.1);
                retime(&mut x.1, t.ssl_in_connect, |k, v| {
                    if k == "wait" { v * factor } else { v }
                });
                x.4 = true;
                if x.0 < *on_load {
                    added = added.max(entry_time(&x.1) - before);
                }
            }
            *on_load += added;
            true
        }
        FaultKind::BackendPartial => {
            let mut any = false;
            for x in es.iter_mut().filter(|x| t.entries[x.2].role == Role::Api) {
                if rng.chance(plan.request_share) || (plan.force_one && !any) {
                    let status = *rng.pick(&[500i64, 502, 503, 504]);
                    let o = origin_error(&x.1, status, rng, status == 504);
                    fail(t, x, &o);
                    any = true;
                }
            }
            any
        }
        FaultKind::Cdn => {
            let targets: Vec<usize> = cdn_targets(t)
                .iter()
                .map(|e| {
                    t.entries
                        .iter()
                        .position(|x| std::ptr::eq(x, *e))
                        .unwrap_or(0)
                })
                .collect();
            let mut any = false;
            for x in es.iter_mut() {
                if !targets.contains(&x.2) {
                    continue;
                }
                let hit = rng.chance(plan.request_share) || (plan.force_one && !any);
                if !hit {
                    continue;
                }
                let te = &t.entries[x.2];
                let cross_origin = te.host != t.site.document_host;
                if t.orb && cross_origin && matches!(te.kind.as_str(), "image" | "script" | "media")
                {
                    let el = entry_time(&x.1).max(20.0);
                    fail(t, x, &net(NetError::BlockedByOrb, el, &te.entry));
                } else {
                    let o = edge_response(plan.edge, rng);
                    fail(t, x, &o);
                }
                any = true;
            }
            any
        }
        FaultKind::Dns => {
            let el = if rng.chance(0.3) {
                rng.range_f(2000.0, 8000.0)
            } else {
                rng.lognormal(30.0, 0.6)
            };
            if plan.document_host {
                for x in es
                    .iter_mut()
                    .filter(|x| t.entries[x.2].role == Role::Document)
                {
                    let o = net(NetError::NameNotResolved, el, &x.1.clone());
                    fail(t, x, &o);
                }
                only_document(t, es, on_load, on_dcl);
            } else {
                for x in es.iter_mut() {
                    if plan.hosts.contains(&t.entries[x.2].host) {
                        let o = net(
                            NetError::NameNotResolved,
                            el * rng.range_f(0.8, 1.2),
                            &x.1.clone(),
                        );
                        fail(t, x, &o);
                    }
                }
                recompute_on_load(es, on_load, on_dcl);
            }
            true
        }
        FaultKind::Tls => {
            for x in es.iter_mut() {
                if plan.hosts.contains(&t.entries[x.2].host) {
                    let e = x.1.clone();
                    let dns = timing(&e, "dns").max(0.0).max(3.0);
                    let ssl = timing(&e, "ssl").max(0.0);
                    let connect = (timing(&e, "connect").max(0.0) - ssl).max(8.0);
                    let hs = rng.range_f(15.0, 120.0);
                    let o = Outcome::Net {
                        error: plan.tls_error,
                        elapsed_ms: dns + connect + hs,
                        phases: [dns, connect, 0.0],
                    };
                    fail(t, x, &o);
                }
            }
            if plan.document_host {
                only_document(t, es, on_load, on_dcl);
            } else {
                recompute_on_load(es, on_load, on_dcl);
            }
            true
        }
        FaultKind::Network => {
            let mut slowest: f64 = 0.0;
            let doc_fails = !plan.lossy && rng.chance(0.2);
            for x in es.iter_mut() {
                let te = &t.entries[x.2];
                let is_doc = te.role == Role::Document;
                let fails = if is_doc {
                    doc_fails
                } else {
                    rng.chance(plan.request_share)
                };
                if fails {
                    let r = rng.f64();
                    let (err, el) = if r < 0.5 {
                        (NetError::ConnectionTimedOut, rng.range_f(20500.0, 21500.0))
                    } else if r < 0.8 {
                        (NetError::ConnectionReset, rng.range_f(40.0, 3000.0))
                    } else {
                        (NetError::TimedOut, rng.range_f(30000.0, 60000.0))
                    };
                    let o = net(err, el, &x.1.clone());
                    fail(t, x, &o);
                    continue;
                }
                // Slow connects (SYN retransmits at 1 s, 3 s) and longer waits.
                let syn = if rng.chance(if plan.lossy { 0.4 } else { 0.25 }) {
                    *rng.pick(&[1000.0, 3000.0])
                } else {
                    0.0
                };
                let rtt = rng.range_f(80.0, 400.0);
                let recv_f = if plan.lossy {
                    rng.range_f(2.0, 6.0)
                } else {
                    rng.range_f(1.2, 2.0)
                };
                let before = entry_time(&x.1);
                retime(&mut x.1, t.ssl_in_connect, |k, v| match k {
                    "connect" if v > 0.0 => v * 3.0 + syn + rtt,
                    "wait" => v + rtt,
                    "receive" => v * recv_f,
                    _ => v,
                });
                x.4 = true;
                if x.0 < *on_load {
                    slowest = slowest.max(entry_time(&x.1) - before);
                }
            }
            if doc_fails {
                only_document(t, es, on_load, on_dcl);
            } else {
                *on_load += slowest;
                *on_dcl += slowest * 0.5;
            }
            true
        }
        FaultKind::Client => {
            // A reload attempt fails at once; the open page's background
            // requests (late ones, any host) fail the same way.
            let late = *on_dcl;
            for x in es.iter_mut() {
                let te = &t.entries[x.2];
                if te.role == Role::Document || x.0 > late {
                    let o = Outcome::Net {
                        error: NetError::InternetDisconnected,
                        elapsed_ms: rng.range_f(0.8, 6.0),
                        phases: [0.0; 3],
                    };
                    fail(t, x, &o);
                } else {
                    x.3 = false;
                }
            }
            *on_load = 20.0;
            *on_dcl = 15.0;
            true
        }
        FaultKind::ThirdParty => {
            for x in es.iter_mut() {
                if t.entries[x.2].domain != plan.third_party {
                    continue;
                }
                if plan.tp_timeouts {
                    let (err, el) = if rng.chance(0.6) {
                        (NetError::ConnectionTimedOut, rng.range_f(20500.0, 21500.0))
                    } else {
                        (NetError::TimedOut, rng.range_f(30000.0, 45000.0))
                    };
                    let o = net(err, el, &x.1.clone());
                    fail(t, x, &o);
                } else {
                    let st = *rng.pick(&[502i64, 503, 504]);
                    let o = origin_error(&x.1.clone(), st, rng, st == 504);
                    fail(t, x, &o);
                }
            }
            true
        }
    }
}

/// Realistic noise of a healthy page: an occasional third-party 404, a
/// request cut off by the next navigation (`net::ERR_ABORTED`), a cancelled
/// beacon. Never on a request the fault already touched.
fn noise(t: &Template, es: &mut Work, on_load: f64, last: bool, rng: &mut Rng) {
    if rng.chance(0.1) {
        let cands: Vec<usize> = (0..es.len())
            .filter(|i| es[*i].3 && !es[*i].4 && t.entries[es[*i].2].role == Role::ThirdParty)
            .collect();
        if !cands.is_empty() {
            let i = *rng.pick(&cands);
            let x = &mut es[i];
            let o = http(
                404,
                "text/html",
                rng.range_i(0, 200),
                vec![("content-type".into(), "text/html".into())],
                rng.range_f(10.0, 80.0),
            );
            fail(t, x, &o);
        }
    }
    if !last && rng.chance(0.15) {
        let cands: Vec<usize> = (0..es.len())
            .filter(|i| {
                es[*i].3
                    && !es[*i].4
                    && es[*i].0 > on_load
                    && t.entries[es[*i].2].role != Role::Document
            })
            .collect();
        if !cands.is_empty() {
            let i = *rng.pick(&cands);
            let x = &mut es[i];
            let el = entry_time(&x.1).min(200.0);
            let o = net(NetError::Aborted, el, &x.1.clone());
            fail(t, x, &o);
        }
    }
    if rng.chance(0.1) {
        let cands: Vec<usize> = (0..es.len())
            .filter(|i| {
                let x = &es[*i];
                let u = url_of(&x.1).to_ascii_lowercase();
                x.3 && !x.4
                    && (t.entries[x.2].kind == "ping"
                        || u.contains("beacon")
                        || u.contains("/collect")
                        || u.contains("/log"))
            })
            .collect();
        if !cands.is_empty() {
            let i = *rng.pick(&cands);
            let x = &mut es[i];
            let o = net(NetError::Aborted, rng.range_f(1.0, 30.0), &x.1.clone());
            fail(t, x, &o);
        }
    }
}
