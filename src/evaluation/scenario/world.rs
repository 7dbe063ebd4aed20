//! The world a bundle is written from: the site, the timeline and the
//! fault, all drawn once from the seed.
//!
//! Why one world: every writer asks the same [`World`] what happened to a
//! request at a time from a place, so the files agree with each other the
//! way real evidence does. The fault model (`fault`) and the timing model
//! (`timing`) are its other two questions.

use super::Profile;
use super::difficulty::{BLIP_MIN, Blip, Confounder, Difficulty};
use super::kind::ScenarioKind;
use super::random::Rng;
use super::site::{Endpoint, Family, REGIONS, Role, THIRD_PARTIES, endpoints_for};
use chrono::{DateTime, Duration, TimeZone, Utc};

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
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
