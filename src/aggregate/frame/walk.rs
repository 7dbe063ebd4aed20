//! The rank walk: one pass over the rows of a measure in value order
//! (polars' arg-sort) that gives every group its exact quantiles and its
//! rank-test sample, instead of one sort per group and quantile. Kept apart
//! from the frames that feed it so the rank arithmetic, which must match
//! polars' to the last bit, can be read and tested alone.

use crate::aggregate::Quantiles;
use crate::aggregate::WindowName;
use crate::aggregate::sample::Sampled;
use polars::prelude::*;
use std::collections::HashMap;

pub(super) const QS: [f64; 4] = [0.5, 0.9, 0.95, 0.99];

/// Windows per group slot: a slot is `group id * WINDOWS + window index`.
pub(super) const WINDOWS: u32 = 3;

/// An empty group slot.
pub(super) const NONE: u32 = u32::MAX;

pub(super) fn w_idx(w: WindowName) -> u32 {
    match w {
        WindowName::Before => 0,
        WindowName::During => 1,
        WindowName::After => 2,
    }
}

pub(super) fn w_from(i: u32) -> WindowName {
    match i {
        0 => WindowName::Before,
        1 => WindowName::During,
        _ => WindowName::After,
    }
}

/// (group id, window index).
pub(super) type GroupKey = (u32, u32);

pub(super) fn group_key(slot: u32) -> GroupKey {
    (slot / WINDOWS, slot % WINDOWS)
}

