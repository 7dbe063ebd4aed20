//! Verdict: reads findings only. Each finding carries weighted support for
//! or against fault domains; the verdict combines them (noisy-OR within
//! "for" and within "against"), ranks the domains, and turns the margin
//! between the best and the runner-up into a calibrated confidence. It
//! never invents a domain: without an incident window or without support
//! it answers `none`.

use crate::detect::{FaultDomain, Finding};
use serde::Serialize;
use std::collections::BTreeMap;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RuledOut {
    pub fault_domain: FaultDomain,
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DomainScore {
    pub fault_domain: FaultDomain,
    pub score: f64,
    pub support_for: f64,
    pub support_against: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Verdict {
    pub fault_domain: FaultDomain,
    /// Calibrated (src/calibration.rs): of verdicts given confidence c,
    /// about c are right.
    pub confidence: f64,
    /// The verdict's own margin before calibration (what the map reads).
    pub raw_confidence: f64,
    /// A window moved but no domain is named with enough confidence.
    pub inconclusive: bool,
    /// `global` | `regional` | `none`.
    pub scope: String,
    pub affected_regions: Vec<String>,
    pub ruled_out: Vec<RuledOut>,
    pub summary: String,
    pub scores: Vec<DomainScore>,
}

/// What the verdict needs to know besides the findings.
#[derive(Debug, Clone, Default)]
pub struct VerdictInput {
    /// Was an incident window found (or given)?
    pub incident: bool,
    /// Regions / vantages with data.
    pub regions: Vec<String>,
    /// Records inside the incident window (for thin-evidence damping).
    pub records_during: u64,
    pub records_total: u64,
    /// An incident window with no healthy stretch to compare it with (a
    /// capture taken during the outage): the verdict rests on absolute
    /// evidence, and its confidence says so.
    pub no_baseline: bool,
    /// Requests that failed in a way that matters (not aborted, not
    /// blocked by the client, not 4xx), anywhere in the data: with any,
    /// "no incident" is never said with high confidence.
    pub failed_requests: u64,
    /// Browser captures only (no probes, no server log), the longest
    /// vantage's under [`QUIET_MIN_LOADS`] page loads: the number of loads
    /// when so, else `None`. A fault that lasted through such a capture
    /// without failing a request (a slower API, failures its producer does
    /// not keep) changes nothing inside it.
    pub short_capture_loads: Option<usize>,
    /// Page loads of browser captures and nothing else (no probe, no
    /// server log): one kind of witness, often one vantage, so a named
    /// domain is read through its own calibration map (what such
    /// verdicts turned out to be worth on real page structures).
    pub browser_only: bool,
}

/// Page loads per vantage under which a browser capture alone is short:
/// "nothing changed" is then weak evidence of "nothing happened".
pub const QUIET_MIN_LOADS: usize = 12;
/// The raw confidence of "no incident" over a short capture (what the
/// calibration map reads; 20-99 records give the same).
pub const QUIET_SHORT_RAW: f64 = 0.6;

/// Highest confidence without a baseline: absolute evidence names a
/// domain but cannot show what changed.
pub const NO_BASELINE_MAX_CONFIDENCE: f64 = 0.8;
/// Highest confidence of "no incident" when requests failed: under the
/// line the report calls "high" (0.75), whatever the map says. A stray
/// failed request in a healthy capture is common, so it need not drag the
/// answer to a coin toss; but it is never said with high confidence.
pub const NONE_WITH_FAILURES_MAX_CONFIDENCE: f64 = 0.74;

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

/// The verdict with its calibrated confidence: the one place the raw
/// margin becomes a probability (see src/calibration.rs).
pub fn decide(findings: &[Finding], input: &VerdictInput) -> Verdict {
    let v = decide_uncalibrated(findings, input);
    let pace = rests_on_pace_alone(findings, v.fault_domain);
    crate::calibration::apply(v, input, pace, level)
}

/// Does the named domain rest on slowness alone: every fired finding that
/// supports it a pace detector (FL102 server wait, FL111 slow loads), so
/// that nothing failed and nothing went missing for it? Such verdicts are
/// read through their own calibration map (see
/// `Calibration::named_pace`).
pub fn rests_on_pace_alone(findings: &[Finding], domain: FaultDomain) -> bool {
    let pace = [
        crate::detect::server_wait::DETECTOR.code,
        crate::detect::slow_loads::DETECTOR.code,
    ];
    let mut backers = findings
        .iter()
        .filter(|f| {
            f.fired
                && f.supports
                    .iter()
                    .any(|s| s.domain == domain && s.weight > 0.0)
        })
        .peekable();
    domain != FaultDomain::None
        && backers.peek().is_some()
        && backers.all(|f| pace.contains(&f.code))
}

/// The verdict before calibration: `confidence` is the raw margin (what
/// the accuracy harness fits the calibration map on).
pub fn decide_uncalibrated(findings: &[Finding], input: &VerdictInput) -> Verdict {
    let mut pos: BTreeMap<FaultDomain, f64> = BTreeMap::new();
    let mut neg: BTreeMap<FaultDomain, f64> = BTreeMap::new();
    let mut neg_reason: BTreeMap<FaultDomain, (f64, String)> = BTreeMap::new();
    for f in findings {
        for s in &f.supports {
            if s.weight > 0.0 {
                if !f.fired {
                    continue;
                }
                let p = pos.entry(s.domain).or_insert(0.0);
                *p = 1.0 - (1.0 - *p) * (1.0 - s.weight);
            } else if s.weight < 0.0 {
                let n = neg.entry(s.domain).or_insert(0.0);
                *n = 1.0 - (1.0 - *n) * (1.0 + s.weight);
                let e = neg_reason.entry(s.domain).or_insert((0.0, String::new()));
                if -s.weight > e.0 {
                    *e = (-s.weight, s.reason.clone());
                }
            }
        }
    }
    let mut scores: Vec<DomainScore> = FaultDomain::REAL
        .iter()
        .map(|d| {
            let p = pos.get(d).copied().unwrap_or(0.0);
            let n = neg.get(d).copied().unwrap_or(0.0);
            DomainScore {
                fault_domain: *d,
                score: round2(p * (1.0 - 0.6 * n)),
                support_for: round2(p),
                support_against: round2(n),
            }
        })
        .collect();
    scores.sort_by(|a, b| {
        b.score
            .total_cmp(&a.score)
            .then(a.fault_domain.cmp(&b.fault_domain))
    });
    let top = scores[0].clone();
    let second = scores.get(1).map_or(0.0, |s| s.score);

    if !input.incident || top.score < 0.25 {
        let mut confidence = if !input.incident {
            if input.records_total >= 100 {
                0.85
            } else if input.records_total >= 20 {
                0.6
            } else {
                0.3
            }
        } else {
            round2((0.5 - top.score).clamp(0.2, 0.5))
        };
        if input.failed_requests > 0 {
            confidence = confidence.min(NONE_WITH_FAILURES_MAX_CONFIDENCE);
        }
        if !input.incident && input.short_capture_loads.is_some() {
            confidence = confidence.min(QUIET_SHORT_RAW);
        }
        let short = match input.short_capture_loads {
            Some(n) if !input.incident => format!(
                " Short capture ({n} page loads at most per vantage, no probe or server log): a fault that lasted through all of it without failing a request the producer kept would look the same."
            ),
            _ => String::new(),
        };
        let summary = if !input.incident && input.failed_requests > 0 {
            format!(
                "No incident named: no window differs beyond noise over {} records, though {} requests failed; too few or too scattered to name a fault domain.",
                input.records_total, input.failed_requests
            )
        } else if !input.incident {
            format!(
                "No incident: no window differs beyond noise over {} records, so no fault domain is named.",
                input.records_total
            )
        } else {
            format!(
                "Signals moved in the detected window, but no fault-domain evidence is strong enough to name one (best: {} at {:.2}); treat as inconclusive.",
                top.fault_domain.as_str(),
                top.score
            )
        };
        return Verdict {
            fault_domain: FaultDomain::None,
            confidence,
            raw_confidence: confidence,
            inconclusive: false,
            scope: "none".into(),
            affected_regions: vec![],
            ruled_out: vec![],
            summary: summary + &short,
            scores,
        };
    }

    let mut confidence = top.score * (1.0 - 0.5 * (second / top.score));
    if input.records_during < 20 {
        confidence *= 0.75;
    }
    if input.no_baseline {
        confidence = confidence.min(NO_BASELINE_MAX_CONFIDENCE);
    }
    let confidence = round2(confidence.clamp(0.05, 0.97));

    // Scope. A vantage is a place something was measured from; a source
    // with no place (a server log, an untagged load test) adds none. A
    // region is affected when its own numbers moved: the regions the
    // winner's findings name, else those any fired finding names; only
    // when no finding could tell regions apart are all of them taken.
    let known: Vec<String> = input
        .regions
        .iter()
        .filter(|r| !r.is_empty())
        .cloned()
        .collect();
    let named_by = |winner_only: bool| -> Vec<String> {
        let mut v: Vec<String> = findings
            .iter()
            .filter(|f| {
                f.fired
                    && (!winner_only
                        || f.supports
                            .iter()
                            .any(|s| s.domain == top.fault_domain && s.weight > 0.0))
            })
            .flat_map(|f| f.regions.iter().cloned())
            .filter(|r| known.contains(r))
            .collect();
        v.sort();
        v.dedup();
        v
    };
    let mut affected = named_by(true);
    if affected.is_empty() {
        affected = named_by(false);
    }
    // one vantage shows what it saw, never the world: its scope is that
    // vantage ("regional"); global needs several regions affected and
    // none clean; with no vantage at all (a server's own log) the fault
    // is in what the server served everyone
    let single_vantage = known.len() == 1;
    let no_vantage = known.is_empty();
    if affected.is_empty() {
        affected = known.clone();
    }
    let scope = if no_vantage || (known.len() >= 2 && affected.len() == known.len()) {
        "global"
    } else {
        "regional"
    };

    let ruled_out: Vec<RuledOut> = scores
        .iter()
        .filter(|s| s.fault_domain != top.fault_domain && s.score < top.score * 0.5)
        .filter_map(|s| {
            neg_reason.get(&s.fault_domain).map(|(_, r)| RuledOut {
                fault_domain: s.fault_domain,
                reason: r.clone(),
            })
        })
        .collect();

    // one sentence in the seed's style: what it is, from the strongest
    // finding, then the clearest thing it is not
    let lead = findings
        .iter()
        .filter(|f| f.fired)
        .filter_map(|f| {
            f.supports
                .iter()
                .filter(|s| s.domain == top.fault_domain && s.weight > 0.0)
                .map(|s| (s.weight, f))
                .max_by(|a, b| a.0.total_cmp(&b.0))
        })
        .max_by(|a, b| a.0.total_cmp(&b.0).then(b.1.code.cmp(a.1.code)))
        .map(|(_, f)| f.summary.clone())
        .unwrap_or_default();
    let not = preferred_not(top.fault_domain, &ruled_out)
        .map(|r| {
            format!(
                "; not {}: {}",
                r.fault_domain.as_str(),
                strip_prefix(&r.reason)
            )
        })
        .unwrap_or_default();
    let where_ = if single_vantage && !affected.is_empty() {
        format!(" seen from one vantage ({})", affected.join(", "))
    } else if single_vantage {
        " seen from one vantage".to_string()
    } else if no_vantage {
        " (no client vantage in the data: scope is the server's view)".to_string()
    } else if scope == "regional" {
        format!(" in {}", affected.join(", "))
    } else {
        String::new()
    };
    let basis = if input.no_baseline && !lead.contains("no baseline in the data") {
        "; no baseline in the data: judged on absolute evidence"
    } else {
        ""
    };
    let summary = format!(
        "{} fault{where_} ({} confidence): {lead}{not}{basis}.",
        capital(top.fault_domain.as_str().replace('_', " ").as_str()),
        level(confidence)
    );
    Verdict {
        fault_domain: top.fault_domain,
        confidence,
        raw_confidence: confidence,
        inconclusive: false,
        scope: scope.into(),
        affected_regions: affected,
        ruled_out,
        summary,
        scores,
    }
}

/// The "not X" an analyst would say first for each verdict: a backend
/// fault is "not the network", a network fault "not the backend", ...
fn preferred_not(top: FaultDomain, ruled_out: &[RuledOut]) -> Option<&RuledOut> {
    use FaultDomain::*;
    let order: &[FaultDomain] = match top {
        Backend => &[Network, ThirdParty, Dns, Cdn],
        Network => &[Backend, Dns, Client],
        Dns => &[Network, Backend],
        Tls => &[Dns, Network, Backend],
        Cdn => &[Backend, Network],
        ThirdParty => &[Backend, Network],
        Client => &[Backend, Network],
        None => &[],
    };
    order
        .iter()
        .find_map(|d| ruled_out.iter().find(|r| r.fault_domain == *d))
        .or(ruled_out.first())
}

fn strip_prefix(reason: &str) -> &str {
    for d in FaultDomain::REAL {
        if let Some(r) = reason.strip_prefix(&format!("{}: ", d.as_str().replace('_', " "))) {
            return r;
        }
    }
    reason
}

fn capital(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().collect::<String>() + c.as_str(),
        None => String::new(),
    }
}

fn level(c: f64) -> &'static str {
    if c >= 0.75 {
        "high"
    } else if c >= 0.5 {
        "medium"
    } else {
        "low"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn finding(
        code: &'static str,
        fired: bool,
        s: &[(FaultDomain, f64)],
        regions: &[&str],
    ) -> Finding {
        let mut f = Finding::new(code, "t");
        f.fired = fired;
        f.summary = format!("{code} summary");
        for (d, w) in s {
            f.support(*d, *w, format!("{}: reason", d.as_str()));
        }
        f.regions = regions.iter().map(|r| r.to_string()).collect();
        f
    }

    fn with_regions(regions: &[&str]) -> VerdictInput {
        VerdictInput {
            regions: regions.iter().map(|r| r.to_string()).collect(),
            ..input(true)
        }
    }

    #[test]
    fn slowness_alone_is_told_from_failures() {
        use FaultDomain::*;
        let slow = finding("FL102", true, &[(Backend, 0.6)], &[]);
        let paced = finding("FL111", true, &[(Backend, 0.6), (Network, -0.3)], &[]);
        let failed = finding("FL101", true, &[(Backend, 0.8)], &[]);
        let silent = finding("FL101", false, &[(Backend, 0.8)], &[]);
        let against = finding("FL110", true, &[(Backend, -0.3)], &[]);
        assert!(rests_on_pace_alone(&[slow.clone(), paced.clone()], Backend));
        // a detector that did not fire, or argued against, backs nothing
        assert!(rests_on_pace_alone(
            &[slow.clone(), silent, against],
            Backend
        ));
        assert!(!rests_on_pace_alone(&[slow.clone(), failed], Backend));
        // nothing backs network here, and "none" rests on nothing
        assert!(!rests_on_pace_alone(&[slow.clone(), paced], Network));
        assert!(!rests_on_pace_alone(&[slow], None));
    }

    #[test]
    fn scope_server_log_only_has_no_region() {
        // a server's own log: no vantage, so no region, and what it shows
        // is what it served everyone
        let v = decide(
            &[finding("A", true, &[(FaultDomain::Backend, 0.8)], &[])],
            &with_regions(&[]),
        );
        assert_eq!(v.fault_domain, FaultDomain::Backend);
        assert_eq!(v.scope, "global");
        assert!(v.affected_regions.is_empty());
        assert!(v.summary.contains("no client vantage"), "{}", v.summary);
    }

    #[test]
    fn scope_untagged_source_never_appears_as_a_region() {
        // a finding naming a place the data does not have (a tool's name
        // standing in for a region) is not a region
        let v = decide(
            &[finding("A", true, &[(FaultDomain::Backend, 0.8)], &["k6"])],
            &with_regions(&["eu", "us"]),
        );
        assert!(!v.affected_regions.iter().any(|r| r == "k6"));
        assert_eq!(v.affected_regions, vec!["eu".to_string(), "us".to_string()]);
        assert_eq!(v.scope, "global");
    }

    #[test]
    fn scope_one_vantage_is_that_vantage() {
        let v = decide(
            &[finding(
                "A",
                true,
                &[(FaultDomain::Backend, 0.8)],
                &["office"],
            )],
            &with_regions(&["office"]),
        );
        assert_eq!(v.scope, "regional");
        assert_eq!(v.affected_regions, vec!["office".to_string()]);
        assert!(v.summary.contains("one vantage"), "{}", v.summary);
    }

    #[test]
    fn scope_two_of_three_regions() {
        let v = decide(
            &[
                finding("A", true, &[(FaultDomain::Network, 0.8)], &["ap", "eu"]),
                // another domain's finding in the clean region does not
                // make it affected
                finding("B", true, &[(FaultDomain::ThirdParty, 0.2)], &["us"]),
            ],
            &with_regions(&["ap", "eu", "us"]),
        );
        assert_eq!(v.fault_domain, FaultDomain::Network);
        assert_eq!(v.scope, "regional");
        assert_eq!(v.affected_regions, vec!["ap".to_string(), "eu".to_string()]);
        let all = decide(
            &[finding(
                "A",
                true,
                &[(FaultDomain::Network, 0.8)],
                &["ap", "eu", "us"],
            )],
            &with_regions(&["ap", "eu", "us"]),
        );
        assert_eq!(all.scope, "global");
    }

    fn input(incident: bool) -> VerdictInput {
        VerdictInput {
            incident,
            regions: vec!["eu".into(), "us".into()],
            records_during: 100,
            records_total: 1000,
            ..Default::default()
        }
    }

    #[test]
    fn none_without_incident() {
        let v = decide(
            &[finding("A", true, &[(FaultDomain::Backend, 0.9)], &[])],
            &input(false),
        );
        assert_eq!(v.fault_domain, FaultDomain::None);
        assert_eq!(v.scope, "none");
    }

    /// "Nothing changed" inside a short browser capture is weak: a fault
    /// that lasted through it would look the same. A long one keeps its say.
    #[test]
    fn no_incident_over_a_short_capture_is_said_with_less_confidence() {
        let long = decide_uncalibrated(&[], &input(false));
        let short = decide_uncalibrated(
            &[],
            &VerdictInput {
                short_capture_loads: Some(6),
                ..input(false)
            },
        );
        assert_eq!(short.fault_domain, FaultDomain::None);
        assert!(short.raw_confidence <= QUIET_SHORT_RAW);
        assert!(short.raw_confidence < long.raw_confidence);
        assert!(
            short.summary.contains("Short capture (6 page loads"),
            "{}",
            short.summary
        );
        assert!(!long.summary.contains("Short capture"), "{}", long.summary);
    }

    #[test]
    fn backend_wins_and_network_ruled_out() {
        let fs = [
            finding(
                "A",
                true,
                &[(FaultDomain::Backend, 0.7), (FaultDomain::Network, -0.3)],
                &["us"],
            ),
            finding("B", false, &[(FaultDomain::Network, -0.7)], &[]),
        ];
        let v = decide(&fs, &input(true));
        assert_eq!(v.fault_domain, FaultDomain::Backend);
        assert_eq!(v.scope, "regional");
        assert_eq!(v.affected_regions, vec!["us".to_string()]);
        assert!(
            v.ruled_out
                .iter()
                .any(|r| r.fault_domain == FaultDomain::Network)
        );
        assert!(v.confidence > 0.5, "{}", v.confidence);
    }

    #[test]
    fn conflicting_evidence_lowers_confidence() {
        let clear = decide(
            &[finding("A", true, &[(FaultDomain::Backend, 0.7)], &[])],
            &input(true),
        );
        let mixed = decide(
            &[
                finding("A", true, &[(FaultDomain::Backend, 0.7)], &[]),
                finding("B", true, &[(FaultDomain::Network, 0.6)], &[]),
            ],
            &input(true),
        );
        // the margin; the calibrated confidence is only monotone in it
        assert!(mixed.raw_confidence < clear.raw_confidence);
        assert!(mixed.confidence <= clear.confidence);
    }

    #[test]
    fn unfired_support_does_not_count() {
        let v = decide(
            &[finding("A", false, &[(FaultDomain::Backend, 0.9)], &[])],
            &input(true),
        );
        assert_eq!(v.fault_domain, FaultDomain::None);
    }
}
