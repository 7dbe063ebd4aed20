//! Change log (contract §3), JSON Lines or CSV: routine unrelated changes,
//! and for most incident variants the change that caused it (2-25 minutes
//! before onset) and its rollback near recovery. Some variants have no
//! culprit at all, as real incidents often do not.

use super::probe::{add_junk, csv_field};
use super::{OFFSETS, Obj, Out, Rng, ScenarioKind, World, rfc3339};
use chrono::{DateTime, Duration, SecondsFormat, Utc};

struct Change {
    ts: DateTime<Utc>,
    service: String,
    kind: &'static str,
    summary: String,
    author: &'static str,
}

const AUTHORS: [&str; 5] = ["deploy-bot", "mkhan", "jlopez", "a.nowak", "ci-pipeline"];

fn author(r: &mut Rng) -> &'static str {
    AUTHORS[(r.next_u64() % AUTHORS.len() as u64) as usize]
}

fn culprit(w: &World, r: &mut Rng) -> Option<(String, &'static str, String)> {
    let svc = |s: &str| s.to_string();
    Some(match w.kind {
        ScenarioKind::AsanaRegional => (
            svc("logging-config"),
            "config",
            "Raise server log verbosity to debug for us-east fleet".to_string(),
        ),
        ScenarioKind::AsanaGlobal502to503 => (
            svc("edge-router"),
            "config",
            "Roll out new routing config, enable connection pooling to app tier".to_string(),
        ),
        ScenarioKind::ChatgptSlowApi => (
            svc("inference-api"),
            "deploy",
            format!(
                "Deploy inference-api v{}.{}.0 (new research mode)",
                r.range_i(3, 5),
                r.range_i(10, 40)
            ),
        ),
        ScenarioKind::JiraWaves => (
            svc("issue-service"),
            "deploy",
            format!("Deploy issue-service build {}", r.range_i(4000, 9000)),
        ),
        ScenarioKind::DiscordMessaging => (
            svc("messages-service"),
            "deploy",
            format!("Deploy messages-service {}", r.hex(7)),
        ),
        ScenarioKind::BarclaysBackend => (
            svc("payments-core"),
            "deploy",
            "Payments core release, new fraud-check client".to_string(),
        ),
        ScenarioKind::Dns => (
            svc("dns"),
            "config",
            "Update NS delegation, move zone to new provider".to_string(),
        ),
        ScenarioKind::CdnEdge => (
            svc("cdn"),
            "config",
            "Enable new edge cache and WAF rules for static assets".to_string(),
        ),
        _ => return None,
    })
}

