//! HAR captures from browsers at one or two vantages: page loads every few
//! minutes saved into one HAR per vantage (several pages per file), the way
//! an SRE exports DevTools' network panel. Chrome style carries
//! `_resourceType`, `_transferSize`, `_error` and counts `ssl` inside
//! `connect`; Firefox style writes local-offset times, integer timings and
//! counts `ssl` on top of `connect`.

use super::page::{Assets, Cache, PagePlan, PlannedEntry, add_background, looks_broken, plan_page};
use super::{Client, Fail, OFFSETS, Out, Rng, Role, World, reason_phrase, rfc3339};
use chrono::{Duration, SecondsFormat};
use serde_json::{Value, json};

pub(crate) fn chrome_error(f: Fail) -> &'static str {
    match f {
        Fail::DnsServfail | Fail::DnsTimeout => "net::ERR_NAME_NOT_RESOLVED",
        Fail::ConnTimeout => "net::ERR_CONNECTION_TIMED_OUT",
        Fail::ConnReset => "net::ERR_CONNECTION_RESET",
        Fail::CertExpired => "net::ERR_CERT_DATE_INVALID",
        Fail::ClientDisconnected => "net::ERR_INTERNET_DISCONNECTED",
        Fail::ClientNetworkChanged => "net::ERR_NETWORK_CHANGED",
        Fail::Timeout => "net::ERR_TIMED_OUT",
    }
}

fn r3(x: f64) -> Value {
    json!((x * 1000.0).round() / 1000.0)
}

struct Ctx<'a> {
    w: &'a World,
    firefox: bool,
    offset: i32,
    token: String,
    cookie: String,
    ip_app: String,
    ip_api: String,
}

fn headers(pairs: &[(&str, String)]) -> Value {
    Value::Array(
        pairs
            .iter()
            .map(|(n, v)| json!({"name": n, "value": v}))
            .collect(),
    )
}

