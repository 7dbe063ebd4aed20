//! Shared driver: feed bytes to one reader forced by name (through the
//! registry, as `faultlens analyze` would after detection) and to `detect`.
//! A reader must never panic, and must account for what it read.

#![allow(dead_code)]

use faultlens::ingest::{self, IngestOptions, InputFile};

/// Make the fuzzing thread rayon's only worker, once: the readers' parallel
/// loops then run inline on it. Without this each parallel loop hands its
/// work to a pool thread and waits, and the streaming readers run one per
/// block: on a busy 2-core VM `har_stream` made 1,300 executions a second.
pub fn one_thread() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        rayon::ThreadPoolBuilder::new()
            .num_threads(1)
            .use_current_thread()
            .build_global()
            .expect("rayon's global pool is built once, here");
    });
}

pub fn run(names: &[&str], data: &[u8]) {
    one_thread();
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
