//! Planted-secrets corpus (fixtures/secrets): every secret listed in
//! planted.txt must disappear when the field it sits in is redacted, and
//! from every byte of `sanitize` output.

use faultlens::redact::{Redactor, b64_decode};
use faultlens::sanitize::{SanitizeOptions, sanitize_har};
use serde_json::Value;
use std::collections::BTreeSet;
use std::path::PathBuf;

fn dir() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/secrets"))
}

fn read(name: &str) -> String {
    std::fs::read_to_string(dir().join(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// planted.txt: one secret per line; blank lines and `#` comments skipped.
fn planted() -> Vec<String> {
    let p: Vec<String> = read("planted.txt")
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(String::from)
        .collect();
    assert!(p.len() >= 40, "planted.txt looks too short: {}", p.len());
    p
}

fn leaks<'a>(planted: &'a [String], out: &str) -> Vec<&'a str> {
    planted
        .iter()
        .filter(|s| out.contains(s.as_str()))
        .map(String::as_str)
        .collect()
}

/// Records which planted secrets were seen in some input field, so the test
/// proves every line of planted.txt was actually exercised.
struct Check<'a> {
    planted: &'a [String],
    seen: BTreeSet<&'a str>,
    failures: Vec<String>,
}

impl<'a> Check<'a> {
    fn field(&mut self, where_: &str, input: &str, redacted: &str) {
        for s in self.planted {
            if input.contains(s.as_str()) {
                self.seen.insert(s.as_str());
                if redacted.contains(s.as_str()) {
                    self.failures
                        .push(format!("{where_}: {s} survives in {redacted:?}"));
                }
            }
        }
    }
}

/// Walk a HAR entry the way a renderer would see it, redacting each field
/// with the function meant for it.
fn walk(r: &Redactor, c: &mut Check, path: &str, v: &Value) {
    match v {
        Value::Object(o) => {
            let name = o.get("name").and_then(Value::as_str).unwrap_or("");
            for (k, x) in o {
                let p = format!("{path}.{k}");
                if let (Some(s), "value") = (x.as_str(), k.as_str()) {
                    let out = if path.contains(".headers") {
                        r.header_value(name, s).into_owned()
                    } else if path.contains(".cookies") {
                        r.cookie_value(s)
                    } else if path.contains(".queryString") {
                        r.query_param(name, s)
                    } else if path.contains(".params") {
                        r.form_param(name, s)
                    } else {
                        r.text(s)
                    };
                    c.field(&p, s, &out);
                } else if let (Some(s), "text") = (x.as_str(), k.as_str()) {
                    let mime = o.get("mimeType").and_then(Value::as_str).unwrap_or("");
                    if o.get("encoding").and_then(Value::as_str) == Some("base64") {
                        let plain = String::from_utf8(b64_decode(s).unwrap()).unwrap();
                        c.field(&p, s, &r.body(mime, &plain));
                        c.field(&p, &plain, &r.body(mime, &plain));
                    } else {
                        c.field(&p, s, &r.body(mime, s));
                    }
                } else {
                    walk(r, c, &p, x);
                }
            }
        }
        Value::Array(a) => {
            for (i, x) in a.iter().enumerate() {
                walk(r, c, &format!("{path}[{i}]"), x);
            }
        }
        Value::String(s) => {
            let key = path.rsplit('.').next().unwrap_or("");
            let out = if key == "url" || key == "redirectURL" {
                r.url(s)
            } else if key == "data" {
                r.body("", s)
            } else {
                r.text(s)
            };
            c.field(path, s, &out);
        }
        _ => {}
    }
}

