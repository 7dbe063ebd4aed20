//! Incident windows from the page loads' bad flags, for browser captures
//! (and, beside probes and logs, when their change points found nothing).
//!
//! Why apart from the census: the census says which loads were bad; this
//! says which stretches of time that makes an incident, stream by stream
//! (a capture, or a vantage's captures that follow one another).

use super::{LoadCensus, LoadFacts, Shape};
use chrono::{DateTime, Utc};
use std::collections::BTreeMap;

/// Beside probes and server logs, loads that were only slow open an
/// incident window when this many in a row of one capture were bad: on
/// the lab's healthy captures (three browsers on two cores) runs of four
/// still made incidents of two controls; its 16x API slowdown has a dozen.
pub const SUSTAINED_SLOW_LOADS: usize = 8;

/// Loads in the data from which one load's one unanswered request is a
/// stray, not an incident window.
pub const STRAY_MIN_LOADS: usize = 4;

/// Bad only for one request that got no answer or never started, nothing
/// missing and nothing slow beside it.
fn is_stray(l: &LoadFacts) -> bool {
    l.why.len() == 1
        && l.failures.len() == 1
        && matches!(l.failures[0].1, Shape::NoAnswer | Shape::NeverStarted)
}

/// Incident spans found from the loads' bad flags: runs of bad loads
/// (a single good load inside a run does not end it), each from midway
/// after the last good load to midway before the next good one. Runs of
/// one bad load are kept only when no longer run exists. `None` when no
/// load is bad; `whole` when the runs cover the whole capture.
#[derive(Debug, Clone, PartialEq)]
pub struct LoadWindows {
    pub waves: Vec<(DateTime<Utc>, DateTime<Utc>)>,
    pub whole: bool,
}

pub fn windows_from_loads(
    c: &LoadCensus,
    data_start: DateTime<Utc>,
    data_end: DateTime<Utc>,
    slow_counts: bool,
) -> Option<LoadWindows> {
    let bad = |l: &LoadFacts| l.bad && (slow_counts || !l.slow_only);
    // with probes and server logs beside the browser, a load that was only
    // slow counts when it is one of a sustained run (a tab on a busy
    // machine has slow loads now and then; an outage slows every load)
    let flags = |loads: &[&LoadFacts]| -> Vec<bool> {
        let mut f: Vec<bool> = loads.iter().map(|l| bad(l)).collect();
        if slow_counts {
            return f;
        }
        let mut i = 0;
        while i < loads.len() {
            let mut j = i;
            while j < loads.len() && loads[j].bad {
                j += 1;
            }
            if j - i >= SUSTAINED_SLOW_LOADS {
                f[i..j].iter_mut().for_each(|b| *b = true);
            }
            i = j.max(i + 1);
        }
        f
    };
    // each capture is read as its own stream (three regions and two
    // producers interleave in time; a good load of another stream does not
    // end a run), then the streams' spans are merged
    let chain = chains(&c.loads);
    let mut streams: BTreeMap<(&str, u32), Vec<&LoadFacts>> = BTreeMap::new();
    for l in &c.loads {
        streams
            .entry((l.vantage.as_str(), chain[&l.file]))
            .or_default()
            .push(l);
    }
    let stream_flags: Vec<Vec<bool>> = streams.values().map(|l| flags(l)).collect();
    let n_bad: usize = stream_flags.iter().flatten().filter(|b| **b).count();
    if n_bad == 0 {
        return None;
    }
    // one request unanswered in one load, every other load whole: a beacon
    // or a logging call cut off, a keep-alive race; what an outage does is
    // fail again, answer with an error, or take components with it
    if n_bad == 1
        && c.loads.len() >= STRAY_MIN_LOADS
        && c.loads.iter().any(|l| bad(l) && is_stray(l))
    {
        return None;
    }
    // a lone bad load counts only when no capture has a longer run: beside
    // a region's outage, another region's single slow first load (cold
    // connections and caches) is noise, not a second wave; and beside
    // probes and server logs that saw no change, only when it is not the
    // only one (one page load with one failed call is not an incident they
    // all missed; a few scattered ones are a low error rate)
    let runs: Vec<Vec<Run>> = stream_flags.iter().map(|f| stream_runs(f)).collect();
    let longest = if slow_counts || n_bad >= 2 {
        runs.iter().flatten().map(|r| r.2).max().unwrap_or(0)
    } else {
        usize::MAX
    };
    let mut spans: Vec<(DateTime<Utc>, DateTime<Utc>)> = Vec::new();
    for (loads, runs) in streams.values().zip(&runs) {
        spans.extend(run_spans(loads, runs, longest, data_start, data_end));
    }
    if spans.is_empty() {
        return None;
    }
    spans.sort();
    let mut waves: Vec<(DateTime<Utc>, DateTime<Utc>)> = Vec::new();
    for (a, b) in spans {
        match waves.last_mut() {
            Some(w) if a <= w.1 => w.1 = w.1.max(b),
            _ => waves.push((a, b)),
        }
    }
    // no healthy stretch in any capture: the whole capture is the incident
    let whole = waves.len() == 1 && waves[0] == (data_start, data_end);
    Some(LoadWindows { waves, whole })
}

