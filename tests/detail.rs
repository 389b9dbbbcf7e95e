//! The detail stage (`atelier::detail`) against PyTorch (fixture written by
//! training/make_refiner_fixture.py: a refiner with random weights for the fixture package's two
//! styles), in bands of any size, refusing damaged files, and in the studio's paintings.

use std::path::{Path, PathBuf};

use atelier::detail::Refiner;
use atelier::model::package::{Manifest, ModelPackage, PackageError, RefinerEntry, StyleChoice};
use atelier::pipeline::Brush;
use atelier::imaging;
use atelier::studio::{CpuReason, EngineChoice, GpuProbe, Studio, StudioError, StudioEvent};
use image::{Rgba, RgbaImage};
use serde::Deserialize;

#[derive(Deserialize)]
struct Case {
    weights: [f32; 2],
    output: Vec<f32>,
}

#[derive(Deserialize)]
struct Fixture {
    entry: RefinerEntry,
    height: usize,
    width: usize,
    input: Vec<f32>,
    cases: Vec<Case>,
}

fn dir(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(name)
}

fn fixture() -> (Fixture, Vec<u8>) {
    let f: Fixture = serde_json::from_slice(&std::fs::read(dir("refiner").join("case.json")).unwrap()).unwrap();
    (f, std::fs::read(dir("refiner").join("refiner.f32")).unwrap())
}

fn choice(weights: [f32; 2]) -> StyleChoice {
    if weights[1] == 0.0 {
        StyleChoice::single("fixture-a")
    } else {
        StyleChoice { style: "fixture-a".into(), mix: Some(("fixture-b".into(), weights[1])) }
    }
}

#[test]
fn refines_as_pytorch_does_for_one_style_and_a_mix() {
    let (f, bytes) = fixture();
    let refiner = Refiner::from_bytes(&f.entry, &bytes).unwrap();
    for case in &f.cases {
        let row = refiner.row_for(&choice(case.weights)).unwrap();
        let got = refiner.refine_planes(&f.input, f.width, f.height, &row, 1000);
        let worst = got.iter().zip(&case.output).map(|(a, b)| (a - b).abs()).fold(0.0f32, f32::max);
        assert!(worst < 2e-5, "weights {:?}: off PyTorch's output by up to {worst}", case.weights);
        // The stage must change the picture, or this test tests nothing.
        let moved = f.input.iter().zip(&case.output).map(|(a, b)| (a - b).abs()).fold(0.0f32, f32::max);
        assert!(moved > 0.05, "the fixture's refiner hardly changes the picture ({moved})");
    }
}

#[test]
fn every_band_size_paints_the_pixels_of_one_pass() {
    let (f, bytes) = fixture();
    let refiner = Refiner::from_bytes(&f.entry, &bytes).unwrap();
    let row = refiner.row_for(&choice([0.7, 0.3])).unwrap();
    let whole = refiner.refine_planes(&f.input, f.width, f.height, &row, 1000);
    for band_rows in [1, 4, 8, 12, 28] {
        let banded = refiner.refine_planes(&f.input, f.width, f.height, &row, band_rows);
        assert!(banded == whole, "bands of {band_rows} rows differ from one pass");
    }
}

