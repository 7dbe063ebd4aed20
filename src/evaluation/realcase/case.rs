//! Case folders: the schedule of loads per mode, the HAR files, truth.json.
//!
//! The four modes are the four ways a user arrives with captures: a tab
//! kept open through the incident (timeline), one load every couple of
//! minutes with gaps (sparse), a good capture and a bad one (compare), and a
//! single capture taken while it was broken (single). Each is labelled the
//! same way as the generated incident bundles so the same scorer reads both.

use super::RealcaseError;
use super::build::{Load, build_load};
use super::plan::{FaultKind, FaultPlan};
use super::producer::{Producer, as_f64};
use super::render::render;
use super::template::{Role, Template};
use crate::evaluation::scenario::Rng;
use chrono::{DateTime, Duration, SecondsFormat, TimeZone, Utc};
use serde_json::{Value, json};
use std::path::{Path, PathBuf};

/// How the captures of a case were taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Mode {
    Timeline,
    Compare,
    Single,
    Sparse,
}

impl Mode {
    pub fn all() -> &'static [Mode] {
        &[Mode::Timeline, Mode::Compare, Mode::Single, Mode::Sparse]
    }
    pub fn name(self) -> &'static str {
        match self {
            Mode::Timeline => "timeline",
            Mode::Compare => "compare",
            Mode::Single => "single",
            Mode::Sparse => "sparse",
        }
    }
    pub fn from_name(s: &str) -> Option<Mode> {
        Mode::all().iter().copied().find(|m| m.name() == s)
    }
}

/// What to build.
#[derive(Debug, Clone)]
pub struct CaseSpec {
    pub kind: FaultKind,
    pub mode: Mode,
    pub seed: u64,
    /// The source HAR's name, recorded in truth.json.
    pub source: String,
    /// Write `.har.gz` instead of `.har`.
    pub gzip: bool,
    /// Scale the number of loads (1.0 = as the mode says; fixtures use less).
    pub scale: f64,
    /// Tag recorded in truth.json ("tune" / "holdout").
    pub split: String,
}

/// A built case: its folder and its label.
#[derive(Debug, Clone)]
pub struct Case {
    pub id: String,
    pub dir: PathBuf,
    pub truth: Value,
}

