//! TEMPORARY stand-in until the stats branch merges.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub enum Direction { #[default] HigherIsWorse, LowerIsWorse, Both }
pub struct Signal { pub name: String, pub values: Vec<Option<f64>>, pub direction: Direction, pub weight: f64, pub min_scale: f64 }
pub struct CpOptions { pub min_bins: usize, pub merge_gap_bins: usize, pub threshold: f64 }
impl Default for CpOptions { fn default() -> Self { CpOptions { min_bins: 2, merge_gap_bins: 5, threshold: 4.0 } } }
#[derive(Debug, Clone, Default)]
pub struct Detection { pub incident: Option<(usize, usize)>, pub waves: Vec<(usize, usize)>, pub blips: Vec<(usize, usize)>, pub score: Vec<f64>, pub peak_bin: Option<usize> }
pub fn detect(_s: &[Signal], _o: &CpOptions) -> Detection { Detection::default() }
