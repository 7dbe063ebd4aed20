//! What a failing request answers: an origin's 5xx through whatever it
//! came through, a CDN edge's own error page and headers, or a
//! browser-level error with the phases it got through.
//!
//! Why apart from the replay: these are the shapes read off real edges and
//! origins (see the module doc of `realcase`); the replay only decides
//! which request gets which.

use super::entry::timing;
use super::plan::Edge;
use super::producer::{NetError, Outcome};
use crate::evaluation::scenario::{Rng, reason_phrase};
use serde_json::Value;

pub(super) fn http(
    status: i64,
    mime: &'static str,
    size: i64,
    headers: Vec<(String, String)>,
    wait: f64,
) -> Outcome {
    Outcome::Http {
        status,
        status_text: reason_phrase(status),
        mime,
        body_size: size,
        headers,
        wait_ms: wait,
    }
}

pub(super) fn net(error: NetError, elapsed: f64, e: &Value) -> Outcome {
    let dns = timing(e, "dns").max(0.0);
    let ssl = timing(e, "ssl").max(0.0);
    let connect = (timing(e, "connect").max(0.0) - ssl).max(0.0);
    let dns = if dns > 0.0 { dns } else { 5.0 };
    let connect = if connect > 0.0 { connect } else { 20.0 };
    Outcome::Net {
        error,
        elapsed_ms: elapsed,
        phases: [dns, connect, ssl],
    }
}

pub(super) fn edge_response(edge: Edge, rng: &mut Rng) -> Outcome {
    let hex = rng.hex(16);
    match edge {
        Edge::Cloudflare => {
            let status = *rng.pick(&[502i64, 503, 520, 522]);
            let wait = if status == 522 {
                rng.range_f(15000.0, 19000.0)
            } else {
                rng.range_f(15.0, 150.0)
            };
            let pop = rng
                .pick(&["FRA", "AMS", "LHR", "IAD", "SJC", "NRT"])
                .to_string();
            let headers = vec![
                ("content-type".into(), "text/html; charset=UTF-8".into()),
                ("server".into(), "cloudflare".into()),
                ("cf-ray".into(), format!("{hex}-{pop}")),
                (
                    "cache-control".into(),
                    "private, max-age=0, no-store, no-cache, must-revalidate".into(),
                ),
            ];
            http(status, "text/html", rng.range_i(4200, 7400), headers, wait)
        }
        Edge::CloudFront => {
            let status = *rng.pick(&[502i64, 503, 504]);
            let wait = if status == 504 {
                rng.range_f(29000.0, 31000.0)
            } else {
                rng.range_f(10.0, 120.0)
            };
            let id = rng.alnum(56);
            let headers = vec![
                ("content-type".into(), "text/html".into()),
                ("server".into(), "CloudFront".into()),
                ("x-cache".into(), "Error from cloudfront".into()),
                (
                    "via".into(),
                    format!("1.1 {}.cloudfront.net (CloudFront)", rng.hex(32)),
                ),
                (
                    "x-amz-cf-pop".into(),
                    format!(
                        "{}{}-P{}",
                        rng.pick(&["FRA", "AMS", "IAD", "SFO"]),
                        rng.range_i(50, 60),
                        rng.range_i(1, 4)
                    ),
                ),
                ("x-amz-cf-id".into(), id),
            ];
            http(status, "text/html", rng.range_i(880, 1000), headers, wait)
        }
        Edge::Fastly => {
            let headers = vec![
                ("content-type".into(), "text/html; charset=utf-8".into()),
                ("via".into(), "1.1 varnish".into()),
                (
                    "x-served-by".into(),
                    format!(
                        "cache-{}{}-{}",
                        rng.pick(&["fra-etou", "ams-adam", "iad-kiad", "lhr-egll"]),
                        rng.range_i(8200000, 8299999),
                        rng.pick(&["FRA", "AMS", "IAD", "LHR"])
                    ),
                ),
                ("x-cache".into(), "MISS".into()),
                ("x-cache-hits".into(), "0".into()),
                (
                    "x-timer".into(),
                    format!(
                        "S{}.{},VS0,VE{}",
                        rng.range_i(1_700_000_000, 1_800_000_000),
                        rng.range_i(100000, 999999),
                        rng.range_i(1, 90)
                    ),
                ),
            ];
            http(
                503,
                "text/html",
                rng.range_i(420, 480),
                headers,
                rng.range_f(5.0, 90.0),
            )
        }
        Edge::Akamai => {
            let status = *rng.pick(&[503i64, 504]);
            let wait = if status == 504 {
                rng.range_f(20000.0, 30000.0)
            } else {
                rng.range_f(10.0, 100.0)
            };
            let headers = vec![
                ("server".into(), "AkamaiGHost".into()),
                ("mime-version".into(), "1.0".into()),
                ("content-type".into(), "text/html".into()),
                ("cache-control".into(), "max-age=0".into()),
            ];
            http(status, "text/html", rng.range_i(250, 330), headers, wait)
        }
    }
}

/// Origin error passed through whatever the response came through: the
/// template's own response headers are kept (an origin 5xx passed through a
/// CDN still carries the edge's headers), content type replaced.
pub(super) fn origin_error(e: &Value, status: i64, rng: &mut Rng, slow: bool) -> Outcome {
    let mut headers: Vec<(String, String)> = Vec::new();
    if let Some(hs) = e.pointer("/response/headers").and_then(Value::as_array) {
        for h in hs {
            let n = h.get("name").and_then(Value::as_str).unwrap_or("");
            let v = h.get("value").and_then(Value::as_str).unwrap_or("");
            let l = n.to_ascii_lowercase();
            if matches!(
                l.as_str(),
                "server"
                    | "via"
                    | "x-cache"
                    | "cf-ray"
                    | "x-served-by"
                    | "x-amz-cf-id"
                    | "x-amz-cf-pop"
                    | "date"
                    | "age"
                    | "x-timer"
            ) {
                headers.push((n.into(), v.into()));
            }
        }
    }
    let json_api = e
        .pointer("/response/content/mimeType")
        .and_then(Value::as_str)
        .is_some_and(|m| m.contains("json"));
    let mime = if json_api && rng.chance(0.5) {
        "application/json"
    } else {
        "text/html"
    };
    headers.push(("content-type".into(), mime.into()));
    if !headers
        .iter()
        .any(|(n, _)| n.eq_ignore_ascii_case("server"))
    {
        headers.push(("server".into(), "nginx".into()));
    }
    let wait = if slow {
        if status == 502 {
            rng.range_f(1000.0, 5000.0)
        } else {
            rng.range_f(5000.0, 30000.0)
        }
    } else {
        rng.range_f(4.0, 60.0)
    };
    let size = if mime == "application/json" {
        rng.range_i(60, 240)
    } else {
        rng.range_i(150, 600)
    };
    http(status, mime, size, headers, wait)
}