fn rfc(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

fn secs(s: f64) -> Duration {
    Duration::milliseconds((s * 1000.0).round() as i64)
}

/// The load times of one capture and the fault's waves.
struct Schedule {
    /// Load start times per file, in order; `baseline` files first in compare.
    files: Vec<Vec<DateTime<Utc>>>,
    baseline_files: usize,
    waves: Vec<(DateTime<Utc>, DateTime<Utc>)>,
}

fn n(scale: f64, x: f64) -> usize {
    ((x * scale).round() as usize).max(3)
}

fn schedule(
    mode: Mode,
    kind: FaultKind,
    scale: f64,
    start: DateTime<Utc>,
    rng: &mut Rng,
) -> Schedule {
    let wavy = matches!(
        kind,
        FaultKind::Backend
            | FaultKind::Network
            | FaultKind::Cdn
            | FaultKind::ThirdParty
            | FaultKind::Dns
    );
    let mut waves = Vec::new();
    let mut files = Vec::new();
    let mut baseline_files = 0;
    match mode {
        Mode::Timeline | Mode::Sparse => {
            let (span_min, lo, hi) = if mode == Mode::Timeline {
                (60.0 * scale, 30.0, 60.0)
            } else {
                (90.0 * scale, 112.0, 128.0)
            };
            let span_min: f64 = span_min.max(12.0);
            let mut loads = Vec::new();
            let mut t = start;
            while t < start + secs(span_min * 60.0) {
                loads.push(t);
                t += secs(rng.range_f(lo, hi));
            }
            let onset = start + secs(span_min * 60.0 * rng.range_f(0.35, 0.5));
            let dur = if mode == Mode::Timeline {
                rng.range_f(0.2, 0.37)
            } else {
                rng.range_f(0.22, 0.38)
            } * span_min
                * 60.0;
            if wavy && rng.chance(0.3) {
                let d1 = dur * rng.range_f(0.35, 0.5);
                let gap = dur * rng.range_f(0.25, 0.4);
                let d2 = dur - d1;
                waves.push((onset, onset + secs(d1)));
                waves.push((onset + secs(d1 + gap), onset + secs(d1 + gap + d2)));
            } else {
                waves.push((onset, onset + secs(dur)));
            }
            if mode == Mode::Sparse {
                // Gaps: the laptop slept, the user went away.
                for _ in 0..2 {
                    if loads.len() > 10 {
                        let len = rng.range_i(2, 4) as usize;
                        let at = rng.range_i(2, (loads.len() - len - 2) as i64) as usize;
                        // a gap that takes every load of the outage leaves a
                        // fault label on data with no fault in it
                        let left = loads.iter().enumerate().any(|(i, l)| {
                            !(at..at + len).contains(&i) && phase_at(&waves, *l).is_some()
                        });
                        if left || kind == FaultKind::Healthy {
                            loads.drain(at..at + len);
                        }
                    }
                }
                files.push(loads);
            } else if rng.chance(0.6) || loads.len() < 12 {
                files.push(loads);
            } else {
                let parts = rng.range_i(2, 3) as usize;
                let per = loads.len().div_ceil(parts);
                for c in loads.chunks(per) {
                    files.push(c.to_vec());
                }
            }
        }
        Mode::Compare => {
            let base_start = start - Duration::days(1) + secs(rng.range_f(-1800.0, 1800.0));
            for s in [base_start, start] {
                let count = n(scale, rng.range_f(10.0, 14.0));
                let mut t = s;
                let mut loads = Vec::new();
                for _ in 0..count {
                    loads.push(t);
                    t += secs(rng.range_f(30.0, 60.0));
                }
                files.push(loads);
            }
            baseline_files = 1;
            let first = files[1][0];
            let last = *files[1].last().unwrap_or(&first);
            waves.push((
                first - secs(rng.range_f(60.0, 600.0)),
                last + secs(rng.range_f(300.0, 1200.0)),
            ));
        }
        Mode::Single => {
            let count = n(scale, rng.range_f(8.0, 15.0));
            let mut t = start;
            let mut loads = Vec::new();
            for _ in 0..count {
                loads.push(t);
                t += secs(rng.range_f(30.0, 90.0));
            }
            let healthy_lead = if rng.chance(0.5) {
                0
            } else {
                rng.range_i(1, 2) as usize
            };
            let onset = if healthy_lead == 0 {
                start - secs(rng.range_f(60.0, 600.0))
            } else {
                loads[healthy_lead] - secs(rng.range_f(1.0, 20.0))
            };
            let last = *loads.last().unwrap_or(&start);
            waves.push((onset, last + secs(rng.range_f(300.0, 1200.0))));
            files.push(loads);
        }
    }
    if kind == FaultKind::Healthy {
        waves.clear();
    }
    Schedule {
        files,
        baseline_files,
        waves,
    }
}

fn phase_at(waves: &[(DateTime<Utc>, DateTime<Utc>)], t: DateTime<Utc>) -> Option<f64> {
    let total: i64 = waves.iter().map(|w| (w.1 - w.0).num_milliseconds()).sum();
    let mut before = 0;
    for w in waves {
        if t >= w.0 && t < w.1 {
            let into = before + (t - w.0).num_milliseconds();
            return Some(into as f64 / total.max(1) as f64);
        }
        before += (w.1 - w.0).num_milliseconds();
    }
    None
}

fn write_har(path: &Path, har: &Value, gzip: bool) -> Result<(), RealcaseError> {
    if let Some(d) = path.parent() {
        std::fs::create_dir_all(d).map_err(|e| RealcaseError::Io(d.display().to_string(), e))?;
    }
    let bytes = serde_json::to_vec(har).map_err(|e| RealcaseError::NotHar(e.to_string()))?;
    let io = |e| RealcaseError::Io(path.display().to_string(), e);
    if gzip {
        use std::io::Write;
        let f = std::fs::File::create(path).map_err(io)?;
        let mut g = flate2::write::GzEncoder::new(f, flate2::Compression::new(9));
        g.write_all(&bytes).map_err(io)?;
        g.finish().map_err(io)?;
    } else {
        std::fs::write(path, bytes).map_err(io)?;
    }
    Ok(())
}

/// The case's id: source, producer, mode, kind, seed.
pub fn case_id(
    source_short: &str,
    producer: Producer,
    mode: Mode,
    kind: FaultKind,
    seed: u64,
) -> String {
    format!(
        "{}-{}-{}-{}-s{}",
        source_short,
        producer.name(),
        mode.name(),
        kind.name(),
        seed
    )
}

const VANTAGES: &[&str] = &[
    "eu-west",
    "us-east",
    "ap-south",
    "home-wifi",
    "office-lan",
    "sa-east",
];

/// Build one case under `out` (the case folder is `out/<id>`).
pub fn build_case(
    t: &Template,
    source_short: &str,
    spec: &CaseSpec,
    out: &Path,
) -> Result<Case, RealcaseError> {
    if !spec.kind.applies_to(t) {
        return Err(RealcaseError::NotApplicable(spec.kind.name().into()));
    }
    let id = case_id(source_short, t.producer, spec.mode, spec.kind, spec.seed);
    let dir = out.join(&id);
    let mut rng = Rng::derive(spec.seed, &id);
    let day = rng.range_i(0, 300);
    let start = Utc
        .with_ymd_and_hms(2025, 3, 1, 6, 0, 0)
        .single()
        .unwrap_or_default()
        + Duration::days(day)
        + secs(rng.range_f(0.0, 36000.0));
    let vantage = rng.pick(VANTAGES).to_string();
    let sched = schedule(spec.mode, spec.kind, spec.scale, start, &mut rng);
    let mut plan = FaultPlan::new(spec.kind, t, &mut rng);
    let window_loads = sched
        .files
        .iter()
        .flatten()
        .filter(|s| phase_at(&sched.waves, **s).is_some())
        .count()
        .max(1);
    if spec.kind == FaultKind::BackendPartial {
        let floor = 3.0 / (t.count(Role::Api) * window_loads) as f64;
        plan.request_share = plan.request_share.max(floor.min(0.5));
        plan.variant = format!("{:.0}% of API calls 5xx", plan.request_share * 100.0);
    }
    let salt = rng.hex(32);
    let mut files_truth = Vec::new();
    let mut baseline = Vec::new();
    let mut incident = Vec::new();
    let mut faulty_loads = 0usize;
    let mut total_loads = 0usize;
    let mut data_start: Option<DateTime<Utc>> = None;
    let mut data_end: Option<DateTime<Utc>> = None;
    let ext = if spec.gzip { "har.gz" } else { "har" };
    let nfiles = sched.files.len();
    for (fi, loads_at) in sched.files.iter().enumerate() {
        let mut loads: Vec<Load> = Vec::new();
        for (li, at) in loads_at.iter().enumerate() {
            let phase = phase_at(&sched.waves, *at);
            let later_active = sched
                .files
                .iter()
                .flatten()
                .any(|s| s > at && phase_at(&sched.waves, *s).is_some());
            plan.force_one = phase.is_some() && faulty_loads == 0 && !later_active;
            let last = li + 1 == loads_at.len();
            let l = build_load(t, &plan, *at, phase, last, &mut rng);
            if l.faulty {
                faulty_loads += 1;
            }
            total_loads += 1;
            let end = l
                .entries
                .iter()
                .map(|x| {
                    *at + secs(
                        (x.0 + x.1.get("time").and_then(as_f64).unwrap_or(0.0).max(0.0)) / 1000.0,
                    )
                })
                .max()
                .unwrap_or(*at);
            data_start = Some(data_start.map_or(*at, |d: DateTime<Utc>| d.min(*at)));
            data_end = Some(data_end.map_or(end, |d: DateTime<Utc>| d.max(end)));
            loads.push(l);
        }
        let har = render(t, &loads, &salt);
        let records = har
            .pointer("/log/entries")
            .and_then(Value::as_array)
            .map_or(0, Vec::len);
        let rel = match spec.mode {
            Mode::Compare => {
                let side = if fi < sched.baseline_files {
                    "baseline"
                } else {
                    "incident"
                };
                format!("{side}/har/region={vantage}/capture.{ext}")
            }
            Mode::Single => format!("har/region={vantage}/capture.{ext}"),
            _ if nfiles == 1 => format!("har/region={vantage}/capture-1.{ext}"),
            _ => format!("har/region={vantage}/capture-{}.{ext}", fi + 1),
        };
        write_har(&dir.join(&rel), &har, spec.gzip)?;
        if spec.mode == Mode::Compare {
            if fi < sched.baseline_files {
                baseline.push(rel.clone());
            } else {
                incident.push(rel.clone());
            }
        }
        files_truth.push(json!({"path": rel, "format": "har", "vantage": vantage, "records": records, "bad_lines": 0, "page_loads": loads.len()}));
    }
    let healthy = spec.kind == FaultKind::Healthy;
    let onset = sched.waves.first().map(|w| rfc(w.0));
    let recovery = sched.waves.last().map(|w| rfc(w.1));
    let waves: Vec<Value> = sched
        .waves
        .iter()
        .map(|w| json!([rfc(w.0), rfc(w.1)]))
        .collect();
    let mut truth = json!({
        "kind": spec.kind.name(),
        "seed": spec.seed,
        "fault_domain": spec.kind.domain(),
        "scope": if healthy { "none" } else { "regional" },
        "affected_regions": if healthy { json!([]) } else { json!([vantage]) },
        "onset": onset,
        "recovery": recovery,
        "waves": waves,
        "site": t.site.domain,
        "first_party": {"document_host": t.site.document_host, "domain": t.site.domain, "siblings": t.site.siblings},
        "data_start": data_start.map(rfc),
        "data_end": data_end.map(rfc),
        "files": files_truth,
        "mode": spec.mode.name(),
        "producer": t.producer.name(),
        "source": spec.source,
        "split": spec.split,
        "variant": plan.variant,
        "page_loads": total_loads,
        "faulty_loads": faulty_loads,
        "started_before_capture": sched.waves.first().zip(data_start).is_some_and(|(w, d)| w.0 < d),
        "ongoing_at_end": sched.waves.last().zip(data_end).is_some_and(|(w, d)| w.1 > d),
        "secrets": [],
    });
    if spec.mode == Mode::Compare {
        truth["baseline"] = json!(baseline);
        truth["incident"] = json!(incident);
    }
    let text =
        serde_json::to_string_pretty(&truth).map_err(|e| RealcaseError::NotHar(e.to_string()))?;
    std::fs::create_dir_all(&dir).map_err(|e| RealcaseError::Io(dir.display().to_string(), e))?;
    std::fs::write(dir.join("truth.json"), text + "\n")
        .map_err(|e| RealcaseError::Io(dir.display().to_string(), e))?;
    Ok(Case { id, dir, truth })
}