fn entry(c: &Ctx, r: &mut Rng, p: &PagePlan, page_id: &str, e: &PlannedEntry) -> Value {
    let start = p.t + Duration::microseconds((e.start_ms * 1000.0) as i64);
    let started = if c.firefox {
        rfc3339(start, c.offset, SecondsFormat::Millis, false)
    } else {
        rfc3339(start, 0, SecondsFormat::Millis, true)
    };
    let mut req_h: Vec<(&str, String)> = Vec::new();
    if c.firefox {
        req_h.push(("Host", e.host.clone()));
    }
    match e.role {
        Role::App => req_h.push(("cookie", c.cookie.clone())),
        Role::Api => req_h.push(("authorization", format!("Bearer {}", c.token))),
        _ => {}
    }
    let failed = e.fail();
    let lean = c.w.profile.lean_har;
    let mime = if e.outcome.edge_error || e.status >= 500 {
        "text/html"
    } else {
        e.mime
    };
    let ok_resp = failed.is_none() && e.cache != Cache::Disk;
    let date = (p.t + Duration::milliseconds(e.end_ms() as i64))
        .format("%a, %d %b %Y %H:%M:%S GMT")
        .to_string();
    let mut resp_h: Vec<(&str, String)> = Vec::new();
    if failed.is_none() {
        resp_h.push(("content-type", mime.to_string()));
        if !lean {
            resp_h.push(("date", date));
        }
        match e.role {
            Role::Static | Role::App => {
                resp_h.push(("server", "cloudflare".to_string()));
                let pop = *r.pick(&["IAD", "EWR", "LHR", "FRA", "BOM", "SIN"]);
                resp_h.push(("cf-ray", format!("{}-{pop}", r.hex(16))));
                if e.role == Role::Static && !e.outcome.edge_error {
                    resp_h.push((
                        "cf-cache-status",
                        if e.status == 304 || r.chance(0.85) {
                            "HIT"
                        } else {
                            "MISS"
                        }
                        .to_string(),
                    ));
                    resp_h.push(("x-cache", "HIT".to_string()));
                }
            }
            Role::Api => {
                resp_h.push(("server", "nginx".to_string()));
                if !lean {
                    resp_h.push(("x-request-id", r.hex(16)));
                }
            }
            Role::Third(_) => resp_h.push((
                "server",
                if e.status >= 500 {
                    "awselb/2.0"
                } else {
                    "ECAcc (lhd/2F6D)"
                }
                .to_string(),
            )),
        }
    }
    let t = &e.timing;
    let neg = |v: Option<f64>| v.map(r3).unwrap_or(json!(-1));
    let (dns, connect, ssl) = if c.firefox {
        // Firefox: ssl is its own phase, connect is TCP only; reused = 0.
        let z = |v: Option<f64>| {
            json!(
                v.map(|x| x.round() as i64)
                    .unwrap_or(if e.new_conn || failed.is_some() {
                        -1
                    } else {
                        0
                    })
            )
        };
        (z(t.dns), z(t.connect), z(t.tls))
    } else {
        // Chrome: connect includes ssl.
        let conn = match (t.connect, t.tls) {
            (Some(a), Some(b)) => Some(a + b),
            (a, _) => a,
        };
        (neg(t.dns), neg(conn), neg(t.tls))
    };
    let body = if ok_resp && e.status != 304 {
        e.body_bytes
    } else {
        0
    };
    let transfer = if e.cache == Cache::Disk || failed.is_some() {
        0
    } else {
        let ratio = if mime.contains("javascript")
            || mime.contains("css")
            || mime.contains("json")
            || mime.contains("html")
        {
            0.28
        } else {
            1.0
        };
        (body as f64 * ratio) as u64 + 320
    };
    let timings = if c.firefox {
        let i = |v: Option<f64>| json!(v.map(|x| x.round() as i64).unwrap_or(-1));
        json!({"blocked": t.blocked.round() as i64, "dns": dns, "connect": connect, "ssl": ssl, "send": i(t.send.or(Some(0.0))), "wait": i(t.wait.or(Some(0.0))), "receive": i(t.receive.or(Some(0.0)))})
    } else {
        let mut v = json!({"blocked": r3(t.blocked), "dns": dns, "ssl": ssl, "connect": connect, "send": r3(t.send.unwrap_or(0.0)), "wait": r3(t.wait.unwrap_or(0.0)), "receive": r3(t.receive.unwrap_or(0.0))});
        if !lean {
            v["_blocked_queueing"] = r3(t.blocked * 0.6);
        }
        v
    };
    let (scheme_path, query) = match e.path.split_once('?') {
        Some((_, q)) => (
            e.path.clone(),
            q.split('&')
                .filter_map(|kv| kv.split_once('='))
                .map(|(k, v)| json!({"name": k, "value": v}))
                .collect::<Vec<_>>(),
        ),
        None => (e.path.clone(), vec![]),
    };
    let http_version = if failed.is_some() {
        ""
    } else if c.firefox {
        "HTTP/2"
    } else {
        "h2"
    };
    let mut req = json!({
        "method": e.method,
        "url": format!("https://{}{}", e.host, scheme_path),
        "httpVersion": http_version,
        "headers": headers(&req_h),
        "queryString": query,
        "cookies": [],
        "headersSize": -1,
        "bodySize": 0,
    });
    if e.role == Role::App && !lean {
        req["cookies"] = json!([{"name": "session_id", "value": c.cookie.trim_start_matches("session_id=").split(';').next().unwrap_or("")}]);
    }
    let mut resp = json!({
        "status": e.status,
        "statusText": reason_phrase(e.status.into()),
        "httpVersion": http_version,
        "headers": headers(&resp_h),
        "cookies": [],
        "content": {"size": body, "mimeType": if failed.is_some() { "x-unknown" } else { mime }},
        "redirectURL": "",
        "headersSize": -1,
        "bodySize": if failed.is_some() { -1 } else { transfer as i64 },
    });
    let time = if c.firefox {
        json!(
            t.blocked.round() as i64
                + [t.dns, t.connect, t.tls, t.send, t.wait, t.receive]
                    .iter()
                    .flatten()
                    .map(|x| x.round() as i64)
                    .sum::<i64>()
        )
    } else {
        r3(e.time_ms())
    };
    let ip = match e.role {
        Role::App => c.ip_app.clone(),
        Role::Api => c.ip_api.clone(),
        Role::Static => "104.18.32.47".to_string(),
        Role::Third(i) => format!("151.101.{}.{}", 1 + i * 64, 10 + i),
    };
    let ip = if failed.is_some() && !matches!(failed, Some(Fail::CertExpired | Fail::ConnReset)) {
        String::new()
    } else {
        ip
    };
    let mut v = json!({
        "pageref": page_id,
        "startedDateTime": started,
        "time": time,
        "request": req,
        "timings": timings,
        "serverIPAddress": ip,
        "cache": {},
    });
    if c.firefox {
        v["_securityState"] = json!(if matches!(failed, Some(Fail::CertExpired)) {
            "broken"
        } else {
            "secure"
        });
        v["connection"] = json!("443");
    } else {
        resp["_transferSize"] = json!(transfer);
        resp["_error"] = match failed {
            Some(f) => json!(chrome_error(f)),
            None => Value::Null,
        };
        v["_resourceType"] = json!(e.rtype);
        if e.cache == Cache::Disk {
            v["_fromCache"] = json!("disk");
        }
        if !lean {
            v["_priority"] = json!(match e.rtype {
                "document" | "stylesheet" => "VeryHigh",
                "script" | "font" | "xhr" => "High",
                _ => "Low",
            });
            v["_initiator"] =
                json!({"type": if e.rtype == "document" { "other" } else { "script" }});
            v["connection"] = json!(format!("{}", 1000 + (r.next_u64() % 9000)));
        }
    }
    v["response"] = resp;
    v
}

