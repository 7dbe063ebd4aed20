//! Writes the committed scenario bundles under `fixtures/incidents/`, or
//! one ad-hoc bundle.
//!
//!     cargo run --example gen_fixtures                      # the committed set
//!     cargo run --example gen_fixtures -- KIND SEED DIR [--full]
//!
//! The committed set uses the compact profile so each bundle stays small.

use faultlens::scenario::{Profile, ScenarioKind, generate_with};
use std::path::{Path, PathBuf};

/// (folder, kind, seed): seeds chosen so the set covers CSV and JSONL probe
/// logs, k6, Firefox and Chrome HARs, regional and global variants.
const SET: [(&str, ScenarioKind, u64); 13] = [
    ("asana-global", ScenarioKind::AsanaGlobal502to503, 1),
    ("asana-regional", ScenarioKind::AsanaRegional, 3),
    ("chatgpt-slow-api", ScenarioKind::ChatgptSlowApi, 1),
    ("jira-waves", ScenarioKind::JiraWaves, 1),
    ("discord-messaging", ScenarioKind::DiscordMessaging, 1),
    ("dns", ScenarioKind::Dns, 1),
    ("network-regional", ScenarioKind::RegionalNetworkLoss, 2),
    ("cdn-edge", ScenarioKind::CdnEdge, 1),
    ("third-party", ScenarioKind::ThirdParty, 1),
    ("client-offline", ScenarioKind::ClientOffline, 1),
    ("tls-cert", ScenarioKind::TlsCert, 1),
    ("healthy", ScenarioKind::Healthy, 1),
    ("noisy-healthy", ScenarioKind::NoisyHealthy, 1),
];

fn dir_size(p: &Path) -> u64 {
    std::fs::read_dir(p)
        .map(|rd| {
            rd.flatten()
                .map(|e| {
                    let p = e.path();
                    if p.is_dir() {
                        dir_size(&p)
                    } else {
                        e.metadata().map(|m| m.len()).unwrap_or(0)
                    }
                })
                .sum()
        })
        .unwrap_or(0)
}

fn one(
    name: &str,
    kind: ScenarioKind,
    seed: u64,
    dir: &Path,
    profile: &Profile,
) -> std::io::Result<()> {
    if dir.exists() {
        std::fs::remove_dir_all(dir)?;
    }
    let t = generate_with(kind, seed, dir, profile)?;
    let formats: Vec<String> = t.files.iter().map(|f| f.format.clone()).collect();
    println!(
        "{name:<18} {:>4} KB  {:<11} {:<8} {:<24} onset {}  files: {}",
        dir_size(dir) / 1024,
        t.fault_domain,
        t.scope,
        t.affected_regions.join(","),
        t.onset
            .map(|o| o.to_rfc3339())
            .unwrap_or_else(|| "-".into()),
        formats.join(" ")
    );
    Ok(())
}

fn main() -> std::io::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.len() >= 3 {
        let Some(kind) = ScenarioKind::from_name(&args[0]) else {
            eprintln!(
                "unknown kind {}; one of: {}",
                args[0],
                ScenarioKind::all()
                    .iter()
                    .map(|k| k.name())
                    .collect::<Vec<_>>()
                    .join(" ")
            );
            std::process::exit(1);
        };
        let seed: u64 = args[1].parse().unwrap_or_else(|_| {
            eprintln!("bad seed {}", args[1]);
            std::process::exit(1)
        });
        let profile = if args.iter().any(|a| a == "--full") {
            Profile::full()
        } else {
            Profile::compact()
        };
        return one(kind.name(), kind, seed, &PathBuf::from(&args[2]), &profile);
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/incidents");
    for (name, kind, seed) in SET {
        one(name, kind, seed, &root.join(name), &Profile::compact())?;
    }
    Ok(())
}