#[test]
fn a_damaged_or_inconsistent_refiner_is_refused() {
    let (f, bytes) = fixture();
    let refused = |entry: &RefinerEntry, bytes: &[u8]| Refiner::from_bytes(entry, bytes).unwrap_err();

    let mut flipped = bytes.clone();
    flipped[100] ^= 1;
    assert!(matches!(refused(&f.entry, &flipped), PackageError::Hash { .. }));

    // Layers, halo and contents that do not fit: each with the file's own hash, so only the
    // layer check can refuse it.
    let with_hash = |mut entry: RefinerEntry, bytes: &[u8]| {
        use sha2::{Digest, Sha256};
        entry.file.bytes = bytes.len() as u64;
        entry.file.sha256 = Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect();
        (entry, bytes.to_vec())
    };
    let reason = |entry: RefinerEntry, bytes: &[u8]| {
        let (entry, bytes) = with_hash(entry, bytes);
        match refused(&entry, &bytes) {
            PackageError::Refiner { reason, .. } => reason,
            other => panic!("refused for another reason: {other}"),
        }
    };
    let mut small_halo = f.entry.clone();
    small_halo.halo = 8;
    assert!(reason(small_halo, &bytes).contains("less than its layers see"));
    let mut wrong_grid = f.entry.clone();
    wrong_grid.grid = 2;
    assert!(reason(wrong_grid, &bytes).contains("grid"));
    let mut broken_chain = f.entry.clone();
    broken_chain.layers[2].c_in = 8;
    assert!(reason(broken_chain, &bytes).contains("channels"));
    let mut upsampled_above = f.entry.clone();
    upsampled_above.layers[0].stride = 1;
    assert!(reason(upsampled_above, &bytes).contains("above the picture's resolution"));
    assert!(reason(f.entry.clone(), &bytes[..bytes.len() - 4]).contains("bytes"));
    let mut nan = bytes.clone();
    nan[8..12].copy_from_slice(&f32::NAN.to_le_bytes());
    assert!(reason(f.entry.clone(), &nan).contains("NaN"));
}

/// The fixture package with the fixture refiner in its manifest and attached.
fn package_with_refiner() -> ModelPackage {
    let (f, bytes) = fixture();
    let read = |name: &str| std::fs::read(dir("package").join(name)).unwrap();
    let mut manifest = Manifest::parse(&read("manifest.json")).unwrap();
    manifest.network.refiner = Some(f.entry);
    let mut package = ModelPackage::from_parts(manifest, &read("generator.onnx"), &read("styles.f32")).unwrap();
    package.attach_refiner(&bytes).unwrap();
    package
}

fn photo(w: u32, h: u32) -> RgbaImage {
    RgbaImage::from_fn(w, h, |x, y| Rgba([(x * 255 / w) as u8, (y * 255 / h) as u8, ((x / 16 + y / 16) % 2 * 200) as u8, 255]))
}

fn paint(studio: &mut Studio, picture: &RgbaImage, style: &StyleChoice) -> RgbaImage {
    pollster::block_on(studio.paint(picture, style, Brush::default(), &mut |_: StudioEvent| true)).unwrap().image
}

fn cpu_studio(package: ModelPackage) -> Studio {
    pollster::block_on(Studio::open_probing(package, EngineChoice::Cpu, || async { GpuProbe::Missing(CpuReason::Chosen) })).unwrap()
}

#[test]
fn the_studio_adds_detail_only_to_upsampled_outputs_and_can_leave_it_out() {
    let package = package_with_refiner();
    let side = package.working_side();
    let mut detached = package.clone();
    detached.detach_refiner();
    let (mut studio, mut plain, mut repainting) = (cpu_studio(package.clone()), cpu_studio(package), cpu_studio(detached));
    plain.set_detail(false);
    let style = StyleChoice::single("fixture-a");
    assert!(studio.has_refiner_row(&style) && !repainting.has_refiner_row(&style));
    let large = photo(side * 3 + 8, side * 2);
    let (refined, without, repainted) =
        (paint(&mut studio, &large, &style), paint(&mut plain, &large, &style), paint(&mut repainting, &large, &style));
    assert_eq!(refined.dimensions(), without.dimensions());
    let changed = |a: &RgbaImage, b: &RgbaImage| a.pixels().zip(b.pixels()).filter(|(a, b)| a != b).count();
    let half = without.pixels().len() / 2;
    assert!(changed(&refined, &without) > half, "the refiner changed only {} pixels", changed(&refined, &without));
    assert!(changed(&repainted, &without) > half, "the re-painting changed only {} pixels", changed(&repainted, &without));
    assert!(changed(&repainted, &refined) > half, "a package's refiner comes before re-painting");

    // Brought up less than 3x from the working side, no stage runs.
    let small = photo(side * 2, side * 3 / 2);
    let unchanged = paint(&mut plain, &small, &style);
    assert_eq!(paint(&mut studio, &small, &style), unchanged);
    assert_eq!(paint(&mut repainting, &small, &style), unchanged);
}

