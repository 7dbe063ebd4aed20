//! Which of a page's usual components each load is missing. A producer
//! that keeps no request without a response (chrome-har) leaves lost
//! components as nothing at all, so their absence is the only trace; and
//! a real page changes on its own (rotating products, a deploy), which
//! must not read as loss.

use crate::model::ResourceType;
use std::collections::{BTreeMap, BTreeSet};

/// "Usual" components are also those of both the first and the last
/// 1/`USUAL_BLOCK_DIVISOR` of the loads ...
const USUAL_BLOCK_DIVISOR: usize = 4;
/// ... when that block has at least this many loads.
const USUAL_BLOCK_MIN_LOADS: usize = 3;

type Template<'s> = (&'s str, &'s str);

/// Templates in at least 80 % of `sets` (at least three of them).
fn usual_in<'s>(sets: &[BTreeSet<Template<'s>>]) -> BTreeSet<Template<'s>> {
    let mut n: BTreeMap<Template<'s>, usize> = BTreeMap::new();
    for set in sets {
        for k in set {
            *n.entry(*k).or_default() += 1;
        }
    }
    n.into_iter()
        .filter(|(_, c)| sets.len() >= 3 && *c * 5 >= sets.len() * 4)
        .map(|(k, _)| k)
        .collect()
}

/// Per load (the loads' template sets, in time order): how many usual
/// templates it misses, and of how many usual, against the reference that
/// misses most. The references: what 80 % of all the loads make, and what
/// 80 % of both the first and the last quarter make (a fault over more
/// than a fifth of a capture would otherwise make what it took unusual;
/// what a deploy added or removed is at one end only, what an outage took
/// is gone in between). A usual template the load replaced with another
/// of the same host and type (`type_of` a template) was rotated, not lost.
pub(super) fn missing_per_load<'s>(
    per_load: &[BTreeSet<Template<'s>>],
    type_of: impl Fn(&Template<'s>) -> Option<ResourceType>,
) -> Vec<(usize, usize)> {
    let n_loads = per_load.len();
    let mut references = vec![usual_in(per_load)];
    let block = n_loads / USUAL_BLOCK_DIVISOR;
    if block >= USUAL_BLOCK_MIN_LOADS {
        let last = usual_in(&per_load[n_loads - block..]);
        references.push(
            usual_in(&per_load[..block])
                .into_iter()
                .filter(|k| last.contains(k))
                .collect(),
        );
    }
    // each template's (host, type), looked up once
    let group: BTreeMap<Template<'s>, (&'s str, Option<ResourceType>)> = per_load
        .iter()
        .flatten()
        .map(|k| (*k, (k.0, type_of(k))))
        .collect();
    let missing_from = |set: &BTreeSet<Template<'s>>, usual: &BTreeSet<Template<'s>>| {
        let mut by: BTreeMap<(&str, Option<ResourceType>), (usize, usize)> = BTreeMap::new();
        for k in usual.iter().filter(|k| !set.contains(*k)) {
            by.entry(group[k]).or_default().0 += 1;
        }
        for k in set.iter().filter(|k| !usual.contains(*k)) {
            if let Some(e) = by.get_mut(&group[k]) {
                e.1 += 1;
            }
        }
        by.values()
            .map(|(gone, new)| gone.saturating_sub(*new))
            .sum::<usize>()
    };
    per_load
        .iter()
        .map(|set| {
            references
                .iter()
                .map(|u| (missing_from(set, u), u.len()))
                .max()
                .unwrap_or((0, 0))
        })
        .collect()
}
