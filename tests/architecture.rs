//! The arrows of the pipeline point one way: a module may use the modules
//! of its own layer and of the layers listed before it in
//! `docs/ARCHITECTURE.md` ("Layers"), never one listed after it. Read from
//! the document so that the picture a newcomer reads and the code cannot
//! part ways; unit tests (`#[cfg(test)]` modules) are not counted.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// module name -> layer index, from the numbered list under "## Layers".
fn layers(doc: &str) -> BTreeMap<String, usize> {
    let section = doc
        .split("\n## Layers\n")
        .nth(1)
        .expect("docs/ARCHITECTURE.md has a \"## Layers\" section");
    let mut out = BTreeMap::new();
    for (i, line) in section
        .lines()
        .take_while(|l| !l.starts_with("## "))
        .filter_map(|l| {
            let l = l.trim_start();
            let (n, rest) = l.split_once(". ")?;
            n.parse::<usize>().ok().map(|_| rest)
        })
        .enumerate()
    {
        // `1. `sym`, `redact` — why` : the backticked names before the dash
        let names = line.split(" — ").next().unwrap_or("");
        for name in names.split(',') {
            let name = name.trim().trim_matches('`');
            if !name.is_empty() {
                out.insert(name.to_string(), i);
            }
        }
    }
    out
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// The top-level module a file belongs to (`src/ingest/har.rs` -> `ingest`).
fn module_of(src: &Path, file: &Path) -> String {
    let rel = file.strip_prefix(src).unwrap();
    let first = rel
        .components()
        .next()
        .unwrap()
        .as_os_str()
        .to_string_lossy();
    first.trim_end_matches(".rs").to_string()
}

/// `crate::name` references outside unit tests.
fn uses(text: &str) -> Vec<String> {
    let code = text.split("#[cfg(test)]\nmod tests").next().unwrap_or(text);
    let mut out = Vec::new();
    let mut rest = code;
    while let Some(i) = rest.find("crate::") {
        let after = &rest[i + 7..];
        let name: String = after
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect();
        // `crate::{a, b}` groups
        if name.is_empty() && after.starts_with('{') {
            let group = &after[1..after.find('}').unwrap_or(after.len())];
            for n in group.split(',') {
                let n: String = n
                    .trim()
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                    .collect();
                if !n.is_empty() {
                    out.push(n);
                }
            }
        } else if !name.is_empty() {
            out.push(name);
        }
        rest = after;
    }
    out
}

#[test]
fn no_module_uses_a_later_layer() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let doc = std::fs::read_to_string(root.join("docs/ARCHITECTURE.md")).unwrap();
    let layer = layers(&doc);
    let src = root.join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    files.sort();
    let mut wrong = Vec::new();
    for f in &files {
        let m = module_of(&src, f);
        if m == "lib" || m == "main" {
            continue;
        }
        let Some(&own) = layer.get(&m) else {
            wrong.push(format!("{}: module `{m}` is in no layer", f.display()));
            continue;
        };
        let text = std::fs::read_to_string(f).unwrap();
        for u in uses(&text) {
            match layer.get(&u) {
                Some(&l) if l > own => wrong.push(format!(
                    "{}: `{m}` (layer {}) uses `{u}` (layer {})",
                    f.strip_prefix(root).unwrap().display(),
                    own + 1,
                    l + 1
                )),
                Some(_) => {}
                None => wrong.push(format!("{}: `{u}` is in no layer", f.display())),
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "arrows against the layers:\n{}",
        wrong.join("\n")
    );
}

#[test]
fn layers_are_read_from_the_document() {
    let doc = "x\n## Layers\n\n1. `a`, `b` — base\n2. `c` — top\n\n## Next\n3. `d`\n";
    let l = layers(doc);
    assert_eq!(l.get("a"), Some(&0));
    assert_eq!(l.get("b"), Some(&0));
    assert_eq!(l.get("c"), Some(&1));
    assert_eq!(l.get("d"), None);
    assert_eq!(
        uses("use crate::{x, y::Z};\nlet a = crate::w::f();"),
        vec!["x", "y", "w"]
    );
}
