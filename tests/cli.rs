//! The `atelier` command line: outputs, exit codes and messages for bad input.

mod common;

use std::path::Path;
use std::process::{Command, Output};

use common::fixture_path;

fn atelier(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_atelier"))
        .arg("--models")
        .arg(fixture_path("package"))
        .args(args)
        .output()
        .expect("runs")
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn temp_dir(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("atelier-cli-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn styles_lists_the_package() {
    let out = atelier(&["styles"]);
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("fixture-a") && text.contains("Fixture B"), "{text}");
    let zh = String::from_utf8(atelier(&["styles", "--zh"]).stdout).unwrap();
    assert!(zh.contains("测试样式 A"), "{zh}");
}

#[test]
fn stylize_writes_the_picture_with_the_adjustments() {
    let dir = temp_dir("one");
    let photo = fixture_path("gradient_64x48.png");
    let full = dir.join("full.png");
    let half = dir.join("half.jpg");
    let args = |out: &Path, strength: &str| {
        let out = atelier(&["stylize", photo.to_str().unwrap(), out.to_str().unwrap(), "--style", "fixture-b", "--engine", "cpu", "--strength", strength]);
        assert!(out.status.success(), "{}", stderr(&out));
    };
    args(&full, "1");
    args(&half, "0.5");
    let full = image::open(&full).unwrap().to_rgb8();
    assert_eq!(full.dimensions(), (64, 48));
    // The CLI goes through the same pipeline as the reference made with padding.
    let reference = common::image("gradient_64x48.fixture-b.padded.ort.png");
    let (max, _) = common::rgb_diff(&image::DynamicImage::ImageRgb8(full.clone()).to_rgba8(), &reference);
    assert!(max <= 2, "max diff {max}");
    let half = image::open(&half).unwrap().to_rgb8();
    assert_eq!(half.dimensions(), (64, 48));
    assert!(half.get_pixel(0, 0) != full.get_pixel(0, 0), "strength 0.5 changes the picture");
}

#[test]
fn brush_sets_the_stroke_size() {
    // A 300 px photo: the fixture package states no working side (256 px), so brush 1 paints at
    // 256 px and upsamples, brush 2 at 128 px, brush 4 at the 64 px minimum.
    let dir = temp_dir("brush");
    let photo = dir.join("photo.png");
    common::synthetic_photo(300, 200).save(&photo).unwrap();
    let paint = |brush: &str| {
        let out = dir.join(format!("b{brush}.png"));
        let run = atelier(&["stylize", photo.to_str().unwrap(), out.to_str().unwrap(), "--style", "fixture-a", "--engine", "cpu", "--brush", brush]);
        assert!(run.status.success(), "{}", stderr(&run));
        image::open(&out).unwrap().to_rgba8()
    };
    let (default, larger, largest) = (paint("1"), paint("2"), paint("4"));
    assert_eq!(largest.dimensions(), (300, 200), "the output keeps the photo's size");
    assert!(common::rgb_diff(&default, &larger).1 > 0.5 && common::rgb_diff(&larger, &largest).1 > 0.5);
}

#[test]
fn a_folder_is_processed_and_bad_files_are_reported() {
    let src = temp_dir("src");
    let out = temp_dir("out");
    std::fs::copy(fixture_path("gradient_64x48.png"), src.join("a.png")).unwrap();
    std::fs::write(src.join("b.jpg"), "text renamed to jpg").unwrap();
    std::fs::write(src.join("notes.txt"), "not a photo, skipped").unwrap();
    let run = atelier(&["stylize", src.to_str().unwrap(), out.to_str().unwrap(), "--style", "fixture-a", "--engine", "cpu"]);
    assert_eq!(run.status.code(), Some(1), "{}", stderr(&run));
    assert!(out.join("a.fixture-a.png").exists());
    assert!(!out.join("b.fixture-a.png").exists());
    let err = stderr(&run);
    assert!(err.contains("b.jpg") && err.contains("not an image Atelier can read") && err.contains("1 of 2 photos failed"), "{err}");
}

#[test]
fn bad_input_gets_a_clear_message_and_exit_code() {
    let dir = temp_dir("bad");
    let empty = dir.join("empty.png");
    std::fs::write(&empty, b"").unwrap();
    let mut huge = Vec::new();
    image::RgbaImage::new(1, 1).write_to(&mut std::io::Cursor::new(&mut huge), image::ImageFormat::Png).unwrap();
    huge[16..20].copy_from_slice(&100_000u32.to_be_bytes());
    huge[20..24].copy_from_slice(&100_000u32.to_be_bytes());
    let crc = crc32fast::hash(&huge[12..29]);
    huge[29..33].copy_from_slice(&crc.to_be_bytes());
    let huge_path = dir.join("huge.png");
    std::fs::write(&huge_path, &huge).unwrap();
    let out = dir.join("o.png");
    let o = out.to_str().unwrap();

    let run = atelier(&["stylize", empty.to_str().unwrap(), o, "--style", "fixture-a", "--engine", "cpu"]);
    assert_eq!(run.status.code(), Some(1));
    assert!(stderr(&run).contains("the file is empty"), "{}", stderr(&run));

    let run = atelier(&["stylize", huge_path.to_str().unwrap(), o, "--style", "fixture-a", "--engine", "cpu"]);
    assert_eq!(run.status.code(), Some(1));
    assert!(stderr(&run).contains("100000x100000, over the 1000 megapixel limit"), "{}", stderr(&run));

    let run = atelier(&["stylize", "/no/such/photo.png", o, "--style", "fixture-a"]);
    assert_eq!(run.status.code(), Some(5));
    assert!(stderr(&run).contains("does not exist"));

    let photo = fixture_path("gradient_64x48.png");
    let run = atelier(&["stylize", photo.to_str().unwrap(), o, "--style", "mona-lisa"]);
    assert_eq!(run.status.code(), Some(5));
    assert!(stderr(&run).contains("no style 'mona-lisa'"), "{}", stderr(&run));

    let run = atelier(&["stylize", photo.to_str().unwrap(), o, "--style", "fixture-a", "--mix", "fixture-b:1.5"]);
    assert_eq!(run.status.code(), Some(2), "clap's usage error");
    assert!(stderr(&run).contains("outside 0..1"));

    for bad in ["5", "0.1", "big", "NaN"] {
        let run = atelier(&["stylize", photo.to_str().unwrap(), o, "--style", "fixture-a", "--brush", bad]);
        assert_eq!(run.status.code(), Some(2), "--brush {bad}: clap's usage error");
        assert!(stderr(&run).contains("brush size must be a number from 0.25 to 4"), "{}", stderr(&run));
    }
    assert!(!out.exists(), "nothing is written for a refused command");

    let run = Command::new(env!("CARGO_BIN_EXE_atelier")).args(["--models", "/nonexistent", "styles"]).output().unwrap();
    assert_eq!(run.status.code(), Some(3));
    assert!(stderr(&run).contains("cannot read manifest.json"), "{}", stderr(&run));
}

#[test]
fn check_accepts_the_fixture_and_refuses_a_tampered_package() {
    let out = atelier(&["check"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("ok: fixture-8-12-16-r1 (2 styles, 2 thumbnails)"));

    let dir = temp_dir("tampered");
    for f in ["manifest.json", "generator.onnx", "styles.f32"] {
        std::fs::copy(fixture_path(&format!("package/{f}")), dir.join(f)).unwrap();
    }
    let mut params = std::fs::read(dir.join("styles.f32")).unwrap();
    params[0] ^= 0x40;
    std::fs::write(dir.join("styles.f32"), params).unwrap();
    let run = Command::new(env!("CARGO_BIN_EXE_atelier")).arg("--models").arg(&dir).arg("check").output().unwrap();
    assert_eq!(run.status.code(), Some(3));
    assert!(stderr(&run).contains("styles.f32: sha256"), "{}", stderr(&run));
}

#[test]
fn the_photo_is_never_overwritten_and_failures_leave_no_file() {
    let dir = temp_dir("safe");
    let photo = dir.join("photo.png");
    std::fs::copy(fixture_path("gradient_64x48.png"), &photo).unwrap();
    let original = std::fs::read(&photo).unwrap();
    let p = photo.to_str().unwrap();

    // The same file as input and output, also through another spelling of its path.
    let other_spelling = dir.join(".").join("photo.png");
    for out in [p, other_spelling.to_str().unwrap()] {
        let run = atelier(&["stylize", p, out, "--style", "fixture-a", "--engine", "cpu"]);
        assert_eq!(run.status.code(), Some(5), "{}", stderr(&run));
        assert!(stderr(&run).contains("is the photo itself"), "{}", stderr(&run));
    }
    assert_eq!(std::fs::read(&photo).unwrap(), original, "the photo is untouched");

    // An output type we cannot write is refused before painting, and nothing is left behind.
    let tiff = dir.join("out.tiff");
    let run = atelier(&["stylize", p, tiff.to_str().unwrap(), "--style", "fixture-a", "--engine", "cpu"]);
    assert_eq!(run.status.code(), Some(5), "{}", stderr(&run));
    assert!(stderr(&run).contains(".png, .jpg or .jpeg"), "{}", stderr(&run));
    assert!(!tiff.exists());

    // A folder that cannot be written: the error names it and no partial file remains anywhere.
    let missing = dir.join("no-such-folder").join("out.png");
    let run = atelier(&["stylize", p, missing.to_str().unwrap(), "--style", "fixture-a", "--engine", "cpu"]);
    assert_eq!(run.status.code(), Some(1), "{}", stderr(&run));
    assert!(stderr(&run).contains("cannot write"), "{}", stderr(&run));
    let leftovers: Vec<_> = std::fs::read_dir(&dir).unwrap().filter_map(|e| e.ok()).map(|e| e.file_name()).collect();
    assert_eq!(leftovers, vec![std::ffi::OsString::from("photo.png")], "{leftovers:?}");
}

#[test]
fn folder_mode_gives_every_photo_its_own_output() {
    let src = temp_dir("same-stem");
    let out = temp_dir("same-stem-out");
    let photo = common::image("gradient_64x48.png");
    photo.save(src.join("x.png")).unwrap();
    image::DynamicImage::ImageRgba8(photo).to_rgb8().save(src.join("x.jpg")).unwrap();
    let run = atelier(&["stylize", src.to_str().unwrap(), out.to_str().unwrap(), "--style", "fixture-a", "--engine", "cpu"]);
    assert!(run.status.success(), "{}", stderr(&run));
    let mut names: Vec<String> = std::fs::read_dir(&out).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    names.sort();
    assert_eq!(names, vec!["x.jpg.fixture-a.png", "x.png.fixture-a.png"]);
}

/// Folder mode paints several photos at once on the CPU engine (one painter per core, forced to
/// three here): every output is the picture a single-photo run makes, byte for byte.
#[test]
fn folder_mode_on_several_cores_paints_what_single_runs_paint() {
    let src = temp_dir("many");
    let out = temp_dir("many-out");
    let singles = temp_dir("many-singles");
    for (i, (w, h)) in [(64, 48), (40, 72), (90, 30), (33, 33), (128, 96)].into_iter().enumerate() {
        common::synthetic_photo(w, h).save(src.join(format!("p{i}.png"))).unwrap();
    }
    let run = Command::new(env!("CARGO_BIN_EXE_atelier"))
        .env("ATELIER_THREADS", "3")
        .args(["--models", fixture_path("package").to_str().unwrap()])
        .args(["stylize", src.to_str().unwrap(), out.to_str().unwrap(), "--style", "fixture-b", "--engine", "cpu"])
        .output()
        .unwrap();
    assert!(run.status.success(), "{}", stderr(&run));
    for i in 0..5 {
        let single = singles.join(format!("p{i}.png"));
        let photo = src.join(format!("p{i}.png"));
        let one = atelier(&["stylize", photo.to_str().unwrap(), single.to_str().unwrap(), "--style", "fixture-b", "--engine", "cpu"]);
        assert!(one.status.success(), "{}", stderr(&one));
        let folder = std::fs::read(out.join(format!("p{i}.fixture-b.png"))).unwrap();
        assert_eq!(folder, std::fs::read(&single).unwrap(), "p{i}");
    }
}

/// Runs the CLI with no usable Vulkan driver (the loader pointed at a file that does not exist):
/// only an OpenGL adapter, or none, is left, which wonnx cannot use.
fn atelier_without_vulkan(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_atelier"))
        .env("VK_ICD_FILENAMES", "/nonexistent/atelier-no-driver.json")
        .env("VK_DRIVER_FILES", "/nonexistent/atelier-no-driver.json")
        .arg("--models")
        .arg(fixture_path("package"))
        .args(args)
        .output()
        .expect("runs")
}

#[test]
fn no_vulkan_falls_back_to_the_cpu_or_exits_4_never_panics() {
    let dir = temp_dir("novulkan");
    let photo = dir.join("p.png");
    image::RgbaImage::from_fn(40, 30, |x, y| image::Rgba([(x * 6) as u8, (y * 8) as u8, 90, 255])).save(&photo).unwrap();
    let out = dir.join("o.png");
    let auto = atelier_without_vulkan(&["stylize", photo.to_str().unwrap(), out.to_str().unwrap(), "--style", "fixture-a"]);
    assert_eq!(auto.status.code(), Some(0), "{}", stderr(&auto));
    assert!(stderr(&auto).contains("engine: CPU"), "{}", stderr(&auto));
    assert_eq!(image::open(&out).unwrap().to_rgba8().dimensions(), (40, 30));

    let gpu_out = dir.join("g.png");
    let gpu = atelier_without_vulkan(&["stylize", photo.to_str().unwrap(), gpu_out.to_str().unwrap(), "--style", "fixture-a", "--engine", "gpu"]);
    assert_eq!(gpu.status.code(), Some(4), "{}", stderr(&gpu));
    assert!(stderr(&gpu).contains("no GPU adapter"), "{}", stderr(&gpu));
    assert!(!stderr(&gpu).contains("panicked"), "{}", stderr(&gpu));
    assert!(!gpu_out.exists(), "no output on failure");
}

#[test]
fn learn_says_what_is_wrong_with_its_input() {
    let dir = temp_dir("learn");
    let painting = fixture_path("gradient_64x48.png");
    let painting = painting.to_str().unwrap();
    let out_style = dir.join("mine.style");
    let out_style = out_style.to_str().unwrap();
    // Bad arguments: not a .style output.
    let run = atelier(&["learn", painting, dir.join("mine.png").to_str().unwrap()]);
    assert_eq!(run.status.code(), Some(2), "{}", stderr(&run));
    assert!(stderr(&run).contains("must end in .style"));
    // Bad input paths: no painting, no output folder.
    let run = atelier(&["learn", "/nonexistent/painting.jpg", out_style]);
    assert_eq!(run.status.code(), Some(5), "{}", stderr(&run));
    let run = atelier(&["learn", painting, "/nonexistent/dir/mine.style"]);
    assert_eq!(run.status.code(), Some(5), "{}", stderr(&run));
    // A painting that is no picture.
    let text = dir.join("notes.jpg");
    std::fs::write(&text, b"not a picture").unwrap();
    let run = atelier(&["learn", text.to_str().unwrap(), out_style]);
    assert_eq!(run.status.code(), Some(1), "{}", stderr(&run));
    // A package without a loss network (the fixture's) cannot learn, and says so.
    let run = atelier(&["learn", painting, out_style]);
    assert_eq!(run.status.code(), Some(3), "{}", stderr(&run));
    assert!(stderr(&run).contains("no loss network"), "{}", stderr(&run));
    assert!(!Path::new(out_style).exists(), "nothing is written on failure");
    // Seconds out of range are bad arguments.
    let run = atelier(&["learn", painting, out_style, "--seconds", "-1"]);
    assert_eq!(run.status.code(), Some(2), "{}", stderr(&run));
}

/// A style file of the fixture package holding fixture-b's own row: painting with it must give
/// fixture-b's picture, pixel for pixel.
fn style_file_like_b(path: &Path, generator_sha256: Option<&str>) {
    use atelier::model::{StyleChoice, StyleFile};
    let package = common::package();
    let mut thumbnail = Vec::new();
    common::image("gradient_64x48.png").write_to(&mut std::io::Cursor::new(&mut thumbnail), image::ImageFormat::Png).unwrap();
    let file = StyleFile {
        name: "Mine".into(),
        generator_sha256: generator_sha256.map_or(package.manifest.network.generator.sha256.clone(), str::to_string),
        params: package.style_params(&StyleChoice::single("fixture-b")).unwrap(),
        thumbnail,
    };
    std::fs::write(path, file.to_bytes()).unwrap();
}

#[test]
fn stylize_paints_with_a_style_file_alone_mixed_and_over_a_folder() {
    let dir = temp_dir("style-file");
    let photo = fixture_path("gradient_64x48.png");
    let p = photo.to_str().unwrap();
    let style = dir.join("my painting.style");
    style_file_like_b(&style, None);
    let s = style.to_str().unwrap();
    let painted = |args: &[&str], out: &Path| {
        let mut all = vec!["stylize", p, out.to_str().unwrap(), "--engine", "cpu"];
        all.extend_from_slice(args);
        let run = atelier(&all);
        assert!(run.status.success(), "{args:?}: {}", stderr(&run));
        image::open(out).unwrap().to_rgba8()
    };
    let own = painted(&["--style-file", s], &dir.join("own.png"));
    let (max, _) = common::rgb_diff(&own, &common::image("gradient_64x48.fixture-b.padded.ort.png"));
    assert!(max <= 2, "the style file paints as its row: max diff {max}");

    let own_mixed = painted(&["--style-file", s, "--mix", "fixture-a:0.3"], &dir.join("own-mixed.png"));
    let shipped_mixed = painted(&["--style", "fixture-b", "--mix", "fixture-a:0.3"], &dir.join("shipped-mixed.png"));
    assert_eq!(own_mixed, shipped_mixed, "mixing an own style is mixing its row");
    assert_ne!(own_mixed, own);

    // Folder mode names each output after the style file.
    let src = dir.join("photos");
    std::fs::create_dir_all(&src).unwrap();
    std::fs::copy(&photo, src.join("a.png")).unwrap();
    std::fs::copy(&photo, src.join("b.png")).unwrap();
    let out = dir.join("out");
    let run = atelier(&["stylize", src.to_str().unwrap(), out.to_str().unwrap(), "--style-file", s, "--engine", "cpu"]);
    assert!(run.status.success(), "{}", stderr(&run));
    for name in ["a.own-my-painting.png", "b.own-my-painting.png"] {
        assert_eq!(image::open(out.join(name)).unwrap().to_rgba8(), own, "{name}");
    }
}

#[test]
fn a_bad_style_file_is_refused_with_its_reason_and_no_output() {
    let dir = temp_dir("bad-style-file");
    let photo = fixture_path("gradient_64x48.png");
    let p = photo.to_str().unwrap();
    let out = dir.join("out.png");
    let o = out.to_str().unwrap();
    let foreign = dir.join("foreign.style");
    style_file_like_b(&foreign, Some(&"0".repeat(64)));
    let damaged = dir.join("damaged.style");
    std::fs::write(&damaged, b"{\"format\": \"atelier-style/1\", \"name\": ").unwrap();
    let huge = dir.join("huge.style");
    std::fs::write(&huge, vec![b' '; 300 * 1024]).unwrap();
    for (file, says) in [
        (foreign.to_str().unwrap(), "learn the painting again"),
        (damaged.to_str().unwrap(), "not an Atelier style file"),
        (huge.to_str().unwrap(), "more than a style file can be"),
        ("/nonexistent/mine.style", "cannot open the style file"),
        (dir.to_str().unwrap(), "is not a file"),
    ] {
        let run = atelier(&["stylize", p, o, "--style-file", file, "--engine", "cpu"]);
        assert_eq!(run.status.code(), Some(5), "{file}: {}", stderr(&run));
        assert!(stderr(&run).contains(says), "{file}: {}", stderr(&run));
        assert!(!out.exists(), "{file}: nothing written");
    }
    // Neither a style nor a style file, or both: bad arguments.
    let run = atelier(&["stylize", p, o]);
    assert_eq!(run.status.code(), Some(2), "{}", stderr(&run));
    let run = atelier(&["stylize", p, o, "--style", "fixture-a", "--style-file", foreign.to_str().unwrap()]);
    assert_eq!(run.status.code(), Some(2), "{}", stderr(&run));
}

#[test]
fn no_detail_leaves_the_detail_stage_out_in_single_and_folder_mode() {
    // 800 and 776 px are over 3x the fixture's working side (256 px): the stage re-paints at
    // 512 px and adds its band.
    let src = temp_dir("detail-src");
    for i in 0..2 {
        common::synthetic_photo(800 - 24 * i, 600).save(src.join(format!("p{i}.png"))).unwrap();
    }
    let single = |i: usize, extra: &[&str]| {
        let out = temp_dir("detail-single").join(format!("p{i}{}.png", extra.len()));
        let photo = src.join(format!("p{i}.png"));
        let mut args = vec!["stylize", photo.to_str().unwrap(), out.to_str().unwrap(), "--style", "fixture-a", "--engine", "cpu"];
        args.extend(extra);
        let run = atelier(&args);
        assert!(run.status.success(), "{}", stderr(&run));
        std::fs::read(&out).unwrap()
    };
    let (with, without) = (single(0, &[]), single(0, &["--no-detail"]));
    let decode = |bytes: &[u8]| image::load_from_memory(bytes).unwrap().to_rgba8();
    assert!(common::rgb_diff(&decode(&with), &decode(&without)).1 > 0.5, "the stage changes a large picture");
    // Folder mode on two painters, each with its own studio: the same pictures as single runs.
    for (extra, name) in [(vec![], "default"), (vec!["--no-detail"], "plain")] {
        let out = temp_dir(&format!("detail-folder-{name}"));
        let run = Command::new(env!("CARGO_BIN_EXE_atelier"))
            .env("ATELIER_THREADS", "2")
            .args(["--models", fixture_path("package").to_str().unwrap()])
            .args(["stylize", src.to_str().unwrap(), out.to_str().unwrap(), "--style", "fixture-a", "--engine", "cpu"])
            .args(&extra)
            .output()
            .unwrap();
        assert!(run.status.success(), "{}", stderr(&run));
        for i in 0..2 {
            assert_eq!(std::fs::read(out.join(format!("p{i}.fixture-a.png"))).unwrap(), single(i, &extra), "{name} p{i}");
        }
    }
}