fn page_json(c: &Ctx, p: &PagePlan, id: &str, url_title: bool) -> Value {
    let started = if c.firefox {
        rfc3339(p.t, c.offset, SecondsFormat::Millis, false)
    } else {
        rfc3339(p.t, 0, SecondsFormat::Millis, true)
    };
    let t = |v: Option<f64>| match v {
        Some(x) if c.firefox => json!(x.round() as i64),
        Some(x) => r3(x),
        None => json!(-1),
    };
    json!({
        "startedDateTime": started,
        "id": id,
        "title": if url_title { format!("https://{}/", c.w.host(Role::App)) } else { p.title.clone() },
        "pageTimings": {"onContentLoad": t(p.on_content_load), "onLoad": t(p.on_load)},
    })
}

pub(crate) fn write(w: &World, out: &mut Out) -> std::io::Result<()> {
    let assets = Assets::new(w);
    for (vi, (label, firefox)) in w.har_vantages.iter().enumerate() {
        let mut r = w.rng(&format!("har-{vi}"));
        let token = w.plant_secret(format!(
            "eyJhbGciOiJIUzI1NiJ9.{}.{}",
            r.alnum(36),
            r.alnum(22)
        ));
        let sid = w.plant_secret(r.alnum(32));
        let c = Ctx {
            w,
            firefox: *firefox,
            offset: *r.pick(&OFFSETS[2..]),
            token,
            cookie: format!(
                "session_id={sid}; _ga=GA1.2.{}.{}",
                r.range_i(100_000_000, 999_999_999),
                r.range_i(1_600_000_000, 1_700_000_000)
            ),
            ip_app: format!("203.0.113.{}", r.range_i(10, 200)),
            ip_api: format!("203.0.113.{}", r.range_i(10, 200)),
        };
        let (lo, hi) = w.profile.page_every_min;
        let mut t = w.start + Duration::seconds(r.range_i(20, 150));
        let mut stop = w.end - Duration::minutes(1);
        if vi > 0 && w.profile.lean_har {
            // A second, shorter capture: someone else recorded around the incident.
            let mid = w.onset().unwrap_or(w.start + (w.end - w.start) / 2);
            let rec = w.recovery().unwrap_or(mid);
            t = t.max(mid - Duration::minutes(r.range_i(15, 25)));
            stop = stop.min(rec + Duration::minutes(r.range_i(12, 20)));
        }
        let mut plans: Vec<PagePlan> = Vec::new();
        let mut retries = 0;
        while t < stop {
            let p = plan_page(w, &assets, &mut r, t, label, Some(label), Client::Browser);
            // Users reload a broken page within a minute or two, a few times.
            let max_retries = if w.profile.lean_har { 2 } else { 3 };
            let next = if looks_broken(&p) && retries < max_retries {
                retries += 1;
                t + Duration::seconds(r.range_i(40, 120))
            } else {
                retries = 0;
                t + Duration::seconds(r.range_i(lo * 60, hi * 60))
            };
            let load_end = t + Duration::milliseconds(p.on_load.unwrap_or(0.0) as i64);
            let has_app = p.entries.len() > 1;
            plans.push(p);
            // The open app polls every few minutes until the next load.
            if has_app {
                let (plo, phi) = if w.profile.lean_har {
                    (280, 420)
                } else {
                    (60, 150)
                };
                let mut at = load_end + Duration::seconds(r.range_i(10, 90));
                while at < next - Duration::seconds(10) {
                    if let Some(last) = plans.last_mut() {
                        add_background(w, &mut r, last, at, label, Some(label), Client::Browser);
                    }
                    at += Duration::seconds(r.range_i(plo, phi));
                }
            }
            t = next;
        }
        // Full profile: the SRE saved two captures; compact: one.
        let split = if w.profile.pretty_har && plans.len() > 8 {
            r.range_i(3, plans.len() as i64 - 3) as usize
        } else {
            plans.len()
        };
        let chunks: Vec<&[PagePlan]> = if split < plans.len() {
            vec![&plans[..split], &plans[split..]]
        } else {
            vec![&plans[..]]
        };
        for (ci, chunk) in chunks.iter().enumerate() {
            let mut pages = Vec::new();
            let mut entries = Vec::new();
            for (pi, p) in chunk.iter().enumerate() {
                let id = format!("page_{}", pi + 1);
                pages.push(page_json(&c, p, &id, !c.firefox));
                for e in &p.entries {
                    entries.push(entry(&c, &mut r, p, &id, e));
                }
            }
            let n = entries.len() as u64;
            let creator = if c.firefox {
                json!({"name": "Firefox", "version": "128.0"})
            } else {
                json!({"name": "WebInspector", "version": "537.36"})
            };
            let mut log =
                json!({"version": "1.2", "creator": creator, "pages": pages, "entries": entries});
            if c.firefox {
                log["browser"] = json!({"name": "Firefox", "version": "128.0"});
            }
            let doc = json!({"log": log});
            let mut text = if w.profile.pretty_har {
                serde_json::to_string_pretty(&doc)
            } else {
                serde_json::to_string(&doc)
            }
            .map_err(std::io::Error::other)?;
            text.push('\n');
            out.write(
                &format!("har/region={label}/capture-{}.har", ci + 1),
                text.as_bytes(),
                "har",
                n,
                0,
            )?;
        }
    }
    Ok(())
}
