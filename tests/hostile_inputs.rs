//! Hostile inputs, as a new user (or an attacker) hands them to the binary:
//! a gzip bomb, devices, FIFOs, sockets, unreadable files, symbolic link
//! loops, JSON nested a million deep, a line of hundreds of megabytes, a
//! file that grows or shrinks while it is read. Each must end in a report
//! that says what happened to that input, within bounded memory, and never
//! in a hang, a crash or an abort.
//!
//! The binary is run as a child and reaped with `wait4`, which gives that
//! child's own peak resident memory (`ru_maxrss`): the memory claims are
//! measured on the process a user runs, not on a library call.
#![cfg(unix)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A good input, so that the analysis runs and reports on the others.
fn good() -> String {
    root()
        .join("fixtures/logs/probe.jsonl")
        .display()
        .to_string()
}

/// A fresh scratch folder for one test.
fn scratch(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("fl-hostile-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

struct Run {
    stdout: String,
    stderr: String,
    /// Exit code; `None` when a signal ended the process.
    code: Option<i32>,
    signal: Option<i32>,
    peak_rss_bytes: u64,
}

/// Run the binary with `args` (and `env`), reaped with `wait4` for its
/// peak RSS. A run still going after `patience` counts as blocked: it is
/// killed and the test fails (a hang is the failure looked for, not a
/// speed: the patience is minutes where the run takes a second).
fn run_env(args: &[&str], env: &[(&str, &str)], patience: Duration) -> Run {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_faultlens"));
    cmd.args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().expect("run faultlens");
    let pid = child.id() as libc::pid_t;
    // drain the pipes on threads: a full pipe would block the child
    let mut out = child.stdout.take().unwrap();
    let mut err = child.stderr.take().unwrap();
    let t_out = std::thread::spawn(move || {
        let mut s = String::new();
        std::io::Read::read_to_string(&mut out, &mut s).ok();
        s
    });
    let t_err = std::thread::spawn(move || {
        let mut s = String::new();
        std::io::Read::read_to_string(&mut err, &mut s).ok();
        s
    });
    let start = Instant::now();
    let mut status: libc::c_int = 0;
    // SAFETY: plain FFI calls on a zeroed `rusage` and the pid of our own
    // child, which `std` has not reaped (it is only waited for here).
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    loop {
        let r = unsafe { libc::wait4(pid, &mut status, libc::WNOHANG, &mut usage) };
        if r == pid {
            break;
        }
        assert!(r == 0, "wait4 failed: {}", std::io::Error::last_os_error());
        if start.elapsed() > patience {
            let _ = child.kill();
            unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
            panic!("faultlens {args:?} still running after {patience:?}: blocked");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    // the child is reaped: `std` must not wait for it again
    std::mem::forget(child);
    eprintln!(
        "faultlens {args:?}: peak RSS {:.1} MiB",
        usage.ru_maxrss as f64 / 1024.0
    );
    let (code, signal) = if libc::WIFEXITED(status) {
        (Some(libc::WEXITSTATUS(status)), None)
    } else {
        (None, Some(libc::WTERMSIG(status)))
    };
    Run {
        stdout: t_out.join().unwrap(),
        stderr: t_err.join().unwrap(),
        code,
        signal,
        // Linux reports kilobytes
        peak_rss_bytes: usage.ru_maxrss as u64 * 1024,
    }
}

const PATIENCE: Duration = Duration::from_secs(300);

fn run(args: &[&str]) -> Run {
    run_env(args, &[], PATIENCE)
}

/// `analyze --format json` of the inputs: the report's input list.
fn inputs(r: &Run) -> Vec<serde_json::Value> {
    assert_eq!(
        r.code,
        Some(0),
        "exit {:?} / signal {:?}: {}",
        r.code,
        r.signal,
        r.stderr
    );
    let v: serde_json::Value = serde_json::from_str(&r.stdout).expect("json report");
    v["inputs"].as_array().expect("inputs").clone()
}

/// The report's entry for the input whose path ends with `tail`.
fn input<'a>(all: &'a [serde_json::Value], tail: &str) -> &'a serde_json::Value {
    all.iter()
        .find(|i| i["path"].as_str().is_some_and(|p| p.ends_with(tail)))
        .unwrap_or_else(|| panic!("no input {tail} in {all:#?}"))
}

fn skipped(i: &serde_json::Value) -> String {
    i["skipped"].as_str().unwrap_or_default().to_string()
}

fn analyze(paths: &[&str]) -> Run {
    let mut args = vec!["analyze", "--format", "json"];
    args.extend_from_slice(paths);
    run(&args)
}

fn gz(bytes: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(bytes).unwrap();
    e.finish().unwrap()
}

/// A gzip bomb: one member of 64 MiB of zeros (about 64 KiB packed),
/// repeated `members` times; every member is read, as `gunzip` does.
fn bomb(path: &Path, members: usize) -> u64 {
    let one = gz(&vec![0u8; 64 << 20]);
    let mut f = std::fs::File::create(path).unwrap();
    for _ in 0..members {
        f.write_all(&one).unwrap();
    }
    (one.len() * members) as u64
}

#[test]
fn gzip_bomb_is_refused_by_its_ratio_in_bounded_memory() {
    let d = scratch("bomb-ratio");
    let p = d.join("probe.jsonl.gz");
    let packed = bomb(&p, 64); // 4 GiB of zeros
    assert!(packed < 8 << 20, "{packed}");
    let r = analyze(&[&good(), &p.display().to_string()]);
    let all = inputs(&r);
    let why = skipped(input(&all, "probe.jsonl.gz"));
    assert!(why.contains("probe.jsonl.gz"), "{why}");
    assert!(why.contains("200:1"), "{why}");
    assert!(why.contains("FAULTLENS_GUNZIP_MAX_RATIO"), "{why}");
    // refused after the 64 MiB grace, not after 4 GiB: far under the size
    // limit (4 GiB) and the bomb
    assert!(
        r.peak_rss_bytes < 256 << 20,
        "peak RSS {} bytes",
        r.peak_rss_bytes
    );
    std::fs::remove_dir_all(&d).unwrap();
}

#[test]
fn gzip_bomb_past_the_size_limit_stays_under_the_limit() {
    let d = scratch("bomb-size");
    let p = d.join("access.log.gz");
    bomb(&p, 16); // 1 GiB of zeros
    let limit: u64 = 256 << 20;
    let r = run_env(
        &[
            "analyze",
            "--format",
            "json",
            &good(),
            &p.display().to_string(),
        ],
        &[
            ("FAULTLENS_GUNZIP_MAX_BYTES", "256M"),
            ("FAULTLENS_GUNZIP_MAX_RATIO", "0"),
        ],
        PATIENCE,
    );
    let all = inputs(&r);
    let why = skipped(input(&all, "access.log.gz"));
    assert!(why.contains("access.log.gz"), "{why}");
    assert!(why.contains("256 MiB limit"), "{why}");
    assert!(why.contains("FAULTLENS_GUNZIP_MAX_BYTES"), "{why}");
    // the decompressed bytes are held up to the limit, never the bomb:
    // the peak is the limit plus the program (about 30 MiB here)
    assert!(
        r.peak_rss_bytes < limit + (64 << 20),
        "peak RSS {} bytes over the {limit} byte limit",
        r.peak_rss_bytes
    );
    std::fs::remove_dir_all(&d).unwrap();
}

#[test]
fn a_bad_limit_in_the_environment_is_named() {
    let d = scratch("bad-env");
    let p = d.join("small.jsonl.gz");
    std::fs::write(&p, gz(&std::fs::read(good()).unwrap())).unwrap();
    let r = run_env(
        &[
            "analyze",
            "--format",
            "json",
            &good(),
            &p.display().to_string(),
        ],
        &[("FAULTLENS_GUNZIP_MAX_BYTES", "lots")],
        PATIENCE,
    );
    let all = inputs(&r);
    let why = skipped(input(&all, "small.jsonl.gz"));
    assert!(why.contains("FAULTLENS_GUNZIP_MAX_BYTES=\"lots\""), "{why}");
    // a real gzipped log within the limits is read
    let r = analyze(&[&p.display().to_string()]);
    let all = inputs(&r);
    let i = input(&all, "small.jsonl.gz");
    assert!(i["records"].as_u64().unwrap() > 0, "{i}");
    std::fs::remove_dir_all(&d).unwrap();
}

#[test]
fn dev_null_is_a_device_not_a_missing_file() {
    let r = analyze(&[&good(), "/dev/null"]);
    let all = inputs(&r);
    let why = skipped(input(&all, "/dev/null"));
    assert_eq!(why, "/dev/null: a character device: not read");
    // /dev/zero would never end if it were read
    let r = analyze(&[&good(), "/dev/zero"]);
    let all = inputs(&r);
    assert!(skipped(input(&all, "/dev/zero")).contains("character device"));
}

#[test]
fn a_fifo_is_refused_without_blocking() {
    let d = scratch("fifo");
    let p = d.join("pipe.jsonl");
    let ok = Command::new("mkfifo").arg(&p).status().expect("mkfifo");
    assert!(ok.success());
    // as an argument: no writer ever comes, so an open would block forever
    let r = analyze(&[&good(), &p.display().to_string()]);
    let all = inputs(&r);
    let why = skipped(input(&all, "pipe.jsonl"));
    assert!(why.contains("a FIFO"), "{why}");
    assert!(why.contains("standard input"), "{why}");
    // inside a folder
    std::fs::copy(good(), d.join("probe.jsonl")).unwrap();
    let r = analyze(&[&d.display().to_string()]);
    let all = inputs(&r);
    assert!(skipped(input(&all, "pipe.jsonl")).contains("a FIFO"));
    assert!(input(&all, "probe.jsonl")["records"].as_u64().unwrap() > 0);
    std::fs::remove_dir_all(&d).unwrap();
}

#[test]
fn a_unix_socket_is_refused() {
    let d = scratch("socket");
    let p = d.join("app.sock");
    let _listener = std::os::unix::net::UnixListener::bind(&p).unwrap();
    let r = analyze(&[&good(), &p.display().to_string()]);
    let all = inputs(&r);
    assert_eq!(
        skipped(input(&all, "app.sock")),
        format!("{}: a socket: not read", p.display())
    );
    std::fs::remove_dir_all(&d).unwrap();
}

#[test]
fn an_unreadable_file_says_permission_denied() {
    use std::os::unix::fs::PermissionsExt;
    let d = scratch("unreadable");
    let p = d.join("secret.jsonl");
    std::fs::copy(good(), &p).unwrap();
    std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o000)).unwrap();
    if std::fs::File::open(&p).is_ok() {
        // root (or a capability) reads it anyway: nothing to test here
        eprintln!("skipped: this user can read a mode-000 file (root?)");
        std::fs::remove_dir_all(&d).unwrap();
        return;
    }
    let r = analyze(&[&good(), &p.display().to_string()]);
    let all = inputs(&r);
    assert!(skipped(input(&all, "secret.jsonl")).contains("ermission denied"));
    std::fs::remove_dir_all(&d).unwrap();
}

