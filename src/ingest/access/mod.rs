//! Server access logs: the server's own view of the same requests the
//! probes and browsers made. Two families:
//!
//! * NCSA common / combined (nginx, Apache, most proxies), optionally with a
//!   `host:port ` virtual-host prefix and timing fields after the standard
//!   ones: nginx `$request_time $upstream_response_time` (seconds; upstream
//!   lists such as `0.1, 0.2` or `0.1 : 0.2` are summed, `-` means none),
//!   `rt=... urt=...` key/value pairs, or a single integer Apache `%D`
//!   (microseconds). Any other trailing fields are left uninterpreted rather
//!   than guessed at: a wrong unit would be worse than no number.
//! * W3C extended (IIS, also CloudFront-style tab-separated logs): the
//!   `#Fields:` directive names the columns and may change mid-file (IIS
//!   writes a new header block on restart), so each parallel chunk starts
//!   with the directive in force at its first byte. Directives are neither
//!   records nor rejections.
//!
//! `request_ms` (total time at the server) and `upstream_ms` (time waiting on
//! the backend) are kept apart: their difference is what separates a slow
//! backend from a slow proxy or client.
//!
//! `clf` reads the NCSA family, `timing` the timing fields some servers
//! append to it, `w3c` the directive-driven family.

mod clf;
mod timing;
mod w3c;

use super::FormatSpec;
use crate::classify;
use crate::model::Sym;
use crate::sym::intern;
use clf::{parse_clf, sniff_clf};
use w3c::{parse_w3c, sniff_w3c};

pub static FORMAT_CLF: FormatSpec = FormatSpec {
    name: "access-log",
    sniff: sniff_clf,
    parse: parse_clf,
    samples: &[
        // nginx combined, from the nginx docs' log_format example shape
        r#"203.0.113.7 - - [06/Feb/2025:10:00:01 +0000] "GET /api/v1/projects/1234/tasks?limit=50 HTTP/1.1" 200 5120 "https://app.example.com/" "Mozilla/5.0 (X11; Linux x86_64; rv:122.0) Gecko/20100101 Firefox/122.0""#,
        // Apache common log format, the example from the Apache httpd docs
        r#"127.0.0.1 - frank [10/Oct/2000:13:55:36 -0700] "GET /apache_pb.gif HTTP/1.0" 200 2326"#,
        // nginx combined + $request_time $upstream_response_time
        "198.51.100.23 - - [06/Feb/2025:10:00:02 +0100] \"POST /checkout HTTP/2.0\" 502 157 \"-\" \"curl/8.5.0\" 30.004 10.001, 20.003\n\
         198.51.100.24 - - [06/Feb/2025:10:00:03 +0100] \"GET /health HTTP/1.1\" 200 2 \"-\" \"kube-probe/1.29\" 0.001 -",
        // vhost prefix (Apache %v:%p, nginx $host:$server_port)
        r#"www.example.com:443 192.0.2.10 - - [06/Feb/2025:10:00:04 +0000] "GET /static/app.3f9a1c.js HTTP/1.1" 304 0 "https://www.example.com/" "Mozilla/5.0" 1532"#,
    ],
};

pub static FORMAT_W3C: FormatSpec = FormatSpec {
    name: "iis-w3c",
    sniff: sniff_w3c,
    parse: parse_w3c,
    samples: &[
        "#Software: Microsoft Internet Information Services 10.0\n\
         #Version: 1.0\n\
         #Date: 2022-11-07 14:29:06\n\
         #Fields: date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs(User-Agent) cs(Referer) sc-status sc-substatus sc-win32-status time-taken\n\
         2022-11-07 14:29:06 127.0.0.1 GET /us - 80 - 127.0.0.1 Go-http-client/1.1 - 404 0 2 130\n",
        "#Version: 1.0\n#Fields: date time x-edge-location sc-bytes c-ip cs-method cs(Host) cs-uri-stem sc-status cs(Referer) cs(User-Agent) cs-uri-query time-taken\n\
         2025-02-06\t10:00:00\tFRA56-P1\t5120\t203.0.113.7\tGET\td111111abcdef8.cloudfront.net\t/index.html\t200\t-\tMozilla/5.0\t-\t0.002\n",
    ],
};

/// The endpoint template of a request target, interned (templated in a
/// per-thread buffer: no allocation per line once the template is known).
pub(super) fn endpoint_of(target: &str) -> Sym {
    thread_local! {
        static BUF: std::cell::RefCell<String> = const { std::cell::RefCell::new(String::new()) };
    }
    if target.is_empty() || target == "-" {
        return intern("-");
    }
    let path = if target.starts_with("http://") || target.starts_with("https://") {
        classify::split_url(target).2
    } else {
        target
    };
    BUF.with(|b| {
        let mut b = b.borrow_mut();
        classify::endpoint_template_into(path, &mut b);
        intern(&b)
    })
}

#[cfg(test)]
mod tests;
