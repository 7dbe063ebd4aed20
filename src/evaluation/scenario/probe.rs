//! Own probe log (contract §2), JSON Lines or CSV: every agent runs an
//! app and an API HTTP check, a page load, a network test to the front door
//! and a DNS lookup each round, like a synthetic-monitoring export.

use super::page::{Assets, plan_page};
use super::{Client, Fail, OFFSETS, Obj, Out, REGIONS, Rng, Role, World, num, rfc3339};
use chrono::{DateTime, Duration, SecondsFormat, Utc};

#[derive(Debug, Clone, Default)]
pub(crate) struct Row {
    pub ts: Option<DateTime<Utc>>,
    pub agent: String,
    pub region: String,
    pub test: &'static str,
    pub kind: &'static str,
    pub target: String,
    pub status: Option<i32>,
    pub error: Option<String>,
    pub dns_ms: Option<f64>,
    pub connect_ms: Option<f64>,
    pub tls_ms: Option<f64>,
    pub send_ms: Option<f64>,
    pub wait_ms: Option<f64>,
    pub receive_ms: Option<f64>,
    pub total_ms: Option<f64>,
    pub loss_pct: Option<f64>,
    pub latency_ms: Option<f64>,
    pub jitter_ms: Option<f64>,
    pub page_load_ms: Option<f64>,
    pub components: Option<f64>,
    pub component_errors: Option<f64>,
    pub resolve_ms: Option<f64>,
}

/// The probe log's identity columns; its metric columns are the reader's
/// own list (`ingest::probe::NUM_COLS`), so writer and reader cannot part.
const ID_COLUMNS: [&str; 8] = [
    "ts", "agent", "region", "test", "type", "target", "status", "error",
];
/// Error text a curl-based probe reports.
pub(crate) fn probe_error(f: Fail, host: &str) -> String {
    match f {
        Fail::DnsServfail | Fail::DnsTimeout => format!("Could not resolve host: {host}"),
        Fail::ConnTimeout => "Connection timed out after 10001 milliseconds".to_string(),
        Fail::ConnReset => "Connection reset by peer".to_string(),
        Fail::CertExpired => "SSL certificate problem: certificate has expired".to_string(),
        Fail::Timeout => {
            "Operation timed out after 30000 milliseconds with 0 bytes received".to_string()
        }
        Fail::ClientDisconnected | Fail::ClientNetworkChanged => {
            "Network is unreachable".to_string()
        }
    }
}

pub(crate) fn agents(w: &World) -> Vec<(String, String, i64, i64)> {
    // (agent, region, minute offset, second offset)
    let mut r = w.rng("agents");
    let mut v = Vec::new();
    let per = w.profile.agents_per_region.max(1);
    for region in REGIONS {
        for j in 0..per {
            let m_off = (j as i64 * w.profile.probe_every_min) / per as i64;
            v.push((
                format!("{region}-{}", j + 1),
                region.to_string(),
                m_off,
                r.range_i(0, 40),
            ));
        }
    }
    v
}

fn http_row(
    w: &World,
    r: &mut Rng,
    ts: DateTime<Utc>,
    agent: &str,
    region: &str,
    test: &'static str,
    role: Role,
) -> Row {
    let host = w.host(role);
    let (target, family, body) = if role == Role::Api {
        let ep = w.primary_endpoint();
        let mut pr = w.rng(agent);
        (
            format!("https://{host}{}", w.fill_path(&mut pr, ep)),
            Some(ep.family),
            r.range_i(2_000, 20_000) as u64,
        )
    } else {
        (
            format!("https://{host}/"),
            None,
            r.range_i(38_000, 52_000) as u64,
        )
    };
    let o = w.outcome(r, ts, region, None, role, family);
    let t = w.timing(r, &o, true, body, Client::Probe);
    let total = t.total();
    Row {
        ts: Some(ts),
        agent: agent.to_string(),
        region: region.to_string(),
        test,
        kind: "http",
        target,
        status: Some(o.status),
        error: o.fail.map(|f| probe_error(f, &host)),
        dns_ms: t.dns,
        connect_ms: t.connect,
        tls_ms: t.tls,
        send_ms: t.send,
        wait_ms: t.wait,
        receive_ms: t.receive,
        total_ms: Some(total),
        ..Row::default()
    }
}

