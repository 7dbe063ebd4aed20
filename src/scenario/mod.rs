//! Labelled outage scenarios written as real input files.
//!
//! Accuracy cannot be asserted from a handful of hand-made fixtures: the
//! verdict has to be measured against many incidents whose answer is known.
//! This module plays the world forward minute by minute (a site with an app,
//! an API, a CDN-served static host and third-party scripts, seen from
//! three regions) and lets one fault loose in it. Every writer (probe log,
//! HAR, k6, access log, change log) asks the same [`World`] what happened to
//! a request at a time from a place, so the files agree with each other the
//! way real evidence does, and `truth.json` records the label.
//!
//! Everything is driven by one seed through a SplitMix64 generator, each
//! writer on its own stream, so the same seed gives the same bytes.

mod access;
mod changes;
mod har;
mod k6;
mod page;
mod probe;

use chrono::{DateTime, Duration, FixedOffset, SecondsFormat, TimeZone, Utc};
use serde::{Serialize, Serializer};
use std::path::Path;

// ---------------------------------------------------------------- PRNG

/// SplitMix64: tiny, fast, and good enough for simulated noise.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed ^ 0x5DEE_CE66_D1CE_4E5B)
    }
    /// An independent stream for one purpose, so that adding draws in one
    /// writer never shifts the numbers another writer sees.
    pub fn derive(seed: u64, label: &str) -> Self {
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        for b in label.bytes() {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
        let mut r = Rng::new(seed ^ h.rotate_left(17));
        r.next_u64();
        r
    }
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform in [0, 1).
    pub fn f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
    pub fn range_f(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * self.f64()
    }
    /// Uniform integer in [lo, hi] (inclusive).
    pub fn range_i(&mut self, lo: i64, hi: i64) -> i64 {
        if hi <= lo {
            return lo;
        }
        lo + (self.next_u64() % ((hi - lo + 1) as u64)) as i64
    }
    pub fn chance(&mut self, p: f64) -> bool {
        self.f64() < p
    }
    pub fn normal(&mut self) -> f64 {
        let u1 = self.f64().max(1e-12);
        let u2 = self.f64();
        (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
    }
    /// Log-normal with the given median and shape.
    pub fn lognormal(&mut self, median: f64, sigma: f64) -> f64 {
        median * (sigma * self.normal()).exp()
    }
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[(self.next_u64() % items.len() as u64) as usize]
    }
    pub fn hex(&mut self, n: usize) -> String {
        (0..n)
            .map(|_| char::from(b"0123456789abcdef"[(self.next_u64() % 16) as usize]))
            .collect()
    }
    pub fn alnum(&mut self, n: usize) -> String {
        const A: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
        (0..n)
            .map(|_| char::from(A[(self.next_u64() % A.len() as u64) as usize]))
            .collect()
    }
}

// ---------------------------------------------------------------- kinds

/// The incidents of the seed report plus the other fault domains and two
/// controls.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ScenarioKind {
    AsanaRegional,
    AsanaGlobal502to503,
    ChatgptSlowApi,
    JiraWaves,
    DiscordMessaging,
    BarclaysBackend,
    Dns,
    RegionalNetworkLoss,
    CdnEdge,
    ThirdParty,
    ClientOffline,
    TlsCert,
    Healthy,
    NoisyHealthy,
}

impl ScenarioKind {
    pub fn name(self) -> &'static str {
        match self {
            ScenarioKind::AsanaRegional => "asana-regional",
            ScenarioKind::AsanaGlobal502to503 => "asana-global",
            ScenarioKind::ChatgptSlowApi => "chatgpt-slow-api",
            ScenarioKind::JiraWaves => "jira-waves",
            ScenarioKind::DiscordMessaging => "discord-messaging",
            ScenarioKind::BarclaysBackend => "barclays-backend",
            ScenarioKind::Dns => "dns",
            ScenarioKind::RegionalNetworkLoss => "network-regional",
            ScenarioKind::CdnEdge => "cdn-edge",
            ScenarioKind::ThirdParty => "third-party",
            ScenarioKind::ClientOffline => "client-offline",
            ScenarioKind::TlsCert => "tls-cert",
            ScenarioKind::Healthy => "healthy",
            ScenarioKind::NoisyHealthy => "noisy-healthy",
        }
    }
    pub fn from_name(s: &str) -> Option<ScenarioKind> {
        let s = s.trim().to_ascii_lowercase().replace('_', "-");
        ScenarioKind::all()
            .iter()
            .copied()
            .find(|k| k.name() == s || format!("{k:?}").to_ascii_lowercase() == s.replace('-', ""))
    }
    pub fn all() -> &'static [ScenarioKind] {
        &[
            ScenarioKind::AsanaRegional,
            ScenarioKind::AsanaGlobal502to503,
            ScenarioKind::ChatgptSlowApi,
            ScenarioKind::JiraWaves,
            ScenarioKind::DiscordMessaging,
            ScenarioKind::BarclaysBackend,
            ScenarioKind::Dns,
            ScenarioKind::RegionalNetworkLoss,
            ScenarioKind::CdnEdge,
            ScenarioKind::ThirdParty,
            ScenarioKind::ClientOffline,
            ScenarioKind::TlsCert,
            ScenarioKind::Healthy,
            ScenarioKind::NoisyHealthy,
        ]
    }
    /// Contract §4 word of the expected verdict.
    pub fn fault_domain(self) -> &'static str {
        match self {
            ScenarioKind::AsanaRegional
            | ScenarioKind::AsanaGlobal502to503
            | ScenarioKind::ChatgptSlowApi
            | ScenarioKind::JiraWaves
            | ScenarioKind::DiscordMessaging
            | ScenarioKind::BarclaysBackend => "backend",
            ScenarioKind::Dns => "dns",
            ScenarioKind::RegionalNetworkLoss => "network",
            ScenarioKind::CdnEdge => "cdn",
            ScenarioKind::ThirdParty => "third_party",
            ScenarioKind::ClientOffline => "client",
            ScenarioKind::TlsCert => "tls",
            ScenarioKind::Healthy | ScenarioKind::NoisyHealthy => "none",
        }
    }
    fn is_backend(self) -> bool {
        self.fault_domain() == "backend"
    }
    fn has_incident(self) -> bool {
        self.fault_domain() != "none"
    }
}

// ---------------------------------------------------------------- difficulty