/// Which stream each capture (file) belongs to: a vantage's captures that
/// follow one another in time (a tab saved to a new file every ten
/// minutes) are one stream, so a run that reaches the end of one file
/// ends where the next file's loads turn good, not at the end of all the
/// data; captures that overlap in time (two producers of one browser, two
/// tabs) stay apart. Keyed by the first file of the chain.
pub(super) fn chains(loads: &[LoadFacts]) -> BTreeMap<u32, u32> {
    type Span = (DateTime<Utc>, DateTime<Utc>);
    let mut span: BTreeMap<(&str, u32), Span> = BTreeMap::new();
    for l in loads {
        let e = span
            .entry((l.vantage.as_str(), l.file))
            .or_insert((l.start, l.start));
        e.0 = e.0.min(l.start);
        e.1 = e.1.max(l.start);
    }
    let mut files: Vec<(&str, DateTime<Utc>, DateTime<Utc>, u32)> = span
        .into_iter()
        .map(|((v, f), (a, b))| (v, a, b, f))
        .collect();
    files.sort();
    // per vantage, the open chains: (head file, last load's start)
    let mut open: BTreeMap<&str, Vec<(u32, DateTime<Utc>)>> = BTreeMap::new();
    let mut out = BTreeMap::new();
    for (v, first, last, f) in files {
        let chains = open.entry(v).or_default();
        match chains.iter_mut().find(|(_, end)| *end < first) {
            Some(ch) => {
                ch.1 = last;
                out.insert(f, ch.0);
            }
            None => {
                chains.push((f, last));
                out.insert(f, f);
            }
        }
    }
    out
}

/// A run of bad loads: (first, last, bad count).
type Run = (usize, usize, usize);

/// Runs of bad loads of one stream, bridging single good loads.
fn stream_runs(bad: &[bool]) -> Vec<Run> {
    let n = bad.len();
    let mut runs: Vec<Run> = Vec::new();
    let mut i = 0;
    while i < n {
        if !bad[i] {
            i += 1;
            continue;
        }
        let (start, mut last, mut count) = (i, i, 1);
        let mut j = i + 1;
        while j < n {
            if bad[j] {
                last = j;
                count += 1;
                j += 1;
            } else if j + 1 < n && bad[j + 1] {
                j += 1;
            } else {
                break;
            }
        }
        runs.push((start, last, count));
        i = last + 1;
    }
    runs
}

/// Each run's span, from midway after the last good load to midway before
/// the next one. Runs of one bad load are kept only when no stream has a
/// longer run (`longest`, over every stream).
fn run_spans(
    loads: &[&LoadFacts],
    runs: &[Run],
    longest: usize,
    data_start: DateTime<Utc>,
    data_end: DateTime<Utc>,
) -> Vec<(DateTime<Utc>, DateTime<Utc>)> {
    let n = loads.len();
    let mid = |a: DateTime<Utc>, b: DateTime<Utc>| a + (b - a) / 2;
    runs.iter()
        .filter(|r| r.2 >= 2 || longest < 2)
        .map(|&(s, e, _)| {
            let start = if s == 0 {
                data_start
            } else {
                mid(loads[s - 1].start, loads[s].start)
            };
            let end = if e + 1 >= n {
                data_end
            } else {
                mid(loads[e].start, loads[e + 1].start)
            };
            (start, end)
        })
        .collect()
}
