//! The lab's recordings judged one capture at a time.
//!
//! A lab case is a whole incident: three vantages, probes, server logs.
//! The first thing a user has after an outage is far less: the one HAR
//! their browser saved. So every capture of a lab case is also judged
//! alone, twice: whole (the page reloaded before, during and after the
//! fault, from one vantage), and cut to the fault's span (DevTools opened
//! during the outage, no healthy load in it); and the cut before the fault
//! against the cut during it, as two captures (`faultlens compare`). The truth is what that
//! vantage saw: the case's fault where the region was affected, `none`
//! where it was not (a regional fault's other vantages are healthy
//! controls, and real ones: the same machine, the same minutes).
//!
//! The views share their case's split (a recording is held out whole),
//! and nothing is written to the repository: the cut captures live in a
//! temporary folder while they are judged. A cut that recorded nothing at
//! all (chrome-har keeps no navigation that failed, so a capture taken
//! while the site could not be reached is empty) is not judged: there is
//! nothing to read, and `faultlens analyze` says so and why.

use super::{Case, CaseTruth, Label, judge_request, utc};
use crate::pipeline::Request;
use chrono::{DateTime, Utc};
use serde_json::Value;
use std::path::{Path, PathBuf};

/// The whole capture of one vantage.
pub const WHOLE: &str = "single";
/// The same capture cut to the fault's span.
pub const DURING: &str = "single-during";
/// The cut before the fault (the recording's healthy lead-in) as the
/// baseline of the cut during it: `faultlens compare`.
pub const COMPARE: &str = "compare";

/// Seconds of healthy lead-in and of "fault" span of a healthy control's
/// cut (the lab's timeline: 60 s healthy, then the fault for 90 s).
const LEAD_IN_S: i64 = 60;
const SPAN_S: i64 = 90;

/// Every capture of the case (`har/region=NAME/*.har[.gz]`), judged alone:
/// whole, then cut to the fault's span.
pub(super) fn judge_views(dir: &Path, truth: &CaseTruth, held_out: bool) -> Vec<Case> {
    let span = fault_span(truth);
    let mut out = Vec::new();
    for (region, file) in captures(&dir.join("har")) {
        let affected = truth.fault_domain != "none" && truth.affected_regions.contains(&region);
        let label = |mode: &str, onset: bool| {
            let expected = if affected {
                truth.fault_domain.clone()
            } else {
                "none".into()
            };
            Label {
                kind: format!(
                    "{mode}: {}",
                    if affected {
                        expected.as_str()
                    } else {
                        "healthy"
                    }
                ),
                mode: mode.into(),
                seed: 0,
                expected,
                scope_expected: if affected { "regional" } else { "none" }.into(),
                onset: if affected && onset {
                    truth.onset.as_deref().and_then(utc)
                } else {
                    None
                },
                held_out,
            }
        };
        out.push(judge_request(
            Request {
                paths: vec![file.display().to_string()],
                ..Default::default()
            },
            label(WHOLE, true),
        ));
        let Some((start, end)) = span else { continue };
        let Some(har) = read_har(&file) else { continue };
        let Some(cut) = cut_capture(&har, start, end) else {
            continue;
        };
        out.push(judge_request(
            Request {
                paths: vec![cut.path().display().to_string()],
                ..Default::default()
            },
            label(DURING, false),
        ));
        // two captures: the healthy lead-in against the fault's span
        let Some(lead) = truth.data_start.as_deref().and_then(utc) else {
            continue;
        };
        let Some(before) = cut_capture(&har, lead, start) else {
            continue;
        };
        out.push(judge_request(
            Request {
                paths: vec![cut.path().display().to_string()],
                baseline: vec![before.path().display().to_string()],
                compare: true,
                ..Default::default()
            },
            label(COMPARE, false),
        ));
    }
    out
}

