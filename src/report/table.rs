//! Terminal renderer: the engineer at the prompt reads top-down and stops
//! as soon as they know enough, so the verdict comes first and data
//! coverage last. The only module that imports comfy-table. Colour is a
//! choice of the caller (TTY, NO_COLOR): with `color == false` the output
//! carries no escape byte at all, so it can be piped, diffed and snapshotted.

use super::text::{self, value};
use super::{EvidenceOut, Report};
use comfy_table::presets::UTF8_FULL_CONDENSED;
use comfy_table::{
    Attribute, Cell, CellAlignment, Color, ColumnConstraint, ContentArrangement, Table, Width,
};

pub struct TableOptions {
    pub color: bool,
    pub width: Option<u16>,
}

/// Rows shown in the longer tables before "... N more".
const MAX_EVIDENCE: usize = 12;
const MAX_HOSTS: usize = 15;
const MAX_CHANGES: usize = 12;
const MAX_REJECTED: usize = 10;

struct Ctx<'a> {
    o: &'a TableOptions,
    out: String,
}

impl Ctx<'_> {
    fn table(&self, header: &[&str]) -> Table {
        let mut t = Table::new();
        t.load_preset(UTF8_FULL_CONDENSED);
        if self.o.color {
            t.enforce_styling();
        } else {
            t.force_no_tty();
        }
        match self.o.width {
            Some(w) => {
                t.set_content_arrangement(ContentArrangement::Dynamic);
                t.set_width(w);
            }
            None => {
                t.set_content_arrangement(ContentArrangement::Disabled);
            }
        }
        if !header.is_empty() {
            let cells: Vec<Cell> = header.iter().map(|h| self.bold(h)).collect();
            t.set_header(cells);
        }
        t
    }

    /// Narrower than a wide terminal: drop secondary columns.
    fn narrow(&self) -> bool {
        self.o.width.is_some_and(|w| w < 120)
    }

    /// Keep short numeric columns on one line; the text columns wrap.
    fn no_wrap(&self, t: &mut Table, cols: &[bool]) {
        if self.o.width.is_none() {
            return;
        }
        let widths = t.column_max_content_widths();
        // constraints are hard limits: only when they leave the table within width
        let need: usize = cols
            .iter()
            .enumerate()
            .map(|(i, nw)| {
                let w = widths.get(i).copied().unwrap_or(0) as usize;
                3 + if *nw { w } else { w.min(16) }
            })
            .sum::<usize>()
            + 1;
        if need > self.o.width.unwrap_or(0) as usize {
            return;
        }
        for (i, nw) in cols.iter().enumerate() {
            let want = widths.get(i).copied().unwrap_or(0);
            if let Some(col) = t.column_mut(i) {
                if *nw {
                    col.set_constraint(ColumnConstraint::ContentWidth);
                } else {
                    // text columns wrap, but never down to a sliver
                    col.set_constraint(ColumnConstraint::LowerBoundary(Width::Fixed(want.min(16))));
                }
            }
        }
    }

    fn bold(&self, s: &str) -> Cell {
        let c = Cell::new(s);
        if self.o.color {
            c.add_attribute(Attribute::Bold)
        } else {
            c
        }
    }

    fn fg(&self, s: impl ToString, color: Option<Color>) -> Cell {
        let c = Cell::new(s.to_string());
        match color {
            Some(col) if self.o.color => c.fg(col),
            _ => c,
        }
    }

    fn num(&self, s: impl ToString) -> Cell {
        Cell::new(s.to_string()).set_alignment(CellAlignment::Right)
    }

    fn num_fg(&self, s: impl ToString, color: Option<Color>) -> Cell {
        self.fg(s, color).set_alignment(CellAlignment::Right)
    }

    fn heading(&mut self, title: &str) {
        if !self.out.is_empty() {
            self.out.push('\n');
        }
        if self.o.color {
            self.out.push_str(&format!("\x1b[1m{title}\x1b[0m\n"));
        } else {
            self.out.push_str(title);
            self.out.push('\n');
        }
    }

    fn line(&mut self, s: &str) {
        self.out.push_str(s);
        self.out.push('\n');
    }

    fn push(&mut self, t: &Table) {
        // trim trailing spaces comfy-table may leave, for stable bytes
        for l in t.to_string().lines() {
            self.out.push_str(l.trim_end());
            self.out.push('\n');
        }
    }
}

