//! Discover: turn the command line's PATH arguments into a sorted list of
//! input sources. Sorting by path (not argument order) and loading lazily
//! inside the parallel ingest keeps output identical whatever the input
//! order and keeps only the files being parsed in memory.

use crate::model::FileId;
use std::io::Read;
use std::path::{Path, PathBuf};

/// One input, fully read (and gunzipped) by discovery.
#[derive(Debug, Clone)]
pub struct InputFile {
    pub id: FileId,
    /// Path as the user gave it (or `-` for stdin), for reports.
    pub path: String,
    /// Vantage label from `label=PATH` or a `region=NAME/` folder.
    pub vantage: Option<String>,
    pub bytes: Vec<u8>,
    /// A problem found while reading (gzip error, unreadable): the file is
    /// reported as skipped with this reason.
    pub read_error: Option<String>,
}

impl InputFile {
    /// An input already in memory (tests, stdin, generated data).
    pub fn from_bytes(id: FileId, path: &str, bytes: impl Into<Vec<u8>>) -> Self {
        InputFile {
            id,
            path: path.to_string(),
            vantage: None,
            bytes: bytes.into(),
            read_error: None,
        }
    }
}

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
        .rfind(|s| !s.is_empty())
        .map(str::to_string)
}

fn is_hidden(p: &Path) -> bool {
    p.file_name()
        .and_then(|n| n.to_str())
        .is_some_and(|n| n.starts_with('.') && n != "." && n != "..")
}

/// Why a path that exists is not read, from its metadata: anything but a
/// regular file or a folder. Devices, FIFOs and sockets are refused before
/// they are opened: opening a FIFO blocks until a writer comes, and a
/// device or socket never ends (`/dev/zero`) or holds no log.
pub fn not_a_file(path: &str, m: &std::fs::Metadata) -> Option<String> {
    let t = m.file_type();
    if t.is_file() || t.is_dir() {
        return None;
    }
    #[cfg(unix)]
    let kind = {
        use std::os::unix::fs::FileTypeExt;
        if t.is_char_device() {
            "a character device"
        } else if t.is_block_device() {
            "a block device"
        } else if t.is_fifo() {
            "a FIFO (named pipe; pipe data through standard input, `-`, instead)"
        } else if t.is_socket() {
            "a socket"
        } else {
            "not a regular file"
        }
    };
    #[cfg(not(unix))]
    let kind = "not a regular file";
    Some(format!("{path}: {kind}: not read"))
}

/// Why a path cannot be looked at (its metadata failed): a missing path, a
/// dangling or looping symbolic link, a folder on the way that cannot be
/// searched.
fn unreachable(path: &str, e: &std::io::Error) -> String {
    let dangling = std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink());
    match e.kind() {
        std::io::ErrorKind::NotFound if dangling => {
            format!("{path}: symbolic link to a missing file or folder")
        }
        std::io::ErrorKind::NotFound => format!("{path}: no such file or folder"),
        _ if e.raw_os_error() == Some(ELOOP) => {
            format!("{path}: symbolic link loop (too many levels of links): not read")
        }
        _ => format!("{path}: cannot read: {e}"),
    }
}

/// `ELOOP` (Linux and the BSDs differ; std has no stable error kind yet).
#[cfg(target_os = "linux")]
const ELOOP: i32 = 40;
#[cfg(not(target_os = "linux"))]
const ELOOP: i32 = 62;

/// Folders walked so far, by their resolved path: a symbolic link back up
/// the tree (or to a folder already walked) is not followed again, so a
/// loop cannot walk forever or read a file once per lap.
type Seen = std::collections::BTreeMap<PathBuf, PathBuf>;

/// A path under a folder that is not read, and why.
type Problem = (String, String);

