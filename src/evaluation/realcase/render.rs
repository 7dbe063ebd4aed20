//! Assembling replayed loads into one HAR, as the template's producer
//! writes it: its time format, its pages, its extra fields.

use super::build::Load;
use super::entry::{entry_time, set_num};
use super::producer::{Producer, as_f64};
use super::template::{Template, url_of};
use chrono::{DateTime, Duration, Utc};
use serde_json::{Map, Value, json};

/// Write a time the way the producer does (its UTC offset, `Z` or `+00:00`).
pub fn fmt_time(t: &Template, at: DateTime<Utc>) -> String {
    if t.zulu {
        at.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
    } else {
        at.with_timezone(&t.tz)
            .format("%Y-%m-%dT%H:%M:%S%.3f%:z")
            .to_string()
    }
}

fn ms(d: f64) -> Duration {
    Duration::microseconds((d * 1000.0).round() as i64)
}

/// Assemble loads into one HAR as `t.producer` writes it: a page per load,
/// or one page for the whole tab (Playwright, Safari).
pub fn render(t: &Template, loads: &[Load], page_salt: &str) -> Value {
    let mut pages: Vec<Value> = Vec::new();
    let mut entries: Vec<Value> = Vec::new();
    let single_id = match t.producer {
        Producer::Playwright => format!("page@{page_salt}"),
        _ => t
            .page
            .get("id")
            .and_then(Value::as_str)
            .unwrap_or("page_0")
            .to_string(),
    };
    for (n, l) in loads.iter().enumerate() {
        let id = if t.producer.page_per_load() {
            match t.producer {
                Producer::WebPageTest => format!("page_{}_0", n + 1),
                _ => format!("page_{}", n + 1),
            }
        } else {
            single_id.clone()
        };
        if t.producer.page_per_load() || n == 0 {
            let mut p = t.page.as_object().cloned().unwrap_or_default();
            p.insert("id".into(), json!(id));
            p.insert("startedDateTime".into(), json!(fmt_time(t, l.start)));
            if t.producer == Producer::WebPageTest {
                let url = url_of(&t.entries[0].entry);
                p.insert(
                    "title".into(),
                    json!(format!("Run {}, First View for {}", n + 1, url)),
                );
            }
            let mut pt = p
                .get("pageTimings")
                .and_then(Value::as_object)
                .cloned()
                .unwrap_or_default();
            for (k, v) in [
                ("onLoad", l.on_load_ms),
                ("onContentLoad", l.on_content_load_ms),
            ] {
                let keep_neg = pt.get(k).and_then(as_f64).is_some_and(|x| x < 0.0);
                if !keep_neg {
                    let old = pt.get(k).cloned().unwrap_or(json!(0.0));
                    let nv = if old.is_i64() || old.is_u64() {
                        json!(v.round() as i64)
                    } else {
                        json!((v * 1000.0).round() / 1000.0)
                    };
                    pt.insert(k.into(), nv);
                }
            }
            p.insert("pageTimings".into(), Value::Object(pt));
            if t.producer == Producer::WebPageTest {
                set_num(&mut p, "_docTime", l.on_load_ms);
                set_num(&mut p, "_loadTime", l.on_load_ms);
                p.insert("_requests".into(), json!(l.entries.len()));
                p.insert("_run".into(), json!(n + 1));
                let last = l
                    .entries
                    .iter()
                    .map(|x| x.0 + entry_time(&x.1))
                    .fold(0.0, f64::max);
                set_num(&mut p, "_fullyLoaded", last.max(l.on_load_ms));
            }
            pages.push(Value::Object(p));
        }
        for (off, e) in &l.entries {
            let mut e = e.clone();
            if let Some(o) = e.as_object_mut() {
                o.insert(
                    "startedDateTime".into(),
                    json!(fmt_time(t, l.start + ms(*off))),
                );
                if o.contains_key("pageref") || t.producer != Producer::Other {
                    o.insert("pageref".into(), json!(id));
                }
                if t.producer == Producer::WebPageTest {
                    set_num(o, "_load_start", *off);
                }
            }
            entries.push(e);
        }
    }
    let mut log = Map::new();
    log.insert("version".into(), t.version.clone());
    log.insert("creator".into(), t.creator.clone());
    if let Some(b) = &t.browser {
        log.insert("browser".into(), b.clone());
    }
    log.insert("pages".into(), Value::Array(pages));
    log.insert("entries".into(), Value::Array(entries));
    json!({ "log": Value::Object(log) })
}