/// `[start, end)` of the fault (first wave's start to last wave's end);
/// for a healthy control, the span a fault would have had.
fn fault_span(truth: &CaseTruth) -> Option<(DateTime<Utc>, DateTime<Utc>)> {
    let first = truth.waves.first().and_then(|w| w.first());
    let last = truth.waves.last().and_then(|w| w.get(1));
    if let (Some(a), Some(b)) = (first, last) {
        return Some((utc(a)?, utc(b)?));
    }
    let start = utc(truth.data_start.as_deref()?)? + chrono::Duration::seconds(LEAD_IN_S);
    Some((start, start + chrono::Duration::seconds(SPAN_S)))
}

/// (region, file) of every HAR under `har/region=NAME/`, sorted.
fn captures(root: &Path) -> Vec<(String, PathBuf)> {
    let mut out = Vec::new();
    let Ok(rd) = std::fs::read_dir(root) else {
        return out;
    };
    for e in rd.filter_map(|e| e.ok()) {
        let name = e.file_name().to_string_lossy().to_string();
        let Some(region) = name.strip_prefix("region=") else {
            continue;
        };
        let Ok(files) = std::fs::read_dir(e.path()) else {
            continue;
        };
        for f in files.filter_map(|f| f.ok()) {
            let fname = f.file_name().to_string_lossy().to_string();
            if fname.ends_with(".har") || fname.ends_with(".har.gz") {
                out.push((region.to_string(), f.path()));
            }
        }
    }
    out.sort();
    out
}

/// A capture file read (and gunzipped by its content) as JSON, once for
/// all of its cuts.
fn read_har(file: &Path) -> Option<Value> {
    let src = crate::discover::Source {
        display: file.display().to_string(),
        vantage: None,
        origin: crate::discover::Origin::File(file.to_path_buf()),
    };
    let input = crate::discover::load(0, &src, u64::MAX);
    if input.read_error.is_some() {
        return None;
    }
    serde_json::from_slice(&input.bytes).ok()
}

/// A capture written for one judgement, removed when dropped.
struct CutCapture(PathBuf);

