use super::*;
use crate::ingest::IngestOptions;
use crate::ingest::har::parse_har_bytes;

/// One entry as a producer writes it, read by the HAR reader.
fn read(url: &str, response: &str, rest: &str) -> Request {
    let har = format!(
        r#"{{"log":{{"version":"1.2","entries":[{{"startedDateTime":"2024-05-01T10:00:00.000Z","request":{{"method":"GET","url":"{url}"}},"response":{response}{rest}}}]}}}}"#
    );
    let p = parse_har_bytes(0, None, har.as_bytes(), &IngestOptions::default());
    assert_eq!(p.report.bad_records, 0, "{har}");
    p.records.requests.into_iter().next().expect("one request")
}

const NO_TIMINGS: &str = r#","timings":{"blocked":-1,"dns":-1,"connect":-1,"ssl":-1,"send":-1,"wait":-1,"receive":-1},"time":0"#;

#[test]
fn chrome_devtools_error_text() {
    let r = read(
        "https://app.example.com/",
        r#"{"status":0,"headers":[],"_error":"net::ERR_NAME_NOT_RESOLVED","content":{"size":0,"mimeType":""}}"#,
        NO_TIMINGS,
    );
    assert_eq!(shape(&r), Some(Shape::Dns));
}

#[test]
fn playwright_failure_text_with_status_minus_one() {
    let r = read(
        "https://api.example.com/v1/items",
        r#"{"status":-1,"statusText":"","headers":[],"content":{"size":-1,"mimeType":"x-unknown"},"_failureText":"net::ERR_CERT_DATE_INVALID"}"#,
        r#","timings":{"send":-1,"wait":-1,"receive":-1},"time":-1"#,
    );
    assert_eq!(r.status, 0);
    assert_eq!(shape(&r), Some(Shape::Tls));
    let r = read(
        "https://app.example.com/",
        r#"{"status":-1,"headers":[],"content":{"size":-1,"mimeType":"x-unknown"},"_failureText":"net::ERR_INTERNET_DISCONNECTED"}"#,
        "",
    );
    assert_eq!(shape(&r), Some(Shape::Offline));
}

#[test]
fn browsermob_error_message() {
    let r = read(
        "http://shop.example.com/",
        r#"{"status":0,"headers":[],"content":{"size":0},"_errorMessage":"Connection timed out"}"#,
        NO_TIMINGS,
    );
    assert_eq!(shape(&r), Some(Shape::Connect));
    // the wordings of browsermob-proxy's HarCaptureUtil
    let r = read(
        "https://www.example.com/",
        r#"{"status":0,"httpVersion":"unknown","headers":[],"content":{"size":0},"_errorMessage":"Unable to resolve host: www.example.com:443"}"#,
        r#","timings":{"blocked":0,"dns":12,"connect":-1,"ssl":-1,"send":0,"wait":0,"receive":0},"time":12"#,
    );
    assert_eq!(shape(&r), Some(Shape::Dns));
    let r = read(
        "https://www.example.com/",
        r#"{"status":0,"httpVersion":"unknown","headers":[],"content":{"size":0},"_errorMessage":"Unable to connect to host"}"#,
        r#","timings":{"blocked":0,"dns":2,"connect":30,"ssl":-1,"send":0,"wait":0,"receive":0},"time":32"#,
    );
    assert_eq!(shape(&r), Some(Shape::Connect));
}

#[test]
fn webpagetest_wininet_codes() {
    let r = read(
        "http://www.example.com/",
        r#"{"status":-1,"headers":[],"content":{"size":0}}"#,
        r#","_responseCode":"12007","_result":12007"#,
    );
    assert_eq!(r.status, 0);
    assert_eq!(shape(&r), Some(Shape::Dns));
    let r = read(
        "http://www.example.com/",
        r#"{"status":12029,"headers":[],"content":{"size":0}}"#,
        "",
    );
    assert_eq!(r.status, 0);
    assert_eq!(shape(&r), Some(Shape::Connect));
    // the agent's catch-all 12999 is a failure, not an HTTP 5xx
    let r = read(
        "http://www.example.com/",
        r#"{"status":12999,"headers":[],"content":{"size":0}}"#,
        r#","timings":{"blocked":-1,"dns":-1,"connect":-1,"ssl":-1,"send":0,"wait":0,"receive":0},"time":0"#,
    );
    assert_eq!(r.status, 0);
    assert_eq!(shape(&r), Some(Shape::NeverStarted));
}

