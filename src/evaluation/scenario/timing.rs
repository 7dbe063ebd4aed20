//! The timing model: the phases of one request (blocked, DNS, connect,
//! TLS, send, wait, receive) as a given client would measure them, from
//! the fault model's outcome.

use super::fault::{Fail, Outcome};
use super::random::Rng;
use super::world::World;

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

impl World {
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
}