pub fn render(r: &Report, o: &TableOptions) -> String {
    let mut c = Ctx {
        o,
        out: String::new(),
    };
    verdict(&mut c, r);
    windows(&mut c, r);
    evidence(&mut c, r);
    ruled_out(&mut c, r);
    regions(&mut c, r);
    changes(&mut c, r);
    top_changes(&mut c, r);
    hosts(&mut c, r);
    runs(&mut c, r);
    coverage(&mut c, r);
    c.out
}

fn verdict(c: &mut Ctx, r: &Report) {
    let v = &r.verdict;
    c.heading("Verdict");
    let mut t = c.table(&[]);
    let dom = v.fault_domain.as_str();
    let dom_color = if dom == "none" {
        Color::Green
    } else {
        Color::Red
    };
    let mut dc = c.fg(dom, Some(dom_color));
    if c.o.color {
        dc = dc.add_attribute(Attribute::Bold);
    }
    t.add_row(vec![c.bold("fault domain"), dc]);
    t.add_row(vec![
        c.bold("confidence"),
        Cell::new(format!(
            "{} ({})",
            text::num(v.confidence, 2),
            text::confidence_level(v.confidence)
        )),
    ]);
    let scope = if v.affected_regions.is_empty() {
        v.scope.clone()
    } else {
        format!("{} ({})", v.scope, v.affected_regions.join(", "))
    };
    t.add_row(vec![c.bold("scope"), Cell::new(scope)]);
    t.add_row(vec![c.bold("summary"), Cell::new(&v.summary)]);
    if let Some(g) = &r.generated_at {
        t.add_row(vec![c.bold("generated"), Cell::new(g)]);
    }
    c.push(&t);
}

fn windows(c: &mut Ctx, r: &Report) {
    let w = &r.windows;
    c.heading(&format!(
        "Windows (method: {}, bins of {} s)",
        w.method,
        text::num(w.bin_seconds, 0)
    ));
    let mut t = c.table(&["window", "start (UTC)", "end (UTC)", "minutes"]);
    let mut any = false;
    for (name, win) in [
        ("before", &w.before),
        ("during", &w.during),
        ("after", &w.after),
    ] {
        match win {
            Some(x) => {
                any = true;
                let col = (name == "during").then_some(Color::Red);
                t.add_row(vec![
                    c.fg(name, col),
                    Cell::new(text::when(&x.start)),
                    Cell::new(text::when(&x.end)),
                    c.num(text::num(x.minutes, 1)),
                ]);
            }
            None => {
                t.add_row(vec![
                    Cell::new(name),
                    Cell::new("-"),
                    Cell::new("-"),
                    c.num("-"),
                ]);
            }
        }
    }
    if w.waves.len() > 1 {
        for (i, x) in w.waves.iter().enumerate() {
            t.add_row(vec![
                Cell::new(format!("wave {}", i + 1)),
                Cell::new(text::when(&x.start)),
                Cell::new(text::when(&x.end)),
                c.num(text::num(x.minutes, 1)),
            ]);
        }
    }
    for (i, x) in w.blips.iter().enumerate() {
        t.add_row(vec![
            Cell::new(format!("blip {}", i + 1)),
            Cell::new(text::when(&x.start)),
            Cell::new(text::when(&x.end)),
            c.num(text::num(x.minutes, 1)),
        ]);
    }
    if let Some(x) = &w.candidate {
        t.add_row(vec![
            c.fg("candidate", Some(Color::Yellow)),
            Cell::new(text::when(&x.start)),
            Cell::new(text::when(&x.end)),
            c.num(text::num(x.minutes, 1)),
        ]);
    }
    if let Some(p) = &w.peak {
        t.add_row(vec![
            Cell::new("peak"),
            Cell::new(text::when(p)),
            Cell::new(""),
            c.num(""),
        ]);
    }
    c.push(&t);
    if !any {
        c.line("No incident window: nothing to compare.");
    }
    if w.candidate.is_some() {
        c.line("candidate: signals moved here, but not enough to call it an incident.");
    }
}

