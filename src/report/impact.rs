//! Page-load impact for the post-incident summary: how many page loads
//! there were in each window and how many came back incomplete. Counted
//! from the records (HAR pages and `page` probes), because the share of
//! broken page loads is what users felt, and no aggregate carries it.

use crate::aggregate::{Analysis, Window};
use crate::model::{Dataset, ProbeKind};
use serde::Serialize;

/// Page loads per window; a load "failed" when any component failed, the
/// page probe reported an error, or it had no response.
#[derive(Debug, Clone, Serialize, Default, PartialEq)]
pub struct PageImpact {
    pub before: u64,
    pub failed_before: u64,
    pub during: u64,
    pub failed_during: u64,
}

pub fn pages(ds: &Dataset, an: &Analysis) -> PageImpact {
    let mut p = PageImpact::default();
    let mut add = |t, failed: bool| {
        let inside = |w: Option<Window>| w.is_some_and(|w| w.contains(t));
        if inside(an.windows.before) {
            p.before += 1;
            p.failed_before += failed as u64;
        } else if inside(an.windows.during) {
            p.during += 1;
            p.failed_during += failed as u64;
        }
    };
    for pg in &ds.pages {
        add(pg.start, pg.failed_components > 0);
    }
    for pr in ds.probes.iter().filter(|p| p.kind == ProbeKind::Page) {
        add(
            pr.ts,
            pr.is_error() || pr.component_errors.is_some_and(|e| e > 0.0),
        );
    }
    p
}
