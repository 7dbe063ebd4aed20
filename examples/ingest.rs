//! Run faultlens' ingest stage on files (benchmark driver until
//! `faultlens analyze` exists): read each file, detect, parse on all cores.
//! With `--stream`, HAR files are mapped window by window through
//! `ingest::har::parse_har_file` (as `faultlens analyze` reads them),
//! with `--read` read block by block through
//! `ingest::har::parse_har_reader_blocks`, instead of being loaded whole;
//! `--block KIB` sets the window or block size.

use faultlens::ingest::{self, IngestOptions, InputFile};

fn main() {
    let mut stream = false;
    let mut read = false;
    let mut block = ingest::har::STREAM_BLOCK_BYTES;
    let mut paths = Vec::new();
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        if a == "--stream" {
            stream = true;
        } else if a == "--read" {
            // the reader (copying) path instead of the mapped one
            stream = true;
            read = true;
        } else if a == "--block" {
            // block size in KiB, for trying sizes without a rebuild
            let kib: usize = args
                .next()
                .and_then(|v| v.parse().ok())
                .expect("--block KIB");
            block = kib << 10;
        } else {
            paths.push(a);
        }
    }
    let opts = IngestOptions::default();
    for (i, path) in paths.iter().enumerate() {
        let report = if stream {
            let f = std::fs::File::open(path).expect("open");
            if read {
                ingest::har::parse_har_reader_blocks(i as u32, None, f, &opts, block).report
            } else {
                ingest::har::parse_har_file_windows(i as u32, None, &f, &opts, block).report
            }
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
