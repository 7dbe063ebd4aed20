//! One simulated page load: the document, its CDN assets, third-party
//! scripts, the API calls the app makes once booted, and the components
//! that depend on those calls. Shared by the HAR writer (every entry) and
//! the probe page test (counts and load time), so "faster but fewer" comes
//! out of the same mechanics in both: when an API call fails, what depends
//! on it is never requested and the load event fires earlier.

use super::{Client, Fail, Outcome, Rng, Role, Timing, World};
use chrono::{DateTime, Utc};
use std::collections::BTreeSet;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Cache {
    Network,
    /// Served from the browser's disk cache: no request left the machine.
    Disk,
    /// Conditional request answered 304.
    Revalidated,
}

#[derive(Debug, Clone)]
pub(crate) struct PlannedEntry {
    /// Offset of the request start from the page start.
    pub start_ms: f64,
    pub role: Role,
    pub host: String,
    /// Path and query.
    pub path: String,
    pub method: &'static str,
    /// Chrome `_resourceType`.
    pub rtype: &'static str,
    pub mime: &'static str,
    pub outcome: Outcome,
    pub timing: Timing,
    pub cache: Cache,
    pub body_bytes: u64,
    /// Final status: 0 when no response.
    pub status: i32,
    pub new_conn: bool,
}

impl PlannedEntry {
    pub fn time_ms(&self) -> f64 {
        self.timing.blocked + self.timing.total()
    }
    pub fn end_ms(&self) -> f64 {
        self.start_ms + self.time_ms()
    }
    pub fn ok(&self) -> bool {
        (200..400).contains(&self.status)
    }
    pub fn fail(&self) -> Option<Fail> {
        self.outcome.fail
    }
}

#[derive(Debug, Clone)]
pub(crate) struct PagePlan {
    pub t: DateTime<Utc>,
    pub title: String,
    pub entries: Vec<PlannedEntry>,
    pub on_content_load: Option<f64>,
    pub on_load: Option<f64>,
}

impl PagePlan {
    pub fn failed_components(&self) -> usize {
        self.entries.iter().filter(|e| !e.ok()).count()
    }
}

/// Static asset names are fixed per site (cache-busting hashes).
pub(crate) struct Assets {
    pub app_js: String,
    pub vendor_js: String,
    pub css: String,
    pub chunk_js: String,
    /// The chunk the redesigned page adds ([`super::Confounder::PageDeploy`]).
    pub redesign_js: String,
}

impl Assets {
    pub fn new(w: &World) -> Assets {
        let mut r = w.rng("assets");
        Assets {
            app_js: format!("/assets/app.{}.js", r.hex(8)),
            vendor_js: format!("/assets/vendor.{}.js", r.hex(8)),
            css: format!("/assets/app.{}.css", r.hex(8)),
            chunk_js: format!("/assets/chunk-board.{}.js", r.hex(8)),
            // drawn from its own stream: the other names stay the seed's
            redesign_js: format!(
                "/assets/dashboard-v2.{}.js",
                w.rng("assets-redesign").hex(8)
            ),
        }
    }
}

struct Builder<'a> {
    w: &'a World,
    t: DateTime<Utc>,
    region: &'a str,
    vantage: Option<&'a str>,
    client: Client,
    open: BTreeSet<String>,
    entries: Vec<PlannedEntry>,
}

