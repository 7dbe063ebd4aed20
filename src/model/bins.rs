//! Exact counts per time bin, as an engine returns them when it keeps only
//! a sample of the rows (`faultlens aggregate`, Spark). Plain data in the
//! model's vocabulary: the engine (`columnar`) fills it and the aggregate
//! stage reads it, and neither needs the other for it.

/// Count of browser requests per bin with the same grouping attributes.
/// Ordered field by field: engines return groups in any order.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct RequestBin {
    pub bin_start_ms: i64,
    pub file: u32,
    pub vantage: Option<String>,
    pub host: String,
    pub endpoint: String,
    pub party: String,
    pub resource_type: String,
    pub edge: bool,
    pub status: i32,
    pub error_class: Option<String>,
    pub is_error: bool,
    pub n: u64,
}

/// Count of probe HTTP checks per bin with the same attributes.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct ProbeBin {
    pub bin_start_ms: i64,
    pub region: String,
    pub target: String,
    pub status: Option<i32>,
    pub error_class: Option<String>,
    pub is_error: bool,
    pub n: u64,
}

#[derive(Debug, Default, Clone, PartialEq)]
pub struct Bins {
    pub requests: Vec<RequestBin>,
    pub probes: Vec<ProbeBin>,
}

impl Bins {
    pub fn is_empty(&self) -> bool {
        self.requests.is_empty() && self.probes.is_empty()
    }
}
