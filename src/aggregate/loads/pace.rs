//! The capturing machine's own pace: a browser short of CPU reads every
//! answer late, and its timings then measure the machine, not the site.

use super::LoadFacts;

/// The browser took this many times longer to read its answers ...
pub const BUSY_READ_RATIO: f64 = 3.0;
/// ... and at least this many milliseconds longer ...
pub const BUSY_READ_MIN_MS: f64 = 40.0;
// ... and longer by more than the servers' wait and the connects grew.

/// How the capturing machine's own pace moved between two sets of loads
/// (per-load medians of static and third-party answers, then the median
/// over loads): (before, during) of reading, server wait and connect.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ClientPace {
    pub read_ms: (f64, f64),
    pub wait_ms: (f64, f64),
    pub connect_ms: (Option<f64>, Option<f64>),
}

impl ClientPace {
    pub fn read_ratio(&self) -> f64 {
        self.read_ms.1 / self.read_ms.0.max(1.0)
    }
}

/// The capturing browser itself was busy in `inc`'s loads: it took far
/// longer to read the answers of static files and third parties once their
/// first byte came, and that reading grew by more than the servers' wait
/// and the TCP connects did. A slow path adds its round trips to the
/// connects and the wait; a slow server, to the wait; a machine short of
/// CPU (the lab's three browsers on two cores; a laptop swapping) reads
/// every answer late, the servers' and everyone else's alike. Timings from
/// such loads measure the machine, not the site.
pub fn busy_client(base: &[&LoadFacts], inc: &[&LoadFacts]) -> Option<ClientPace> {
    let m = |ls: &[&LoadFacts], f: fn(&LoadFacts) -> Option<f64>| {
        crate::stats::median(&ls.iter().filter_map(|l| f(l)).collect::<Vec<_>>())
    };
    let read = (m(base, |l| l.read_ms)?, m(inc, |l| l.read_ms)?);
    let wait = (
        m(base, |l| l.served_wait_ms)?,
        m(inc, |l| l.served_wait_ms)?,
    );
    let connect = (m(base, |l| l.connect_ms), m(inc, |l| l.connect_ms));
    let pace = ClientPace {
        read_ms: read,
        wait_ms: wait,
        connect_ms: connect,
    };
    let connect_rise = match connect {
        (Some(a), Some(b)) => b - a,
        _ => 0.0,
    };
    (reads_late(read, wait) && read.1 - read.0 > connect_rise).then_some(pace)
}

/// Reading went from `read.0` to `read.1` ms while the servers' wait went
/// from `wait.0` to `wait.1`: late by [`BUSY_READ_RATIO`] and
/// [`BUSY_READ_MIN_MS`], and by more than the wait grew.
pub(super) fn reads_late(read: (f64, f64), wait: (f64, f64)) -> bool {
    let rise = read.1 - read.0;
    read.1 >= read.0.max(1.0) * BUSY_READ_RATIO
        && rise >= BUSY_READ_MIN_MS
        && rise > wait.1 - wait.0
}