/// How hard the fault hits, and what else happens meanwhile. Every knob
/// left `None` keeps what the seed draws (the seed report's incidents are
/// loud: faults 5-40x the detectors' thresholds); a set knob overrides it,
/// so a sweep can walk one kind from invisible to obvious and show where
/// detection stops.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Difficulty {
    /// Share of affected requests that fail, 0..=1 (backend 5xx, DNS and
    /// TLS failures, CDN edge errors, a third party's failures, a flaky
    /// client's dropped requests).
    pub error_share: Option<f64>,
    /// Multiplier on the slow API's server time (the slow-backend kind).
    pub latency_factor: Option<f64>,
    /// Packet loss on the faulty path, percent (the network kind); the
    /// queueing delay that comes with it scales along.
    pub loss_pct: Option<f64>,
    /// How many of the three regions see the fault (1..=3).
    pub regions: Option<usize>,
    pub confounder: Confounder,
}

/// Something real that is not the fault, happening in the same data.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Confounder {
    #[default]
    None,
    /// A short unrelated blip in another domain during the incident (a
    /// third party failing for five minutes in one region; for a
    /// third-party fault, the API's 5xx; for the controls, a one-minute
    /// latency spike).
    Blip,
    /// A noisy baseline: wider timing spread, rare API 5xx and slow third
    /// parties all along.
    NoisyBaseline,
    /// A deploy that really changed the page, logged in the change log:
    /// a heavier, slower document, one more first-party chunk and one more
    /// third-party script from then on.
    PageDeploy,
}

impl Confounder {
    pub fn all() -> &'static [Confounder] {
        &[
            Confounder::None,
            Confounder::Blip,
            Confounder::NoisyBaseline,
            Confounder::PageDeploy,
        ]
    }
    pub fn name(self) -> &'static str {
        match self {
            Confounder::None => "none",
            Confounder::Blip => "blip",
            Confounder::NoisyBaseline => "noisy-baseline",
            Confounder::PageDeploy => "page-deploy",
        }
    }
    pub fn from_name(s: &str) -> Option<Confounder> {
        Confounder::all().iter().copied().find(|c| c.name() == s)
    }
}

/// The difficulty a bundle was generated with (in `truth.json` when any
/// knob was set).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DifficultyTruth {
    pub error_share: Option<f64>,
    pub latency_factor: Option<f64>,
    pub loss_pct: Option<f64>,
    pub regions: Option<usize>,
    pub confounder: Confounder,
}

impl Difficulty {
    fn is_default(&self) -> bool {
        *self == Difficulty::default()
    }
    fn truth(&self) -> Option<DifficultyTruth> {
        (!self.is_default()).then_some(DifficultyTruth {
            error_share: self.error_share,
            latency_factor: self.latency_factor,
            loss_pct: self.loss_pct,
            regions: self.regions,
            confounder: self.confounder,
        })
    }
}

/// Length of the unrelated blip, minutes: shorter than any incident.
pub const BLIP_MIN: i64 = 5;
/// Share of the blipping role's requests that fail meanwhile.
pub const BLIP_FAIL_SHARE: f64 = 0.8;

/// The unrelated blip of [`Confounder::Blip`].
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Blip {
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    pub region: String,
    /// The role that suffers: a third party, or the API for a third-party
    /// fault.
    pub role: Role,
}

// ---------------------------------------------------------------- truth

/// What really happened in a generated bundle (written as `truth.json`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Truth {
    pub kind: String,
    pub seed: u64,
    /// Contract §4 word.
    pub fault_domain: String,
    /// `global` | `regional` | `none`.
    pub scope: String,
    /// Regions (or, for `client`, the vantage label) that saw the fault; sorted.
    pub affected_regions: Vec<String>,
    #[serde(serialize_with = "ser_opt_ts")]
    pub onset: Option<DateTime<Utc>>,
    #[serde(serialize_with = "ser_opt_ts")]
    pub recovery: Option<DateTime<Utc>>,
    /// Active spans `[start, end)`; one span unless the fault came in waves.
    #[serde(serialize_with = "ser_waves")]
    pub waves: Vec<(DateTime<Utc>, DateTime<Utc>)>,
    /// The site's base name: hosts are `app.`, `api.`, `static.<site>.com`.
    pub site: String,
    /// First and last instant of generated data.
    #[serde(serialize_with = "ser_ts")]
    pub data_start: DateTime<Utc>,
    #[serde(serialize_with = "ser_ts")]
    pub data_end: DateTime<Utc>,
    /// Every file written, with its format and how many records / junk lines it holds.
    pub files: Vec<FileTruth>,
    /// Secret values planted in the inputs (tokens, cookies): no output may contain them.
    pub secrets: Vec<String>,
    /// Set when the bundle was generated with a [`Difficulty`].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub difficulty: Option<DifficultyTruth>,
}

/// One generated input file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FileTruth {
    /// Relative to the bundle folder, `/`-separated.
    pub path: String,
    /// `probe-jsonl`, `probe-csv`, `har`, `k6`, `access-log`, `changes-jsonl`, `changes-csv`.
    pub format: String,
    /// Vantage label the path carries (`region=NAME/`), if any.
    pub vantage: Option<String>,
    /// Records a correct reader yields (lines, HAR entries).
    pub records: u64,
    /// Junk lines deliberately written (a correct reader rejects exactly these).
    pub bad_lines: u64,
}

fn ts_str(t: &DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}
fn ser_ts<S: Serializer>(t: &DateTime<Utc>, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&ts_str(t))
}
fn ser_opt_ts<S: Serializer>(t: &Option<DateTime<Utc>>, s: S) -> Result<S::Ok, S::Error> {
    match t {
        Some(t) => s.serialize_str(&ts_str(t)),
        None => s.serialize_none(),
    }
}
fn ser_waves<S: Serializer>(w: &[(DateTime<Utc>, DateTime<Utc>)], s: S) -> Result<S::Ok, S::Error> {
    let v: Vec<[String; 2]> = w.iter().map(|(a, b)| [ts_str(a), ts_str(b)]).collect();
    v.serialize(s)
}

// ---------------------------------------------------------------- profile

/// How much data to write. The world and the fault are the same whatever
/// the profile; only the sampling density changes.
#[derive(Debug, Clone, PartialEq)]
pub struct Profile {
    pub agents_per_region: usize,
    /// Each agent runs its tests every this many minutes (agents of a
    /// region are staggered so the region is sampled more often).
    pub probe_every_min: i64,
    /// Range of minutes between page loads in a HAR capture.
    pub page_every_min: (i64, i64),
    /// Most HAR vantages (1 or 2; the client scenario always has 2).
    pub max_har_vantages: usize,
    /// Origin API requests per minute in the access log.
    pub access_per_min: (i64, i64),
    /// Minutes of healthy data before onset / after recovery.
    pub baseline_min: (i64, i64),
    pub after_min: (i64, i64),
    /// Pretty-print HAR files like DevTools does.
    pub pretty_har: bool,
    /// Leave out optional Chrome extras (`_initiator`, `_priority`,
    /// `connection`, `date` headers) to keep files small.
    pub lean_har: bool,
}

