//! Hostile inputs (examples/hostile_corpus.rs) through the Rust API and the CLI: typed errors,
//! never a panic; exit codes; nothing written on failure; the input never touched.

mod common;

#[path = "../examples/hostile_corpus.rs"]
#[allow(dead_code)]
mod hostile_corpus;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use atelier::imaging;
use common::fixture_path;
use hostile_corpus::{corpus, Expect};

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("atelier-hostile-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn stylize(src: &Path, dst: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_atelier"))
        .arg("--models")
        .arg(fixture_path("package"))
        .arg("stylize")
        .arg(src)
        .arg(dst)
        .args(["--style", "fixture-a", "--engine", "cpu"])
        .output()
        .expect("runs")
}

#[test]
fn the_corpus_has_at_least_forty_cases_with_distinct_files() {
    let cases = corpus();
    assert!(cases.len() >= 40, "{} cases", cases.len());
    let files: std::collections::HashSet<_> = cases.iter().map(|c| c.file.clone()).collect();
    assert_eq!(files.len(), cases.len(), "two cases share a file name");
}

#[test]
fn every_case_decodes_or_is_refused_by_reason_through_the_api() {
    for case in corpus() {
        let got = std::panic::catch_unwind(|| imaging::decode(&case.bytes)).unwrap_or_else(|_| panic!("{}: panicked", case.name));
        match (case.expect, got) {
            (Expect::Paints { width, height }, Ok(image)) => {
                assert_eq!(image.dimensions(), (width, height), "{}", case.name)
            }
            (Expect::Refused(kind), Err(e)) => {
                assert!(format!("{e:?}").starts_with(kind), "{}: refused as {e:?}, expected {kind}", case.name);
                assert!(!e.to_string().is_empty());
            }
            (expect, got) => panic!("{}: expected {expect:?}, got {:?}", case.name, got.map(|i| i.dimensions())),
        }
    }
}

#[test]
fn every_case_through_the_cli_paints_or_fails_cleanly_and_leaves_the_input_alone() {
    let dir = temp_dir("cli");
    for case in corpus() {
        let src = dir.join(&case.file);
        std::fs::write(&src, &case.bytes).unwrap();
        let dst = dir.join("out.png");
        let _ = std::fs::remove_file(&dst);
        let run = stylize(&src, &dst);
        let stderr = String::from_utf8_lossy(&run.stderr).into_owned();
        assert!(!stderr.contains("panicked"), "{}: {stderr}", case.name);
        assert!(!stderr.contains('\u{1b}'), "{}: an escape code reached the terminal: {stderr:?}", case.name);
        match case.expect {
            Expect::Paints { width, height } => {
                assert_eq!(run.status.code(), Some(0), "{}: {stderr}", case.name);
                // The CLI's default --max-side is 2048.
                let fitted = imaging::fit_within(width, height, 2048);
                assert_eq!(image::open(&dst).unwrap().to_rgba8().dimensions(), fitted, "{}", case.name);
            }
            Expect::Refused(_) => {
                assert_eq!(run.status.code(), Some(1), "{}: {stderr}", case.name);
                assert!(stderr.contains("error:"), "{}: {stderr}", case.name);
                assert!(!dst.exists(), "{}: an output was left behind", case.name);
            }
        }
        assert_eq!(std::fs::read(&src).unwrap(), case.bytes, "{}: the input changed", case.name);
        let leftovers: Vec<_> = std::fs::read_dir(&dir)
            .unwrap()
            .filter_map(|e| e.ok())
            .filter(|e| e.file_name().to_string_lossy().ends_with(".partial"))
            .collect();
        assert!(leftovers.is_empty(), "{}: temporary files left: {leftovers:?}", case.name);
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn paths_that_are_not_photos_get_exit_5_and_say_what_they_are() {
    let dir = temp_dir("paths");
    let good = dir.join("p.png");
    image::RgbaImage::from_pixel(8, 8, image::Rgba([1, 2, 3, 255])).save(&good).unwrap();
    let out = dir.join("o.png");
    let expect_5 = |src: &Path, dst: &Path, says: &str| {
        let run = stylize(src, dst);
        let stderr = String::from_utf8_lossy(&run.stderr).into_owned();
        assert_eq!(run.status.code(), Some(5), "{}: {stderr}", src.display());
        assert!(stderr.contains(says), "expected '{says}' in: {stderr}");
        assert!(!dst.exists());
    };
    expect_5(&dir.join("missing.png"), &out, "does not exist");
    #[cfg(unix)]
    {
        let fifo = dir.join("pipe.jpg");
        let made = Command::new("mkfifo").arg(&fifo).status();
        if made.is_ok_and(|s| s.success()) {
            expect_5(&fifo, &out, "not a photo file or a folder");
        }
        std::os::unix::fs::symlink(dir.join("loop-b.png"), dir.join("loop-a.png")).unwrap();
        std::os::unix::fs::symlink(dir.join("loop-a.png"), dir.join("loop-b.png")).unwrap();
        expect_5(&dir.join("loop-a.png"), &out, "cannot open");
    }
    let before = std::fs::read(&good).unwrap();
    let run = stylize(&good, &good);
    assert_eq!(run.status.code(), Some(5));
    assert_eq!(std::fs::read(&good).unwrap(), before, "the photo itself is never overwritten");
    expect_5(&good, &dir.join("o.tiff"), "must end in .png, .jpg or .jpeg");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_file_over_the_size_limit_is_refused_without_reading_it() {
    let dir = temp_dir("huge");
    let huge = dir.join("huge.jpg");
    // Sparse: no disk used, and reading it whole would take seconds and 300 MB.
    let file = std::fs::File::create(&huge).unwrap();
    file.set_len(imaging::MAX_FILE_BYTES + 1).unwrap();
    let out = dir.join("o.png");
    let run = stylize(&huge, &out);
    let stderr = String::from_utf8_lossy(&run.stderr).into_owned();
    assert_eq!(run.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("over the 256 MB limit"), "{stderr}");
    assert!(!out.exists());
    let _ = std::fs::remove_dir_all(&dir);
}
