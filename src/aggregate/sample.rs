//! Rank-test samples kept while the observations are walked: a flat
//! memory bound however many records there are, and the same evenly spaced
//! picks whether the walk runs on one thread or many.

use super::WindowName;

/// Rank-test samples of one (signal, group, window) cell, thinned while
/// they are collected: at most `MAX_TEST_SAMPLES` evenly spaced values (the
/// same picks `thin` makes from the full vector), with the full count kept.
/// Memory stays flat however many records there are.
#[derive(Debug, Default, Clone)]
pub(super) struct Sampled {
    n: u64,
    seen: u64,
    next: u64,
    /// The value number (0-based) of the next pick: computed once per pick,
    /// not once per value (the quantile walk pushes tens of millions).
    next_at: u64,
    vals: Vec<f64>,
}

impl Sampled {
    /// The `pick`-th value kept of a cell of `n` values is its value number
    /// `pick_at(n, pick)` (0-based); strictly increasing in `pick` when
    /// thinning (`n > MAX_TEST_SAMPLES`).
    fn pick_at(n: u64, pick: u64) -> u64 {
        (pick as f64 * (n as f64 / MAX_TEST_SAMPLES as f64)) as u64
    }
    /// Where the pick after `next` picks is: every value when the cell is
    /// small enough, else `pick_at`, and nowhere once all are made.
    fn next_pick(n: u64, seen: u64, next: u64) -> u64 {
        let max = MAX_TEST_SAMPLES as u64;
        if n <= max {
            seen
        } else if next < max {
            Self::pick_at(n, next)
        } else {
            u64::MAX
        }
    }
    /// A cell of `n` values whose first `seen` went to an earlier chunk: the
    /// state a sequential walk would be in after those `seen` values.
    pub(super) fn resume(n: u64, seen: u64) -> Sampled {
        let max = MAX_TEST_SAMPLES as u64;
        let next = if n <= max {
            0
        } else {
            // picks made so far: the first pick at or after `seen`
            let (mut lo, mut hi) = (0u64, max);
            while lo < hi {
                let mid = (lo + hi) / 2;
                if Self::pick_at(n, mid) < seen {
                    lo = mid + 1;
                } else {
                    hi = mid;
                }
            }
            lo
        };
        Sampled {
            n,
            seen,
            next,
            next_at: Self::next_pick(n, seen, next),
            vals: Vec::new(),
        }
    }
    #[inline]
    pub(super) fn push(&mut self, v: f64) {
        if self.seen == self.next_at {
            self.vals.push(v);
            self.next += 1;
            self.next_at = Self::next_pick(self.n, self.seen + 1, self.next);
        }
        self.seen += 1;
    }
    pub(super) fn side(&self) -> (&[f64], u64) {
        (&self.vals, self.n)
    }
}

/// A visit of the observations in a range, sending each (signal, group
/// id, window, value) it finds to `emit`, in order. A trait rather than a
/// closure taking `&mut dyn FnMut` so that each emit is inlined, not a
/// dynamic call.
pub(super) trait Visit: Sync {
    fn visit(&self, range: std::ops::Range<usize>, emit: impl FnMut(usize, u32, WindowName, f64));
}

/// Dense table of `Sampled` cells indexed by (signal, group id, window).
pub(super) struct SampleTable {
    groups: usize,
    cells: Vec<Sampled>,
}

impl SampleTable {
    #[cfg(test)]
    fn new(signals: usize, groups: usize) -> Self {
        SampleTable {
            groups,
            cells: vec![Sampled::default(); signals * groups * 3],
        }
    }
    fn index(groups: usize, signal: usize, gid: u32, w: WindowName) -> usize {
        (signal * groups + gid as usize) * 3 + w as usize
    }
    fn idx(&self, signal: usize, gid: u32, w: WindowName) -> usize {
        Self::index(self.groups, signal, gid, w)
    }

