//! Discover: turn the command line's PATH arguments into a sorted list of
//! input sources. Sorting by path (not argument order) and loading lazily
//! inside the parallel ingest keeps output identical whatever the input
//! order and keeps only the files being parsed in memory.

use crate::ingest::InputFile;
use crate::model::FileId;
use std::io::Read;
use std::path::{Path, PathBuf};

/// Where an input's bytes come from.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Origin {
    File(PathBuf),
    /// Standard input, read up front (it can only be read once).
    Stdin(Vec<u8>),
    /// A path that does not exist or cannot be listed.
    Missing(String),
}

/// One input to read, with its vantage label.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Source {
    /// Path for reports, as given (joined with the walked sub-path).
    pub display: String,
    pub vantage: Option<String>,
    pub origin: Origin,
}

/// Split `label=PATH`. A whole argument that exists as a path wins, so a
/// folder literally named `region=eu-west` is still a folder.
pub fn split_label(arg: &str) -> (Option<String>, String) {
    if arg == "-" || Path::new(arg).exists() {
        return (None, arg.to_string());
    }
    if let Some((label, path)) = arg.split_once('=')
        && !label.is_empty()
        && !label.contains('/')
        && !label.contains('\\')
    {
        return (Some(label.to_string()), path.to_string());
    }
    (None, arg.to_string())
}

/// `region=NAME` folder components label everything under them (innermost wins).
fn region_from_path(p: &Path) -> Option<String> {
    p.components()
        .filter_map(|c| c.as_os_str().to_str())
        .filter_map(|s| s.strip_prefix("region="))
        .filter(|s| !s.is_empty())
        .last()
        .map(str::to_string)
}

fn is_hidden(p: &Path) -> bool {
    p.file_name()
        .and_then(|n| n.to_str())
        .is_some_and(|n| n.starts_with('.') && n != "." && n != "..")
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>, missing: &mut Vec<String>) {
    let rd = match std::fs::read_dir(dir) {
        Ok(rd) => rd,
        Err(e) => {
            missing.push(format!("{}: cannot list folder: {e}", dir.display()));
            return;
        }
    };
    let mut entries: Vec<PathBuf> = rd.filter_map(|e| e.ok().map(|e| e.path())).collect();
    entries.sort();
    for p in entries {
        if is_hidden(&p) {
            continue;
        }
        if p.is_dir() {
            walk(&p, out, missing);
        } else if p.is_file() {
            out.push(p);
        }
    }
}

/// Expand arguments into sources, sorted and de-duplicated. `stdin` is
/// called at most once, for a `-` argument.
pub fn discover(args: &[String], stdin: &mut dyn FnMut() -> Vec<u8>) -> Vec<Source> {
    let mut out = Vec::new();
    let mut stdin_taken = false;
    for arg in args {
        let (label, path) = split_label(arg);
        if path == "-" {
            if !stdin_taken {
                stdin_taken = true;
                out.push(Source {
                    display: "-".into(),
                    vantage: label,
                    origin: Origin::Stdin(stdin()),
                });
            }
            continue;
        }
        let p = Path::new(&path);
        if p.is_dir() {
            let mut files = Vec::new();
            let mut problems = Vec::new();
            walk(p, &mut files, &mut problems);
            for f in files {
                let vantage = label.clone().or_else(|| region_from_path(&f));
                out.push(Source {
                    display: f.display().to_string(),
                    vantage,
                    origin: Origin::File(f),
                });
            }
            for m in problems {
                out.push(Source {
                    display: m.clone(),
                    vantage: None,
                    origin: Origin::Missing(m),
                });
            }
        } else if p.is_file() {
            let vantage = label.or_else(|| region_from_path(p));
            out.push(Source {
                display: path.clone(),
                vantage,
                origin: Origin::File(p.to_path_buf()),
            });
        } else {
            out.push(Source {
                display: path.clone(),
                vantage: label,
                origin: Origin::Missing(format!("{path}: no such file or folder")),
            });
        }
    }
    out.sort_by(|a, b| a.display.cmp(&b.display).then(a.vantage.cmp(&b.vantage)));
    out.dedup_by(|a, b| a.display == b.display && a.vantage == b.vantage);
    out
}

