//! Wall-clock laps, so `-vv` and the benchmarks can say which step of a
//! stage the time went to instead of one number per stage.

use std::time::Instant;

pub(crate) struct Laps {
    last: Instant,
    pub(crate) laps: Vec<(&'static str, f64)>,
}

impl Laps {
    pub(crate) fn start() -> Self {
        Laps {
            last: Instant::now(),
            laps: Vec::new(),
        }
    }
    pub(crate) fn lap(&mut self, step: &'static str) {
        let now = Instant::now();
        self.laps
            .push((step, (now - self.last).as_secs_f64() * 1000.0));
        self.last = now;
    }
}