fn luma(image: &RgbaImage) -> Vec<f32> {
    image.pixels().map(|p| 0.299 * p.0[0] as f32 + 0.587 * p.0[1] as f32 + 0.114 * p.0[2] as f32).collect()
}

/// Mean Sobel magnitude of the luminance: how much edge a picture has at its own pixels.
fn sharpness(image: &RgbaImage) -> f32 {
    let (w, h) = (image.width() as usize, image.height() as usize);
    let l = luma(image);
    let at = |x: usize, y: usize| l[y * w + x];
    let mut sum = 0.0f32;
    for y in 1..h - 1 {
        for x in 1..w - 1 {
            let gx = at(x + 1, y - 1) + 2.0 * at(x + 1, y) + at(x + 1, y + 1) - at(x - 1, y - 1) - 2.0 * at(x - 1, y) - at(x - 1, y + 1);
            let gy = at(x - 1, y + 1) + 2.0 * at(x, y + 1) + at(x + 1, y + 1) - at(x - 1, y - 1) - 2.0 * at(x, y - 1) - at(x + 1, y - 1);
            sum += (gx * gx + gy * gy).sqrt();
        }
    }
    sum / ((w - 2) * (h - 2)) as f32
}

fn mean_abs_difference(a: &RgbaImage, b: &RgbaImage) -> f32 {
    let n = a.as_raw().len() as f32;
    a.as_raw().iter().zip(b.as_raw()).map(|(x, y)| x.abs_diff(*y) as f32).sum::<f32>() / n
}

/// A photo with detail at every scale: soft gradients, 16 px squares and a fine pattern.
fn busy_photo(w: u32, h: u32) -> RgbaImage {
    RgbaImage::from_fn(w, h, |x, y| {
        let fine = ((x * 7 + y * 13) % 11) * 5;
        Rgba([(x * 200 / w + fine) as u8, (y * 255 / h) as u8, ((x / 16 + y / 16) % 2 * 200 + fine) as u8, 255])
    })
}

#[test]
fn re_painting_adds_a_fine_band_that_the_whole_picture_does_not_show() {
    let package = ModelPackage::load_dir(&dir("package")).unwrap();
    let side = package.working_side();
    let (mut repainting, mut plain) = (cpu_studio(package.clone()), cpu_studio(package));
    plain.set_detail(false);
    let style = StyleChoice::single("fixture-b");
    let large = busy_photo(side * 4, side * 3);
    let (detailed, soft) = (paint(&mut repainting, &large, &style), paint(&mut plain, &large, &style));
    let (sharp, blurred) = (sharpness(&detailed), sharpness(&soft));
    assert!(sharp > 1.1 * blurred, "sharpness at 100 %: {sharp} with the stage, {blurred} without");
    // Seen whole (a quarter of the size, as a screen shows it), the two are one picture.
    let view = |image: &RgbaImage| imaging::resize_to(image, image.width() / 4, image.height() / 4);
    let (near, whole) = (mean_abs_difference(&detailed, &soft), mean_abs_difference(&view(&detailed), &view(&soft)));
    // (Here 1.1 levels seen whole, 7.4 at 100 %; a band 4x as wide: 17.3 seen whole, 25.4 at 100 %.)
    assert!(whole < 0.25 * near, "mean difference {near} levels at 100 %, {whole} seen whole");
}

/// What a painting told, in order: passes as they are, a coarse picture by its pixels.
#[derive(PartialEq)]
enum Told {
    Pass(u32, u32),
    Coarse(RgbaImage),
}

impl std::fmt::Debug for Told {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Told::Pass(done, total) => write!(f, "Pass({done}, {total})"),
            // Pixels by their sum: a mismatch names the size and says the pixels differ.
            Told::Coarse(image) => {
                let sum: u64 = image.as_raw().iter().map(|&v| v as u64).sum();
                write!(f, "Coarse({}x{}, pixel sum {sum})", image.width(), image.height())
            }
        }
    }
}

