//! Shared driver: feed bytes to one reader forced by name (through the
//! registry, as `faultlens analyze` would after detection) and to `detect`.
//! A reader must never panic, and must account for what it read.

use faultlens::ingest::{self, IngestOptions, InputFile};

pub fn run(names: &[&str], data: &[u8]) {
    let file = InputFile {
        id: 0,
        path: "fuzz".into(),
        vantage: Some("fuzz".into()),
        bytes: data.to_vec(),
        read_error: None,
    };
    let opts = IngestOptions::default();
    let _ = ingest::detect(data);
    let reg = ingest::registry();
    let mut forced = false;
    for f in reg.iter().filter(|f| names.contains(&f.name)) {
        forced = true;
        let p = (f.parse)(&file, &opts);
        assert!(
            p.report.rejections.len() as u64 <= p.report.bad_records,
            "{}: rejections not counted",
            f.name
        );
    }
    if !forced {
        // Format renamed: still exercise detection + parsing.
        let _ = ingest::parse_file(&file, &opts);
    }
}
