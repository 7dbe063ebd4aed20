//! Reading a pipeline run's outcome in tests.

use faultlens::pipeline;

/// The finding of detector `code` (which must have run).
pub fn finding<'a>(o: &'a pipeline::Outcome, code: &str) -> &'a faultlens::detect::Finding {
    o.findings
        .iter()
        .find(|f| f.code == code)
        .unwrap_or_else(|| panic!("{code} ran"))
}

/// The verdict named `want`, or the summary says why not.
pub fn assert_domain(o: &pipeline::Outcome, want: &str) {
    assert_eq!(
        o.verdict.fault_domain.as_str(),
        want,
        "{}",
        o.verdict.summary
    );
}

/// Detector `code` fired, and its summary says `needle`.
pub fn assert_fired_saying(o: &pipeline::Outcome, code: &str, needle: &str) {
    let f = finding(o, code);
    assert!(f.fired, "{}", f.summary);
    assert!(f.summary.contains(needle), "{}", f.summary);
}