impl Profile {
    /// About 2-3 hours, 2 agents per region probing every minute.
    pub fn full() -> Profile {
        Profile {
            agents_per_region: 2,
            probe_every_min: 1,
            page_every_min: (2, 5),
            max_har_vantages: 2,
            access_per_min: (20, 40),
            baseline_min: (60, 90),
            after_min: (40, 60),
            pretty_har: true,
            lean_har: false,
        }
    }
    /// Small enough to commit (< 400 KB per bundle): sparser sampling,
    /// same world.
    pub fn compact() -> Profile {
        Profile {
            agents_per_region: 2,
            probe_every_min: 6,
            page_every_min: (10, 14),
            max_har_vantages: 1,
            access_per_min: (1, 2),
            baseline_min: (45, 52),
            after_min: (30, 34),
            pretty_har: false,
            lean_har: true,
        }
    }
}

impl Default for Profile {
    fn default() -> Self {
        Profile::full()
    }
}

// ---------------------------------------------------------------- world

pub(crate) const REGIONS: [&str; 3] = ["us-east", "eu-west", "ap-south"];

/// Round-trip time from a region to the origin.
pub(crate) fn region_rtt(region: &str) -> f64 {
    match region {
        "us-east" => 20.0,
        "eu-west" => 80.0,
        "ap-south" => 180.0,
        _ => 60.0,
    }
}

/// Which kind of host a request goes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Role {
    App,
    Api,
    Static,
    Third(usize),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Family {
    Auth,
    User,
    Projects,
    Messages,
    Payments,
    Transfers,
    Balance,
    Conversations,
}

#[derive(Debug, Clone)]
pub(crate) struct Endpoint {
    pub method: &'static str,
    /// `{n}` is replaced by a numeric id.
    pub path: &'static str,
    pub family: Family,
    /// The page cannot render its main content without it.
    pub core: bool,
    /// Share of API traffic.
    pub weight: f64,
}

pub(crate) struct ThirdHost {
    pub host: &'static str,
    pub path: &'static str,
}

pub(crate) const THIRD_PARTIES: [ThirdHost; 4] = [
    ThirdHost {
        host: "www.googletagmanager.com",
        path: "/gtag/js?id=G-4F2K9XQ7LM",
    },
    ThirdHost {
        host: "cdn.segment.com",
        path: "/analytics.js/v1/Xk29dLq0pZ7w/analytics.min.js",
    },
    ThirdHost {
        host: "js.stripe.com",
        path: "/v3/",
    },
    ThirdHost {
        host: "widget.intercom.io",
        path: "/widget/r1k2q3x9",
    },
];

/// How a request ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Fail {
    DnsServfail,
    DnsTimeout,
    ConnTimeout,
    ConnReset,
    CertExpired,
    ClientDisconnected,
    ClientNetworkChanged,
    /// Response never came after the request was sent.
    Timeout,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Outcome {
    /// HTTP status; 0 when `fail` is set.
    pub status: i32,
    pub fail: Option<Fail>,
    /// Round trip on the path.
    pub rtt_ms: f64,
    /// Time the server (or edge) took before the first byte.
    pub server_ms: f64,
    /// SYN retransmits on a lossy path.
    pub connect_extra_ms: f64,
    /// The error page came from the CDN edge (Cloudflare 52x).
    pub edge_error: bool,
}

impl Outcome {
    pub fn reached_server(&self) -> bool {
        self.fail.is_none() || self.fail == Some(Fail::Timeout)
    }
}

/// Phase timings in ms; `None` = phase not reached or not applicable.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(crate) struct Timing {
    pub blocked: f64,
    pub dns: Option<f64>,
    pub connect: Option<f64>,
    pub tls: Option<f64>,
    pub send: Option<f64>,
    pub wait: Option<f64>,
    pub receive: Option<f64>,
}

