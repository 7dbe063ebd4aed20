//! The progress bar on stderr: only on a terminal, only without `--quiet`,
//! and only once a run has taken over a second.

use std::io::IsTerminal;

pub(super) struct Progress {
    bar: indicatif::ProgressBar,
    start: std::time::Instant,
    enabled: bool,
}

impl Progress {
    pub(super) fn new(quiet: bool) -> Self {
        let enabled = !quiet && std::io::stderr().is_terminal();
        let bar = indicatif::ProgressBar::hidden();
        if let Ok(style) = indicatif::ProgressStyle::with_template(
            "{spinner} reading {pos}/{len} files {wide_bar} {elapsed}",
        ) {
            bar.set_style(style);
        }
        Progress {
            bar,
            start: std::time::Instant::now(),
            enabled,
        }
    }
    pub(super) fn tick(&self, done: usize, total: usize) {
        if !self.enabled {
            return;
        }
        self.bar.set_length(total as u64);
        self.bar.set_position(done as u64);
        // only runs that take over a second get a bar
        if self.bar.is_hidden() && self.start.elapsed().as_millis() > 1000 {
            self.bar
                .set_draw_target(indicatif::ProgressDrawTarget::stderr());
        }
    }
    pub(super) fn finish(&self) {
        self.bar.finish_and_clear();
    }
}
