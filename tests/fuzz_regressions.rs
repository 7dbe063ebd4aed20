//! Every input a fuzz target once failed on, kept in `fixtures/fuzz/<dir>/`
//! (files named like the cargo-fuzz artifact) and replayed here.
//!
//! `<dir>` is the registry name of a reader (the input is read through
//! it and through format detection: it must not panic and must account
//! for what it rejected), or the name of a differential target
//! (`har_stream`, `har_file`, `log_stream`: the input, first byte
//! included, is checked as that target checks it: two readers of one
//! format must agree).

use faultlens::ingest::{self, IngestOptions, InputFile, har, stream};
use std::path::Path;

/// The differential fuzz targets' checks, on one input as the target gets it.
fn differential(target: &str, data: &[u8], path: &Path) -> bool {
    let Some((&b, doc)) = data.split_first() else {
        return matches!(target, "har_stream" | "har_file" | "log_stream");
    };
    let opts = IngestOptions::default();
    match target {
        "har_stream" | "har_file" => {
            let want = har::parse_har_bytes(0, None, doc, &opts);
            let block = 1 + b as usize * 3;
            let got = if target == "har_stream" {
                har::parse_har_reader_blocks(0, None, doc, &opts, block)
            } else {
                let tmp = std::env::temp_dir().join(format!(
                    "faultlens-fuzz-regression-{}-{}",
                    std::process::id(),
                    path.file_name().unwrap().to_string_lossy()
                ));
                std::fs::write(&tmp, doc).unwrap();
                let f = std::fs::File::open(&tmp).unwrap();
                let got = har::parse_har_file_windows(0, None, &f, &opts, block);
                std::fs::remove_file(&tmp).unwrap();
                got
            };
            assert_eq!(got.records.requests, want.records.requests, "{path:?}");
            assert_eq!(got.records.pages, want.records.pages, "{path:?}");
            assert_eq!(got.report, want.report, "{path:?}");
            true
        }
        "log_stream" => {
            let name = stream::STREAMABLE[(b & 1) as usize];
            let block = 1 + (b >> 1) as usize * 5;
            let spec = ingest::registry()
                .into_iter()
                .find(|f| f.name == name)
                .unwrap();
            let file = InputFile::from_bytes(0, "fuzz", doc);
            let want = ingest::parse_file_as(&file, &opts, name);
            let empty = stream::empty_file(0, "fuzz".into(), None);
            let got = stream::parse_lines_stream(empty, spec, doc, &opts, block);
            assert_eq!(
                format!("{:?}", got.records),
                format!("{:?}", want.records),
                "{path:?}"
            );
            assert_eq!(
                format!("{:?}", got.report),
                format!("{:?}", want.report),
                "{path:?}"
            );
            true
        }
        _ => false,
    }
}

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
            seen += 1;
            if differential(&name, &bytes, &f.path()) {
                continue;
            }
            let file = InputFile::from_bytes(0, &f.path().to_string_lossy(), bytes);
            let opts = IngestOptions::default();
            let forced = ingest::parse_file_as(&file, &opts, &name);
            assert!(
                forced.report.rejections.len() as u64 <= forced.report.bad_records,
                "{name}: {:?}",
                f.path()
            );
            let _ = ingest::parse_file(&file, &opts);
        }
    }
    assert!(seen > 0, "no fuzz regression inputs under {root:?}");
}
