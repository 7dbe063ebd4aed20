//! Build the real-structure corpus: every usable source HAR x producer x
//! mode x fault kind x seed, into `OUT/tune/` and `OUT/holdout/`.
//!
//!     cargo run --example realcase -- --corpus ../shared/corpus/har --out /tmp/realcase \
//!         [--seed N | --seeds N] [--modes timeline,compare] [--kinds dns,cdn] \
//!         [--sources wikipedia,nytimes] [--split tune|holdout] [--scale 0.5] [--gzip]
//!
//! The committed set: `cargo run --example realcase -- --fixtures fixtures/realcase/sources
//! --out fixtures/realcase/cases` (gzipped, half the loads).
//!
//! Writes `OUT/index.tsv` (one line per case) and prints a count per split,
//! mode and kind.

use faultlens::realcase::{CaseSpec, FaultKind, Mode, SOURCES, build_case, source_templates};
use std::collections::BTreeMap;
use std::path::PathBuf;

fn list<T>(
    v: Option<&String>,
    all: &[T],
    parse: impl Fn(&str) -> Option<T>,
) -> Result<Vec<T>, String>
where
    T: Copy,
{
    match v {
        None => Ok(all.to_vec()),
        Some(s) => s
            .split(',')
            .map(|x| parse(x.trim()).ok_or(format!("unknown: {x}")))
            .collect(),
    }
}

fn main() {
    if let Err(e) = run() {
        eprintln!("realcase: {e}");
        std::process::exit(2);
    }
}

fn run() -> Result<(), String> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut opts: BTreeMap<String, String> = BTreeMap::new();
    let mut gzip = false;
    let mut i = 0;
    while i < args.len() {
        let a = &args[i];
        if a == "--gzip" {
            gzip = true;
            i += 1;
            continue;
        }
        let Some(k) = a.strip_prefix("--") else {
            return Err(format!("unexpected argument {a}"));
        };
        let v = args.get(i + 1).ok_or(format!("--{k} needs a value"))?;
        opts.insert(k.to_string(), v.clone());
        i += 2;
    }
    if let Some(dir) = opts.get("fixtures") {
        let out = PathBuf::from(opts.get("out").ok_or("--out DIR is required")?);
        let scale: f64 = opts.get("scale").map_or(Ok(0.5), |s| {
            s.parse().map_err(|_| "bad --scale".to_string())
        })?;
        let cases =
            faultlens::realcase::build_fixture_cases(std::path::Path::new(dir), &out, scale)
                .map_err(|e| e.to_string())?;
        for c in cases {
            println!("{}", c.dir.display());
        }
        return Ok(());
    }
    let corpus = PathBuf::from(
        opts.get("corpus")
            .map_or("../shared/corpus/har", String::as_str),
    );
    let out = PathBuf::from(opts.get("out").ok_or("--out DIR is required")?);
    let modes = list(opts.get("modes"), Mode::all(), Mode::from_name)?;
    let kinds = list(opts.get("kinds"), FaultKind::all(), FaultKind::from_name)?;
    let scale: f64 = opts.get("scale").map_or(Ok(1.0), |s| {
        s.parse().map_err(|_| "bad --scale".to_string())
    })?;
    let nseeds: usize = opts
        .get("seeds")
        .map_or(Ok(3), |s| s.parse().map_err(|_| "bad --seeds".to_string()))?;
    let only_seed: Option<u64> = opts
        .get("seed")
        .map(|s| s.parse().map_err(|_| "bad --seed".to_string()))
        .transpose()?;
    let sources: Option<Vec<String>> = opts
        .get("sources")
        .map(|s| s.split(',').map(String::from).collect());
    let split_only = opts.get("split").cloned();
    let mut index = String::from(
        "split\tid\tmode\tkind\tfault_domain\tproducer\tsource\tseed\tpage_loads\tfaulty_loads\tvariant\n",
    );
    let mut counts: BTreeMap<(String, String, String), usize> = BTreeMap::new();
    for s in SOURCES {
        if sources
            .as_ref()
            .is_some_and(|v| !v.iter().any(|x| x == s.short))
        {
            continue;
        }
        if split_only.as_ref().is_some_and(|x| x != s.split.name()) {
            continue;
        }
        let templates = match source_templates(&corpus, s) {
            Ok(t) => t,
            Err(e) => {
                eprintln!("skip {}: {e}", s.file);
                continue;
            }
        };
        let seeds: Vec<u64> = match only_seed {
            Some(x) => vec![x],
            None => s.split.seeds().iter().copied().take(nseeds).collect(),
        };
        let dir = out.join(s.split.name());
        for t in &templates {
            for mode in &modes {
                for kind in &kinds {
                    for seed in &seeds {
                        let spec = CaseSpec {
                            kind: *kind,
                            mode: *mode,
                            seed: *seed,
                            source: s.file.to_string(),
                            gzip,
                            scale,
                            split: s.split.name().to_string(),
                        };
                        match build_case(t, s.short, &spec, &dir) {
                            Ok(c) => {
                                let tr = &c.truth;
                                index.push_str(&format!(
                                    "{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\n",
                                    s.split.name(),
                                    c.id,
                                    mode.name(),
                                    kind.name(),
                                    kind.domain(),
                                    t.producer.name(),
                                    s.file,
                                    seed,
                                    tr["page_loads"],
                                    tr["faulty_loads"],
                                    tr["variant"].as_str().unwrap_or("")
                                ));
                                *counts
                                    .entry((
                                        s.split.name().to_string(),
                                        mode.name().to_string(),
                                        kind.name().to_string(),
                                    ))
                                    .or_default() += 1;
                            }
                            Err(e) => eprintln!(
                                "skip {} {} {} {}: {e}",
                                s.short,
                                t.producer.name(),
                                mode.name(),
                                kind.name()
                            ),
                        }
                    }
                }
            }
        }
    }
    std::fs::create_dir_all(&out).map_err(|e| e.to_string())?;
    std::fs::write(out.join("index.tsv"), index).map_err(|e| e.to_string())?;
    println!("split\tmode\tkind\tcases");
    for ((sp, m, k), c) in counts {
        println!("{sp}\t{m}\t{k}\t{c}");
    }
    Ok(())
}