#[test]
fn firefox_status_zero_read_from_phases() {
    // stopped after the lookup, no connect: a name that did not resolve or
    // a connect that failed, which Firefox writes alike (FL110 tells them
    // apart by whether the host's other requests got through)
    let r = read(
        "https://www.example.com/a.js",
        r#"{"status":0,"headers":[],"content":{"size":0}}"#,
        r#","timings":{"blocked":0,"dns":12,"connect":-1,"ssl":-1,"send":0,"wait":0,"receive":0},"time":12"#,
    );
    assert_eq!(shape(&r), Some(Shape::AfterLookup));
    // a connect that took time and then failed (another producer's shape)
    let r = read(
        "http://www.example.com/a.js",
        r#"{"status":0,"headers":[],"content":{"size":0}}"#,
        r#","timings":{"blocked":0,"dns":12,"connect":3000,"ssl":-1,"send":0,"wait":0,"receive":0},"time":3012"#,
    );
    assert_eq!(shape(&r), Some(Shape::Connect));
    // connected over https, no handshake finished
    let r = read(
        "https://www.example.com/a.js",
        r#"{"status":0,"headers":[],"content":{"size":0}}"#,
        r#","timings":{"blocked":0,"dns":1,"connect":30,"ssl":-1,"send":0,"wait":0,"receive":0},"time":31"#,
    );
    assert_eq!(shape(&r), Some(Shape::Tls));
    // sent and waited: the server was reached
    let r = read(
        "https://www.example.com/api/x",
        r#"{"status":0,"headers":[],"content":{"size":0}}"#,
        r#","timings":{"blocked":0,"dns":1,"connect":3,"ssl":5,"send":1,"wait":30000,"receive":0},"time":30010"#,
    );
    assert_eq!(shape(&r), Some(Shape::NoAnswer));
    // nothing at all
    let r = read(
        "https://www.example.com/",
        r#"{"status":0,"headers":[],"content":{"size":0}}"#,
        NO_TIMINGS,
    );
    assert_eq!(shape(&r), Some(Shape::NeverStarted));
}

#[test]
fn orb_is_a_failed_component_and_aborted_is_noise() {
    let r = read(
        "https://static.example-cdn.com/hero.jpg",
        r#"{"status":0,"headers":[],"content":{"size":0},"_error":"net::ERR_BLOCKED_BY_ORB"}"#,
        NO_TIMINGS,
    );
    assert!(r.is_error());
    assert_eq!(shape(&r), Some(Shape::EdgeError));
    let r = read(
        "https://www.example.com/beacon",
        r#"{"status":0,"headers":[],"content":{"size":0},"_error":"net::ERR_ABORTED"}"#,
        NO_TIMINGS,
    );
    assert_eq!(shape(&r), None);
    let r = read(
        "https://ads.other.com/px",
        r#"{"status":404,"headers":[],"content":{"size":0}}"#,
        "",
    );
    assert_eq!(shape(&r), None);
}