fn paint_telling(studio: &mut Studio, picture: &RgbaImage, style: &StyleChoice) -> (RgbaImage, Vec<Told>) {
    let mut told = Vec::new();
    let painted = pollster::block_on(studio.paint(picture, style, Brush::default(), &mut |event| {
        match event {
            StudioEvent::Pass { done, total } => told.push(Told::Pass(done, total)),
            StudioEvent::Coarse(coarse) => told.push(Told::Coarse(coarse.clone())),
            StudioEvent::FellBack(reason) => panic!("the CPU engine fell back: {reason:?}"),
        }
        true
    }))
    .unwrap();
    (painted.image, told)
}

#[test]
fn the_painting_without_its_detail_is_told_first_for_the_page_to_show() {
    let package = package_with_refiner();
    let side = package.working_side();
    let mut detached = package.clone();
    detached.detach_refiner();
    let (mut refining, mut repainting, mut plain) = (cpu_studio(package.clone()), cpu_studio(detached), cpu_studio(package));
    plain.set_detail(false);
    let style = StyleChoice::single("fixture-b");
    let large = busy_photo(side * 3, side * 2);
    let without = paint(&mut plain, &large, &style);
    // Re-painting: the coarse picture comes between the painting's pass and the re-painting's.
    let (finished, told) = paint_telling(&mut repainting, &large, &style);
    assert_eq!(told, vec![Told::Pass(1, 2), Told::Coarse(without.clone()), Told::Pass(2, 2)]);
    assert_ne!(finished, without, "the finished painting has its detail");
    // A refiner: after the one pass, before the refining (whose bands only look for a cancel,
    // telling the same count again).
    let (finished, told) = paint_telling(&mut refining, &large, &style);
    assert_eq!(told[..2], [Told::Pass(1, 1), Told::Coarse(without.clone())]);
    assert!(told[2..].iter().all(|t| *t == Told::Pass(1, 1)), "{told:?}");
    assert_ne!(finished, without);
    // No detail stage (left out, or an output not brought up 3x): nothing coarse to show.
    let (_, told) = paint_telling(&mut plain, &large, &style);
    assert_eq!(told, vec![Told::Pass(1, 1)]);
    let (_, told) = paint_telling(&mut repainting, &busy_photo(side * 2, side * 2), &style);
    assert!(told.iter().all(|t| matches!(t, Told::Pass(..))), "{} events", told.len());
}

#[test]
fn the_re_painting_is_counted_in_the_passes_and_can_be_cancelled() {
    let package = ModelPackage::load_dir(&dir("package")).unwrap();
    let side = package.working_side();
    let mut studio = cpu_studio(package);
    let style = StyleChoice::single("fixture-a");
    let large = busy_photo(side * 3, side * 2);
    let mut passes = Vec::new();
    pollster::block_on(studio.paint(&large, &style, Brush::default(), &mut |event| {
        if let StudioEvent::Pass { done, total } = event {
            passes.push((done, total));
        }
        true
    }))
    .unwrap();
    assert_eq!(passes, vec![(1, 2), (2, 2)], "the painting's pass, then the re-painting's");
    for stop_at in [1, 2] {
        let result = pollster::block_on(studio.paint(&large, &style, Brush::default(), &mut |event| {
            !matches!(event, StudioEvent::Pass { done, .. } if done == stop_at)
        }));
        assert!(matches!(result, Err(StudioError::Cancelled)), "stopped at pass {stop_at}: {:?}", result.err());
    }
    // The stage left out, one pass.
    studio.set_detail(false);
    let mut count = 0;
    pollster::block_on(studio.paint(&large, &style, Brush::default(), &mut |_| {
        count += 1;
        true
    }))
    .unwrap();
    assert_eq!(count, 1);
}

#[test]
fn a_package_without_a_refiner_paints_as_before() {
    let plain = ModelPackage::load_dir(&dir("package")).unwrap();
    assert!(plain.refiner().is_none() && plain.refiner_row(&StyleChoice::single("fixture-a")).is_none());
    let mut with_refiner = package_with_refiner();
    with_refiner.detach_refiner();
    let large = photo(1024, 768);
    let style = StyleChoice::single("fixture-b");
    assert_eq!(paint(&mut cpu_studio(plain), &large, &style), paint(&mut cpu_studio(with_refiner), &large, &style));
}

