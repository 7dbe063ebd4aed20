//! Every input a fuzz target once crashed on, kept in `fixtures/fuzz/<format>/`
//! (the registry name of the reader; files named like the cargo-fuzz
//! artifact), read again through that reader
//! and through format detection: it must not panic and must
//! account for what it rejected.

use faultlens::ingest::{self, IngestOptions, InputFile};
use std::path::Path;

#[test]
fn fuzz_crashes_stay_fixed() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/fuzz");
    let mut seen = 0;
    let mut targets: Vec<_> = std::fs::read_dir(&root).unwrap().flatten().collect();
    targets.sort_by_key(|e| e.path());
    for t in targets {
        let name = t.file_name().to_string_lossy().to_string();
        let mut files: Vec<_> = std::fs::read_dir(t.path()).unwrap().flatten().collect();
        files.sort_by_key(|e| e.path());
        for f in files {
            let bytes = std::fs::read(f.path()).unwrap();
            let file = InputFile::from_bytes(0, &f.path().to_string_lossy(), bytes);
            let opts = IngestOptions::default();
            let forced = ingest::parse_file_as(&file, &opts, &name);
            assert!(
                forced.report.rejections.len() as u64 <= forced.report.bad_records,
                "{name}: {:?}",
                f.path()
            );
            let _ = ingest::parse_file(&file, &opts);
            seen += 1;
        }
    }
    assert!(seen > 0, "no fuzz regression inputs under {root:?}");
}