fn evidence(c: &mut Ctx, r: &Report) {
    let ev = text::ordered_evidence(r);
    c.heading(&format!("Evidence ({} signals)", ev.len()));
    if ev.is_empty() {
        c.line("No evidence: no detector measured anything.");
        return;
    }
    // narrow terminals lose `after` and the sample sizes first
    let keep = [true, true, true, !c.narrow(), true, true, true, !c.narrow()];
    let header = pick(
        vec![
            "signal",
            "before",
            "during",
            "after",
            "change",
            "significance",
            "supports",
            "n before/during",
        ],
        &keep,
    );
    let mut t = c.table(&header);
    for e in ev.iter().take(MAX_EVIDENCE) {
        t.add_row(pick(evidence_row(c, r, e), &keep));
    }
    c.no_wrap(
        &mut t,
        &pick(
            vec![false, true, true, true, true, false, true, true],
            &keep,
        ),
    );
    c.push(&t);
    if ev.len() > MAX_EVIDENCE {
        c.line(&format!(
            "... {} more in --format json",
            ev.len() - MAX_EVIDENCE
        ));
    }
}

fn evidence_row(c: &Ctx, r: &Report, e: &EvidenceOut) -> Vec<Cell> {
    let for_verdict = e.weight > 0.0 && e.supports == r.verdict.fault_domain;
    let during_color = if for_verdict {
        Some(Color::Red)
    } else if e.weight < 0.0 {
        Some(Color::Green)
    } else {
        None
    };
    let change_color = match (text::is_significant(e), text::direction(e.before, e.during)) {
        (true, Some(true)) => Some(Color::Red),
        (true, Some(false)) => Some(Color::Green),
        _ => None,
    };
    vec![
        Cell::new(&e.signal),
        c.num(value(e.before, &e.unit)),
        c.num_fg(value(e.during, &e.unit), during_color),
        c.num(value(e.after, &e.unit)),
        c.num_fg(text::change(e.before, e.during, &e.unit), change_color),
        Cell::new(text::significance(e.p_value, e.effect)),
        c.fg(text::supports(e), during_color),
        c.num(format!("{}/{}", e.n_before, e.n_during)),
    ]
}

fn ruled_out(c: &mut Ctx, r: &Report) {
    if r.verdict.ruled_out.is_empty() {
        return;
    }
    c.heading("Ruled out");
    let mut t = c.table(&["domain", "why not"]);
    for x in &r.verdict.ruled_out {
        t.add_row(vec![
            c.fg(x.fault_domain.as_str(), Some(Color::Green)),
            Cell::new(&x.reason),
        ]);
    }
    c.push(&t);
}

fn pair(b: Option<f64>, d: Option<f64>, unit: &str) -> String {
    if b.is_none() && d.is_none() {
        return "-".into();
    }
    let (vb, vd) = (value(b, unit), value(d, unit));
    // the unit once, after the second value, when both carry the same one
    match (vb.rsplit_once(' '), vd.rsplit_once(' ')) {
        (Some((nb, ub)), Some((_, ud))) if ub == ud => format!("{nb} -> {vd}"),
        _ => format!("{vb} -> {vd}"),
    }
}

fn regions(c: &mut Ctx, r: &Report) {
    if r.regions.is_empty() {
        return;
    }
    c.heading("Regions / vantages (before -> during)");
    let mut t = c.table(&[
        "region",
        "requests",
        "error rate",
        "wait p50",
        "loss",
        "latency p50",
        "affected",
    ]);
    for g in &r.regions {
        let err_col = match text::direction(g.error_rate_before, g.error_rate_during) {
            Some(true) => Some(Color::Red),
            _ => None,
        };
        t.add_row(vec![
            c.fg(&g.region, g.affected.then_some(Color::Red)),
            c.num(g.requests_during),
            c.num_fg(
                pair(g.error_rate_before, g.error_rate_during, "ratio"),
                err_col,
            ),
            c.num(pair(g.wait_p50_ms_before, g.wait_p50_ms_during, "ms")),
            c.num(pair(g.loss_pct_before, g.loss_pct_during, "pct")),
            c.num(pair(g.latency_p50_ms_before, g.latency_p50_ms_during, "ms")),
            c.fg(
                if g.affected { "yes" } else { "no" },
                g.affected.then_some(Color::Red),
            ),
        ]);
    }
    c.no_wrap(&mut t, &[false, true, true, true, true, true, true]);
    c.push(&t);
}