impl CutCapture {
    fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for CutCapture {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// The capture with only the page loads started in `[start, end)`, whole
/// (every request of such a page, none of a page started before; a request
/// of no page by its own start), written to a temporary file. A page whose
/// navigation failed stays, with whatever it recorded.
fn cut_capture(har: &Value, start: DateTime<Utc>, end: DateTime<Utc>) -> Option<CutCapture> {
    let mut har = har.clone();
    let log = har.get_mut("log")?.as_object_mut()?;
    let started = |v: &Value| {
        v.get("startedDateTime")
            .and_then(Value::as_str)
            .and_then(utc)
    };
    let in_span = |t: Option<DateTime<Utc>>| t.is_some_and(|t| start <= t && t < end);
    // a page load is in or out whole: its requests go with its start (a
    // load cut in half would lose components it never lost)
    let page_start: std::collections::BTreeMap<String, Option<DateTime<Utc>>> = log
        .get("pages")
        .and_then(Value::as_array)
        .map(|ps| {
            ps.iter()
                .filter_map(|p| Some((p.get("id")?.as_str()?.to_string(), started(p))))
                .collect()
        })
        .unwrap_or_default();
    let entries: Vec<Value> = log
        .get("entries")?
        .as_array()?
        .iter()
        .filter(|e| {
            match e
                .get("pageref")
                .and_then(Value::as_str)
                .and_then(|id| page_start.get(id))
            {
                Some(t) => in_span(*t),
                None => in_span(started(e)),
            }
        })
        .cloned()
        .collect();
    let pages: Vec<Value> = log
        .get("pages")
        .and_then(Value::as_array)
        .map(|ps| ps.iter().filter(|p| in_span(started(p))).cloned().collect())
        .unwrap_or_default();
    if entries.is_empty() && pages.is_empty() {
        // nothing recorded in the span (chrome-har keeps no failed
        // navigation): no capture to judge, and `analyze` says why
        return None;
    }
    log.insert("pages".into(), Value::Array(pages));
    log.insert("entries".into(), Value::Array(entries));
    static SERIAL: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = SERIAL.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let path =
        std::env::temp_dir().join(format!("faultlens-labview-{}-{n}.har", std::process::id()));
    std::fs::write(&path, serde_json::to_vec(&har).ok()?).ok()?;
    Some(CutCapture(path))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn truth(waves: &[(&str, &str)], data_start: Option<&str>) -> CaseTruth {
        serde_json::from_value(serde_json::json!({
            "kind": "k", "fault_domain": "backend", "scope": "global", "lab": true,
            "waves": waves.iter().map(|(a, b)| vec![a.to_string(), b.to_string()]).collect::<Vec<_>>(),
            "data_start": data_start,
        }))
        .unwrap()
    }

    #[test]
    fn the_span_runs_from_the_first_wave_to_the_last() {
        let t = truth(
            &[
                ("2026-12-02T18:25:00Z", "2026-12-02T18:25:30Z"),
                ("2026-12-02T18:26:00Z", "2026-12-02T18:26:30Z"),
            ],
            None,
        );
        let (a, b) = fault_span(&t).unwrap();
        assert_eq!(a, utc("2026-12-02T18:25:00Z").unwrap());
        assert_eq!(b, utc("2026-12-02T18:26:30Z").unwrap());
        // a healthy control: where a fault would have been
        let h = truth(&[], Some("2026-12-02T18:00:00Z"));
        let (a, b) = fault_span(&h).unwrap();
        assert_eq!(a, utc("2026-12-02T18:01:00Z").unwrap());
        assert_eq!(b, utc("2026-12-02T18:02:30Z").unwrap());
        assert!(fault_span(&truth(&[], None)).is_none());
    }

    #[test]
    fn a_cut_keeps_the_entries_inside_and_their_pages() {
        let dir = std::env::temp_dir().join(format!("fl-labview-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let f = dir.join("c.har");
        let e = |t: &str, p: &str| serde_json::json!({"startedDateTime": t, "pageref": p});
        let page = |id: &str, t: &str| serde_json::json!({"id": id, "startedDateTime": t});
        let har = serde_json::json!({"log": {"version": "1.2", "pages": [page("a", "2026-12-02T18:00:05Z"), page("b", "2026-12-02T18:01:01Z"), page("c", "2026-12-02T18:01:30Z")],
            "entries": [e("2026-12-02T18:01:05Z", "a"), e("2026-12-02T18:01:05.5+00:00", "b"), e("2026-12-02T18:02:00Z", "b")]}});
        std::fs::write(&f, har.to_string()).unwrap();
        let cut = cut_capture(
            &read_har(&f).unwrap(),
            utc("2026-12-02T18:01:00Z").unwrap(),
            utc("2026-12-02T18:02:00Z").unwrap(),
        )
        .unwrap();
        let v: Value = serde_json::from_slice(&std::fs::read(cut.path()).unwrap()).unwrap();
        // b's two requests (the second after the span's end), not a's late
        // one: loads go whole by their start
        assert_eq!(v["log"]["entries"].as_array().unwrap().len(), 2);
        // c started inside and recorded nothing
        assert_eq!(
            v["log"]["pages"],
            serde_json::json!([
                page("b", "2026-12-02T18:01:01Z"),
                page("c", "2026-12-02T18:01:30Z")
            ])
        );
        let p = cut.path().to_path_buf();
        drop(cut);
        assert!(!p.exists(), "the cut is removed once judged");
        // a span that recorded nothing is no capture
        assert!(
            cut_capture(
                &read_har(&f).unwrap(),
                utc("2026-12-02T19:00:00Z").unwrap(),
                utc("2026-12-02T19:01:00Z").unwrap()
            )
            .is_none()
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