impl Builder<'_> {
    #[allow(clippy::too_many_arguments)]
    fn add(
        &mut self,
        r: &mut Rng,
        start_ms: f64,
        role: Role,
        path: String,
        method: &'static str,
        rtype: &'static str,
        mime: &'static str,
        body: u64,
        cacheable: bool,
    ) -> usize {
        let host = self.w.host(role);
        let family = (role == Role::Api)
            .then(|| {
                self.w
                    .endpoints
                    .iter()
                    .find(|e| path_matches(e.path, &path))
                    .map(|e| e.family)
            })
            .flatten();
        let at = self.t + chrono::Duration::milliseconds(start_ms as i64);
        let cache = if cacheable && r.chance(0.3) {
            Cache::Disk
        } else if cacheable && r.chance(0.12) {
            Cache::Revalidated
        } else {
            Cache::Network
        };
        let outcome = self
            .w
            .outcome(r, at, self.region, self.vantage, role, family);
        let (timing, status, new_conn) = if cache == Cache::Disk {
            let t = Timing {
                blocked: r.lognormal(0.4, 0.5),
                dns: None,
                connect: None,
                tls: None,
                send: Some(0.0),
                wait: Some(r.lognormal(1.0, 0.5)),
                receive: Some(r.lognormal(0.3, 0.5)),
            };
            (t, 200, false)
        } else {
            let new_conn = !self.open.contains(&host);
            let body_sent = if cache == Cache::Revalidated { 0 } else { body };
            let timing = self.w.timing(r, &outcome, new_conn, body_sent, self.client);
            if outcome.fail.is_none() {
                self.open.insert(host.clone());
            }
            let status = if outcome.status == 200 && cache == Cache::Revalidated {
                304
            } else {
                outcome.status
            };
            (timing, status, new_conn)
        };
        self.entries.push(PlannedEntry {
            start_ms,
            role,
            host,
            path,
            method,
            rtype,
            mime,
            outcome,
            timing,
            cache,
            body_bytes: body,
            status,
            new_conn,
        });
        self.entries.len() - 1
    }
}

/// Whether a concrete path is an instance of an endpoint template.
pub(crate) fn path_matches(tmpl: &str, path: &str) -> bool {
    let path = path.split('?').next().unwrap_or(path);
    let a: Vec<&str> = tmpl.split('/').collect();
    let b: Vec<&str> = path.split('/').collect();
    a.len() == b.len() && a.iter().zip(&b).all(|(x, y)| *x == "{n}" || x == y)
}

