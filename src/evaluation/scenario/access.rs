//! The origin API's nginx access log (`combined` plus `$request_time
//! $upstream_response_time`). Users from every region send traffic; a
//! request is only logged if it reached the origin, so DNS, TLS, network
//! and client faults show here as missing traffic, backend faults as 5xx
//! and upstream time.

use super::{OFFSETS, Out, Role, World, fixed};
use chrono::{DateTime, Duration, Utc};

const UAS: [&str; 5] = [
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36",
    "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1",
    "okhttp/4.12.0",
];

pub(crate) fn write(w: &World, out: &mut Out) -> std::io::Result<()> {
    let mut r = w.rng("access");
    let offset = *r.pick(&OFFSETS[..5]);
    let tz = fixed(offset);
    let total_w: f64 = w.endpoints.iter().map(|e| e.weight).sum();
    let mut recs: Vec<(DateTime<Utc>, String)> = Vec::new();
    let (lo, hi) = w.profile.access_per_min;
    for m in 0..w.minutes() {
        let n = r.range_i(lo, hi);
        for _ in 0..n {
            let t = w.start + Duration::minutes(m) + Duration::milliseconds(r.range_i(0, 59_999));
            let region = *r.pick(&[
                "us-east", "us-east", "us-east", "us-east", "us-east", "eu-west", "eu-west",
                "eu-west", "ap-south", "ap-south",
            ]);
            let mut pick = r.f64() * total_w;
            let ep = w.endpoints.iter().find(|e| {
                pick -= e.weight;
                pick <= 0.0
            });
            let ep = ep.unwrap_or(&w.endpoints[0]).clone();
            let mut path = w.fill_path(&mut r, &ep);
            if ep.family == super::Family::Messages && ep.method == "GET" && r.chance(0.5) {
                path.push_str(&format!(
                    "?limit=50&before={}",
                    r.range_i(1_000_000, 9_999_999)
                ));
            }
            let o = w.outcome(&mut r, t, region, None, Role::Api, Some(ep.family));
            if !o.reached_server() {
                continue;
            }
            // A lost response (client timeout) was a normal answer for the server.
            let mut status = if o.fail.is_some() { 200 } else { o.status };
            let mut server_ms = o.server_ms;
            if status == 200 && r.chance(0.006) {
                status = 404;
                server_ms = r.lognormal(8.0, 0.5);
            }
            if status == 200 && ep.method == "POST" {
                status = 201;
            }
            let end = t + Duration::microseconds((server_ms * 1000.0) as i64);
            let bytes = if status >= 500 {
                r.range_i(150, 600)
            } else if status == 404 {
                162
            } else {
                r.range_i(600, 24_000)
            };
            let request_time = server_ms / 1000.0 + r.range_f(0.0, 0.002);
            let upstream = match status {
                503 if r.chance(0.6) => "-".to_string(),
                502 => format!("{:.3}", server_ms / 1000.0),
                _ => format!(
                    "{:.3}",
                    (server_ms / 1000.0 - r.range_f(0.0, 0.001)).max(0.0)
                ),
            };
            let ip = format!(
                "{}.{}",
                r.pick(&["198.51.100", "203.0.113", "192.0.2"]),
                r.range_i(2, 254)
            );
            let ua = *r.pick(&UAS);
            let referer = if ua.starts_with("okhttp") {
                "-".to_string()
            } else {
                format!("https://{}/", w.host(Role::App))
            };
            let proto = if r.chance(0.8) {
                "HTTP/2.0"
            } else {
                "HTTP/1.1"
            };
            let mut full_path = path;
            if ep.family == super::Family::Auth && r.chance(0.05) {
                // Legacy clients still pass the token in the query string.
                let tok = w.plant_secret(format!("at_{}", r.alnum(28)));
                full_path.push_str(&format!("?access_token={tok}"));
            }
            let line = format!(
                "{ip} - - [{}] \"{} {} {proto}\" {status} {bytes} \"{referer}\" \"{ua}\" {request_time:.3} {upstream}",
                end.with_timezone(&tz).format("%d/%b/%Y:%H:%M:%S %z"),
                ep.method,
                full_path,
            );
            recs.push((end, line));
        }
    }
    recs.sort_by(|a, b| a.0.cmp(&b.0).then(a.1.cmp(&b.1)));
    let n = recs.len() as u64;
    let mut lines: Vec<String> = recs.into_iter().map(|x| x.1).collect();
    let junk = vec![
        "Unmatched! upstream prematurely closed connection while reading response header"
            .to_string(),
        lines
            .get(lines.len() / 3)
            .map(|l| l[..l.len() / 2].to_string())
            .unwrap_or_default(),
    ];
    let bad = super::probe::add_junk(&mut r, &mut lines, 0, &junk);
    let mut text = lines.join("\n");
    text.push('\n');
    out.write(
        "access/api-access.log",
        text.as_bytes(),
        "access-log",
        n,
        bad,
    )
}