/// Per (group, window): row count, sums and quantiles of each measure.
#[derive(Default)]
pub(super) struct Grouped {
    pub(super) count: HashMap<GroupKey, u64>,
    pub(super) sums: HashMap<(GroupKey, &'static str), f64>,
    pub(super) quantiles: HashMap<(GroupKey, &'static str), Quantiles>,
    /// Rank-test samples per slot of the measures `Frame::sampled` names.
    pub(super) samples: HashMap<&'static str, Vec<Sampled>>,
}

impl Grouped {
    pub(super) fn q(&self, gk: GroupKey, measure: &'static str) -> Option<Quantiles> {
        self.quantiles.get(&(gk, measure)).copied()
    }
}

/// Each row's group slots, `width` per row (`NONE` where the row has fewer
/// groups), and how many distinct slots there can be. Rows share a few
/// combinations of slots (a host, endpoint, vantage, ... and a window), so
/// a row holds the id of its combination, not its `width` slots: at ten
/// million rows that is 4 bytes a row instead of 32, and the quantile
/// walk's gather in value order reads a table that stays in cache.
pub(super) struct Slots {
    pub(super) width: usize,
    /// Each row's combination, an index into `combos`.
    pub(super) combo: Vec<u32>,
    /// `width` slots per distinct combination.
    pub(super) combos: Vec<u32>,
    pub(super) n_slots: usize,
}

/// Most slots a row can have.
pub(super) const MAX_WIDTH: usize = 8;

impl Slots {
    /// `fill(row, out)` writes the row's group ids (at most `width`, which
    /// is at most `MAX_WIDTH`) and returns how many it wrote.
    pub(super) fn build(
        windows: &[u32],
        width: usize,
        n_groups: usize,
        mut fill: impl FnMut(usize, &mut [u32]) -> usize,
    ) -> Slots {
        let width = width.min(MAX_WIDTH);
        let mut index: crate::aggregate::obs::FxMap<[u32; MAX_WIDTH], u32> = Default::default();
        let mut combos = Vec::new();
        let mut combo = Vec::with_capacity(windows.len());
        for (r, w) in windows.iter().enumerate() {
            let mut out = [NONE; MAX_WIDTH];
            let n = fill(r, &mut out[..width]);
            for s in &mut out[..n] {
                *s = *s * WINDOWS + w;
            }
            let next = (combos.len() / width.max(1)) as u32;
            combo.push(*index.entry(out).or_insert_with(|| {
                combos.extend_from_slice(&out[..width]);
                next
            }));
        }
        Slots {
            width,
            combo,
            combos,
            n_slots: n_groups * WINDOWS as usize,
        }
    }
    pub(super) fn row(&self, r: usize) -> &[u32] {
        self.of(self.combo[r])
    }
    /// The slots of a combination.
    fn of(&self, combo: u32) -> &[u32] {
        let c = combo as usize;
        &self.combos[c * self.width..(c + 1) * self.width]
    }
}

/// Where one slot's walk stands: ranks (0-based, among its non-null
/// values, ascending, distinct) still to be picked up, and the values
/// found at them.
#[derive(Clone, Default)]
pub(super) struct Walk {
    seen: u32,
    next: u8,
    len: u8,
    ranks: [u32; 8],
    got: [f64; 8],
}

impl Walk {
    fn at(&self, rank: u32) -> f64 {
        let i = self.ranks[..self.len as usize]
            .iter()
            .position(|r| *r == rank)
            .unwrap_or(0);
        self.got[i]
    }
}

/// polars' `quantile_idx` for `Linear`: the float index among `len` rows
/// of which `nulls` are null (nulls sort first), the base index, and
/// whether it interpolates with the next value.
pub(super) fn quantile_idx(q: f64, len: u64, nulls: u64) -> (f64, u64, bool) {
    let float_idx = ((len - nulls) as f64 - 1.0) * q + nulls as f64;
    let base = (float_idx as u64).min(len - 1);
    let top = float_idx.ceil() as u64;
    (float_idx, base, top != base)
}

/// Buffers the walk reuses from one measure to the next: at ten million
/// rows they are hundreds of megabytes, and fresh pages fault in slowly.
#[derive(Default)]
pub(super) struct Scratch {
    sorted: Vec<f64>,
    /// The rows' slot combinations, in value order.
    sorted_combos: Vec<u32>,
}

/// Exact `Linear` quantiles of one measure per slot, as polars' grouped
/// `quantile` gives them; `rows[k]` is the number of rows in slot `k`
/// (null or not).
/// One measure's values and their order, as polars' arg-sort gives it:
/// everything the walk needs, owned, so that the walk can run on another
/// thread while polars sorts the next measure.
pub(super) struct SortedMeasure {
    vals: Float64Chunked,
    order: Option<IdxCa>,
}

/// The polars half of a measure's quantiles; on the calling thread only.
pub(super) fn sort_measure(vals: &Float64Chunked) -> SortedMeasure {
    let vals = vals.rechunk().into_owned();
    let n_valid = vals.len() - vals.null_count();
    let order = (n_valid > 0).then(|| {
        vals.arg_sort(SortOptions {
            nulls_last: true,
            multithreaded: false,
            ..Default::default()
        })
    });
    SortedMeasure { vals, order }
}

/// Both halves, one after the other (the tests' form).
#[cfg(test)]
pub(super) fn slot_quantiles(
    vals: &Float64Chunked,
    slots: &Slots,
    rows: &[u64],
    scratch: &mut Scratch,
    sample: bool,
) -> (Vec<Option<Quantiles>>, Option<Vec<Sampled>>) {
    walk_measure(&sort_measure(vals), slots, rows, scratch, sample)
}

/// The plain-Rust half: per-slot counts, the gather in value order and
/// the rank walk. With `sample`, the walk also keeps each slot's rank-test
/// sample: every value when the slot has at most `MAX_TEST_SAMPLES`, else
/// that many evenly spaced order statistics (the picks of `Sampled`, made
/// in value order), so the rank tests need no pass of their own over the
/// rows.
pub(super) fn walk_measure(
    m: &SortedMeasure,
    slots: &Slots,
    rows: &[u64],
    scratch: &mut Scratch,
    sample: bool,
) -> (Vec<Option<Quantiles>>, Option<Vec<Sampled>>) {
    let vals = &m.vals;
    let (Some(arr), Some(order)) = (vals.downcast_iter().next(), m.order.as_ref()) else {
        return (vec![None; slots.n_slots], None);
    };
    let values = arr.values().as_slice();
    let n_valid = values.len() - vals.null_count();
    // non-null values per slot: map then merge over row chunks
    let nonnull: Vec<u64> = {
        use rayon::prelude::*;
        let validity = arr.validity();
        let chunk = crate::aggregate::obs::chunk_len(values.len());
        let starts: Vec<usize> = (0..values.len()).step_by(chunk).collect();
        starts
            .par_iter()
            .map(|&lo| {
                let mut c = vec![0u64; slots.n_slots];
                for r in (lo..(lo + chunk).min(values.len()))
                    .filter(|r| validity.is_none_or(|b| b.get_bit(*r)))
                {
                    for &s in slots.row(r).iter().filter(|s| **s != NONE) {
                        c[s as usize] += 1;
                    }
                }
                c
            })
            .reduce(
                || vec![0u64; slots.n_slots],
                |mut a, b| {
                    for (x, y) in a.iter_mut().zip(b) {
                        *x += y;
                    }
                    a
                },
            )
    };
    let mut samples: Option<Vec<Sampled>> =
        sample.then(|| nonnull.iter().map(|n| Sampled::resume(*n, 0)).collect());
    let mut walks = vec![Walk::default(); slots.n_slots];
    for (k, w) in walks.iter_mut().enumerate() {
        let nn = nonnull[k];
        if nn == 0 {
            continue;
        }
        let nulls = rows[k] - nn;
        let mut ranks: Vec<u32> = Vec::with_capacity(8);
        for q in QS {
            let (_, base, interp) = quantile_idx(q, rows[k], nulls);
            ranks.push((base - nulls) as u32);
            if interp {
                ranks.push((base + 1 - nulls) as u32);
            }
        }
        ranks.sort_unstable();
        ranks.dedup();
        w.len = ranks.len() as u8;
        w.ranks[..ranks.len()].copy_from_slice(&ranks);
    }
    // gather first, walk second: the gathers' loads are independent and
    // overlap; inside the walk each row's loads waited for the last
    let Scratch {
        sorted,
        sorted_combos,
    } = scratch;
    // the gather is plain memory reads: in parallel over chunks of the order
    let order = order.rechunk();
    let order: &[IdxSize] = order
        .downcast_iter()
        .next()
        .map_or(&[], |a| a.values().as_slice());
    let order = &order[..n_valid.min(order.len())];
    sorted.clear();
    sorted.resize(order.len(), 0.0);
    sorted_combos.clear();
    sorted_combos.resize(order.len(), 0);
    {
        use rayon::prelude::*;
        let part = crate::aggregate::obs::chunk_len(order.len());
        sorted
            .par_chunks_mut(part)
            .zip(sorted_combos.par_chunks_mut(part))
            .zip(order.par_chunks(part))
            .for_each(|((vals_out, combos_out), rows)| {
                for ((v, c), r) in vals_out.iter_mut().zip(combos_out).zip(rows) {
                    *v = values[*r as usize];
                    *c = slots.combo[*r as usize];
                }
            });
    }
    for (v, c) in sorted.iter().zip(sorted_combos.iter()) {
        for &s in slots.of(*c) {
            if s == NONE {
                continue;
            }
            let w = &mut walks[s as usize];
            if w.next < w.len && w.seen == w.ranks[w.next as usize] {
                w.got[w.next as usize] = *v;
                w.next += 1;
            }
            w.seen += 1;
            if let Some(samples) = samples.as_mut() {
                samples[s as usize].push(*v);
            }
        }
    }
    let q = walks
        .iter()
        .enumerate()
        .map(|(k, w)| {
            let nn = nonnull[k];
            if nn == 0 {
                return None;
            }
            let nulls = rows[k] - nn;
            let pick = |q: f64| {
                let (float_idx, base, interp) = quantile_idx(q, rows[k], nulls);
                let lower = w.at((base - nulls) as u32);
                if !interp {
                    return lower;
                }
                let upper = w.at((base + 1 - nulls) as u32);
                if lower == upper {
                    lower
                } else {
                    (float_idx - base as f64) * (upper - lower) + lower
                }
            };
            Some(Quantiles {
                n: nn,
                p50: pick(QS[0]),
                p90: pick(QS[1]),
                p95: pick(QS[2]),
                p99: pick(QS[3]),
            })
        })
        .collect();
    (q, samples)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The rank walk against polars' own grouped `quantile` (the engine it
    /// replaced), bit for bit, on groups with nulls, ties, single values
    /// and all-null groups.
    #[test]
    fn slot_quantiles_match_polars_grouped_quantile() {
        let mut x: u64 = 0x2545_F491_4F6C_DD1D;
        let mut rnd = |m: u64| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x % m
        };
        let n = 5_000;
        let windows: Vec<u32> = (0..n).map(|_| rnd(3) as u32).collect();
        // group 0..40 by position 0, 40..47 by position 1 (a few rows only)
        let own: Vec<u32> = (0..n).map(|_| rnd(40) as u32).collect();
        let rare: Vec<Option<u32>> = (0..n)
            .map(|_| (rnd(50) == 0).then(|| 40 + rnd(7) as u32))
            .collect();
        let vals: Vec<Option<f64>> = (0..n)
            .map(|r| match rnd(10) {
                0 => None,
                // ties
                1 | 2 => Some(5.0),
                _ if own[r] == 7 => None,
                _ => Some(rnd(100_000) as f64 / 7.0),
            })
            .collect();
        let slots = Slots::build(&windows, 2, 47, |r, out| {
            out[0] = own[r];
            match rare[r] {
                Some(g) => {
                    out[1] = g;
                    2
                }
                None => 1,
            }
        });
        let mut rows = vec![0u64; slots.n_slots];
        for r in 0..n {
            for &s in slots.row(r).iter().filter(|s| **s != NONE) {
                rows[s as usize] += 1;
            }
        }
        let ca = Float64Chunked::from_iter_options("v".into(), vals.iter().copied());
        let (ours, samples) = slot_quantiles(&ca, &slots, &rows, &mut Scratch::default(), true);
        let samples = samples.expect("samples were asked for");
        // each slot's sample is its non-null values in ascending order
        for (slot, smp) in samples.iter().enumerate() {
            let mut want: Vec<f64> = (0..n)
                .filter(|r| slots.row(*r).contains(&(slot as u32)))
                .filter_map(|r| vals[r])
                .collect();
            want.sort_by(f64::total_cmp);
            assert_eq!(smp.side().0, &want[..], "slot {slot}");
            assert_eq!(smp.side().1, want.len() as u64);
        }

        let mut checked = 0;
        for (pos, keys) in [
            own.iter().map(|g| Some(*g)).collect::<Vec<_>>(),
            rare.clone(),
        ]
        .into_iter()
        .enumerate()
        {
            let df = DataFrame::new(
                n,
                vec![
                    Column::new("key".into(), keys),
                    Column::new("window".into(), windows.clone()),
                    Column::new("v".into(), vals.clone()),
                ],
            )
            .unwrap();
            let mut aggs = vec![col("v").count().cast(DataType::Int64).alias("n")];
            for (i, q) in QS.iter().enumerate() {
                aggs.push(
                    col("v")
                        .quantile(lit(*q), QuantileMethod::Linear)
                        .cast(DataType::Float64)
                        .alias(format!("q{i}")),
                );
            }
            let out = df
                .lazy()
                .filter(col("key").is_not_null())
                .group_by([col("key"), col("window")])
                .agg(aggs)
                .collect()
                .unwrap();
            let key = out.column("key").unwrap().u32().unwrap().clone();
            let win = out.column("window").unwrap().u32().unwrap().clone();
            let cnt = out.column("n").unwrap().i64().unwrap().clone();
            for i in 0..out.height() {
                let slot = key.get(i).unwrap() * WINDOWS + win.get(i).unwrap();
                let mine = ours[slot as usize];
                if cnt.get(i).unwrap() == 0 {
                    assert!(mine.is_none(), "position {pos} slot {slot}");
                    continue;
                }
                let mine = mine.expect("a group with values has quantiles");
                assert_eq!(mine.n, cnt.get(i).unwrap() as u64);
                let got = [mine.p50, mine.p90, mine.p95, mine.p99];
                for (k, g) in got.iter().enumerate() {
                    let want = out
                        .column(&format!("q{k}"))
                        .unwrap()
                        .f64()
                        .unwrap()
                        .get(i)
                        .unwrap();
                    assert_eq!(g.to_bits(), want.to_bits(), "slot {slot} q{k}");
                }
                checked += 1;
            }
        }
        // every (group, window) of both positions, with values
        assert!(checked > 120, "{checked}");
    }

    /// A slot with more values than the rank tests take keeps evenly
    /// spaced order statistics: `thin` of its sorted values, with the full
    /// count.
    #[test]
    fn walk_samples_are_evenly_spaced_order_statistics() {
        let n = 2 * crate::aggregate::MAX_TEST_SAMPLES + 333;
        let vals: Vec<Option<f64>> = (0..n)
            .map(|i| (i % 11 != 0).then(|| ((i * 7919) % 10_007) as f64))
            .collect();
        let windows = vec![1u32; n];
        let slots = Slots::build(&windows, 1, 1, |_, out| {
            out[0] = 0;
            1
        });
        let rows = vec![0, n as u64, 0];
        let ca = Float64Chunked::from_iter_options("v".into(), vals.iter().copied());
        let (_, samples) = slot_quantiles(&ca, &slots, &rows, &mut Scratch::default(), true);
        let samples = samples.unwrap();
        let mut sorted: Vec<f64> = vals.iter().flatten().copied().collect();
        sorted.sort_by(f64::total_cmp);
        assert_eq!(samples[1].side().1, sorted.len() as u64);
        assert_eq!(
            samples[1].side().0,
            &crate::aggregate::sample::thin(&sorted)[..]
        );
        assert_eq!(samples[0].side().1, 0);
    }
}
