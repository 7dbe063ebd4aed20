//! Run faultlens' ingest stage on files (benchmark driver until
//! `faultlens analyze` exists): read each file, detect, parse on all cores.
//! With `--stream`, HAR files are read block by block through
//! `ingest::har::parse_har_reader` instead of being loaded whole.

use faultlens::ingest::{self, IngestOptions, InputFile};

fn main() {
    let mut stream = false;
    let mut paths = Vec::new();
    for a in std::env::args().skip(1) {
        if a == "--stream" {
            stream = true;
        } else {
            paths.push(a);
        }
    }
    let opts = IngestOptions::default();
    for (i, path) in paths.iter().enumerate() {
        let report = if stream {
            let f = std::fs::File::open(path).expect("open");
            ingest::har::parse_har_reader(i as u32, None, f, &opts).report
        } else {
            let bytes = std::fs::read(path).expect("read");
            let file = InputFile {
                id: i as u32,
                path: path.clone(),
                vantage: None,
                bytes,
                read_error: None,
            };
            let ds = ingest::ingest(std::slice::from_ref(&file), &opts);
            ds.inputs.into_iter().next().expect("one report")
        };
        eprintln!(
            "ingest: {} format={} records={} bad={} warnings={}",
            path,
            report.format,
            report.records,
            report.bad_records,
            report.warnings.len()
        );
    }
}
