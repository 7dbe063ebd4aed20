//! The fault model: what happens to one request, at a time, from a place.
//!
//! Background noise every world has comes first (blips, the deployed page,
//! a noisy baseline's rare errors), then the fault of the kind, on the
//! roles, endpoint families and regions it hits, at the strength the
//! world drew.

use super::difficulty::BLIP_FAIL_SHARE;
use super::kind::ScenarioKind;
use super::random::Rng;
use super::site::{Family, Role, region_rtt};
use super::world::World;
use chrono::{DateTime, Utc};

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

impl World {
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
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evaluation::scenario::Profile;
    use chrono::Duration;

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
}