pub(crate) fn rows(w: &World) -> Vec<Row> {
    let mut r = w.rng("probe");
    let assets = Assets::new(w);
    let mut out = Vec::new();
    let every = w.profile.probe_every_min.max(1);
    let net_loss = w.kind == super::ScenarioKind::RegionalNetworkLoss;
    for (agent, region, m_off, s_off) in agents(w) {
        let mut m = m_off;
        while m < w.minutes() {
            let ts = w.start + Duration::minutes(m) + Duration::seconds(s_off + r.range_i(0, 3));
            let uses_k6 = w.k6_region.as_deref() == Some(region.as_str());
            if !uses_k6 {
                out.push(http_row(
                    w,
                    &mut r,
                    ts,
                    &agent,
                    &region,
                    "app-http",
                    Role::App,
                ));
                out.push(http_row(
                    w,
                    &mut r,
                    ts + Duration::seconds(1),
                    &agent,
                    &region,
                    "api-http",
                    Role::Api,
                ));
            }
            // Page test.
            let pt = ts + Duration::seconds(5);
            let p = plan_page(w, &assets, &mut r, pt, &region, None, Client::Probe);
            let doc = &p.entries[0];
            out.push(Row {
                ts: Some(pt),
                agent: agent.clone(),
                region: region.clone(),
                test: "app-page",
                kind: "page",
                target: format!("https://{}/", w.host(Role::App)),
                status: Some(doc.status),
                error: doc.fail().map(|f| probe_error(f, &doc.host)),
                page_load_ms: p.on_load,
                components: Some(p.entries.len() as f64),
                component_errors: Some(p.failed_components() as f64),
                ..Row::default()
            });
            // Network test to the API front door: 50 probes per round.
            let rtt = super::region_rtt(&region) * r.lognormal(1.0, 0.04 * w.noise);
            let hit = net_loss && w.active(pt) && w.fault_regions.contains(&region);
            let (loss, latency, jitter) = if hit {
                let l = match w.difficulty.loss_pct {
                    // 50 probes, each lost with the set probability
                    Some(p) => (0..50).filter(|_| r.chance(p / 100.0)).count() as f64 * 2.0,
                    None => (w.loss_pct * r.lognormal(1.0, 0.25)).clamp(2.0, 100.0),
                };
                (
                    l,
                    rtt + w.latency_add_ms * r.lognormal(1.0, 0.2),
                    r.lognormal(25.0, 0.5),
                )
            } else {
                let l = if r.chance(0.01 * w.noise) { 2.0 } else { 0.0 };
                (l, rtt, r.lognormal(1.2, 0.5 * w.noise))
            };
            out.push(Row {
                ts: Some(ts + Duration::seconds(10)),
                agent: agent.clone(),
                region: region.clone(),
                test: "api-network",
                kind: "network",
                target: w.host(Role::Api),
                loss_pct: Some((loss / 2.0).round() * 2.0),
                latency_ms: (loss < 100.0).then_some(latency),
                jitter_ms: (loss < 100.0).then_some(jitter),
                ..Row::default()
            });
            // DNS test of the app host.
            let dt = ts + Duration::seconds(12);
            let o = w.outcome(&mut r, dt, &region, None, Role::App, None);
            let (resolve, error) = match o.fail {
                Some(Fail::DnsServfail) => {
                    (Some(r.lognormal(45.0, 0.5)), Some("SERVFAIL".to_string()))
                }
                Some(Fail::DnsTimeout) => {
                    (Some(5000.0), Some("DNS resolution timed out".to_string()))
                }
                _ => (Some(r.lognormal(12.0, 0.5 * w.noise)), None),
            };
            out.push(Row {
                ts: Some(dt),
                agent: agent.clone(),
                region: region.clone(),
                test: "app-dns",
                kind: "dns",
                target: w.host(Role::App),
                error,
                resolve_ms: resolve,
                ..Row::default()
            });
            m += every;
        }
    }
    out.sort_by(|a, b| {
        a.ts.cmp(&b.ts)
            .then(a.agent.cmp(&b.agent))
            .then(a.test.cmp(b.test))
    });
    out
}

fn fmt_ts(ts: DateTime<Utc>, offset: i32, unix: bool) -> String {
    if unix {
        ts.timestamp().to_string()
    } else {
        rfc3339(ts, offset, SecondsFormat::Secs, true)
    }
}