#[test]
fn every_planted_secret_is_redacted_in_its_field() {
    let planted = planted();
    let r = Redactor::new(true);
    let mut c = Check {
        planted: &planted,
        seen: BTreeSet::new(),
        failures: Vec::new(),
    };

    let har: Value = serde_json::from_str(&read("capture.har")).unwrap();
    walk(&r, &mut c, "log", &har["log"]);

    for (i, line) in read("probes.jsonl").lines().enumerate() {
        let v: Value = serde_json::from_str(line).unwrap();
        let target = v["target"].as_str().unwrap();
        c.field(
            &format!("probes.jsonl:{} target", i + 1),
            target,
            &r.url(target),
        );
        if let Some(e) = v["error"].as_str() {
            c.field(&format!("probes.jsonl:{} error", i + 1), e, &r.text(e));
        }
        c.field(&format!("probes.jsonl:{} line", i + 1), line, &r.text(line));
    }

    for (i, line) in read("access.log").lines().enumerate() {
        // request target (between the method and the protocol) and referrer
        let req = line.split('"').nth(1).unwrap();
        let target = req.split(' ').nth(1).unwrap();
        c.field(
            &format!("access.log:{} target", i + 1),
            target,
            &r.url(target),
        );
        let referrer = line.split('"').nth(3).unwrap();
        c.field(
            &format!("access.log:{} referrer", i + 1),
            referrer,
            &r.url(referrer),
        );
        c.field(&format!("access.log:{} line", i + 1), line, &r.text(line));
    }

    for (i, line) in read("changes.jsonl").lines().enumerate() {
        let v: Value = serde_json::from_str(line).unwrap();
        let s = v["summary"].as_str().unwrap();
        c.field(&format!("changes.jsonl:{} summary", i + 1), s, &r.text(s));
    }

    // Identifying JWT claims (sub, email) are planted inside JWT payloads:
    // the JWT marker keeps only alg/typ/iss host/exp/iat/nbf.
    for jwt in planted.iter().filter(|s| faultlens::redact::is_jwt(s)) {
        let payload =
            String::from_utf8(b64_decode(jwt.split('.').nth(1).unwrap()).unwrap()).unwrap();
        c.field("jwt payload", &payload, &faultlens::redact::jwt_marker(jwt));
    }
    assert!(
        c.failures.is_empty(),
        "{} leaks:\n{}",
        c.failures.len(),
        c.failures.join("\n")
    );
    let unseen: Vec<&String> = planted
        .iter()
        .filter(|s| !c.seen.contains(s.as_str()))
        .collect();
    assert!(
        unseen.is_empty(),
        "planted.txt lists secrets found in no fixture field: {unseen:?}"
    );
    let stats = r.stats();
    for (kind, n) in stats.iter() {
        assert!(n > 0, "no {kind} redaction over the corpus: {stats:?}");
    }
}

#[test]
fn sanitize_output_is_har_with_same_entries_and_no_secret() {
    let planted = planted();
    let input = read("capture.har");
    let before: Value = serde_json::from_str(&input).unwrap();
    for drop_bodies in [false, true] {
        let mut out = Vec::new();
        let rep = sanitize_har(
            input.as_bytes(),
            &mut out,
            &SanitizeOptions {
                drop_bodies,
                ..Default::default()
            },
        )
        .unwrap();
        let text = String::from_utf8(out).unwrap();
        let leaked = leaks(&planted, &text);
        assert!(
            leaked.is_empty(),
            "sanitize (drop_bodies={drop_bodies}) leaked {leaked:?}"
        );
        let after: Value = serde_json::from_str(&text).unwrap();
        let log = &after["log"];
        assert_eq!(log["version"], "1.2");
        assert!(log["creator"]["name"].is_string() && log["creator"]["version"].is_string());
        let n = before["log"]["entries"].as_array().unwrap().len();
        assert_eq!(log["entries"].as_array().unwrap().len(), n);
        assert_eq!(rep.entries_written as usize, n);
        assert_eq!(log["pages"].as_array().unwrap().len(), 1);
        for (e0, e1) in before["log"]["entries"]
            .as_array()
            .unwrap()
            .iter()
            .zip(log["entries"].as_array().unwrap())
        {
            // HAR 1.2 shape kept: same request/response fields, methods, statuses, timings
            assert_eq!(e0["request"]["method"], e1["request"]["method"]);
            assert_eq!(e0["response"]["status"], e1["response"]["status"]);
            assert_eq!(e0["startedDateTime"], e1["startedDateTime"]);
            assert_eq!(e0["timings"], e1["timings"]);
            assert!(e1["request"]["url"].is_string() && e1["request"]["headers"].is_array());
            assert!(e1["response"]["content"].is_object());
            let keys = |v: &Value| v.as_object().unwrap().keys().cloned().collect::<Vec<_>>();
            assert_eq!(keys(&e0["request"]), keys(&e1["request"]));
            assert_eq!(keys(&e0["response"]), keys(&e1["response"]));
        }
        // cookie names with regex metacharacters survive, values do not
        let names: Vec<&str> = log["entries"][0]["request"]["cookies"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|c| c["name"].as_str())
            .collect();
        assert_eq!(names, ["a.b*c[1]", "sessionid", "(x|y)+"]);
        let r = &rep.redactions;
        assert!(
            r.cookie >= 10
                && r.query >= 5
                && r.jwt >= 2
                && r.header >= 4
                && r.path >= 1
                && r.userinfo >= 1,
            "{r:?}"
        );
        if drop_bodies {
            assert!(rep.bodies_dropped >= 2, "{rep:?}");
        } else {
            assert_eq!(rep.bodies_dropped, 0);
        }
    }
}

#[test]
fn same_secret_same_marker_across_places() {
    let r = Redactor::new(true);
    let har: Value = serde_json::from_str(&read("capture.har")).unwrap();
    let e0 = &har["log"]["entries"][0]["request"];
    let cookie_hdr = e0["headers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h["name"] == "cookie")
        .unwrap();
    let from_header = r
        .header_value("cookie", cookie_hdr["value"].as_str().unwrap())
        .into_owned();
    for c in e0["cookies"].as_array().unwrap() {
        let m = r.cookie_value(c["value"].as_str().unwrap());
        assert!(from_header.contains(&m), "{m} not in {from_header}");
    }
}
