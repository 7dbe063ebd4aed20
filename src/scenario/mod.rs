//! TEMPORARY stand-in until the scenario branch merges.
use chrono::{DateTime, Utc};
#[derive(Debug, Clone, Copy)]
pub enum ScenarioKind { Healthy }
impl ScenarioKind {
    pub fn all() -> Vec<ScenarioKind> { vec![ScenarioKind::Healthy] }
    pub fn name(&self) -> &'static str { "healthy" }
    pub fn from_name(_s: &str) -> Option<Self> { None }
}
#[derive(Debug, Clone, serde::Serialize)]
pub struct Truth { pub kind: String, pub seed: u64, pub fault_domain: String, pub scope: String, pub affected_regions: Vec<String>, pub onset: Option<DateTime<Utc>>, pub recovery: Option<DateTime<Utc>>, pub waves: Vec<(DateTime<Utc>, DateTime<Utc>)> }
pub fn generate(_k: ScenarioKind, _s: u64, _o: &std::path::Path) -> std::io::Result<Truth> { Err(std::io::Error::other("stub")) }