impl Timing {
    /// Sum of network phases (no `blocked`).
    pub fn total(&self) -> f64 {
        [
            self.dns,
            self.connect,
            self.tls,
            self.send,
            self.wait,
            self.receive,
        ]
        .iter()
        .flatten()
        .sum()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Client {
    Probe,
    Browser,
    K6,
}

/// The simulated site and its fault. Writers query it; it holds no files.
pub(crate) struct World {
    pub kind: ScenarioKind,
    pub seed: u64,
    /// Seed mixed with the kind: every random stream derives from it.
    key: u64,
    pub profile: Profile,
    pub site: String,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    pub waves: Vec<(DateTime<Utc>, DateTime<Utc>)>,
    /// Regions where the fault shows (all three when global).
    pub fault_regions: Vec<String>,
    pub global: bool,
    /// Client scenario: the HAR vantage whose machine went offline.
    pub client_vantage: Option<String>,
    /// HAR vantages: (label = region name, is_firefox).
    pub har_vantages: Vec<(String, bool)>,
    /// Region that runs k6 instead of the own probe's HTTP tests.
    pub k6_region: Option<String>,
    pub probe_csv: bool,
    pub probe_split: bool,
    pub endpoints: Vec<Endpoint>,
    /// Third-party hosts the pages load (indexes into THIRD_PARTIES).
    pub thirds: Vec<usize>,
    /// The third party that fails (ThirdParty scenario).
    pub bad_third: usize,
    pub third_fail_timeout: bool,
    /// Probability that an affected request fails.
    pub err_rate: f64,
    /// Server-time multiplier on the API (slow backend).
    pub wait_factor: f64,
    pub dns_servfail: bool,
    /// TLS: certificate of every first-party host (wildcard) or only the API.
    pub tls_wildcard: bool,
    pub loss_pct: f64,
    pub latency_add_ms: f64,
    /// Multiplier on timing spread.
    pub noise: f64,
    /// NoisyHealthy: (minute index, region) of a one-minute latency blip.
    pub blip: Option<(i64, String)>,
    /// Secret values planted in inputs.
    pub secrets: std::cell::RefCell<Vec<String>>,
    pub difficulty: Difficulty,
    /// Confounder: rare API 5xx and slow third parties all along.
    pub noisy_background: bool,
    /// Confounder: the unrelated blip.
    pub confound_blip: Option<Blip>,
    /// Confounder: when the page changed (and the change log says so).
    pub page_deploy: Option<DateTime<Utc>>,
}

impl World {
    #[cfg(test)]
    pub fn new(kind: ScenarioKind, seed: u64, profile: &Profile) -> World {
        World::with_difficulty(kind, seed, profile, &Difficulty::default())
    }

    /// A world whose fault strength, spread and confounders follow `d`.
    /// Everything the seed draws is drawn as for [`World::new`] (the knobs
    /// override afterwards, from their own stream), so a knob changes only
    /// what it names.
    pub fn with_difficulty(
        kind: ScenarioKind,
        seed: u64,
        profile: &Profile,
        d: &Difficulty,
    ) -> World {
        let key = Rng::derive(seed, kind.name()).next_u64();
        let mut r = Rng::derive(key, "world");
        let site = match kind {
            ScenarioKind::AsanaRegional | ScenarioKind::AsanaGlobal502to503 => "asana".to_string(),
            ScenarioKind::ChatgptSlowApi => "chatgpt".to_string(),
            ScenarioKind::JiraWaves => "atlassian".to_string(),
            ScenarioKind::DiscordMessaging => "discord".to_string(),
            ScenarioKind::BarclaysBackend => "barclays".to_string(),
            _ => r
                .pick(&["shopfront", "tasklane", "acmecloud", "payroute", "notely"])
                .to_string(),
        };
        // 2025-01-06T00:00:00Z plus up to ~14 months, any hour.
        let base = Utc
            .timestamp_opt(1_736_121_600, 0)
            .single()
            .expect("valid base time");
        let start = base
            + Duration::minutes(
                r.range_i(0, 420) * 1440 + r.range_i(0, 23) * 60 + r.range_i(0, 59),
            );
        let baseline = r.range_i(profile.baseline_min.0, profile.baseline_min.1);
        let after = r.range_i(profile.after_min.0, profile.after_min.1);
        let onset = start + Duration::minutes(baseline) + Duration::seconds(r.range_i(0, 59));
        let mut waves = Vec::new();
        let mut incident_len = r.range_i(10, 40);
        if kind == ScenarioKind::JiraWaves {
            let n = r.range_i(2, 3);
            let mut t = onset;
            for i in 0..n {
                let len = r.range_i(4, if n == 3 { 6 } else { 10 });
                let e = t + Duration::minutes(len) + Duration::seconds(r.range_i(0, 40));
                waves.push((t, e));
                if i + 1 < n {
                    t = e
                        + Duration::minutes(r.range_i(5, if n == 3 { 8 } else { 10 }))
                        + Duration::seconds(r.range_i(0, 50));
                }
            }
            incident_len = (waves[waves.len() - 1].1 - onset).num_minutes() + 1;
        } else if kind.has_incident() {
            waves.push((
                onset,
                onset + Duration::minutes(incident_len) + Duration::seconds(r.range_i(0, 59)),
            ));
        }
        let end = start + Duration::minutes(baseline + incident_len + after + 2);

        let regional_pick = |r: &mut Rng| r.pick(&REGIONS).to_string();
        let all: Vec<String> = REGIONS.iter().map(|s| s.to_string()).collect();
        let (global, fault_regions) = match kind {
            ScenarioKind::AsanaRegional => (false, vec!["us-east".to_string()]),
            ScenarioKind::RegionalNetworkLoss => (false, vec![regional_pick(&mut r)]),
            ScenarioKind::Dns | ScenarioKind::CdnEdge => {
                if r.chance(0.4) {
                    (false, vec![regional_pick(&mut r)])
                } else {
                    (true, all.clone())
                }
            }
            ScenarioKind::ClientOffline | ScenarioKind::Healthy | ScenarioKind::NoisyHealthy => {
                (false, vec![])
            }
            _ => (true, all.clone()),
        };
        let mut dr = Rng::derive(key, "difficulty");
        let (global, fault_regions) = match d.regions {
            Some(n) if kind.has_incident() && kind != ScenarioKind::ClientOffline => {
                let n = n.clamp(1, REGIONS.len());
                if n == REGIONS.len() {
                    (true, all.clone())
                } else {
                    // keep the seed's region first when it had one
                    let mut pool: Vec<String> = all.clone();
                    let mut picked: Vec<String> = Vec::new();
                    if !global && let Some(f) = fault_regions.first() {
                        pool.retain(|x| x != f);
                        picked.push(f.clone());
                    }
                    while picked.len() < n {
                        let i = (dr.next_u64() % pool.len() as u64) as usize;
                        picked.push(pool.remove(i));
                    }
                    (false, picked)
                }
            }
            _ => (global, fault_regions),
        };

        // HAR vantages: the first is Chrome; regional faults get one vantage
        // where the fault is so the browser sees it.
        let n_vant = if kind == ScenarioKind::ClientOffline {
            2
        } else {
            r.range_i(1, profile.max_har_vantages.max(1) as i64) as usize
        };
        let mut har_vantages: Vec<(String, bool)> = Vec::new();
        let first = if !global && !fault_regions.is_empty() {
            fault_regions[0].clone()
        } else {
            regional_pick(&mut r)
        };
        // The offline client exports from Chrome (its `_error` names the cause).
        let first_firefox = kind != ScenarioKind::ClientOffline && r.chance(0.3);
        har_vantages.push((first.clone(), first_firefox));
        if n_vant > 1 {
            let others: Vec<&str> = REGIONS.iter().copied().filter(|x| *x != first).collect();
            har_vantages.push((r.pick(&others).to_string(), r.chance(0.6)));
        }
        let client_vantage =
            (kind == ScenarioKind::ClientOffline).then(|| har_vantages[0].0.clone());

        let k6_region = if r.chance(0.3) {
            Some(regional_pick(&mut r))
        } else {
            None
        };
        let probe_csv = r.chance(0.4);
        let probe_split = r.chance(0.5);

        let endpoints = endpoints_for(&site);
        let mut thirds = vec![0, 1];
        thirds.push(
            if site == "barclays" || site == "payroute" || r.chance(0.5) {
                2
            } else {
                3
            },
        );
        let bad_third = *r.pick(&thirds);
        let third_fail_timeout = r.chance(0.6);

        let err_rate = match kind {
            ScenarioKind::AsanaRegional => r.range_f(0.8, 0.95),
            ScenarioKind::AsanaGlobal502to503 => r.range_f(0.85, 0.98),
            ScenarioKind::JiraWaves => r.range_f(0.2, 0.4),
            ScenarioKind::DiscordMessaging => r.range_f(0.6, 0.9),
            ScenarioKind::BarclaysBackend => r.range_f(0.3, 0.5),
            ScenarioKind::Dns => r.range_f(0.85, 1.0),
            ScenarioKind::CdnEdge => r.range_f(0.7, 1.0),
            ScenarioKind::ThirdParty => r.range_f(0.8, 1.0),
            ScenarioKind::ChatgptSlowApi => 0.02,
            _ => 1.0,
        };
        let wait_factor = if kind == ScenarioKind::ChatgptSlowApi {
            r.range_f(1.8, 2.5)
        } else {
            1.0
        };
        let dns_servfail = r.chance(0.6);
        let tls_wildcard = r.chance(0.5);
        let loss_pct = r.range_f(20.0, 80.0);
        let latency_add_ms = r.range_f(40.0, 200.0);
        let noise = match kind {
            ScenarioKind::NoisyHealthy => r.range_f(1.3, 1.6),
            _ => r.range_f(0.8, 1.2),
        };
        let blip = (kind == ScenarioKind::NoisyHealthy).then(|| {
            let total = (end - start).num_minutes();
            (r.range_i(20, total - 20), regional_pick(&mut r))
        });

        // The knobs, each from the difficulty stream.
        let err_rate = d.error_share.map_or(err_rate, |x| x.clamp(0.0, 1.0));
        let wait_factor = match d.latency_factor {
            Some(f) if kind == ScenarioKind::ChatgptSlowApi => f.max(1.0),
            _ => wait_factor,
        };
        let (loss_pct, latency_add_ms) = match d.loss_pct {
            // queueing delay grows with loss: ~4 ms per percent, at most
            // the seed's worst
            Some(l) => (l.clamp(0.0, 100.0), (4.0 * l).clamp(0.0, 200.0)),
            None => (loss_pct, latency_add_ms),
        };
        let total = (end - start).num_minutes();
        let noisy_background = d.confounder == Confounder::NoisyBaseline;
        let noise = if noisy_background {
            noise * dr.range_f(1.3, 1.6)
        } else {
            noise
        };
        let blip = match (d.confounder, kind.has_incident()) {
            (Confounder::Blip, false) if blip.is_none() => {
                Some((dr.range_i(20, total - 20), dr.pick(&REGIONS).to_string()))
            }
            _ => blip,
        };
        let confound_blip = (d.confounder == Confounder::Blip && kind.has_incident()).then(|| {
            let (a, b) = (waves[0].0, waves[waves.len() - 1].1);
            let span = (b - a).num_seconds().max(BLIP_MIN * 60 + 60);
            let start_at = a + Duration::seconds(dr.range_i(0, span - BLIP_MIN * 60));
            let role = if kind == ScenarioKind::ThirdParty {
                Role::Api
            } else {
                Role::Third(0)
            };
            // where a browser looks, or the blip would be unseen
            let seen: Vec<&str> = har_vantages.iter().map(|v| v.0.as_str()).collect();
            Blip {
                start: start_at,
                end: start_at + Duration::minutes(BLIP_MIN),
                region: dr.pick(&seen).to_string(),
                role,
            }
        });
        let page_deploy = (d.confounder == Confounder::PageDeploy).then(|| match waves.first() {
            // in the baseline, so the healthy stretch holds both pages
            Some((on, _)) => {
                *on - Duration::minutes(dr.range_i(15, (*on - start).num_minutes().min(40)))
            }
            None => start + Duration::minutes(dr.range_i(30, total - 30)),
        });

        World {
            kind,
            seed,
            key,
            profile: profile.clone(),
            site,
            start,
            end,
            waves,
            fault_regions,
            global,
            client_vantage,
            har_vantages,
            k6_region,
            probe_csv,
            probe_split,
            endpoints,
            thirds,
            bad_third,
            third_fail_timeout,
            err_rate,
            wait_factor,
            dns_servfail,
            tls_wildcard,
            loss_pct,
            latency_add_ms,
            noise,
            blip,
            secrets: std::cell::RefCell::new(Vec::new()),
            difficulty: d.clone(),
            noisy_background,
            confound_blip,
            page_deploy,
        }
    }

    /// The random stream for one purpose.
    pub fn rng(&self, label: &str) -> Rng {
        Rng::derive(self.key, label)
    }

    pub fn host(&self, role: Role) -> String {
        match role {
            Role::App => format!("app.{}.com", self.site),
            Role::Api => format!("api.{}.com", self.site),
            Role::Static => format!("static.{}.com", self.site),
            Role::Third(i) => THIRD_PARTIES[i].host.to_string(),
        }
    }

    pub fn onset(&self) -> Option<DateTime<Utc>> {
        self.waves.first().map(|w| w.0)
    }
    pub fn recovery(&self) -> Option<DateTime<Utc>> {
        self.waves.last().map(|w| w.1)
    }
    pub fn active(&self, t: DateTime<Utc>) -> bool {
        self.waves.iter().any(|(a, b)| t >= *a && t < *b)
    }
    pub fn minutes(&self) -> i64 {
        (self.end - self.start).num_minutes()
    }
    pub fn plant_secret(&self, s: String) -> String {
        let mut v = self.secrets.borrow_mut();
        if !v.contains(&s) {
            v.push(s.clone());
        }
        s
    }

    /// A concrete path for an endpoint (ids drawn from `r`).
    pub fn fill_path(&self, r: &mut Rng, ep: &Endpoint) -> String {
        let mut out = String::new();
        let mut rest = ep.path;
        while let Some(i) = rest.find("{n}") {
            out.push_str(&rest[..i]);
            out.push_str(&r.range_i(1_000_000, 1_209_999_999_999).to_string());
            rest = &rest[i + 3..];
        }
        out.push_str(rest);
        out
    }

    /// The endpoint synthetic API tests call.
    pub fn primary_endpoint(&self) -> &Endpoint {
        self.endpoints
            .iter()
            .find(|e| e.method == "GET" && !matches!(e.family, Family::Auth | Family::User))
            .unwrap_or(&self.endpoints[0])
    }

    fn family_faulty(&self, f: Family) -> bool {
        match self.kind {
            ScenarioKind::DiscordMessaging => f == Family::Messages,
            ScenarioKind::BarclaysBackend => {
                matches!(f, Family::Payments | Family::Transfers | Family::Balance)
            }
            _ => true,
        }
    }

    fn region_hit(&self, region: &str) -> bool {
        self.global || self.fault_regions.iter().any(|x| x == region)
    }

    /// What happens to one request at `t` from `region`. `vantage` is set
    /// for browser captures (it can be the offline client).
    pub fn outcome(
        &self,
        r: &mut Rng,
        t: DateTime<Utc>,
        region: &str,
        vantage: Option<&str>,
        role: Role,
        family: Option<Family>,
    ) -> Outcome {
        let n = self.noise;
        let rtt = match role {
            Role::App | Role::Api => region_rtt(region),
            Role::Static => 8.0 + region_rtt(region) * 0.08,
            Role::Third(_) => 12.0 + region_rtt(region) * 0.1,
        } * r.lognormal(1.0, 0.06 * n);
        let server = match role {
            Role::App => r.lognormal(110.0, 0.3 * n),
            Role::Api => r.lognormal(75.0, 0.35 * n),
            Role::Static => r.lognormal(4.0, 0.8 * n),
            Role::Third(_) => r.lognormal(18.0, 0.5 * n),
        };
        let mut o = Outcome {
            status: 200,
            fail: None,
            rtt_ms: rtt,
            server_ms: server,
            connect_extra_ms: 0.0,
            edge_error: false,
        };

        // Background noise every scenario has.
        if let Some((m, br)) = &self.blip {
            let minute = (t - self.start).num_minutes();
            if minute == *m && br == region {
                o.server_ms *= 4.0;
                o.rtt_ms *= 1.5;
            }
        }
        if self.page_deploy.is_some_and(|d| t >= d) && role == Role::App {
            // the new page renders more on the server
            o.server_ms *= 1.5;
        }
        if let Some(b) = &self.confound_blip
            && t >= b.start
            && t < b.end
            && b.region == region
            && b.role == role
            && r.chance(BLIP_FAIL_SHARE)
        {
            o.status = *r.pick(&[502, 503, 503]);
            o.server_ms = r.lognormal(300.0, 0.5);
        }
        if self.kind == ScenarioKind::NoisyHealthy || self.noisy_background {
            if role == Role::Api && r.chance(0.004) {
                o.status = *r.pick(&[500, 502, 503]);
                o.server_ms = r.lognormal(30.0, 0.5);
            }
            if matches!(role, Role::Third(_)) && r.chance(0.01) {
                o.server_ms += r.range_f(2500.0, 5000.0);
            }
        }

        // The client scenario: every host fails from one machine.
        if let (Some(v), Some(cv)) = (vantage, &self.client_vantage)
            && v == cv
            && self.active(t)
            && (self.err_rate >= 1.0 || r.chance(self.err_rate))
        {
            o.status = 0;
            o.fail = Some(if r.chance(0.8) {
                Fail::ClientDisconnected
            } else {
                Fail::ClientNetworkChanged
            });
            return o;
        }
        if !self.active(t) || !self.region_hit(region) {
            return o;
        }
        let first_party = matches!(role, Role::App | Role::Api | Role::Static);
        match self.kind {
            ScenarioKind::AsanaRegional
            | ScenarioKind::AsanaGlobal502to503
            | ScenarioKind::JiraWaves
            | ScenarioKind::DiscordMessaging
            | ScenarioKind::BarclaysBackend => {
                let fam_ok = family.is_some_and(|f| self.family_faulty(f));
                let app_hit =
                    role == Role::App && self.kind == ScenarioKind::JiraWaves && r.chance(0.05);
                if (role == Role::Api && fam_ok && r.chance(self.err_rate)) || app_hit {
                    let status = match self.kind {
                        ScenarioKind::AsanaRegional => {
                            if r.chance(0.7) {
                                503
                            } else {
                                500
                            }
                        }
                        ScenarioKind::AsanaGlobal502to503 => {
                            let (a, b) = self.waves[0];
                            let first_half = t < a + (b - a) / 2;
                            match (first_half, r.chance(0.9)) {
                                (true, true) | (false, false) => 502,
                                _ => 503,
                            }
                        }
                        ScenarioKind::JiraWaves => *r.pick(&[500, 502, 503, 503]),
                        ScenarioKind::DiscordMessaging => *r.pick(&[500, 503, 503, 504, 504]),
                        _ => *r.pick(&[500, 500, 503, 504]),
                    };
                    o.status = status;
                    o.server_ms = match status {
                        502 => r.lognormal(25.0, 0.5),
                        503 => r.lognormal(4.0, 0.5),
                        504 => 10_000.0 + r.range_f(0.0, 15.0),
                        _ => r.lognormal(140.0, 0.6),
                    };
                }
            }
            ScenarioKind::ChatgptSlowApi => {
                if role == Role::Api {
                    o.server_ms *= self.wait_factor * r.lognormal(1.0, 0.1);
                    if r.chance(self.err_rate) {
                        o.status = 504;
                        o.server_ms = 30_000.0;
                    }
                }
            }
            ScenarioKind::Dns => {
                if first_party && r.chance(self.err_rate) {
                    o.status = 0;
                    o.fail = Some(if self.dns_servfail {
                        Fail::DnsServfail
                    } else {
                        Fail::DnsTimeout
                    });
                }
            }
            ScenarioKind::RegionalNetworkLoss => {
                let p = self.loss_pct / 100.0;
                o.rtt_ms += self.latency_add_ms * r.lognormal(1.0, 0.3);
                if r.chance(p * 0.5) {
                    o.status = 0;
                    let x = r.f64();
                    o.fail = Some(if x < 0.7 {
                        Fail::ConnTimeout
                    } else if x < 0.85 {
                        Fail::ConnReset
                    } else {
                        // Request sent, the response lost on the way back.
                        Fail::Timeout
                    });
                } else {
                    if r.chance(p) {
                        o.connect_extra_ms = if r.chance(0.7) { 1000.0 } else { 3000.0 };
                    }
                    if r.chance(p) {
                        o.server_ms += r.range_f(200.0, 1200.0);
                    }
                }
            }
            ScenarioKind::CdnEdge => {
                if role == Role::Static && r.chance(self.err_rate) {
                    let (status, ms) = *r.pick(&[
                        (520, 35.0),
                        (520, 35.0),
                        (521, 20.0),
                        (502, 15.0),
                        (522, 15_000.0),
                        (523, 10.0),
                        (525, 30.0),
                        (526, 30.0),
                    ]);
                    o.status = status;
                    o.server_ms = ms * r.lognormal(1.0, 0.2);
                    o.edge_error = true;
                }
            }
            ScenarioKind::ThirdParty => {
                if role == Role::Third(self.bad_third) && r.chance(self.err_rate) {
                    if self.third_fail_timeout {
                        o.status = 0;
                        o.fail = Some(Fail::ConnTimeout);
                    } else {
                        o.status = *r.pick(&[502, 503, 503]);
                        o.server_ms = r.lognormal(400.0, 0.5);
                    }
                }
            }
            ScenarioKind::TlsCert => {
                let hit = if self.tls_wildcard {
                    first_party
                } else {
                    role == Role::Api
                };
                // below 1, one server behind the balancer has the old cert
                if hit && (self.err_rate >= 1.0 || r.chance(self.err_rate)) {
                    o.status = 0;
                    o.fail = Some(Fail::CertExpired);
                }
            }
            ScenarioKind::ClientOffline | ScenarioKind::Healthy | ScenarioKind::NoisyHealthy => {}
        }
        o
    }

    /// Phase timings of one request, as a given client would measure them.
    pub fn timing(
        &self,
        r: &mut Rng,
        o: &Outcome,
        new_conn: bool,
        body_bytes: u64,
        client: Client,
    ) -> Timing {
        let n = self.noise;
        let mut t = Timing {
            blocked: r.lognormal(1.5, 0.8),
            ..Timing::default()
        };
        let dns = r.lognormal(4.0, 0.6 * n);
        let connect = o.rtt_ms * r.lognormal(1.0, 0.08 * n) + o.connect_extra_ms;
        let tls = o.rtt_ms * r.lognormal(1.0, 0.08 * n) + r.lognormal(6.0, 0.4);
        let send = r.lognormal(0.15, 0.6);
        let receive = body_bytes as f64 / 2500.0 + r.lognormal(0.6, 0.7);
        match o.fail {
            None => {
                if new_conn {
                    t.dns = Some(dns);
                    t.connect = Some(connect);
                    t.tls = Some(tls);
                }
                t.send = Some(send);
                t.wait = Some(o.rtt_ms + o.server_ms);
                t.receive = Some(receive);
            }
            Some(Fail::DnsServfail) => t.dns = Some(r.lognormal(45.0, 0.5)),
            Some(Fail::DnsTimeout) => t.dns = Some(5000.0 + r.range_f(0.0, 30.0)),
            Some(Fail::ConnTimeout) => {
                t.dns = Some(dns);
                t.connect = Some(match client {
                    Client::Browser => 21_000.0 + r.range_f(0.0, 500.0),
                    Client::Probe | Client::K6 => 10_000.0 + r.range_f(0.0, 3.0),
                });
            }
            Some(Fail::ConnReset) => {
                t.dns = Some(dns);
                t.connect = Some(connect);
            }
            Some(Fail::CertExpired) => {
                t.dns = Some(dns);
                t.connect = Some(connect);
                t.tls = Some(tls);
            }
            Some(Fail::ClientDisconnected) | Some(Fail::ClientNetworkChanged) => {
                t.blocked = r.lognormal(3.0, 0.4);
            }
            Some(Fail::Timeout) => {
                t.dns = Some(dns);
                t.connect = Some(connect);
                t.tls = Some(tls);
                t.send = Some(send);
                t.wait = Some(30_000.0);
            }
        }
        t
    }

    pub fn truth(&self, files: Vec<FileTruth>) -> Truth {
        let (scope, mut affected) = if !self.kind.has_incident() {
            ("none", vec![])
        } else if let Some(v) = &self.client_vantage {
            ("regional", vec![v.clone()])
        } else if self.global {
            ("global", self.fault_regions.clone())
        } else {
            ("regional", self.fault_regions.clone())
        };
        affected.sort();
        let mut secrets = self.secrets.borrow().clone();
        secrets.sort();
        Truth {
            kind: self.kind.name().to_string(),
            seed: self.seed,
            fault_domain: self.kind.fault_domain().to_string(),
            scope: scope.to_string(),
            affected_regions: affected,
            onset: self.onset(),
            recovery: self.recovery(),
            waves: self.waves.clone(),
            site: self.site.clone(),
            data_start: self.start,
            data_end: self.end,
            files,
            secrets,
            difficulty: self.difficulty.truth(),
        }
    }
}

fn endpoints_for(site: &str) -> Vec<Endpoint> {
    let e = |method, path, family, core, weight| Endpoint {
        method,
        path,
        family,
        core,
        weight,
    };
    let mut v = vec![
        e("GET", "/api/v1/auth/session", Family::Auth, true, 0.15),
        e("GET", "/api/v1/users/me", Family::User, false, 0.1),
    ];
    match site {
        "asana" => v.extend([
            e(
                "GET",
                "/api/v1/projects/{n}/tasks",
                Family::Projects,
                true,
                0.4,
            ),
            e(
                "GET",
                "/api/v1/workspaces/{n}/projects",
                Family::Projects,
                false,
                0.2,
            ),
            e(
                "POST",
                "/api/v1/tasks/{n}/stories",
                Family::Messages,
                false,
                0.15,
            ),
        ]),
        "chatgpt" => v.extend([
            e(
                "GET",
                "/api/v1/conversations/{n}",
                Family::Conversations,
                true,
                0.3,
            ),
            e(
                "POST",
                "/api/v1/chat/completions",
                Family::Conversations,
                false,
                0.35,
            ),
            e("GET", "/api/v1/models", Family::Projects, false, 0.1),
        ]),
        "discord" => v.extend([
            e(
                "GET",
                "/api/v1/channels/{n}/messages",
                Family::Messages,
                false,
                0.4,
            ),
            e(
                "GET",
                "/api/v1/guilds/{n}/channels",
                Family::Projects,
                true,
                0.2,
            ),
            e(
                "POST",
                "/api/v1/channels/{n}/messages",
                Family::Messages,
                false,
                0.15,
            ),
        ]),
        "barclays" => v.extend([
            e("GET", "/api/v1/payments", Family::Payments, false, 0.25),
            e(
                "GET",
                "/api/v1/accounts/{n}/balance",
                Family::Balance,
                true,
                0.3,
            ),
            e("POST", "/api/v1/transfers", Family::Transfers, false, 0.15),
        ]),
        _ => v.extend([
            e(
                "GET",
                "/api/v1/projects/{n}/tasks",
                Family::Projects,
                true,
                0.35,
            ),
            e("GET", "/api/v1/messages", Family::Messages, false, 0.25),
            e("POST", "/api/v1/payments", Family::Payments, false, 0.1),
        ]),
    }
    v
}

// ---------------------------------------------------------------- formatting

/// Offsets (minutes east of UTC) files are written in; the instant is the same.
pub(crate) const OFFSETS: [i32; 7] = [0, 0, 60, -300, 330, 540, -480];

pub(crate) fn fixed(offset_min: i32) -> FixedOffset {
    FixedOffset::east_opt(offset_min * 60)
        .unwrap_or_else(|| FixedOffset::east_opt(0).expect("zero offset"))
}

/// RFC 3339 in the given offset; `z` writes `Z` for UTC.
pub(crate) fn rfc3339(t: DateTime<Utc>, offset_min: i32, digits: SecondsFormat, z: bool) -> String {
    t.with_timezone(&fixed(offset_min))
        .to_rfc3339_opts(digits, z && offset_min == 0)
}

/// A number for JSON / CSV with a fixed number of decimals (no `-0`).
pub(crate) fn num(x: f64, decimals: usize) -> String {
    let s = format!("{x:.decimals$}");
    if s.starts_with('-') && s.trim_start_matches(['-', '0', '.']).is_empty() {
        s[1..].to_string()
    } else {
        s
    }
}

pub(crate) fn json_str(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| "\"\"".to_string())
}

/// A JSON object written field by field, in order.
pub(crate) struct Obj(String);
impl Default for Obj {
    fn default() -> Self {
        Obj::new()
    }
}

impl Obj {
    pub fn new() -> Obj {
        Obj(String::from("{"))
    }
    fn key(&mut self, k: &str) {
        if self.0.len() > 1 {
            self.0.push(',');
        }
        self.0.push_str(&json_str(k));
        self.0.push(':');
    }
    pub fn s(mut self, k: &str, v: &str) -> Obj {
        self.key(k);
        self.0.push_str(&json_str(v));
        self
    }
    pub fn raw(mut self, k: &str, v: &str) -> Obj {
        self.key(k);
        self.0.push_str(v);
        self
    }
    pub fn opt_num(self, k: &str, v: Option<f64>, d: usize) -> Obj {
        match v {
            Some(x) => self.raw(k, &num(x, d)),
            None => self,
        }
    }
    pub fn done(mut self) -> String {
        self.0.push('}');
        self.0
    }
}

/// Where and how writers put files.
pub(crate) struct Out<'a> {
    pub dir: &'a Path,
    pub files: Vec<FileTruth>,
}