    /// Fill the table from `len` observations, map then merge: the
    /// observations are cut into chunks visited in parallel, first to count
    /// each cell's values, then, each chunk resuming every cell where the
    /// chunks before it left off, to keep the same evenly spaced picks a
    /// single sequential walk would keep.
    pub(super) fn fill(
        signals: usize,
        groups: usize,
        len: usize,
        visit: &impl Visit,
    ) -> SampleTable {
        use rayon::prelude::*;
        let cells = signals * groups * 3;
        let parts = (rayon::current_num_threads() * 2).clamp(1, len.max(1));
        let chunks: Vec<std::ops::Range<usize>> = (0..parts)
            .map(|i| len * i / parts..len * (i + 1) / parts)
            .collect();
        let counts: Vec<Vec<u64>> = chunks
            .par_iter()
            .map(|r| {
                let mut c = vec![0u64; cells];
                visit.visit(r.clone(), |s, g, w, _| c[Self::index(groups, s, g, w)] += 1);
                c
            })
            .collect();
        let mut total = vec![0u64; cells];
        let mut starts = Vec::with_capacity(chunks.len());
        for c in &counts {
            starts.push(total.clone());
            for (t, x) in total.iter_mut().zip(c) {
                *t += x;
            }
        }
        drop(counts);
        let parts: Vec<Vec<Sampled>> = chunks
            .par_iter()
            .zip(starts.par_iter())
            .map(|(r, start)| {
                let mut own: Vec<Sampled> = total
                    .iter()
                    .zip(start)
                    .map(|(n, seen)| Sampled::resume(*n, *seen))
                    .collect();
                visit.visit(r.clone(), |s, g, w, v| {
                    own[Self::index(groups, s, g, w)].push(v)
                });
                own
            })
            .collect();
        let mut table: Vec<Sampled> = total.iter().map(|n| Sampled::resume(*n, 0)).collect();
        for part in parts {
            for (cell, p) in table.iter_mut().zip(part) {
                if cell.vals.is_empty() {
                    cell.vals = p.vals;
                } else {
                    cell.vals.extend_from_slice(&p.vals);
                }
            }
        }
        SampleTable {
            groups,
            cells: table,
        }
    }
    #[cfg(test)]
    fn count(&mut self, signal: usize, gid: u32, w: WindowName) {
        let i = self.idx(signal, gid, w);
        self.cells[i].n += 1;
    }
    #[cfg(test)]
    fn push(&mut self, signal: usize, gid: u32, w: WindowName, v: f64) {
        let i = self.idx(signal, gid, w);
        self.cells[i].push(v);
    }
    pub(super) fn get(&self, signal: usize, gid: u32, w: WindowName) -> Option<&Sampled> {
        Some(&self.cells[self.idx(signal, gid, w)]).filter(|c| c.n > 0)
    }
}

/// At most this many samples per side go into the rank tests.
pub const MAX_TEST_SAMPLES: usize = 20_000;

pub(super) fn thin(v: &[f64]) -> std::borrow::Cow<'_, [f64]> {
    if v.len() <= MAX_TEST_SAMPLES {
        return std::borrow::Cow::Borrowed(v);
    }
    let step = v.len() as f64 / MAX_TEST_SAMPLES as f64;
    std::borrow::Cow::Owned(
        (0..MAX_TEST_SAMPLES)
            .map(|i| v[(i as f64 * step) as usize])
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Thinning while collecting picks exactly what `thin` picks from the
    /// whole vector, and keeps the full count.
    #[test]
    fn streaming_thin_matches_thin() {
        for n in [
            0usize,
            1,
            7,
            MAX_TEST_SAMPLES,
            MAX_TEST_SAMPLES + 1,
            3 * MAX_TEST_SAMPLES + 17,
        ] {
            let all: Vec<f64> = (0..n).map(|i| (i * 7 % 1009) as f64).collect();
            let mut s = Sampled {
                n: n as u64,
                ..Default::default()
            };
            for v in &all {
                s.push(*v);
            }
            assert_eq!(s.side().1, n as u64);
            assert_eq!(s.side().0, &thin(&all)[..], "n = {n}");
        }
    }

    /// Filling in parallel chunks keeps exactly the picks (and counts) of
    /// one sequential walk, whatever the number of threads.
    #[test]
    fn chunked_fill_matches_sequential_walk() {
        let n = 3 * MAX_TEST_SAMPLES + 17;
        fn val(i: usize) -> f64 {
            ((i * 7919) % 10_007) as f64
        }
        // two signals, two groups: cell (1, 1, During) thinned, (0, 0, Before) not
        struct V;
        impl Visit for V {
            fn visit(
                &self,
                range: std::ops::Range<usize>,
                mut emit: impl FnMut(usize, u32, WindowName, f64),
            ) {
                for i in range {
                    emit(1, 1, WindowName::During, val(i));
                    if i % 5 == 0 {
                        emit(0, 0, WindowName::Before, val(i));
                    }
                }
            }
        }
        let visit = V;
        let all: Vec<f64> = (0..n).map(val).collect();
        let fifth: Vec<f64> = (0..n).filter(|i| i % 5 == 0).map(val).collect();
        for threads in [1, 2, 7] {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap();
            let t = pool.install(|| SampleTable::fill(2, 2, n, &visit));
            let c = t.get(1, 1, WindowName::During).unwrap();
            assert_eq!(c.side().1, n as u64);
            assert_eq!(c.side().0, &thin(&all)[..], "threads = {threads}");
            let c = t.get(0, 0, WindowName::Before).unwrap();
            assert_eq!(c.side().1, fifth.len() as u64);
            assert_eq!(c.side().0, &fifth[..]);
            assert!(t.get(0, 1, WindowName::During).is_none());
        }
    }

    #[test]
    fn sample_table_cells_are_independent() {
        let mut t = SampleTable::new(2, 3);
        t.count(1, 2, WindowName::During);
        t.push(1, 2, WindowName::During, 4.0);
        assert!(t.get(1, 2, WindowName::Before).is_none());
        assert!(t.get(0, 2, WindowName::During).is_none());
        assert_eq!(t.get(1, 2, WindowName::During).unwrap().vals, vec![4.0]);
    }
}