pub(crate) fn write(w: &World, out: &mut Out) -> std::io::Result<()> {
    let mut r = w.rng("changes");
    let mut list = Vec::new();
    let unrelated = [
        (
            "marketing-site",
            "deploy",
            "Publish pricing page copy update",
        ),
        ("docs", "deploy", "Docs site rebuild"),
        (
            "billing-worker",
            "deploy",
            "Billing worker: retry invoices, batch size 200",
        ),
        (
            "feature-flags",
            "config",
            "Enable dark-mode beta for 5% of users",
        ),
        (
            "db-replica-3",
            "maintenance",
            "Minor version upgrade of read replica",
        ),
        (
            "search-indexer",
            "config",
            "Reindex schedule moved to 02:00",
        ),
    ];
    let quiet_near_onset = r.chance(0.8);
    let n = r.range_i(2, 4);
    for _ in 0..n {
        let (service, kind, summary) = *r.pick(&unrelated);
        let mut ts;
        let mut tries = 0;
        loop {
            ts = w.start + Duration::seconds(r.range_i(0, w.minutes() * 60));
            tries += 1;
            let near = match (w.onset(), w.recovery()) {
                (Some(on), Some(rec)) => ts >= on - Duration::minutes(30) && ts <= rec,
                _ => false,
            };
            if !(quiet_near_onset && near) || tries > 20 {
                break;
            }
        }
        list.push(Change {
            ts,
            service: service.to_string(),
            kind,
            summary: summary.to_string(),
            author: author(&mut r),
        });
    }
    if let (Some(on), Some(rec)) = (w.onset(), w.recovery()) {
        let p = match w.kind {
            k if k.is_backend() => 0.8,
            ScenarioKind::Dns | ScenarioKind::CdnEdge => 0.4,
            _ => 0.0,
        };
        if r.chance(p)
            && let Some((service, kind, summary)) = culprit(w, &mut r)
        {
            let ts = on - Duration::minutes(r.range_i(2, 24)) - Duration::seconds(r.range_i(0, 59));
            list.push(Change {
                ts,
                service: service.clone(),
                kind,
                summary: summary.clone(),
                author: author(&mut r),
            });
            if r.chance(0.85) {
                let ts = rec - Duration::seconds(r.range_i(0, 180));
                list.push(Change {
                    ts,
                    service,
                    kind: "rollback",
                    summary: format!("Revert: {summary}"),
                    author: author(&mut r),
                });
            }
        }
        if w.kind == ScenarioKind::TlsCert && r.chance(0.7) {
            let ts = rec - Duration::seconds(r.range_i(0, 90));
            let what = if w.tls_wildcard {
                format!("*.{}.com", w.site)
            } else {
                w.host(super::Role::Api)
            };
            list.push(Change {
                ts,
                service: "certificates".to_string(),
                kind: "other",
                summary: format!("Install renewed certificate for {what}"),
                author: "mkhan",
            });
        }
    }
    if w.kind == ScenarioKind::NoisyHealthy {
        let ts = w.start + Duration::minutes(r.range_i(40, w.minutes() - 40));
        list.push(Change {
            ts,
            service: "api".to_string(),
            kind: "deploy",
            summary: format!(
                "Deploy api v2.{}.0, no user-facing changes",
                r.range_i(10, 60)
            ),
            author: "deploy-bot",
        });
    }
    if let Some(ts) = w.page_deploy {
        let mut dr = w.rng("changes-page-deploy");
        list.push(Change {
            ts,
            service: "web-frontend".to_string(),
            kind: "deploy",
            summary: format!(
                "Deploy web-frontend v{}.{}.0: new dashboard layout, support chat widget",
                dr.range_i(4, 9),
                dr.range_i(0, 30)
            ),
            author: "deploy-bot",
        });
    }
    list.sort_by(|a, b| a.ts.cmp(&b.ts).then(a.service.cmp(&b.service)));

    let csv = r.chance(0.4);
    let offset = *r.pick(&OFFSETS);
    let unix = csv && r.chance(0.3);
    let fmt = |t: DateTime<Utc>| {
        if unix {
            t.timestamp().to_string()
        } else {
            rfc3339(t, offset, SecondsFormat::Secs, true)
        }
    };
    let mut lines = Vec::new();
    if csv {
        lines.push("ts,service,kind,summary,author".to_string());
    }
    for c in &list {
        lines.push(if csv {
            format!(
                "{},{},{},{},{}",
                fmt(c.ts),
                csv_field(&c.service),
                c.kind,
                csv_field(&c.summary),
                c.author
            )
        } else {
            let o = Obj::new();
            let o = if unix {
                o.raw("ts", &fmt(c.ts))
            } else {
                o.s("ts", &fmt(c.ts))
            };
            o.s("service", &c.service)
                .s("kind", c.kind)
                .s("summary", &c.summary)
                .s("author", c.author)
                .done()
        });
    }
    let bad = if r.chance(0.5) {
        let first = usize::from(csv);
        add_junk(
            &mut r,
            &mut lines,
            first,
            &["-- manual note: freeze lifted --".to_string()],
        )
    } else {
        0
    };
    let mut text = lines.join("\n");
    text.push('\n');
    let (name, format) = if csv {
        ("changes/changes.csv", "changes-csv")
    } else {
        ("changes/changes.jsonl", "changes-jsonl")
    };
    out.write(name, text.as_bytes(), format, list.len() as u64, bad)
}