impl Out<'_> {
    pub fn write(
        &mut self,
        rel: &str,
        bytes: &[u8],
        format: &str,
        records: u64,
        bad_lines: u64,
    ) -> std::io::Result<()> {
        let p = self.dir.join(rel);
        if let Some(parent) = p.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::write(&p, bytes)?;
        let vantage = rel
            .split('/')
            .find_map(|c| c.strip_prefix("region="))
            .map(str::to_string);
        self.files.push(FileTruth {
            path: rel.to_string(),
            format: format.to_string(),
            vantage,
            records,
            bad_lines,
        });
        Ok(())
    }
}

/// Write one scenario (full profile) into `out_dir` and return its label.
/// `out_dir` should be empty: different seeds write different file sets.
pub fn generate(kind: ScenarioKind, seed: u64, out_dir: &Path) -> std::io::Result<Truth> {
    generate_with(kind, seed, out_dir, &Profile::full())
}

/// [`generate`] with an explicit data density.
pub fn generate_with(
    kind: ScenarioKind,
    seed: u64,
    out_dir: &Path,
    profile: &Profile,
) -> std::io::Result<Truth> {
    generate_hard(kind, seed, out_dir, profile, &Difficulty::default())
}

/// [`generate_with`] at a chosen [`Difficulty`].
pub fn generate_hard(
    kind: ScenarioKind,
    seed: u64,
    out_dir: &Path,
    profile: &Profile,
    difficulty: &Difficulty,
) -> std::io::Result<Truth> {
    std::fs::create_dir_all(out_dir)?;
    let world = World::with_difficulty(kind, seed, profile, difficulty);
    let mut out = Out {
        dir: out_dir,
        files: Vec::new(),
    };
    probe::write(&world, &mut out)?;
    k6::write(&world, &mut out)?;
    har::write(&world, &mut out)?;
    access::write(&world, &mut out)?;
    changes::write(&world, &mut out)?;
    out.files.sort_by(|a, b| a.path.cmp(&b.path));
    let truth = world.truth(out.files);
    let mut json = serde_json::to_string_pretty(&truth).map_err(std::io::Error::other)?;
    json.push('\n');
    std::fs::write(out_dir.join("truth.json"), json)?;
    Ok(truth)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rng_is_deterministic_and_spread() {
        let mut a = Rng::new(7);
        let mut b = Rng::new(7);
        let xs: Vec<u64> = (0..100).map(|_| a.next_u64()).collect();
        let ys: Vec<u64> = (0..100).map(|_| b.next_u64()).collect();
        assert_eq!(xs, ys);
        let mut c = Rng::new(8);
        assert_ne!(xs[0], c.next_u64());
        let mean: f64 = (0..10_000).map(|_| a.f64()).sum::<f64>() / 10_000.0;
        assert!((mean - 0.5).abs() < 0.02, "{mean}");
        let mut med: Vec<f64> = (0..2001).map(|_| a.lognormal(100.0, 0.5)).collect();
        med.sort_by(f64::total_cmp);
        assert!((med[1000] - 100.0).abs() < 10.0, "{}", med[1000]);
    }

    #[test]
    fn names_round_trip() {
        for k in ScenarioKind::all() {
            assert_eq!(ScenarioKind::from_name(k.name()), Some(*k));
        }
        assert_eq!(
            ScenarioKind::from_name("AsanaGlobal502to503"),
            Some(ScenarioKind::AsanaGlobal502to503)
        );
        assert_eq!(ScenarioKind::from_name("nope"), None);
    }

    #[test]
    fn timeline_rules_hold_for_many_seeds() {
        for k in ScenarioKind::all() {
            for seed in 0..40 {
                let w = World::new(*k, seed, &Profile::full());
                let total = w.minutes();
                assert!((100..=200).contains(&total), "{k:?} {seed} {total}");
                if let (Some(on), Some(rec)) = (w.onset(), w.recovery()) {
                    assert!((on - w.start).num_minutes() >= 45);
                    assert!((w.end - rec).num_minutes() >= 30);
                    let d = (rec - on).num_minutes();
                    assert!((9..=41).contains(&d), "{k:?} {seed} duration {d}");
                } else {
                    assert!(!k.has_incident());
                }
            }
        }
    }

    #[test]
    fn backend_fault_only_hits_faulty_families_and_regions() {
        let w = World::new(ScenarioKind::DiscordMessaging, 3, &Profile::compact());
        let t = w.onset().unwrap() + Duration::minutes(2);
        let mut r = Rng::new(1);
        let mut msg_err = 0;
        let mut auth_err = 0;
        for _ in 0..400 {
            if w.outcome(
                &mut r,
                t,
                "eu-west",
                None,
                Role::Api,
                Some(Family::Messages),
            )
            .status
                >= 500
            {
                msg_err += 1;
            }
            if w.outcome(&mut r, t, "eu-west", None, Role::Api, Some(Family::Auth))
                .status
                >= 500
            {
                auth_err += 1;
            }
        }
        assert!(msg_err > 200, "{msg_err}");
        assert_eq!(auth_err, 0);
        let w = World::new(ScenarioKind::AsanaRegional, 3, &Profile::compact());
        let t = w.onset().unwrap() + Duration::minutes(2);
        let fails = |region: &str, r: &mut Rng| {
            (0..200)
                .filter(|_| {
                    w.outcome(r, t, region, None, Role::Api, Some(Family::Projects))
                        .status
                        >= 500
                })
                .count()
        };
        assert!(fails("us-east", &mut r) > 140);
        assert_eq!(fails("eu-west", &mut r), 0);
    }

    #[test]
    fn offsets_keep_the_instant() {
        let t = Utc.timestamp_opt(1_738_764_000, 0).single().unwrap();
        for off in OFFSETS {
            let s = rfc3339(t, off, SecondsFormat::Secs, true);
            assert_eq!(
                DateTime::parse_from_rfc3339(&s)
                    .unwrap()
                    .with_timezone(&Utc),
                t,
                "{s}"
            );
        }
        assert_eq!(num(-0.0001, 1), "0.0");
        assert_eq!(num(12.345, 1), "12.3");
    }
}