pub(crate) fn plan_page(
    w: &World,
    assets: &Assets,
    r: &mut Rng,
    t: DateTime<Utc>,
    region: &str,
    vantage: Option<&str>,
    client: Client,
) -> PagePlan {
    let mut b = Builder {
        w,
        t,
        region,
        vantage,
        client,
        open: BTreeSet::new(),
        entries: Vec::new(),
    };
    let title = format!("Home - {}", capitalise(&w.site));
    // after a page deploy (a confounder, not a fault) the page is heavier
    // and loads more
    let redesigned = w.page_deploy.is_some_and(|d| t >= d);
    let doc_bytes = r.range_i(38_000, 52_000) as u64;
    let doc_bytes = if redesigned {
        doc_bytes * 8 / 5
    } else {
        doc_bytes
    };
    let doc = b.add(
        r,
        0.0,
        Role::App,
        "/".to_string(),
        "GET",
        "document",
        "text/html",
        doc_bytes,
        false,
    );
    let doc_end = b.entries[doc].end_ms();
    if !b.entries[doc].ok() {
        let on = (b.entries[doc].status > 0).then(|| doc_end + r.range_f(5.0, 20.0));
        return PagePlan {
            t,
            title,
            entries: b.entries,
            on_content_load: on,
            on_load: on,
        };
    }
    // Render-blocking first-party assets from the CDN.
    let s0 = doc_end + r.range_f(2.0, 15.0);
    let app = b.add(
        r,
        s0,
        Role::Static,
        assets.app_js.clone(),
        "GET",
        "script",
        "application/javascript",
        420_000,
        true,
    );
    let at = s0 + r.range_f(0.2, 2.0);
    let vendor = b.add(
        r,
        at,
        Role::Static,
        assets.vendor_js.clone(),
        "GET",
        "script",
        "application/javascript",
        610_000,
        true,
    );
    let at = s0 + r.range_f(0.2, 2.0);
    let css = b.add(
        r,
        at,
        Role::Static,
        assets.css.clone(),
        "GET",
        "stylesheet",
        "text/css",
        85_000,
        true,
    );
    let at = s0 + r.range_f(20.0, 60.0);
    b.add(
        r,
        at,
        Role::Static,
        "/assets/fonts/inter-var.woff2".to_string(),
        "GET",
        "font",
        "font/woff2",
        48_000,
        true,
    );
    let at = s0 + r.range_f(5.0, 30.0);
    b.add(
        r,
        at,
        Role::Static,
        "/img/logo.svg".to_string(),
        "GET",
        "image",
        "image/svg+xml",
        6_200,
        true,
    );
    if r.chance(0.04) {
        // A stale reference: the banner was removed.
        let at = s0 + r.range_f(10.0, 40.0);
        let i = b.add(
            r,
            at,
            Role::Static,
            "/img/promo-banner-2024.png".to_string(),
            "GET",
            "image",
            "text/html",
            1_200,
            false,
        );
        if b.entries[i].status == 200 {
            b.entries[i].status = 404;
        }
    }
    // Third-party scripts load in parallel with the app.
    let mut thirds = w.thirds.clone();
    if redesigned {
        // the new page embeds one more vendor
        if let Some(extra) = (0..super::THIRD_PARTIES.len()).find(|i| !thirds.contains(i)) {
            thirds.push(extra);
        }
        let at = s0 + r.range_f(0.2, 2.0);
        b.add(
            r,
            at,
            Role::Static,
            assets.redesign_js.clone(),
            "GET",
            "script",
            "application/javascript",
            260_000,
            true,
        );
    }
    for &i in &thirds {
        let at = doc_end + r.range_f(5.0, 40.0);
        let bytes = r.range_i(30_000, 90_000) as u64;
        b.add(
            r,
            at,
            Role::Third(i),
            super::THIRD_PARTIES[i].path.to_string(),
            "GET",
            "script",
            "application/javascript",
            bytes,
            false,
        );
    }
    let dcl = [doc, app, vendor, css]
        .iter()
        .map(|&i| b.entries[i].end_ms())
        .fold(doc_end, f64::max)
        + r.range_f(5.0, 20.0);
    let booted = b.entries[app].ok() && b.entries[vendor].ok();
    if booted {
        let js_ready =
            b.entries[app].end_ms().max(b.entries[vendor].end_ms()) + r.range_f(20.0, 60.0);
        let eps: Vec<_> = w
            .endpoints
            .iter()
            .filter(|e| e.method == "GET")
            .cloned()
            .collect();
        let mut core_ok = true;
        let mut last_xhr_end = js_ready;
        let mut ok_families = Vec::new();
        for ep in &eps {
            let path = w.fill_path(r, ep);
            let at = js_ready + r.range_f(0.5, 25.0);
            let bytes = r.range_i(800, 24_000) as u64;
            let i = b.add(
                r,
                at,
                Role::Api,
                path,
                "GET",
                "xhr",
                "application/json",
                bytes,
                false,
            );
            let e = &b.entries[i];
            last_xhr_end = last_xhr_end.max(e.end_ms());
            if e.ok() {
                ok_families.push(ep.clone());
            } else if ep.core {
                core_ok = false;
            }
        }
        // What the app renders once its data arrived.
        let dep_start = last_xhr_end + r.range_f(5.0, 30.0);
        if core_ok {
            b.add(
                r,
                dep_start,
                Role::Static,
                assets.chunk_js.clone(),
                "GET",
                "script",
                "application/javascript",
                120_000,
                true,
            );
            for _ in 0..2 {
                let p = format!("/avatars/{}.png", r.range_i(1000, 99_999));
                let at = dep_start + r.range_f(1.0, 20.0);
                let bytes = r.range_i(3_000, 9_000) as u64;
                b.add(
                    r,
                    at,
                    Role::Static,
                    p,
                    "GET",
                    "image",
                    "image/png",
                    bytes,
                    true,
                );
            }
        }
        for ep in ok_families
            .iter()
            .filter(|e| !e.core && !matches!(e.family, super::Family::Auth | super::Family::User))
        {
            let name = format!("{:?}", ep.family).to_ascii_lowercase();
            let at = dep_start + r.range_f(1.0, 20.0);
            b.add(
                r,
                at,
                Role::Static,
                format!("/img/{name}-sprite.png"),
                "GET",
                "image",
                "image/png",
                14_000,
                true,
            );
        }
    }
    let on_load = b
        .entries
        .iter()
        .filter(|e| e.rtype != "xhr")
        .map(PlannedEntry::end_ms)
        .fold(dcl, f64::max)
        + r.range_f(3.0, 15.0);
    PagePlan {
        t,
        title,
        entries: b.entries,
        on_content_load: Some(dcl),
        on_load: Some(on_load),
    }
}