/// Gzip magic: content decides, not the `.gz` name.
pub fn is_gzip(b: &[u8]) -> bool {
    b.len() >= 2 && b[0] == 0x1f && b[1] == 0x8b
}

/// Read (and gunzip) one source. Problems become `read_error`, never panics.
pub fn load(id: FileId, src: &Source, max_bytes: u64) -> InputFile {
    let mut f = InputFile {
        id,
        path: src.display.clone(),
        vantage: src.vantage.clone(),
        bytes: Vec::new(),
        read_error: None,
    };
    let raw = match &src.origin {
        Origin::Missing(why) => {
            f.read_error = Some(why.clone());
            return f;
        }
        Origin::Stdin(b) => b.clone(),
        Origin::File(p) => match std::fs::read(p) {
            Ok(b) => b,
            Err(e) => {
                f.read_error = Some(format!("cannot read: {e}"));
                return f;
            }
        },
    };
    if is_gzip(&raw) {
        let mut out = Vec::new();
        let dec = flate2::read::MultiGzDecoder::new(&raw[..]);
        match dec.take(max_bytes.saturating_add(1)).read_to_end(&mut out) {
            Ok(_) if out.len() as u64 > max_bytes => {
                f.read_error = Some(format!("gzip content exceeds the {max_bytes} byte limit"));
            }
            Ok(_) => f.bytes = out,
            Err(e) => {
                // keep what decompressed before the damage: readers salvage it
                if out.is_empty() {
                    f.read_error = Some(format!("corrupt gzip: {e}"));
                } else {
                    f.bytes = out;
                }
            }
        }
    } else {
        f.bytes = raw;
    }
    f
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels() {
        assert_eq!(
            split_label("us-east=cap.har"),
            (Some("us-east".into()), "cap.har".into())
        );
        assert_eq!(split_label("cap.har"), (None, "cap.har".into()));
        assert_eq!(split_label("-"), (None, "-".into()));
        assert_eq!(split_label("a/b=c.har"), (None, "a/b=c.har".into()));
    }

    #[test]
    fn region_folders() {
        assert_eq!(
            region_from_path(Path::new("x/region=eu-west/a.har")),
            Some("eu-west".into())
        );
        assert_eq!(
            region_from_path(Path::new("region=a/region=b/f")),
            Some("b".into())
        );
        assert_eq!(region_from_path(Path::new("x/a.har")), None);
    }

    #[test]
    fn walk_sorted_skips_hidden_and_order_independent() {
        let d = std::env::temp_dir().join(format!("fl-disc-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(d.join("region=eu/sub")).unwrap();
        std::fs::create_dir_all(d.join(".hidden")).unwrap();
        std::fs::write(d.join("b.log"), "x").unwrap();
        std::fs::write(d.join("region=eu/sub/a.har"), "x").unwrap();
        std::fs::write(d.join(".hidden/c"), "x").unwrap();
        std::fs::write(d.join(".dot"), "x").unwrap();
        let ds = d.display().to_string();
        let a = discover(&[ds.clone(), format!("{ds}/b.log")], &mut Vec::new);
        let b = discover(&[format!("{ds}/b.log"), ds.clone()], &mut Vec::new);
        assert_eq!(a, b);
        assert_eq!(a.len(), 2);
        assert_eq!(a[1].vantage.as_deref(), Some("eu"));
        let missing = discover(&[format!("{ds}/nope")], &mut Vec::new);
        assert!(matches!(missing[0].origin, Origin::Missing(_)));
        std::fs::remove_dir_all(&d).unwrap();
    }

    #[test]
    fn gzip_by_content() {
        use std::io::Write;
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        e.write_all(b"hello").unwrap();
        let gz = e.finish().unwrap();
        let src = Source {
            display: "x".into(),
            vantage: None,
            origin: Origin::Stdin(gz.clone()),
        };
        assert_eq!(load(0, &src, 1 << 20).bytes, b"hello");
        assert!(load(0, &src, 2).read_error.is_some());
        let broken = Source {
            display: "x".into(),
            vantage: None,
            origin: Origin::Stdin(gz[..12].to_vec()),
        };
        let f = load(0, &broken, 1 << 20);
        assert!(f.read_error.is_some() || !f.bytes.is_empty());
    }
}