#[test]
fn edge_errors_from_status_and_headers() {
    let r = read(
        "https://static.example.com/app.css",
        r#"{"status":502,"headers":[{"name":"x-cache","value":"Error from cloudfront"},{"name":"via","value":"1.1 abc.cloudfront.net (CloudFront)"}],"content":{"size":10,"mimeType":"text/html"}}"#,
        "",
    );
    assert_eq!(shape(&r), Some(Shape::EdgeError));
    let r = read(
        "https://www.example.com/",
        r#"{"status":522,"headers":[{"name":"server","value":"cloudflare"},{"name":"cf-ray","value":"8a-FRA"}],"content":{"size":10,"mimeType":"text/html"}}"#,
        "",
    );
    assert_eq!(shape(&r), Some(Shape::EdgeError));
    let r = read(
        "https://api.example.com/v1/x",
        r#"{"status":503,"headers":[{"name":"server","value":"nginx"}],"content":{"size":10,"mimeType":"application/json"}}"#,
        "",
    );
    assert_eq!(shape(&r), Some(Shape::Http5xx));
    assert!(is_dynamic(&r));
    // Akamai's own error page names the edge in Server and nothing else
    let r = read(
        "https://i5.example.com/asr/hero.jpg",
        r#"{"status":503,"headers":[{"name":"Server","value":"AkamaiGHost"},{"name":"Mime-Version","value":"1.0"},{"name":"Content-Type","value":"text/html"}],"content":{"size":280,"mimeType":"text/html"}}"#,
        "",
    );
    assert_eq!(shape(&r), Some(Shape::EdgeError));
}

/// A whole HAR read and finalised as the pipeline does.
fn dataset_of(har: &str) -> Dataset {
    let p = parse_har_bytes(0, None, har.as_bytes(), &IngestOptions::default());
    assert_eq!(p.report.bad_records, 0, "{har}");
    let mut ds = Dataset {
        requests: p.records.requests,
        pages: p.records.pages,
        ..Default::default()
    };
    crate::model::finalize(&mut ds, &Default::default());
    ds
}

/// A page of Firefox's export: its navigation (200 or nothing at all),
/// then a beacon with status 0 and no phase 250 ms in, past the page's
/// 20 ms `onLoad` (as mitmproxy's real Firefox capture has it).
fn firefox_load(navigation: &str) -> Dataset {
    let entry = |at: &str, url: &str, response: &str, timings: &str| {
        format!(
            r#"{{"pageref":"page_1","startedDateTime":"2024-05-01T10:00:{at}Z","request":{{"method":"GET","url":"{url}","headers":[]}},"response":{response},"timings":{timings},"time":5}}"#
        )
    };
    let never = r#"{"blocked":3,"dns":-1,"connect":-1,"ssl":-1,"send":0,"wait":0,"receive":0}"#;
    let zero = r#"{"status":0,"headers":[],"content":{"size":-1}}"#;
    let nav = if navigation == "ok" {
        entry(
            "00.000",
            "https://www.example.com/",
            r#"{"status":200,"headers":[],"content":{"size":900,"mimeType":"text/html"}}"#,
            r#"{"blocked":1,"dns":1,"connect":1,"ssl":1,"send":0,"wait":20,"receive":1}"#,
        )
    } else {
        entry("00.000", "https://www.example.com/", zero, never)
    };
    let beacon = entry(
        "00.250",
        "https://www.example.com/beacon/event",
        zero,
        never,
    );
    let har = format!(
        r#"{{"log":{{"version":"1.2","creator":{{"name":"Firefox","version":"120"}},"pages":[{{"id":"page_1","startedDateTime":"2024-05-01T10:00:00.000Z","title":"x","pageTimings":{{"onContentLoad":15,"onLoad":20}}}}],"entries":[{nav},{beacon}]}}}}"#
    );
    dataset_of(&har)
}

#[test]
fn a_request_cancelled_after_the_load_is_noise_unless_the_navigation_failed() {
    let c = census(&firefox_load("ok"));
    assert_eq!(c.loads.len(), 1);
    assert!(c.loads[0].failures.is_empty(), "{:?}", c.loads[0]);
    let c = census(&firefox_load("failed"));
    assert_eq!(c.loads.len(), 1);
    assert_eq!(c.loads[0].failures.len(), 2, "{:?}", c.loads[0]);
    assert!(
        c.loads[0]
            .failures
            .iter()
            .all(|(_, s)| *s == Shape::NeverStarted)
    );
}