fn changes(c: &mut Ctx, r: &Report) {
    if r.changes.is_empty() {
        return;
    }
    // nearest to onset first when there is one, else in time order
    let mut ch: Vec<_> = r.changes.iter().collect();
    ch.sort_by(|a, b| {
        let ka = a.minutes_before_onset.map_or(f64::INFINITY, f64::abs);
        let kb = b.minutes_before_onset.map_or(f64::INFINITY, f64::abs);
        ka.total_cmp(&kb)
            .then(a.ts.cmp(&b.ts))
            .then(a.service.cmp(&b.service))
    });
    let shown: Vec<_> = {
        let mut s: Vec<_> = ch.iter().take(MAX_CHANGES).copied().collect();
        s.sort_by(|a, b| a.ts.cmp(&b.ts).then(a.service.cmp(&b.service)));
        s
    };
    c.heading("Changes near onset");
    let mut t = c.table(&["time (UTC)", "before onset", "kind", "service", "summary"]);
    for x in &shown {
        let rel = match x.minutes_before_onset {
            Some(m) if m >= 0.0 => format!("{} min", text::num(m, 1)),
            Some(m) => format!("{} min after", text::num(-m, 1)),
            None => "-".into(),
        };
        let suspicious = x
            .minutes_before_onset
            .is_some_and(|m| (0.0..=60.0).contains(&m))
            && x.kind != "rollback";
        t.add_row(vec![
            Cell::new(text::when(&x.ts)),
            c.num_fg(rel, suspicious.then_some(Color::Yellow)),
            c.fg(&x.kind, suspicious.then_some(Color::Yellow)),
            Cell::new(&x.service),
            Cell::new(&x.summary),
        ]);
    }
    c.push(&t);
    if ch.len() > MAX_CHANGES {
        c.line(&format!(
            "... {} more changes further from onset",
            ch.len() - MAX_CHANGES
        ));
    }
}

fn top_changes(c: &mut Ctx, r: &Report) {
    if r.top_changes.is_empty() {
        return;
    }
    c.heading("Top statistical changes (during vs before)");
    let keep = [true, true, true, true, !c.narrow(), !c.narrow(), true, true];
    let header = pick(text::TOP_CHANGE_HEADER.to_vec(), &keep);
    let mut t = c.table(&header);
    for x in &r.top_changes {
        let col = match text::direction(x.before, x.during) {
            Some(true) => Some(Color::Red),
            Some(false) => Some(Color::Green),
            None => None,
        };
        let [signal, before, during, after, ratio, effect, q] = text::top_change_cells(x);
        t.add_row(pick(
            vec![
                Cell::new(format!("{}:{}", x.family, x.group)),
                Cell::new(signal),
                c.num(before),
                c.num_fg(during, col),
                c.num(after),
                c.num(ratio),
                c.num(effect),
                c.num(q),
            ],
            &keep,
        ));
    }
    c.no_wrap(&mut t, &pick(text::TOP_CHANGE_NUMERIC.to_vec(), &keep));
    c.push(&t);
}

/// The entries of `v` whose `keep` flag is set.
fn pick<T>(v: Vec<T>, keep: &[bool]) -> Vec<T> {
    v.into_iter()
        .zip(keep)
        .filter(|(_, k)| **k)
        .map(|(x, _)| x)
        .collect()
}

fn hosts(c: &mut Ctx, r: &Report) {
    if r.hosts.is_empty() {
        return;
    }
    c.heading("Hosts (all windows)");
    let mut t = c.table(&[
        "host",
        "party",
        "requests",
        "errors",
        "wait p50",
        "wait p95",
        "total p50",
        "total p95",
    ]);
    for h in r.hosts.iter().take(MAX_HOSTS) {
        let share = if h.count > 0 {
            h.errors as f64 / h.count as f64
        } else {
            0.0
        };
        let err = if h.errors > 0 {
            format!("{} ({})", h.errors, value(Some(share), "ratio"))
        } else {
            "0".into()
        };
        t.add_row(vec![
            Cell::new(&h.host),
            Cell::new(&h.party),
            c.num(h.count),
            c.num_fg(err, (h.errors > 0).then_some(Color::Red)),
            c.num(value(h.wait_p50_ms, "ms")),
            c.num(value(h.wait_p95_ms, "ms")),
            c.num(value(h.total_p50_ms, "ms")),
            c.num(value(h.total_p95_ms, "ms")),
        ]);
    }
    c.no_wrap(&mut t, &[false, true, true, true, true, true, true, true]);
    c.push(&t);
    if r.hosts.len() > MAX_HOSTS {
        c.line(&format!(
            "... {} more hosts in --format json",
            r.hosts.len() - MAX_HOSTS
        ));
    }
}

