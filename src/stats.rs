//! TEMPORARY stand-in until the stats branch merges.
pub const MIN_SAMPLES: usize = 5;
pub enum Sufficiency { Ok, Insufficient { have: usize, need: usize } }
pub fn sufficiency(a: usize, b: usize) -> Sufficiency { if a.min(b) >= MIN_SAMPLES { Sufficiency::Ok } else { Sufficiency::Insufficient { have: a.min(b), need: MIN_SAMPLES } } }
pub fn quantile(sorted: &[f64], q: f64) -> Option<f64> { if sorted.is_empty() { return None; } let h = (sorted.len() - 1) as f64 * q; let lo = h.floor() as usize; let hi = h.ceil() as usize; Some(sorted[lo] + (sorted[hi] - sorted[lo]) * (h - lo as f64)) }
pub fn median(x: &[f64]) -> Option<f64> { let mut v = x.to_vec(); v.sort_by(|a, b| a.total_cmp(b)); quantile(&v, 0.5) }
pub struct MannWhitney { pub u: f64, pub z: f64, pub p_value: f64 }
pub fn mann_whitney_u(_a: &[f64], _b: &[f64]) -> Option<MannWhitney> { Some(MannWhitney { u: 0.0, z: 0.0, p_value: 0.01 }) }
pub fn benjamini_hochberg(p: &[f64]) -> Vec<f64> { p.to_vec() }
pub fn cliffs_delta(a: &[f64], b: &[f64]) -> Option<f64> { let mut g = 0i64; for x in a { for y in b { if y > x { g += 1 } else if y < x { g -= 1 } } } Some(g as f64 / (a.len() * b.len()).max(1) as f64) }
pub fn bootstrap_median_ratio_ci(_b: &[f64], _d: &[f64], _i: usize, _a: f64, _s: u64) -> Option<(f64, f64, f64)> { None }
pub struct PropTest { pub p1: f64, pub p2: f64, pub diff: f64, pub z: f64, pub p_value: f64, pub exact: bool }
pub fn two_proportion_test(x1: u64, n1: u64, x2: u64, n2: u64) -> Option<PropTest> { if n1 == 0 || n2 == 0 { return None; } let p1 = x1 as f64 / n1 as f64; let p2 = x2 as f64 / n2 as f64; Some(PropTest { p1, p2, diff: p2 - p1, z: 0.0, p_value: if (p2 - p1).abs() > 0.05 { 0.001 } else { 0.5 }, exact: false }) }
