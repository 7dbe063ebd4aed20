//! The same page load written by another producer that could have recorded it.
//!
//! The corpus has big real page structures only from chrome-har
//! (Browsertime) and WebPageTest, and the Playwright and DevTools captures in
//! it are two or three requests long. A chrome-har load is what Chrome
//! fetched; DevTools and Playwright would have recorded the same requests, in
//! their own format: that is what `restyle` writes, so the Playwright and
//! DevTools failure shapes (which chrome-har cannot represent at all) are
//! tested on real structures too. Field names and the `time` formula are
//! each producer's own (harTracer.ts for Playwright: no `blocked`, `send` 0,
//! `time` = dns + connect + ssl + wait + receive). BrowserMob Proxy sits
//! between any browser and the network, so any load can be written as its
//! capture (HarCaptureFilter: the seven phases, connect including ssl).

use super::producer::{Producer, as_f64};
use super::template::Template;
use serde_json::{Map, Value, json};

/// Chrome version the restyled captures claim (ORB era).
const CHROME: &str = "131.0.6778.86";

/// `t` as `target` would have written it: Chromium loads as DevTools or
/// Playwright captures, any browser's load (not WebPageTest's) as a
/// BrowserMob Proxy capture; anything else is returned unchanged.
pub fn restyle(t: &Template, target: Producer) -> Template {
    let allowed = match target {
        Producer::DevTools | Producer::Playwright => t.producer.chromium(),
        Producer::BrowserMob => t.producer != Producer::WebPageTest,
        _ => false,
    };
    if !allowed || t.producer == target {
        return t.clone();
    }
    let mut out = t.clone();
    out.producer = target;
    out.orb = target != Producer::BrowserMob;
    out.zulu = target != Producer::BrowserMob;
    out.tz = chrono::FixedOffset::east_opt(0).unwrap_or(t.tz);
    match target {
        Producer::DevTools => {
            out.creator = json!({"name": "WebInspector", "version": "537.36"});
            out.browser = None;
            out.version = json!("1.2");
            out.ssl_in_connect = true;
        }
        Producer::BrowserMob => {
            out.creator = json!({"name": "BrowserMob Proxy", "version": "2.1.4", "comment": ""});
            out.browser = None;
            out.version = json!("1.2");
            out.ssl_in_connect = true;
        }
        _ => {
            out.creator = json!({"name": "Playwright", "version": "1.49.1"});
            out.browser = Some(json!({"name": "chromium", "version": CHROME}));
            out.version = json!("1.2");
            out.ssl_in_connect = false;
        }
    }
    // chrome-har titles carry Browsertime's " run N"; the page's own title does not.
    let raw = t.page.get("title").and_then(Value::as_str).unwrap_or("");
    let title = match raw.rsplit_once(" run ") {
        Some((head, n)) if n.chars().all(|c| c.is_ascii_digit()) => head.to_string(),
        _ => raw.to_string(),
    };
    out.page = json!({"startedDateTime": "", "id": "page_1", "title": title, "pageTimings": {"onContentLoad": t.on_content_load_ms, "onLoad": t.on_load_ms}});
    for te in &mut out.entries {
        let Some(e) = te.entry.as_object_mut() else {
            continue;
        };
        let keep_underscore: &[&str] = if target == Producer::DevTools {
            &["_initiator", "_priority", "_resourceType"]
        } else {
            &[]
        };
        e.retain(|k, _| !k.starts_with('_') || keep_underscore.contains(&k.as_str()));
        if target == Producer::DevTools {
            e.insert("_resourceType".into(), json!(te.kind));
            e.entry("_priority").or_insert(json!("High"));
            e.entry("_initiator").or_insert(json!({"type": "parser"}));
        }
        let transfer = {
            let r = e.get("response");
            let hs = r
                .and_then(|r| r.get("headersSize"))
                .and_then(as_f64)
                .unwrap_or(-1.0)
                .max(0.0);
            let bs = r
                .and_then(|r| r.get("bodySize"))
                .and_then(as_f64)
                .unwrap_or(-1.0);
            let cs = r
                .and_then(|r| r.pointer("/content/size"))
                .and_then(as_f64)
                .unwrap_or(0.0);
            (hs + if bs >= 0.0 { bs } else { cs }).round() as i64
        };
        if let Some(r) = e.get_mut("response").and_then(Value::as_object_mut) {
            r.retain(|k, _| !k.starts_with('_'));
            if target != Producer::BrowserMob {
                r.insert("_transferSize".into(), json!(transfer));
            }
        }
        if let Some(tm) = e.get("timings").and_then(Value::as_object).cloned() {
            let g = |k: &str| tm.get(k).and_then(as_f64).unwrap_or(-1.0);
            let mut n = Map::new();
            if target == Producer::BrowserMob {
                for k in [
                    "blocked", "dns", "connect", "ssl", "send", "wait", "receive",
                ] {
                    n.insert(k.into(), json!(g(k)));
                }
                let time: f64 = ["blocked", "dns", "connect", "send", "wait", "receive"]
                    .iter()
                    .map(|k| g(k).max(0.0))
                    .sum();
                e.insert("time".into(), json!((time * 1000.0).round() / 1000.0));
            } else if target == Producer::DevTools {
                n.insert("blocked".into(), json!(g("blocked")));
                for k in ["dns", "ssl", "connect", "send", "wait", "receive"] {
                    n.insert(k.into(), json!(g(k)));
                }
                n.insert(
                    "_blocked_queueing".into(),
                    json!(if g("blocked") > 0.0 {
                        (g("blocked") * 0.8 * 1000.0).round() / 1000.0
                    } else {
                        -1.0
                    }),
                );
                let time: f64 = ["blocked", "dns", "connect", "send", "wait", "receive"]
                    .iter()
                    .map(|k| g(k).max(0.0))
                    .sum();
                e.insert("time".into(), json!((time * 1000.0).round() / 1000.0));
            } else {
                for k in ["dns", "connect", "ssl"] {
                    n.insert(k.into(), json!(g(k)));
                }
                n.insert("send".into(), json!(0));
                n.insert("wait".into(), json!(g("wait")));
                n.insert("receive".into(), json!(g("receive")));
                let time: f64 = ["dns", "connect", "ssl", "wait", "receive"]
                    .iter()
                    .map(|k| g(k).max(0.0))
                    .sum();
                e.insert("time".into(), json!((time * 1000.0).round() / 1000.0));
            }
            e.insert("timings".into(), Value::Object(n));
        }
        // Offsets stay: the requests happened when they happened.
        te.end_ms = te.offset_ms
            + te.entry
                .get("time")
                .and_then(as_f64)
                .unwrap_or(0.0)
                .max(0.0);
    }
    out
}