#[test]
fn a_visitors_own_style_gets_the_rows_of_the_shipped_styles_it_is_nearest_a_mix_of() {
    let mut package = package_with_refiner();
    let refiner = package.refiner().unwrap();
    assert!(refiner.row_for(&StyleChoice::single("own-painting")).is_none(), "the refiner itself has no row for it");
    let (a, b) = (StyleChoice::single("fixture-a"), StyleChoice::single("fixture-b"));
    let mix = StyleChoice { style: "fixture-a".into(), mix: Some(("fixture-b".into(), 0.3)) };
    // An own style whose scales and shifts are 30 % of the way from fixture-a to fixture-b.
    package.add_own_style("own-painting", package.style_params(&mix).unwrap()).unwrap();
    let own = package.refiner_row(&StyleChoice::single("own-painting")).unwrap();
    let expected = refiner.row_for(&mix).unwrap();
    let worst = own.iter().zip(&expected).map(|(x, y)| (x - y).abs()).fold(0.0f32, f32::max);
    assert!(worst < 1e-3, "off the 30 % mix of the rows by {worst}");
    assert_ne!(own, refiner.row_for(&a).unwrap());
    // Mixed with a shipped style, the rows mix on.
    let half = package.refiner_row(&StyleChoice { style: "own-painting".into(), mix: Some(("fixture-b".into(), 0.5)) }).unwrap();
    let b_row = refiner.row_for(&b).unwrap();
    assert!(half.iter().zip(&own).zip(&b_row).all(|((h, o), b)| (h - (o + b) / 2.0).abs() < 1e-5));
    let studio = cpu_studio(package);
    assert!(studio.has_refiner_row(&StyleChoice::single("own-painting")));
    assert!(!studio.has_refiner_row(&StyleChoice::single("nobodys")));
}

#[test]
fn a_package_whose_refiner_file_is_missing_or_damaged_is_refused_at_load() {
    let tmp = std::env::temp_dir().join(format!("atelier-detail-{}", std::process::id()));
    std::fs::create_dir_all(&tmp).unwrap();
    for name in ["generator.onnx", "styles.f32"] {
        std::fs::copy(dir("package").join(name), tmp.join(name)).unwrap();
    }
    let (f, bytes) = fixture();
    let mut manifest: serde_json::Value = serde_json::from_slice(&std::fs::read(dir("package").join("manifest.json")).unwrap()).unwrap();
    manifest["network"]["refiner"] = serde_json::to_value(&f.entry).unwrap();
    std::fs::write(tmp.join("manifest.json"), serde_json::to_vec(&manifest).unwrap()).unwrap();
    let err = ModelPackage::load_dir(&tmp).unwrap_err();
    assert!(matches!(err, PackageError::Io { ref file, .. } if file == "refiner.f32"), "{err}");
    let mut damaged = bytes.clone();
    damaged[0] ^= 0x40;
    std::fs::write(tmp.join("refiner.f32"), &damaged).unwrap();
    assert!(matches!(ModelPackage::load_dir(&tmp).unwrap_err(), PackageError::Hash { .. }));
    std::fs::write(tmp.join("refiner.f32"), &bytes).unwrap();
    assert!(ModelPackage::load_dir(&tmp).unwrap().refiner().is_some());
    std::fs::remove_dir_all(&tmp).ok();
}