fn jsonl(row: &Row, offset: i32, unix: bool) -> String {
    let ts = row.ts.map(|t| fmt_ts(t, offset, unix)).unwrap_or_default();
    let mut o = Obj::new();
    o = if unix {
        o.raw("ts", &ts)
    } else {
        o.s("ts", &ts)
    };
    o = o
        .s("agent", &row.agent)
        .s("region", &row.region)
        .s("test", row.test)
        .s("type", row.kind)
        .s("target", &row.target);
    if let Some(s) = row.status {
        o = o.raw("status", &s.to_string());
    }
    if let Some(e) = &row.error {
        o = o.s("error", e);
    }
    o.opt_num("dns_ms", row.dns_ms, 1)
        .opt_num("connect_ms", row.connect_ms, 1)
        .opt_num("tls_ms", row.tls_ms, 1)
        .opt_num("send_ms", row.send_ms, 2)
        .opt_num("wait_ms", row.wait_ms, 1)
        .opt_num("receive_ms", row.receive_ms, 1)
        .opt_num("total_ms", row.total_ms, 1)
        .opt_num("loss_pct", row.loss_pct, 0)
        .opt_num("latency_ms", row.latency_ms, 1)
        .opt_num("jitter_ms", row.jitter_ms, 1)
        .opt_num("page_load_ms", row.page_load_ms, 0)
        .opt_num("components", row.components, 0)
        .opt_num("component_errors", row.component_errors, 0)
        .opt_num("resolve_ms", row.resolve_ms, 1)
        .done()
}

pub(crate) fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

fn csv(row: &Row, offset: i32, unix: bool) -> String {
    let f = |v: Option<f64>, d: usize| v.map(|x| num(x, d)).unwrap_or_default();
    let cells = [
        row.ts.map(|t| fmt_ts(t, offset, unix)).unwrap_or_default(),
        csv_field(&row.agent),
        csv_field(&row.region),
        row.test.to_string(),
        row.kind.to_string(),
        csv_field(&row.target),
        row.status.map(|s| s.to_string()).unwrap_or_default(),
        row.error.as_deref().map(csv_field).unwrap_or_default(),
        f(row.dns_ms, 1),
        f(row.connect_ms, 1),
        f(row.tls_ms, 1),
        f(row.send_ms, 2),
        f(row.wait_ms, 1),
        f(row.receive_ms, 1),
        f(row.total_ms, 1),
        f(row.loss_pct, 0),
        f(row.latency_ms, 1),
        f(row.jitter_ms, 1),
        f(row.page_load_ms, 0),
        f(row.components, 0),
        f(row.component_errors, 0),
        f(row.resolve_ms, 1),
    ];
    cells.join(",")
}

/// Insert 1-2 junk lines (never before a CSV header) and return how many.
pub(crate) fn add_junk(
    r: &mut Rng,
    lines: &mut Vec<String>,
    first_data: usize,
    junk: &[String],
) -> u64 {
    let n = r.range_i(1, 2) as usize;
    for j in junk.iter().take(n) {
        let lo = first_data + 1;
        let hi = lines.len().max(lo);
        let at = r.range_i(lo as i64, hi as i64) as usize;
        lines.insert(at.min(lines.len()), j.clone());
    }
    n.min(junk.len()) as u64
}

pub(crate) fn write(w: &World, out: &mut Out) -> std::io::Result<()> {
    let all = rows(w);
    let mut r = w.rng("probe-files");
    let groups: Vec<(String, Vec<&Row>)> = if w.probe_split {
        REGIONS
            .iter()
            .map(|reg| {
                (
                    reg.to_string(),
                    all.iter().filter(|x| x.region == *reg).collect(),
                )
            })
            .collect()
    } else {
        vec![("probes".to_string(), all.iter().collect())]
    };
    for (name, rows) in groups {
        if rows.is_empty() {
            continue;
        }
        let offset = *r.pick(&OFFSETS);
        let unix = r.chance(if w.probe_csv { 0.25 } else { 0.15 });
        let mut lines = Vec::with_capacity(rows.len() + 3);
        let (ext, format, first_data) = if w.probe_csv {
            lines.push(
                ID_COLUMNS
                    .iter()
                    .chain(&crate::ingest::probe::NUM_COLS)
                    .copied()
                    .collect::<Vec<_>>()
                    .join(","),
            );
            ("csv", "probe-csv", 1)
        } else {
            ("jsonl", "probe-jsonl", 0)
        };
        for row in &rows {
            lines.push(if w.probe_csv {
                csv(row, offset, unix)
            } else {
                jsonl(row, offset, unix)
            });
        }
        let sample = lines[lines.len() / 2].clone();
        let junk = if w.probe_csv {
            vec![
                "### agent restarted: probe config reloaded ###".to_string(),
                format!(
                    "1970-13-45T99:99:99Z,{}",
                    sample.split_once(',').map(|x| x.1).unwrap_or("")
                ),
            ]
        } else {
            vec![
                sample[..sample.len() / 2].to_string(),
                "agent restarted: probe config reloaded".to_string(),
            ]
        };
        let bad = add_junk(&mut r, &mut lines, first_data, &junk);
        let mut text = lines.join("\n");
        text.push('\n');
        out.write(
            &format!("probes/{name}.{ext}"),
            text.as_bytes(),
            format,
            rows.len() as u64,
            bad,
        )?;
    }
    Ok(())
}