fn walk(dir: &Path, out: &mut Vec<PathBuf>, missing: &mut Vec<Problem>, seen: &mut Seen) {
    let shown_dir = dir.display().to_string();
    match std::fs::canonicalize(dir) {
        Ok(real) => {
            if let Some(first) = seen.get(&real) {
                let why = format!(
                    "{shown_dir}: the folder {} again (symbolic link loop or second link): not read twice",
                    first.display()
                );
                missing.push((shown_dir, why));
                return;
            }
            seen.insert(real, dir.to_path_buf());
        }
        Err(e) => {
            missing.push((shown_dir.clone(), unreachable(&shown_dir, &e)));
            return;
        }
    }
    let rd = match std::fs::read_dir(dir) {
        Ok(rd) => rd,
        Err(e) => {
            let why = format!("{shown_dir}: cannot list folder: {e}");
            missing.push((shown_dir, why));
            return;
        }
    };
    let mut entries: Vec<PathBuf> = rd.filter_map(|e| e.ok().map(|e| e.path())).collect();
    entries.sort();
    for p in entries {
        if is_hidden(&p) {
            continue;
        }
        let shown = p.display().to_string();
        match std::fs::metadata(&p) {
            Ok(m) if m.is_dir() => walk(&p, out, missing, seen),
            Ok(m) if m.is_file() => out.push(p),
            Ok(m) => {
                if let Some(why) = not_a_file(&shown, &m) {
                    missing.push((shown, why));
                }
            }
            Err(e) => {
                let why = unreachable(&shown, &e);
                missing.push((shown, why));
            }
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
        let meta = std::fs::metadata(p);
        if meta.as_ref().is_ok_and(|m| m.is_dir()) {
            let mut files = Vec::new();
            let mut problems = Vec::new();
            walk(p, &mut files, &mut problems, &mut Seen::new());
            for f in files {
                let vantage = label.clone().or_else(|| region_from_path(&f));
                out.push(Source {
                    display: f.display().to_string(),
                    vantage,
                    origin: Origin::File(f),
                });
            }
            for (shown, why) in problems {
                out.push(Source {
                    display: shown,
                    vantage: None,
                    origin: Origin::Missing(why),
                });
            }
        } else if meta.as_ref().is_ok_and(|m| m.is_file()) {
            let vantage = label.or_else(|| region_from_path(p));
            out.push(Source {
                display: path.clone(),
                vantage,
                origin: Origin::File(p.to_path_buf()),
            });
        } else {
            let why = match &meta {
                Ok(m) => not_a_file(&path, m).unwrap_or_else(|| format!("{path}: not read")),
                Err(e) => unreachable(&path, e),
            };
            out.push(Source {
                display: path.clone(),
                vantage: label,
                origin: Origin::Missing(why),
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

/// How far a gzipped input may expand. Why: a gzip member of a few
/// megabytes can expand to gigabytes (deflate reaches about 1000:1 on
/// repeated bytes), and a decompressed input is held in memory. So the
/// decompression is streamed and stops at `max_bytes` of output (memory is
/// bounded by the limit, not by what the file would expand to), and a file
/// that expands more than `max_ratio` times is refused once it has
/// produced [`GUNZIP_RATIO_GRACE_BYTES`]: real logs and captures compress
/// 5-50 times, a bomb about 1000 times.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GunzipLimits {
    pub max_bytes: u64,
    pub max_ratio: u64,
}

/// Default limit on a gzipped input's expanded size (env
/// [`ENV_GUNZIP_MAX_BYTES`] overrides it).
pub const DEFAULT_GUNZIP_MAX_BYTES: u64 = 4 << 30;
/// Default limit on expanded / compressed bytes (env
/// [`ENV_GUNZIP_MAX_RATIO`] overrides it; 0 turns the check off).
pub const DEFAULT_GUNZIP_MAX_RATIO: u64 = 200;
/// Output below this is never refused for its ratio (small files of
/// repeated lines compress far better than big ones).
pub const GUNZIP_RATIO_GRACE_BYTES: u64 = 64 << 20;
pub const ENV_GUNZIP_MAX_BYTES: &str = "FAULTLENS_GUNZIP_MAX_BYTES";
pub const ENV_GUNZIP_MAX_RATIO: &str = "FAULTLENS_GUNZIP_MAX_RATIO";

impl Default for GunzipLimits {
    fn default() -> Self {
        GunzipLimits {
            max_bytes: DEFAULT_GUNZIP_MAX_BYTES,
            max_ratio: DEFAULT_GUNZIP_MAX_RATIO,
        }
    }
}

impl GunzipLimits {
    /// The defaults, overridden by the environment; an unreadable value is
    /// an error naming the variable.
    pub fn from_env() -> Result<Self, String> {
        let mut l = GunzipLimits::default();
        if let Some(v) = std::env::var_os(ENV_GUNZIP_MAX_BYTES) {
            let v = v.to_string_lossy();
            l.max_bytes = parse_size(&v).ok_or_else(|| {
                format!("{ENV_GUNZIP_MAX_BYTES}={v:?} is not a size (bytes, or with K, M, G, T)")
            })?;
        }
        if let Some(v) = std::env::var_os(ENV_GUNZIP_MAX_RATIO) {
            let v = v.to_string_lossy();
            l.max_ratio = v
                .trim()
                .parse()
                .map_err(|_| format!("{ENV_GUNZIP_MAX_RATIO}={v:?} is not a whole number"))?;
        }
        Ok(l)
    }
}

/// `123`, `64K`, `512M`, `4G`, `1T` (binary multiples, `B`/`iB` allowed).
pub fn parse_size(s: &str) -> Option<u64> {
    let t = s.trim();
    let t = t
        .strip_suffix("iB")
        .or_else(|| t.strip_suffix('B'))
        .unwrap_or(t);
    let (num, shift) = match t.chars().last()?.to_ascii_uppercase() {
        'K' => (&t[..t.len() - 1], 10),
        'M' => (&t[..t.len() - 1], 20),
        'G' => (&t[..t.len() - 1], 30),
        'T' => (&t[..t.len() - 1], 40),
        _ => (t, 0),
    };
    let n: u64 = num.trim().parse().ok()?;
    n.checked_mul(1u64 << shift)
}

/// Bytes as a person reads them: `4 GiB`, `300 MiB`, `17 bytes`.
fn human_bytes(n: u64) -> String {
    const UNITS: [(&str, u32); 4] = [("TiB", 40), ("GiB", 30), ("MiB", 20), ("KiB", 10)];
    for (unit, shift) in UNITS {
        if n >= 1 << shift {
            let v = n as f64 / (1u64 << shift) as f64;
            return if n.is_multiple_of(1 << shift) {
                format!("{} {unit}", n >> shift)
            } else {
                format!("{v:.1} {unit}")
            };
        }
    }
    format!("{n} bytes")
}

/// A reader that counts the bytes taken from it (the compressed side of
/// a decompression, for its ratio).
struct Counted<R> {
    inner: R,
    n: u64,
}

impl<R: Read> Read for Counted<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let k = self.inner.read(buf)?;
        self.n += k as u64;
        Ok(k)
    }
}

/// Decompress every gzip member of `r` into `out`, a megabyte at a time,
/// within `limits` (`max_bytes` already capped by the caller). On damage
/// the bytes before it stay in `out` (readers salvage them) and the
/// error says what happened; on a limit `out` is emptied.
fn gunzip<R: Read>(
    path: &str,
    r: R,
    limits: GunzipLimits,
    out: &mut Vec<u8>,
) -> Result<(), String> {
    let mut dec = flate2::read::MultiGzDecoder::new(Counted { inner: r, n: 0 });
    let max = limits.max_bytes;
    loop {
        let room = (max + 1).saturating_sub(out.len() as u64).min(1 << 20);
        let got = (&mut dec).take(room).read_to_end(out);
        let expanded = out.len() as u64;
        if expanded > max {
            *out = Vec::new();
            return Err(format!(
                "{path}: gzip content expands past the {} limit ({max} bytes; \
                 {ENV_GUNZIP_MAX_BYTES} raises it): not read",
                human_bytes(max)
            ));
        }
        let compressed = dec.get_ref().n.max(1);
        if limits.max_ratio > 0
            && expanded > GUNZIP_RATIO_GRACE_BYTES
            && expanded / compressed > limits.max_ratio
        {
            *out = Vec::new();
            return Err(format!(
                "{path}: gzip content expands more than {}:1 ({} from the first {}), \
                 like a decompression bomb ({ENV_GUNZIP_MAX_RATIO} raises the limit): not read",
                limits.max_ratio,
                human_bytes(expanded),
                human_bytes(compressed)
            ));
        }
        match got {
            Ok(0) => return Ok(()),
            Ok(_) => {}
            Err(e) => return Err(format!("corrupt gzip: {e}")),
        }
    }
}

/// Read (and gunzip) one source. Problems become `read_error`, never
/// panics: a path that is no longer a regular file is not opened (a FIFO
/// put in a file's place would block the open), and a gzipped input is
/// decompressed straight from the file within [`GunzipLimits`] (from the
/// environment; `max_bytes` caps the expanded size further).
///
/// A file that grows while it is read is read to the end it has then; one
/// that shrinks is read to its new end. Either way the reader sees one
/// consistent prefix of the file, never an error.
pub fn load(id: FileId, src: &Source, max_bytes: u64) -> InputFile {
    let mut f = InputFile {
        id,
        path: src.display.clone(),
        vantage: src.vantage.clone(),
        bytes: Vec::new(),
        read_error: None,
    };
    // the limits are read only for a gzipped input: a bad value in the
    // environment is that input's problem, not every input's
    let limits = || {
        GunzipLimits::from_env().map(|l| GunzipLimits {
            max_bytes: l.max_bytes.min(max_bytes),
            ..l
        })
    };
    let keep = |f: &mut InputFile, r: Result<(), String>| {
        if let Err(e) = r {
            // keep what decompressed before the damage: readers salvage it
            if f.bytes.is_empty() {
                f.read_error = Some(e);
            }
        }
    };
    match &src.origin {
        Origin::Missing(why) => f.read_error = Some(why.clone()),
        Origin::Stdin(b) if is_gzip(b) => {
            let r = limits().and_then(|l| gunzip(&src.display, &b[..], l, &mut f.bytes));
            keep(&mut f, r);
        }
        Origin::Stdin(b) => f.bytes = b.clone(),
        Origin::File(p) => match open_regular(&src.display, p) {
            Err(why) => f.read_error = Some(why),
            Ok((mut file, len)) => {
                let mut magic = [0u8; 2];
                let n = read_up_to(&mut file, &mut magic);
                if is_gzip(&magic[..n]) {
                    use std::io::{Seek, SeekFrom};
                    let r = limits().and_then(|l| match file.seek(SeekFrom::Start(0)) {
                        Ok(_) => gunzip(
                            &src.display,
                            std::io::BufReader::with_capacity(1 << 16, file),
                            l,
                            &mut f.bytes,
                        ),
                        Err(e) => Err(format!("cannot read: {e}")),
                    });
                    keep(&mut f, r);
                } else {
                    f.bytes.reserve_exact(len as usize + 1);
                    f.bytes.extend_from_slice(&magic[..n]);
                    if let Err(e) = file.read_to_end(&mut f.bytes) {
                        f.bytes = Vec::new();
                        f.read_error = Some(format!("cannot read: {e}"));
                    }
                }
            }
        },
    }
    f
}

/// Open `p` for reading if it is (still) a regular file: its length, or
/// why not. Checked before the open, which would block on a FIFO.
fn open_regular(shown: &str, p: &Path) -> Result<(std::fs::File, u64), String> {
    let m = std::fs::metadata(p).map_err(|e| unreachable(shown, &e))?;
    if let Some(why) = not_a_file(shown, &m) {
        return Err(why);
    }
    if m.is_dir() {
        return Err(format!("{shown}: a folder: not read as a file"));
    }
    let file = std::fs::File::open(p).map_err(|e| format!("cannot read: {e}"))?;
    Ok((file, m.len()))
}

/// Fill as much of `buf` as the reader has (short reads retried).
fn read_up_to(r: &mut impl Read, buf: &mut [u8]) -> usize {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(_) => break,
        }
    }
    n
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