#[test]
fn a_picture_is_refined_as_its_float_planes_are_and_keeps_its_alpha() {
    let (f, bytes) = fixture();
    let refiner = Refiner::from_bytes(&f.entry, &bytes).unwrap();
    let row = refiner.row_for(&choice([1.0, 0.0])).unwrap();
    let (w, h) = (61u32, 45u32);
    let picture = RgbaImage::from_fn(w, h, |x, y| Rgba([(x * 4) as u8, (y * 5) as u8, ((x * y) % 256) as u8, (x + y) as u8]));
    let plane = (w * h) as usize;
    let mut planes = vec![0.0f32; 3 * plane];
    for (i, p) in picture.pixels().enumerate() {
        for c in 0..3 {
            planes[c * plane + i] = p.0[c] as f32 / 255.0;
        }
    }
    let expected = refiner.refine_planes(&planes, w as usize, h as usize, &row, 8);
    let mut bands_seen = 0;
    let refined = refiner.refine(&picture, &row, &mut |_, _| {
        bands_seen += 1;
        true
    });
    let refined = refined.unwrap();
    assert!(bands_seen >= 1);
    for (i, (p, q)) in refined.pixels().zip(picture.pixels()).enumerate() {
        for c in 0..3 {
            assert_eq!(p.0[c], atelier::imaging::unit_to_byte(expected[c * plane + i]), "pixel {i} channel {c}");
        }
        assert_eq!(p.0[3], q.0[3], "alpha kept");
    }
    assert_ne!(refined, picture);
    // Cancelled after its first band: nothing.
    assert!(refiner.refine(&picture, &row, &mut |_, _| false).is_none());
}

/// The CPU engine noting the size of every pass it runs.
struct NotesSizes {
    inner: atelier::engine::CpuEngine,
    sizes: std::rc::Rc<std::cell::RefCell<Vec<(u32, u32)>>>,
}

#[async_trait::async_trait(?Send)]
impl atelier::engine::Engine for NotesSizes {
    fn kind(&self) -> atelier::engine::EngineKind {
        self.inner.kind()
    }

    fn max_tensor_elements(&self) -> usize {
        self.inner.max_tensor_elements()
    }

    async fn run(
        &mut self,
        variant: atelier::model::GraphVariant,
        height: u32,
        width: u32,
        inputs: &atelier::engine::Tensors,
    ) -> Result<atelier::engine::Tensors, atelier::engine::EngineError> {
        self.sizes.borrow_mut().push((width, height));
        self.inner.run(variant, height, width, inputs).await
    }
}

#[test]
fn the_re_painting_pass_has_a_narrower_margin_than_the_painting() {
    // A package trained with a 64 px margin: the painting's pass keeps all of it, the
    // re-painting's (whose finest band alone is kept) at most `REPAINT_MARGIN`.
    let read = |name: &str| std::fs::read(dir("package").join(name)).unwrap();
    let mut manifest = Manifest::parse(&read("manifest.json")).unwrap();
    manifest.network.reflect_margin = Some(64);
    let package = ModelPackage::from_parts(manifest, &read("generator.onnx"), &read("styles.f32")).unwrap();
    let side = package.working_side();
    let sizes = std::rc::Rc::new(std::cell::RefCell::new(Vec::new()));
    let noted = sizes.clone();
    let mut studio = Studio::open_with(package, EngineChoice::Gpu, GpuProbe::Hardware("notes sizes".into()), move |generator| {
        Box::new(NotesSizes { inner: atelier::engine::CpuEngine::new(generator), sizes: noted }) as Box<dyn atelier::engine::Engine>
    })
    .unwrap();
    let large = busy_photo(side * 4, side * 3);
    paint(&mut studio, &large, &StyleChoice::single("fixture-a"));
    let sizes = sizes.borrow().clone();
    assert_eq!(sizes.len(), 2, "the painting's pass and the re-painting's: {sizes:?}");
    let (painting, repainting) = (sizes[0], sizes[1]);
    let (w, h) = imaging::fit_within(large.width(), large.height(), side);
    assert!(painting.0 >= w + 128 && painting.1 >= h + 128, "the painting keeps its 64 px margin: {painting:?} for {w}x{h}");
    let (rw, rh) = imaging::fit_within(large.width(), large.height(), atelier::detail::repaint::REPAINT_FACTOR * side);
    let margin = atelier::detail::repaint::REPAINT_MARGIN;
    // (The stride's rounding adds under 4 px.)
    assert!(
        (rw + 2 * margin..rw + 2 * margin + 4).contains(&repainting.0) && (rh + 2 * margin..rh + 2 * margin + 4).contains(&repainting.1),
        "the re-painting's margin is {margin} px: {repainting:?} for {rw}x{rh}"
    );
}