/// Background traffic of an open app between page loads: a session poll to
/// the API and an analytics beacon, attached to the page that is open.
pub(crate) fn add_background(
    w: &World,
    r: &mut Rng,
    plan: &mut PagePlan,
    at: DateTime<Utc>,
    region: &str,
    vantage: Option<&str>,
    client: Client,
) {
    let open: BTreeSet<String> = plan
        .entries
        .iter()
        .filter(|e| e.outcome.fail.is_none())
        .map(|e| e.host.clone())
        .collect();
    let mut b = Builder {
        w,
        t: plan.t,
        region,
        vantage,
        client,
        open,
        entries: Vec::new(),
    };
    let off = (at - plan.t).num_milliseconds() as f64;
    let session = w
        .endpoints
        .iter()
        .find(|e| e.family == super::Family::Auth)
        .cloned()
        .unwrap_or_else(|| w.endpoints[0].clone());
    let path = w.fill_path(r, &session);
    let bytes = r.range_i(300, 900) as u64;
    b.add(
        r,
        off,
        Role::Api,
        path,
        "GET",
        "xhr",
        "application/json",
        bytes,
        false,
    );
    let at2 = off + r.range_f(50.0, 400.0);
    b.add(
        r,
        at2,
        Role::Third(0),
        "/g/collect?v=2&tid=G-4F2K9XQ7LM&en=user_engagement".to_string(),
        "POST",
        "ping",
        "text/plain",
        0,
        false,
    );
    plan.entries.append(&mut b.entries);
}

/// A page load that hit errors: the user tries again soon.
pub(crate) fn looks_broken(plan: &PagePlan) -> bool {
    plan.entries
        .iter()
        .any(|e| e.status == 0 || e.status >= 500)
}

pub(crate) fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_ascii_uppercase().to_string() + c.as_str(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::super::{Profile, ScenarioKind};
    use super::*;

    fn avg(w: &World, at: DateTime<Utc>, region: &str) -> (f64, f64) {
        let a = Assets::new(w);
        let mut r = Rng::new(5);
        let n = 60;
        let (mut comps, mut load) = (0.0, 0.0);
        for _ in 0..n {
            let p = plan_page(w, &a, &mut r, at, region, Some(region), Client::Browser);
            comps += p.entries.len() as f64;
            load += p.on_load.unwrap_or(0.0);
        }
        (comps / n as f64, load / n as f64)
    }

    #[test]
    fn backend_outage_gives_faster_but_fewer_pages() {
        let w = World::new(ScenarioKind::AsanaGlobal502to503, 1, &Profile::compact());
        let on = w.onset().unwrap();
        let (c0, l0) = avg(&w, on - chrono::Duration::minutes(20), "eu-west");
        let (c1, l1) = avg(&w, on + chrono::Duration::minutes(3), "eu-west");
        assert!(c1 < c0 * 0.85, "components {c0} -> {c1}");
        assert!(l1 < l0, "load {l0} -> {l1}");
    }

    #[test]
    fn path_templates_match() {
        assert!(path_matches(
            "/api/v1/projects/{n}/tasks",
            "/api/v1/projects/123/tasks"
        ));
        assert!(path_matches(
            "/api/v1/messages",
            "/api/v1/messages?channel=4"
        ));
        assert!(!path_matches(
            "/api/v1/projects/{n}/tasks",
            "/api/v1/projects/123"
        ));
    }
}
