//! The cross-file pass once every input is read: which domains are first
//! party (and why), parties assigned, every table in one deterministic
//! order, so no later output depends on thread count or argument order.

use super::{Dataset, Party, ProbeKind, ResourceType, site};

/// Options that shape the model after ingest.
#[derive(Debug, Clone, Default)]
pub struct ModelOptions {
    /// `--first-party DOMAIN` overrides (registrable domains).
    pub first_party: Vec<String>,
    /// What an earlier run inferred about the site (records read back from
    /// exported tables): used as it is, nothing inferred or split again.
    pub site: Option<site::SiteFacts>,
}

/// Cross-file normalisation once every input is read: party assignment and
/// a deterministic order. First party = registrable domains of the pages'
/// main documents (or `--first-party`), plus probe targets, which are by
/// definition what the SRE monitors.
/// Assign parties and put records in their deterministic order. Returns
/// the first-party registrable domains it used.
pub fn finalize(ds: &mut Dataset, opts: &ModelOptions) -> Vec<String> {
    use std::collections::{BTreeMap, BTreeSet};
    if let Some(facts) = &opts.site {
        let first: BTreeSet<String> = facts.first_party.iter().map(|f| f.domain.clone()).collect();
        ds.site = facts.clone();
        return assign_and_sort(ds, first);
    }
    let (pages_split, loads_made) = site::split_page_loads(ds);
    let mut seeds: BTreeSet<String> = BTreeSet::new();
    let mut why: BTreeMap<String, &'static str> = BTreeMap::new();
    if opts.first_party.is_empty() {
        seeds.extend(ds.pages.iter().filter_map(|p| p.main_domain.clone()));
        // distinct first (millions of probe records name a few targets)
        let probed: BTreeSet<&str> = ds
            .probes
            .iter()
            .filter(|p| matches!(p.kind, ProbeKind::Http | ProbeKind::Page))
            .map(|p| p.registrable_domain.as_str())
            .filter(|d| !d.is_empty())
            .collect();
        // with the site's own pages in the data, a probed domain that the
        // pages load as a component is judged like any other component
        // (teams also probe the third parties they depend on); a probed
        // domain no page loads is what the SRE monitors
        let from_pages = !seeds.is_empty();
        let loaded: BTreeSet<&str> = if from_pages {
            ds.requests
                .iter()
                .map(|r| r.registrable_domain.as_str())
                .collect()
        } else {
            BTreeSet::new()
        };
        for d in probed {
            if from_pages && loaded.contains(d) {
                continue;
            }
            if seeds.insert(d.to_string()) {
                why.insert(d.to_string(), "probe target");
            }
        }
        if seeds.is_empty() {
            // No page and no probe: the most requested document host wins.
            if let Some(r) = ds
                .requests
                .iter()
                .find(|r| r.resource_type == ResourceType::Document)
            {
                seeds.insert(r.registrable_domain.clone());
            }
        }
    }
    let inferred = site::infer_first_party(ds, &opts.first_party, &seeds, &why);
    let first: BTreeSet<String> = inferred.iter().map(|f| f.domain.clone()).collect();
    ds.site = site::SiteFacts {
        first_party: inferred,
        pages_split,
        loads_made,
    };
    assign_and_sort(ds, first)
}

/// Parties from the first-party set, then every table in its deterministic
/// order; returns the set.
fn assign_and_sort(ds: &mut Dataset, first: std::collections::BTreeSet<String>) -> Vec<String> {
    for r in &mut ds.requests {
        r.party = if first.is_empty() {
            Party::Unknown
        } else if first.contains(&r.registrable_domain) {
            Party::First
        } else {
            Party::Third
        };
    }
    sort_records(&mut ds.requests, |r| (r.start, r.source));
    sort_records(&mut ds.pages, |p| (p.start, p.source));
    sort_records(&mut ds.probes, |p| (p.ts, p.source));
    sort_records(&mut ds.server, |s| (s.ts, s.source));
    sort_records(&mut ds.changes, |c| (c.ts, c.source));
    first.into_iter().collect()
}

/// Sort records by `key`, stably, moving each record at most once: the
/// (key, index) pairs are sorted (in parallel; the index makes every pair
/// distinct, so the order is the stable one), then the records are put in
/// place by following the permutation's cycles. A stable sort of the
/// records themselves moved every 400-600 byte record once per merge pass
/// and needed scratch memory for half of them. Records already in order
/// (one file, written in time order) are only checked.
pub fn sort_records<T, K>(v: &mut [T], key: impl Fn(&T) -> K + Sync)
where
    T: Send + Sync,
    K: Ord + Copy + Send,
{
    use rayon::prelude::*;
    if v.is_sorted_by_key(&key) {
        return;
    }
    if v.len() > u32::MAX as usize {
        v.sort_by_key(key);
        return;
    }
    let mut keys: Vec<(K, u32)> = v
        .par_iter()
        .enumerate()
        .map(|(i, r)| (key(r), i as u32))
        .collect();
    keys.par_sort_unstable();
    // perm[j] = where the record that belongs at j is now
    let mut perm: Vec<u32> = keys.into_iter().map(|(_, i)| i).collect();
    for start in 0..perm.len() {
        let mut j = start;
        loop {
            let src = perm[j] as usize;
            perm[j] = j as u32;
            if src == start || src == j {
                break;
            }
            v.swap(j, src);
            j = src;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sort_records_is_the_stable_sort() {
        // (key, original position) pairs with many equal keys, in several
        // shapes: random, sorted, reversed, a few runs
        let mut x = 12345u64;
        let mut next = || {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (x >> 33) as u32
        };
        for n in [0usize, 1, 2, 7, 100, 5000] {
            let random: Vec<(u32, usize)> = (0..n).map(|i| (next() % 50, i)).collect();
            let sorted: Vec<(u32, usize)> = (0..n).map(|i| (i as u32 / 3, i)).collect();
            let reversed: Vec<(u32, usize)> = (0..n).map(|i| ((n - i) as u32 / 2, i)).collect();
            let runs: Vec<(u32, usize)> = (0..n).map(|i| ((i % 97) as u32, i)).collect();
            for v in [random, sorted, reversed, runs] {
                let mut a = v.clone();
                a.sort_by_key(|p| p.0);
                let mut b = v;
                sort_records(&mut b, |p| p.0);
                assert_eq!(a, b, "n = {n}");
            }
        }
    }
}