fn runs(c: &mut Ctx, r: &Report) {
    if r.runs.is_empty() {
        return;
    }
    c.heading("Load-test runs (whole-run aggregates, outside the windows)");
    let mut t = c.table(&super::runs::RUN_COLUMNS);
    for x in &r.runs {
        let cells = super::runs::run_cells(x);
        let failed = x.http_req_failed_rate.is_some_and(|f| f > 0.0);
        t.add_row(
            cells
                .into_iter()
                .enumerate()
                .map(|(k, s)| match k {
                    0 | 9 => Cell::new(s),
                    7 => c.num_fg(s, failed.then_some(Color::Red)),
                    _ => c.num(s),
                })
                .collect::<Vec<_>>(),
        );
    }
    c.no_wrap(
        &mut t,
        &[false, true, true, true, true, true, true, true, true, false],
    );
    c.push(&t);
    for x in &r.runs {
        for f in &x.failing_checks {
            c.line(&format!("  {}: check {f}", x.path));
        }
    }
}

fn coverage(c: &mut Ctx, r: &Report) {
    let cv = &r.coverage;
    c.heading("Data coverage");
    let span = match (&cv.start, &cv.end) {
        (Some(a), Some(b)) => format!(", {} - {}", text::when(a), text::when(b)),
        _ => String::new(),
    };
    c.line(&format!(
        "{} inputs ({} skipped), {} records ({} rejected): {} requests, {} pages, {} probes, {} server lines, {} changes{span}",
        cv.inputs, cv.skipped, cv.records, cv.bad_records, cv.requests, cv.pages, cv.probes, cv.server_requests, cv.changes
    ));
    // times of day only when everything is on the day the data starts
    let day = cv
        .start
        .as_deref()
        .map(|s| s.get(..10).unwrap_or(s).to_string());
    let one_day = r
        .inputs
        .iter()
        .flat_map(|i| [&i.first_ts, &i.last_ts])
        .flatten()
        .all(|t| Some(t.get(..10).unwrap_or(t)) == day.as_deref());
    let day_time = |t: &str| {
        if one_day {
            text::clock(t)
        } else {
            text::when(t)
        }
    };
    let used: Vec<_> = r.inputs.iter().filter(|i| i.skipped.is_none()).collect();
    if !used.is_empty() {
        let mut t = c.table(&[
            "input",
            "format",
            "vantage",
            "records",
            "rejected",
            "first (UTC)",
            "last (UTC)",
        ]);
        for i in &used {
            t.add_row(vec![
                Cell::new(&i.path),
                Cell::new(&i.format),
                Cell::new(i.vantage.as_deref().unwrap_or("-")),
                c.num(i.records),
                c.num_fg(i.bad_records, (i.bad_records > 0).then_some(Color::Yellow)),
                Cell::new(i.first_ts.as_deref().map_or("-".into(), &day_time)),
                Cell::new(i.last_ts.as_deref().map_or("-".into(), &day_time)),
            ]);
        }
        c.no_wrap(&mut t, &[false, true, true, true, true, true, true]);
        c.push(&t);
    }
    let skipped: Vec<_> = r
        .inputs
        .iter()
        .filter_map(|i| i.skipped.as_ref().map(|s| (i, s)))
        .collect();
    if !skipped.is_empty() {
        c.line("Skipped files:");
        let mut t = c.table(&["file", "reason"]);
        for (i, s) in skipped {
            t.add_row(vec![Cell::new(&i.path), c.fg(s, Some(Color::Yellow))]);
        }
        c.push(&t);
    }
    let rejected: Vec<_> = r
        .inputs
        .iter()
        .flat_map(|i| i.rejected.iter().map(move |x| (i, x)))
        .collect();
    if !rejected.is_empty() {
        c.line("First rejected records:");
        let mut t = c.table(&["file", "at", "reason"]);
        for (i, x) in rejected.iter().take(MAX_REJECTED) {
            t.add_row(vec![
                Cell::new(&i.path),
                Cell::new(&x.at),
                Cell::new(&x.reason),
            ]);
        }
        c.push(&t);
        let listed: u64 = r.inputs.iter().map(|i| i.bad_records).sum();
        if listed as usize > MAX_REJECTED.min(rejected.len()) {
            c.line(&format!("... {} rejected in all", listed));
        }
    }
    let warnings: Vec<_> = r
        .inputs
        .iter()
        .flat_map(|i| i.warnings.iter().map(move |w| (i, w)))
        .collect();
    for (i, w) in warnings {
        c.line(&format!("warning: {}: {w}", i.path));
    }
}
