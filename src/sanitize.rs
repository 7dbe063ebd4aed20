//! TEMPORARY stand-in until the redact branch merges.
#[derive(Default)]
pub struct SanitizeOptions {
    pub drop_bodies: bool,
}
pub struct SanitizeReport;
impl std::fmt::Display for SanitizeReport {
    fn fmt(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        write!(f, "-")
    }
}
#[derive(Debug, thiserror::Error)]
#[error("not implemented")]
pub struct SanitizeError;
pub fn sanitize_har<R: std::io::Read, W: std::io::Write>(
    _i: R,
    _o: W,
    _opt: &SanitizeOptions,
) -> Result<SanitizeReport, SanitizeError> {
    Err(SanitizeError)
}