/// BrowserMob Proxy: the navigation, then a logging call with no response
/// (`_errorMessage`) begun at `at` seconds; the page's `onLoad` is 20 ms.
fn browsermob_load(at: &str, error: &str) -> Dataset {
    browsermob_load_of("http://www.example.com/api/logger", at, error)
}

/// [`browsermob_load`] with the unanswered request asking for `url`.
fn browsermob_load_of(url: &str, at: &str, error: &str) -> Dataset {
    let entry = |at: &str, url: &str, response: &str, timings: &str| {
        format!(
            r#"{{"pageref":"page_1","startedDateTime":"2024-05-01T10:00:{at}Z","request":{{"method":"GET","url":"{url}","headers":[]}},"response":{response},"timings":{timings},"time":5}}"#
        )
    };
    let nav = entry(
        "00.000",
        "http://www.example.com/",
        r#"{"status":200,"headers":[],"content":{"size":900,"mimeType":"text/html"}}"#,
        r#"{"blocked":1,"dns":1,"connect":1,"ssl":-1,"send":0,"wait":10,"receive":1}"#,
    );
    let call = entry(
        at,
        url,
        &format!(r#"{{"status":0,"headers":[],"content":{{"size":0}},"_errorMessage":"{error}"}}"#),
        r#"{"blocked":0,"dns":5,"connect":20,"ssl":-1,"send":0,"wait":1,"receive":0}"#,
    );
    let har = format!(
        r#"{{"log":{{"version":"1.2","creator":{{"name":"BrowserMob Proxy","version":"2.1.4"}},"pages":[{{"id":"page_1","startedDateTime":"2024-05-01T10:00:00.000Z","title":"x","pageTimings":{{"onContentLoad":15,"onLoad":20}}}}],"entries":[{nav},{call}]}}}}"#
    );
    dataset_of(&har)
}

/// BrowserMob's "No response received" is what an entry says until its
/// response arrives: after the load event, a call cut off as the page went
/// away, and on a beacon whenever it was sent; before it on a call, or
/// worded as a timeout, a failure.
#[test]
fn browsermob_pending_after_the_load_is_noise() {
    let c = census(&browsermob_load("00.250", "No response received"));
    assert!(c.loads[0].failures.is_empty(), "{:?}", c.loads[0]);
    let c = census(&browsermob_load("00.010", "No response received"));
    assert_eq!(c.loads[0].failures.len(), 1, "{:?}", c.loads[0]);
    let c = census(&browsermob_load("00.250", "Response timed out"));
    assert_eq!(c.loads[0].failures.len(), 1, "{:?}", c.loads[0]);
    // a beacon (a tracking GIF, untyped since it got no response) still
    // pending is noise whenever it was sent; timed out, it failed
    let pixel = "http://beacon.example.com/rum.gif?pv_id=45a56f30&ts=1522184009388";
    let c = census(&browsermob_load_of(pixel, "00.010", "No response received"));
    assert!(c.loads[0].failures.is_empty(), "{:?}", c.loads[0]);
    let c = census(&browsermob_load_of(pixel, "00.010", "Response timed out"));
    assert_eq!(c.loads[0].failures.len(), 1, "{:?}", c.loads[0]);
}

fn at(s: i64) -> DateTime<Utc> {
    DateTime::<Utc>::from_timestamp(1_700_000_000 + s, 0).unwrap()
}

/// A stream of loads 10 s apart: `b` bad (failed), `s` only slow, `.` good.
fn stream(file: u32, pattern: &str) -> Vec<LoadFacts> {
    pattern
        .chars()
        .enumerate()
        .map(|(i, c)| LoadFacts {
            page_id: format!("{file}:{i}"),
            file,
            vantage: format!("v{file}"),
            start: at(i as i64 * 10),
            bad: c != '.',
            slow_only: c == 's',
            ..Default::default()
        })
        .collect()
}

/// `x`: bad for one request with no answer (`y`: for one 5xx), nothing else.
fn with_one_failure(mut l: Vec<LoadFacts>, pattern: &str) -> Vec<LoadFacts> {
    for (l, c) in l.iter_mut().zip(pattern.chars()) {
        let shape = match c {
            'x' => Shape::NoAnswer,
            'y' => Shape::Http5xx,
            _ => continue,
        };
        l.bad = true;
        l.failures = vec![(0, shape)];
        l.why = vec!["1 first-party failures".into()];
    }
    l
}

fn census_of(streams: &[(u32, &str)]) -> LoadCensus {
    let mut loads: Vec<LoadFacts> = streams.iter().flat_map(|(f, p)| stream(*f, p)).collect();
    loads.sort_by(|a, b| a.start.cmp(&b.start).then(a.page_id.cmp(&b.page_id)));
    LoadCensus {
        loads,
        ..Default::default()
    }
}

/// One region's outage beside another region's single slow first load
/// (a cold start): the window is the outage, the lone blip is not a wave.
#[test]
fn a_lone_bad_load_of_another_capture_does_not_widen_the_window() {
    let c = census_of(&[(0, "......bbbb...."), (1, "s.............")]);
    let w = windows_from_loads(&c, at(0), at(140), true).expect("window");
    assert_eq!(w.waves, vec![(at(55), at(95))]);
    assert!(!w.whole);
    // alone, the blip is all there is, and it is kept
    let c = census_of(&[(1, "b.............")]);
    let w = windows_from_loads(&c, at(0), at(140), true).expect("window");
    assert_eq!(w.waves, vec![(at(0), at(5))]);
}

/// One request unanswered in one load of many is a stray (a beacon cut
/// off), not an incident; a 5xx, a second such load or a load that lost
/// more are evidence.
#[test]
fn one_unanswered_request_in_one_load_is_a_stray() {
    let of = |p: &str| LoadCensus {
        loads: with_one_failure(stream(0, p), p),
        ..Default::default()
    };
    assert!(windows_from_loads(&of("......x........."), at(0), at(160), true).is_none());
    assert!(windows_from_loads(&of("......y........."), at(0), at(160), true).is_some());
    assert!(windows_from_loads(&of("...x......x....."), at(0), at(160), true).is_some());
    // too few loads to call anything usual
    assert!(windows_from_loads(&of("x.."), at(0), at(30), true).is_some());
    let mut lost = of("......x.........");
    lost.loads[6].why.push("components 3 < median 17".into());
    assert!(windows_from_loads(&lost, at(0), at(160), true).is_some());
}

/// Beside probes and server logs (`slow_counts` false), loads that were
/// only slow open a window in a sustained run, not in a busy machine's
/// pairs; failed loads always do.
#[test]
fn slow_only_loads_need_a_sustained_run_beside_other_sources() {
    let noisy = census_of(&[(0, "..ss...s.ss...s..")]);
    assert!(windows_from_loads(&noisy, at(0), at(170), false).is_none());
    assert!(windows_from_loads(&noisy, at(0), at(170), true).is_some());
    let slow = census_of(&[(0, "....ssssssssss....")]);
    let w = windows_from_loads(&slow, at(0), at(180), false).expect("window");
    assert_eq!(w.waves, vec![(at(35), at(135))]);
    let failed = census_of(&[(0, "......bb........")]);
    assert!(windows_from_loads(&failed, at(0), at(160), false).is_some());
    // one failed load that probes and server logs did not see is not an
    // incident; in a browser capture alone it is what there is
    let lone = census_of(&[(0, "......b........."), (1, "................")]);
    assert!(windows_from_loads(&lone, at(0), at(160), false).is_none());
    assert!(windows_from_loads(&lone, at(0), at(160), true).is_some());
    // a few scattered ones are a low error rate, not noise
    let scattered = census_of(&[(0, "......b........."), (1, "..........b.....")]);
    assert!(windows_from_loads(&scattered, at(0), at(160), false).is_some());
}

fn timed(api: &[f64], st: &[f64]) -> Vec<LoadFacts> {
    api.iter()
        .zip(st)
        .enumerate()
        .map(|(i, (a, s))| LoadFacts {
            page_id: format!("0:{i}"),
            vantage: "v0".into(),
            start: at(i as i64 * 60),
            api_wait_ms: Some(*a),
            static_ms: Some(*s),
            ..Default::default()
        })
        .collect()
}

fn flagged(loads: &[LoadFacts]) -> String {
    loads
        .iter()
        .map(|l| if l.slow_only { 's' } else { '.' })
        .collect()
}

/// "API response times doubled while the frontend stayed fast", inside
/// one short capture (the shape of the tune grid's single captures of a
/// 2x slowdown: one or two healthy loads, then the slow ones).
#[test]
fn an_api_step_in_one_capture_marks_the_slow_stretch() {
    let mut l = timed(
        &[310.0, 330.0, 650.0, 700.0, 620.0, 680.0],
        &[170.0, 175.0, 168.0, 172.0, 180.0, 171.0],
    );
    mark_api_steps(&mut l);
    assert_eq!(flagged(&l), "..ssss");
    assert!(l[2].why[0].contains("stepped up"), "{:?}", l[2].why);
}

#[test]
fn no_step_in_noise_in_a_slower_path_or_beside_a_failure() {
    // noise around one level: no load of a stretch clears all the others
    let mut noise = timed(
        &[310.0, 450.0, 290.0, 520.0, 330.0, 480.0],
        &[170.0, 175.0, 168.0, 172.0, 180.0, 171.0],
    );
    mark_api_steps(&mut noise);
    assert_eq!(flagged(&noise), "......");
    // everything slower together: the path, not the server
    let mut path = timed(
        &[310.0, 330.0, 650.0, 700.0, 620.0, 680.0],
        &[170.0, 175.0, 340.0, 350.0, 330.0, 360.0],
    );
    mark_api_steps(&mut path);
    assert_eq!(flagged(&path), "......");
    // a capture with a failed load already has its change
    let mut failed = timed(
        &[310.0, 330.0, 650.0, 700.0, 620.0, 680.0],
        &[170.0, 175.0, 168.0, 172.0, 180.0, 171.0],
    );
    failed[1].bad = true;
    mark_api_steps(&mut failed);
    assert_eq!(flagged(&failed), "......");
    // too short to show a step
    let mut short = timed(&[300.0, 650.0], &[170.0, 170.0]);
    mark_api_steps(&mut short);
    assert_eq!(flagged(&short), "..");
}

/// Six Chrome page loads of www.example.com, each asking `tags.adsrv.net`
/// for two beacons and `widget.reviewly.io` for one script, after the
/// page's DOMContentLoaded (so neither is on its critical path);
/// `failed(load)` says which of them got `net::ERR_TIMED_OUT`.
fn loads_with_third_parties(failed: impl Fn(usize) -> (bool, bool)) -> Dataset {
    let entry = |page: usize, ms: u32, url: &str, ok: bool| {
        let response = if ok {
            r#"{"status":200,"headers":[],"content":{"size":90,"mimeType":"image/gif"}}"#
        } else {
            r#"{"status":0,"headers":[],"content":{"size":0},"_error":"net::ERR_TIMED_OUT"}"#
        };
        format!(
            r#"{{"pageref":"p{page}","startedDateTime":"2024-05-01T10:{page:02}:00.{ms:03}Z","request":{{"method":"GET","url":"{url}","headers":[]}},"response":{response},"timings":{{"blocked":1,"dns":-1,"connect":-1,"ssl":-1,"send":0,"wait":20,"receive":1}},"time":22}}"#
        )
    };
    let mut pages = Vec::new();
    let mut entries = Vec::new();
    for p in 0..6 {
        pages.push(format!(
            r#"{{"id":"p{p}","startedDateTime":"2024-05-01T10:{p:02}:00.000Z","title":"x","pageTimings":{{"onContentLoad":150,"onLoad":300}}}}"#
        ));
        let (beacon_fails, widget_fails) = failed(p);
        entries.push(entry(p, 0, "https://www.example.com/", true));
        entries.push(entry(p, 200, "https://tags.adsrv.net/b?1", true));
        entries.push(entry(p, 220, "https://tags.adsrv.net/b?2", !beacon_fails));
        entries.push(entry(
            p,
            240,
            "https://widget.reviewly.io/w.js",
            !widget_fails,
        ));
    }
    let har = format!(
        r#"{{"log":{{"version":"1.2","creator":{{"name":"WebInspector","version":"537.36"}},"pages":[{}],"entries":[{}]}}}}"#,
        pages.join(","),
        entries.join(",")
    );
    dataset_of(&har)
}

/// A beacon of two left unanswered in two loads of six is how third
/// parties are; a widget that fails every time it is asked, in two loads
/// or more, is a failing dependency.
#[test]
fn a_third_party_fails_for_the_page_when_most_of_it_fails() {
    let noise = census(&loads_with_third_parties(|p| (p == 1 || p == 4, false)));
    assert!(
        noise.failing_third_parties.is_empty(),
        "{:?}",
        noise.failing_third_parties
    );
    assert!(noise.loads.iter().all(|l| !l.bad), "{:?}", noise.loads);
    let down = census(&loads_with_third_parties(|p| (false, p >= 3)));
    assert_eq!(down.failing_third_parties, vec!["reviewly.io".to_string()]);
    assert_eq!(down.loads.iter().filter(|l| l.bad).count(), 3);
}

/// A tab saved to a new file every few minutes is one stream: a run that
/// reaches the end of one file ends where the next file's loads turn good,
/// not at the end of all the data (which made a whole-capture "incident"
/// of a ten-minute outage spanning two files).
#[test]
fn a_vantage_s_consecutive_captures_are_one_stream() {
    let office = |files: &[(u32, &str, i64)]| -> Vec<LoadFacts> {
        let mut loads = Vec::new();
        for (file, pattern, offset) in files {
            for (i, c) in pattern.chars().enumerate() {
                loads.push(LoadFacts {
                    page_id: format!("{file}:{i}"),
                    file: *file,
                    vantage: "office".into(),
                    start: at(offset + i as i64 * 10),
                    bad: c != '.',
                    ..Default::default()
                });
            }
        }
        loads.sort_by(|a, b| a.start.cmp(&b.start).then(a.page_id.cmp(&b.page_id)));
        loads
    };
    let c = LoadCensus {
        loads: office(&[(0, "......bb", 0), (1, "bbb.....", 80)]),
        ..Default::default()
    };
    let w = windows_from_loads(&c, at(0), at(160), true).expect("window");
    assert_eq!(w.waves, vec![(at(55), at(105))]);
    assert!(!w.whole);
    // two producers of one browser overlap in time: two streams
    let both = office(&[(0, "....bbbb", 0), (1, "....bbbb", 5)]);
    let ch = chains(&both);
    assert_ne!(ch[&0], ch[&1]);
    let seq = office(&[(0, "....", 0), (1, "....", 40)]);
    let ch = chains(&seq);
    assert_eq!(ch[&0], ch[&1]);
}

/// The quick quartile is a load's own value: with the first of four loads
/// the only healthy one, the reference is that load (interpolated, it
/// was three quarters of the way to the slow ones, and no slow load was
/// four times it); with many loads, a low load among them.
#[test]
fn the_quick_quartile_is_a_real_loads_value() {
    let mut four = [400.0, 100.0, 420.0, 410.0];
    assert_eq!(quantile_low(&mut four, 0.25), Some(100.0));
    let mut four = [400.0, 100.0, 420.0, 410.0];
    assert_eq!(quantile(&mut four, 0.25), Some(325.0));
    let mut nine = [9.0, 8.0, 7.0, 6.0, 5.0, 4.0, 3.0, 2.0, 1.0];
    assert_eq!(quantile_low(&mut nine, 0.25), Some(3.0));
    assert_eq!(quantile_low(&mut [], 0.25), None);
}

/// A producer with no type hint types a request by its answer's MIME
/// type; an error page's is the page's. `/logo.png` answered with an
/// edge's HTML 503 is an image request (a static asset the edge failed
/// to deliver), a document answered with an HTML 503 stays a document,
/// and a call to a path with no file extension keeps what its answer says.
#[test]
fn an_error_page_does_not_type_the_asset_it_replaced() {
    let edge_503 = r#"{"status":503,"headers":[{"name":"server","value":"CloudFront"},{"name":"x-cache","value":"Error from cloudfront"}],"content":{"size":900,"mimeType":"text/html"}}"#;
    let r = read("https://mitmproxy.org/logo-navbar.png", edge_503, "");
    assert_eq!(r.resource_type, ResourceType::Image);
    let r = read("https://mitmproxy.org/style.css?v=3", edge_503, "");
    assert_eq!(r.resource_type, ResourceType::Stylesheet);
    let r = read("https://mitmproxy.org/", edge_503, "");
    assert_eq!(r.resource_type, ResourceType::Document);
    let r = read("https://mitmproxy.org/sponsors", edge_503, "");
    assert_eq!(r.resource_type, ResourceType::Document);
    // a good answer types itself as before
    let ok = r#"{"status":200,"headers":[],"content":{"size":900,"mimeType":"text/html"}}"#;
    let r = read("https://mitmproxy.org/logo-navbar.png", ok, "");
    assert_eq!(r.resource_type, ResourceType::Document);
    assert_eq!(
        crate::classify::resource_type_from_path("/a.b/c"),
        None,
        "a dot in a folder is no extension"
    );
}

/// Three or more connects that took a retransmitted SYN, a quarter of the
/// load's new connections or more, say the path lost packets; one slow
/// connect, or three among many, do not.
#[test]
fn retransmitted_syns_need_several_and_a_share() {
    assert!(is_retransmitting(3, 12));
    assert!(is_retransmitting(15, 34));
    assert!(!is_retransmitting(1, 1));
    assert!(!is_retransmitting(2, 4));
    assert!(!is_retransmitting(3, 13));
    assert!(!is_retransmitting(0, 0));
}

fn paced(read: f64, wait: f64, connect: f64) -> LoadFacts {
    LoadFacts {
        read_ms: Some(read),
        served_wait_ms: Some(wait),
        connect_ms: Some(connect),
        ..Default::default()
    }
}

#[test]
fn a_busy_client_reads_late_a_slow_path_connects_late() {
    let base: Vec<LoadFacts> = (0..4).map(|_| paced(6.0, 48.0, 39.0)).collect();
    let b: Vec<&LoadFacts> = base.iter().collect();
    // the lab's healthy chrome-har capture: reading x17, wait flat
    let busy: Vec<LoadFacts> = (0..4).map(|_| paced(102.0, 50.0, 70.0)).collect();
    let p = busy_client(&b, &busy.iter().collect::<Vec<_>>()).expect("busy");
    assert!(p.read_ratio() > 10.0);
    // its regional delay: connects and waits up, reading flat
    let path: Vec<LoadFacts> = (0..4).map(|_| paced(4.0, 286.0, 270.0)).collect();
    assert!(busy_client(&b, &path.iter().collect::<Vec<_>>()).is_none());
    // reading up, but the servers' wait up more: not the machine alone
    let server: Vec<LoadFacts> = (0..4).map(|_| paced(60.0, 400.0, 39.0)).collect();
    assert!(busy_client(&b, &server.iter().collect::<Vec<_>>()).is_none());
    // x3 of almost nothing is not a busy machine
    let tiny_base: Vec<LoadFacts> = (0..4).map(|_| paced(2.0, 48.0, 39.0)).collect();
    let tiny: Vec<LoadFacts> = (0..4).map(|_| paced(20.0, 48.0, 39.0)).collect();
    assert!(
        busy_client(
            &tiny_base.iter().collect::<Vec<_>>(),
            &tiny.iter().collect::<Vec<_>>()
        )
        .is_none()
    );
}