#[test]
fn symbolic_link_loops_are_walked_once() {
    let d = scratch("loops");
    std::fs::create_dir_all(d.join("logs/sub")).unwrap();
    std::fs::copy(good(), d.join("logs/sub/probe.jsonl")).unwrap();
    // a link back up the tree, and a link to itself
    std::os::unix::fs::symlink("..", d.join("logs/sub/up")).unwrap();
    std::os::unix::fs::symlink("self", d.join("logs/self")).unwrap();
    let r = analyze(&[&d.join("logs").display().to_string()]);
    let all = inputs(&r);
    let read: Vec<_> = all
        .iter()
        .filter(|i| i["records"].as_u64().unwrap_or(0) > 0)
        .collect();
    assert_eq!(read.len(), 1, "the one log read once: {all:#?}");
    assert!(skipped(input(&all, "logs/self")).contains("symbolic link loop"));
    assert!(skipped(input(&all, "sub/up")).contains("not read twice"));
    // a looping link given as the argument
    let r = analyze(&[&good(), &d.join("logs/self").display().to_string()]);
    let all = inputs(&r);
    assert!(skipped(input(&all, "logs/self")).contains("symbolic link loop"));
    std::fs::remove_dir_all(&d).unwrap();
}

#[test]
fn json_nested_a_million_deep_is_rejected_not_a_stack_overflow() {
    let d = scratch("deep");
    let deep = |n: usize| format!("{}{}", "[".repeat(n), "]".repeat(n));
    let n = 1_000_000;
    // a HAR whose second entry is nested a million deep
    let entry = r#"{"startedDateTime":"2025-02-06T10:00:00.000Z","time":50,"request":{"method":"GET","url":"https://app.example.com/","headers":[]},"response":{"status":200,"headers":[],"content":{"size":10}},"timings":{"wait":40}}"#;
    let har = format!(
        r#"{{"log":{{"version":"1.2","entries":[{entry},{},{entry}]}}}}"#,
        deep(n)
    );
    std::fs::write(d.join("deep.har"), har).unwrap();
    // a probe log with one such line, and a file that is nothing else
    let line = std::fs::read_to_string(good()).unwrap();
    std::fs::write(d.join("deep.jsonl"), format!("{line}{}\n{line}", deep(n))).unwrap();
    std::fs::write(d.join("deep.json"), deep(n)).unwrap();
    // objects too: {"a":{"a":...}}
    let obj = format!("{}1{}", r#"{"a":"#.repeat(n), "}".repeat(n));
    std::fs::write(d.join("deep-obj.jsonl"), format!("{line}{obj}\n")).unwrap();
    let r = analyze(&[&d.display().to_string()]);
    let all = inputs(&r);
    let h = input(&all, "deep.har");
    assert_eq!(h["records"].as_u64(), Some(3), "{h}");
    assert_eq!(h["bad_records"].as_u64(), Some(1), "{h}");
    let j = input(&all, "deep.jsonl");
    assert!(j["bad_records"].as_u64().unwrap() >= 1, "{j}");
    let o = input(&all, "deep-obj.jsonl");
    assert!(o["bad_records"].as_u64().unwrap() >= 1, "{o}");
    std::fs::remove_dir_all(&d).unwrap();
}

#[test]
fn a_line_of_200_mb_is_rejected_in_bounded_memory() {
    let d = scratch("long-line");
    let p = d.join("probe.jsonl");
    let good_lines = std::fs::read_to_string(good()).unwrap();
    let alone = inputs(&analyze(&[&good()]));
    let (n_good, n_bad) = (
        alone[0]["records"].as_u64().unwrap(),
        alone[0]["bad_records"].as_u64().unwrap(),
    );
    {
        let mut f = std::io::BufWriter::new(std::fs::File::create(&p).unwrap());
        f.write_all(good_lines.as_bytes()).unwrap();
        // one line of 200 MiB: a JSON string that never ends on its line
        f.write_all(b"{\"ts\":1738836000,\"target\":\"").unwrap();
        let chunk = vec![b'x'; 1 << 20];
        for _ in 0..200 {
            f.write_all(&chunk).unwrap();
        }
        f.write_all(b"\"}\n").unwrap();
        f.write_all(good_lines.as_bytes()).unwrap();
    }
    let r = analyze(&[&p.display().to_string()]);
    let all = inputs(&r);
    let i = input(&all, "probe.jsonl");
    assert_eq!(i["records"].as_u64(), Some(2 * n_good), "{i}");
    assert_eq!(i["bad_records"].as_u64(), Some(2 * n_bad + 1), "{i}");
    let why = &i["rejected"][n_bad as usize]["reason"];
    assert!(
        why.as_str()
            .unwrap()
            .contains("line of 209715229 bytes exceeds"),
        "{i}"
    );
    // the line is measured, not held: the record limit (64 MiB) and two
    // read blocks (16 MiB) at most, not 200 MiB
    assert!(
        r.peak_rss_bytes < 160 << 20,
        "peak RSS {} bytes",
        r.peak_rss_bytes
    );
    std::fs::remove_dir_all(&d).unwrap();
}

/// Probe lines for the grow / shrink tests, `n` of them.
fn probe_lines(n: usize) -> String {
    let mut s = String::new();
    for i in 0..n {
        s.push_str(&format!(
            "{{\"ts\":{},\"agent\":\"a{}\",\"region\":\"eu\",\"type\":\"http\",\"target\":\"https://x.example.com/api/{i}\",\"status\":{},\"total_ms\":{}.5}}\n",
            1_738_836_000 + i / 10,
            i % 3,
            if i % 11 == 0 { 503 } else { 200 },
            i % 900
        ));
    }
    s
}

#[test]
fn a_log_that_grows_while_read_is_read_to_the_end_it_has() {
    let d = scratch("grow");
    let p = d.join("probe.jsonl");
    let block = probe_lines(100_000); // about 15 MB
    let per_block = 100_000u64;
    std::fs::write(&p, block.repeat(3)).unwrap(); // streamed (over 32 MiB)
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let writer = {
        let (p, stop, block) = (p.clone(), stop.clone(), block.clone());
        std::thread::spawn(move || {
            let mut f = std::fs::OpenOptions::new().append(true).open(&p).unwrap();
            let mut blocks = 0u64;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) && blocks < 20 {
                f.write_all(block.as_bytes()).unwrap();
                blocks += 1;
            }
            blocks
        })
    };
    let r = analyze(&[&p.display().to_string()]);
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let appended = writer.join().unwrap();
    let all = inputs(&r);
    let i = input(&all, "probe.jsonl");
    let (records, bad) = (
        i["records"].as_u64().unwrap(),
        i["bad_records"].as_u64().unwrap(),
    );
    // what was there at the start at least, what was written at most; a
    // line half written when the read reached it is at worst one bad line
    assert!(records >= 3 * per_block, "{i}");
    assert!(records + bad <= (3 + appended) * per_block, "{i}");
    assert!(bad <= 1, "{i}");
    std::fs::remove_dir_all(&d).unwrap();
}

#[test]
fn a_log_that_shrinks_while_read_ends_early_without_a_crash() {
    let d = scratch("shrink");
    let p = d.join("probe.jsonl");
    std::fs::write(&p, probe_lines(100_000).repeat(6)).unwrap(); // about 90 MB
    let half = std::fs::metadata(&p).unwrap().len() / 2;
    let truncator = {
        let p = p.clone();
        std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(30));
            let f = std::fs::OpenOptions::new().write(true).open(&p).unwrap();
            f.set_len(half).unwrap();
        })
    };
    let r = analyze(&[&p.display().to_string()]);
    truncator.join().unwrap();
    let all = inputs(&r);
    let i = input(&all, "probe.jsonl");
    let (records, bad) = (
        i["records"].as_u64().unwrap(),
        i["bad_records"].as_u64().unwrap(),
    );
    // read to the end the file had when the read got there: half or all
    assert!(records >= 100_000, "{i}");
    assert!(records + bad <= 600_000, "{i}");
    assert!(bad <= 1, "{i}");
    std::fs::remove_dir_all(&d).unwrap();
}
