//! The studio: engine choice, the GPU -> CPU fallback, photo preparation and typed errors, with
//! engines that fail on purpose (no GPU needed).

mod common;

use std::cell::Cell;
use std::rc::Rc;

use async_trait::async_trait;
use atelier::engine::{CpuEngine, Engine, EngineError, EngineKind, LosesDevice, Tensors};
use atelier::imaging::ImageError;
use atelier::model::{GraphVariant, ModelPackage, StyleChoice};
use atelier::pipeline::{Brush, PaintRequest};
use atelier::studio::{self, CpuReason, EngineChoice, EngineStatus, GpuProbe, Studio, StudioError, StudioEvent};
use common::*;

/// The CPU engine dressed as a GPU (kind Gpu, wonnx's tensor budget), counting its runs.
struct PretendGpu {
    inner: CpuEngine,
    runs: Rc<Cell<u32>>,
}

#[async_trait(?Send)]
impl Engine for PretendGpu {
    fn kind(&self) -> EngineKind {
        EngineKind::Gpu
    }

    fn max_tensor_elements(&self) -> usize {
        atelier::model::prepare::MAX_TENSOR_ELEMENTS
    }

    async fn run(&mut self, variant: GraphVariant, height: u32, width: u32, inputs: &Tensors) -> Result<Tensors, EngineError> {
        self.runs.set(self.runs.get() + 1);
        self.inner.run(variant, height, width, inputs).await
    }
}

fn pretend_gpu(runs: &Rc<Cell<u32>>, lost_after: Option<u32>) -> impl FnOnce(atelier::model::format::ModelProto) -> Box<dyn Engine> {
    let runs = runs.clone();
    move |generator| {
        let gpu: Box<dyn Engine> = Box::new(PretendGpu { inner: CpuEngine::new(generator), runs });
        match lost_after {
            Some(after) => Box::new(LosesDevice::new(gpu, after)),
            None => gpu,
        }
    }
}

/// The events kept are the passes and fallbacks (a 48 px photo has no detail stage, so no coarse
/// picture either).
fn paint(studio: &mut Studio, events: &mut Vec<StudioEvent<'static>>) -> Result<studio::Painting, StudioError> {
    let photo = synthetic_photo(48, 36);
    let style = StyleChoice::single("fixture-a");
    pollster::block_on(studio.paint(&photo, &style, Brush::default(), &mut |event| {
        events.push(match event {
            StudioEvent::Pass { done, total } => StudioEvent::Pass { done, total },
            StudioEvent::FellBack(reason) => StudioEvent::FellBack(reason),
            StudioEvent::Coarse(coarse) => panic!("a coarse picture of {:?} for a 48 px photo", coarse.dimensions()),
        });
        true
    }))
}

fn cpu_painting() -> image::RgbaImage {
    let mut studio = Studio::open(package(), EngineChoice::Cpu, GpuProbe::Missing(CpuReason::Chosen)).unwrap();
    paint(&mut studio, &mut Vec::new()).unwrap().image
}

#[test]
fn auto_hands_a_lost_gpu_job_to_the_cpu_engine_for_this_picture_and_the_next() {
    let runs = Rc::new(Cell::new(0));
    let probe = GpuProbe::Hardware("Test GPU".into());
    let mut studio = Studio::open_with(package(), EngineChoice::Auto, probe, pretend_gpu(&runs, Some(0))).unwrap();
    assert_eq!(studio.status(), &EngineStatus::Gpu { adapter: "Test GPU".into() });
    let mut events = Vec::new();
    let painting = paint(&mut studio, &mut events).unwrap();
    assert_eq!(painting.engine, EngineKind::Cpu);
    assert_eq!(painting.image, cpu_painting(), "the CPU engine paints the whole picture again");
    let fell_back: Vec<_> = events.iter().filter(|e| matches!(e, StudioEvent::FellBack(_))).collect();
    assert!(matches!(fell_back[..], [StudioEvent::FellBack(CpuReason::GpuFailed(_))]), "{events:?}");
    assert!(matches!(events.last(), Some(StudioEvent::Pass { done: 1, total: 1 })), "{events:?}");
    assert!(matches!(studio.status(), EngineStatus::Cpu { reason: CpuReason::GpuFailed(_) }), "{:?}", studio.status());
    // The next picture goes straight to the CPU engine: no second fallback.
    let mut events = Vec::new();
    assert_eq!(paint(&mut studio, &mut events).unwrap().engine, EngineKind::Cpu);
    assert!(events.iter().all(|e| matches!(e, StudioEvent::Pass { .. })), "{events:?}");
    assert_eq!(runs.get(), 0, "the lost device ran nothing");
}

#[test]
fn a_working_gpu_paints_the_same_picture_as_the_cpu_engine() {
    let runs = Rc::new(Cell::new(0));
    let probe = GpuProbe::Hardware("Test GPU".into());
    let mut studio = Studio::open_with(package(), EngineChoice::Auto, probe, pretend_gpu(&runs, None)).unwrap();
    let painting = paint(&mut studio, &mut Vec::new()).unwrap();
    assert_eq!((painting.engine, runs.get()), (EngineKind::Gpu, 1));
    assert_eq!(painting.image, cpu_painting());
}

#[test]
fn a_chosen_gpu_that_fails_is_an_error_not_a_fallback() {
    let runs = Rc::new(Cell::new(0));
    let probe = GpuProbe::Software("SwiftShader".into());
    let mut studio = Studio::open_with(package(), EngineChoice::Gpu, probe, pretend_gpu(&runs, Some(0))).unwrap();
    let mut events = Vec::new();
    let failed = paint(&mut studio, &mut events);
    assert!(matches!(failed, Err(StudioError::Engine(ref m)) if m.contains("lost")), "{:?}", failed.err());
    assert!(events.is_empty(), "{events:?}");
    assert_eq!(studio.status(), &EngineStatus::Gpu { adapter: "SwiftShader".into() });
}

#[test]
fn engine_choice_and_probe_pick_the_engine() {
    let made = Rc::new(Cell::new(0));
    let open = |choice, probe| {
        let made = made.clone();
        Studio::open_with(package(), choice, probe, move |generator| {
            made.set(made.get() + 1);
            Box::new(CpuEngine::new(generator))
        })
    };
    let software = || GpuProbe::Software("SwiftShader Device".into());
    let cases = [
        (EngineChoice::Auto, software(), EngineStatus::Cpu { reason: CpuReason::SoftwareGpu("SwiftShader Device".into()) }),
        (EngineChoice::Auto, GpuProbe::Missing(CpuReason::NoWebGpu), EngineStatus::Cpu { reason: CpuReason::NoWebGpu }),
        (EngineChoice::Cpu, GpuProbe::Hardware("X".into()), EngineStatus::Cpu { reason: CpuReason::Chosen }),
        (EngineChoice::Gpu, software(), EngineStatus::Gpu { adapter: "SwiftShader Device".into() }),
        (EngineChoice::Auto, GpuProbe::Hardware("X".into()), EngineStatus::Gpu { adapter: "X".into() }),
    ];
    for (choice, probe, want) in cases {
        let studio = open(choice, probe.clone()).unwrap();
        assert_eq!(studio.status(), &want, "{choice:?} with {probe:?}");
    }
    assert_eq!(made.get(), 2, "the GPU engine is made only where it is picked");
    let refused = open(EngineChoice::Gpu, GpuProbe::Missing(CpuReason::NoAdapter));
    assert!(matches!(refused, Err(StudioError::NoGpu(CpuReason::NoAdapter))), "{:?}", refused.err());
    assert_eq!("webgpu".parse::<EngineChoice>().unwrap(), EngineChoice::Gpu);
    assert_eq!("tpu".parse::<EngineChoice>().unwrap_err(), StudioError::UnknownEngine("tpu".into()));
}

#[test]
fn software_adapters_are_recognised_by_name() {
    for name in ["google swiftshader", "llvmpipe (LLVM 15.0.6, 256 bits) (Vulkan)", "Microsoft Basic Render Driver"] {
        assert!(studio::is_software_adapter(name), "{name}");
    }
    for name in ["nvidia ampere", "apple metal-3", "AMD Radeon RX 6600", "intel gen-12lp"] {
        assert!(!studio::is_software_adapter(name), "{name}");
    }
}

/// Each engine paints in passes as large as its own budget allows: on the shipped 32-channel
/// generator wonnx's 2^24 elements stop at about 724 px square, the CPU engine's at the 1024 px cap.
#[test]
fn render_options_come_from_the_engine_in_use() {
    let shipped = || ModelPackage::load_dir(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("models").as_path()).unwrap();
    let cpu = Studio::open(shipped(), EngineChoice::Cpu, GpuProbe::Missing(CpuReason::Chosen)).unwrap();
    let gpu = Studio::open_with(shipped(), EngineChoice::Auto, GpuProbe::Hardware("Test".into()), pretend_gpu(&Rc::default(), None))
        .unwrap();
    assert_eq!(cpu.options().max_pass_pixels, 1024 * 1024);
    let gpu_side = (gpu.options().max_pass_pixels as f64).sqrt();
    assert!((700.0..=730.0).contains(&gpu_side), "{:?}", gpu.options());
    assert!(cpu.options().tile_side > gpu.options().tile_side, "{:?} vs {:?}", cpu.options(), gpu.options());
    assert_eq!(cpu.options().margin, shipped().margin(), "the package's margin, on every engine");
    assert_eq!(gpu.options().margin, shipped().margin());
}

/// The margin a package's network was trained with reaches every pass, after a fallback too.
#[test]
fn the_packages_margin_survives_the_fallback() {
    let manifest = std::fs::read_to_string(fixture_path("package/manifest.json")).unwrap();
    let manifest = atelier::model::package::Manifest::parse(manifest.replace("\"stride\": 4", "\"stride\": 4, \"reflect_margin\": 20").as_bytes()).unwrap();
    let read = |f: &str| std::fs::read(fixture_path(&format!("package/{f}"))).unwrap();
    let with_margin = ModelPackage::from_parts(manifest, &read("generator.onnx"), &read("styles.f32")).unwrap();
    let mut studio =
        Studio::open_with(with_margin, EngineChoice::Auto, GpuProbe::Hardware("Test".into()), pretend_gpu(&Rc::default(), Some(0))).unwrap();
    assert_eq!(studio.options().margin, atelier::model::Margin::Trained(20));
    let mut events = Vec::new();
    paint(&mut studio, &mut events).unwrap();
    assert!(events.iter().any(|e| matches!(e, StudioEvent::FellBack(_))), "{events:?}");
    assert_eq!(studio.engine_kind(), EngineKind::Cpu);
    assert_eq!(studio.options().margin, atelier::model::Margin::Trained(20));
}

#[test]
fn photos_are_prepared_once_with_typed_errors() {
    let photo = synthetic_photo(300, 200);
    let mut png = Vec::new();
    photo.write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png).unwrap();
    assert_eq!(studio::prepare_photo(&png, 0).unwrap().dimensions(), (300, 200), "0 keeps the size");
    assert_eq!(studio::prepare_photo(&png, 150).unwrap().dimensions(), (150, 100));
    assert_eq!(studio::prepare_photo(&png, 4096).unwrap().dimensions(), (300, 200), "never enlarged");
    assert_eq!(studio::prepare_photo(&[], 0).unwrap_err(), StudioError::Photo(ImageError::Empty));
    // On the page a 1x1 or 15 px photo is refused by name; 16 px is the least painted. The
    // API's `prepare_photo` paints any size.
    for (w, h, refused) in [(1, 1, true), (400, 15, true), (16, 16, false)] {
        let mut tiny = Vec::new();
        image::RgbaImage::new(w, h).write_to(&mut std::io::Cursor::new(&mut tiny), image::ImageFormat::Png).unwrap();
        assert_eq!(studio::prepare_photo(&tiny, 0).unwrap().dimensions(), (w, h));
        let prepared = studio::prepare_visitor_photo(&tiny, 0);
        if refused {
            assert_eq!(prepared.unwrap_err(), StudioError::Photo(ImageError::TooSmall { width: w, height: h, min: 16 }));
        } else {
            assert_eq!(prepared.unwrap().dimensions(), (w, h));
        }
    }
    let cut = studio::prepare_photo(&png[..png.len() / 2], 0).unwrap_err();
    assert!(matches!(cut, StudioError::Photo(ImageError::Corrupt(_) | ImageError::Truncated)), "{cut:?}");
}

#[test]
fn package_and_style_problems_are_typed() {
    let mut studio = Studio::open(package(), EngineChoice::Cpu, GpuProbe::Missing(CpuReason::Chosen)).unwrap();
    let photo = synthetic_photo(20, 20);
    let unknown = pollster::block_on(studio.paint(&photo, &StyleChoice::single("mona-lisa"), Brush::default(), &mut |_| true));
    assert_eq!(unknown.err(), Some(StudioError::UnknownStyle("mona-lisa".into())));
    let cancelled = pollster::block_on(studio.paint(&photo, &StyleChoice::single("fixture-a"), Brush::default(), &mut |_| false));
    assert_eq!(cancelled.err(), Some(StudioError::Cancelled));
    // The worker sends these to the page: they survive the trip.
    let error = StudioError::Photo(ImageError::TooLarge { width: 9000, height: 9000, limit: 40 });
    let json = serde_json::to_string(&error).unwrap();
    assert_eq!(serde_json::from_str::<StudioError>(&json).unwrap(), error);
}

/// The checkpoint is awaited between a CPU pass's nodes (where a browser worker yields to let a
/// cancel in) and stops the pass when it says so, also after a fallback to the CPU engine.
#[test]
fn a_checkpoint_is_awaited_inside_a_pass_and_can_stop_it() {
    use atelier::engine::Checkpoint;
    let calls = Rc::new(Cell::new(0u32));
    let stop_after = Rc::new(Cell::new(u32::MAX));
    let checkpoint: Checkpoint = {
        let (calls, stop_after) = (calls.clone(), stop_after.clone());
        Rc::new(move || {
            calls.set(calls.get() + 1);
            let go_on = calls.get() <= stop_after.get();
            Box::pin(async move { go_on })
        })
    };
    let probe = GpuProbe::Hardware("Test GPU".into());
    let mut studio = Studio::open_with(package(), EngineChoice::Auto, probe, pretend_gpu(&Rc::default(), Some(0))).unwrap();
    studio.set_checkpoint(Some(checkpoint));
    let painting = paint(&mut studio, &mut Vec::new()).unwrap();
    assert_eq!(painting.image, cpu_painting(), "a checkpoint that goes on changes nothing");
    let nodes = calls.get();
    assert!(nodes > 10, "one call per node of the generator, {nodes}");
    calls.set(0);
    stop_after.set(3);
    assert_eq!(paint(&mut studio, &mut Vec::new()).err(), Some(StudioError::Cancelled));
    assert_eq!(calls.get(), 4, "the pass stops at the first checkpoint that says so");
}

#[test]
fn the_painting_cache_keeps_the_most_recent_within_its_budget() {
    use studio::{CachedPainting, PaintingCache, PaintingKey};
    let key = |photo: u64, style: &str, max_side: u32| PaintingKey { photo, request: PaintRequest::new(StyleChoice::single(style), max_side) };
    // 10 x 10 RGBA photo + painting: 800 bytes an entry.
    let entry = |level: u8| CachedPainting {
        photo: image::RgbaImage::from_pixel(10, 10, image::Rgba([level; 4])),
        painting: image::RgbaImage::from_pixel(10, 10, image::Rgba([level; 4])),
        engine: EngineKind::Cpu,
    };
    let mut cache = PaintingCache::new(2000);
    cache.put(key(1, "a", 1024), entry(1));
    cache.put(key(1, "b", 1024), entry(2));
    assert_eq!(cache.get(&key(1, "a", 1024)).unwrap().painting.get_pixel(0, 0).0[0], 1);
    assert!(cache.get(&key(1, "a", 2048)).is_none(), "another size is another painting");
    let mut brush = key(1, "a", 1024);
    brush.request.brush = Brush::new(2.0).unwrap();
    assert!(cache.get(&brush).is_none(), "another brush is another painting");
    cache.put(key(1, "c", 1024), entry(3)); // over budget: "b", the least recently used, goes
    assert_eq!((cache.len(), cache.bytes()), (2, 1600));
    assert!(cache.get(&key(1, "b", 1024)).is_none());
    assert!(cache.get(&key(1, "a", 1024)).is_some() && cache.get(&key(1, "c", 1024)).is_some());
    cache.put(key(1, "a", 1024), entry(9)); // the same key again replaces it
    assert_eq!(cache.get(&key(1, "a", 1024)).unwrap().painting.get_pixel(0, 0).0[0], 9);
    assert_eq!(cache.len(), 2);
    cache.put(key(2, "a", 1024), entry(4));
    cache.keep_photos(&[2]);
    assert_eq!(cache.len(), 1);
    let huge = CachedPainting { photo: image::RgbaImage::new(30, 30), painting: image::RgbaImage::new(30, 30), engine: EngineKind::Cpu };
    cache.put(key(3, "a", 1024), huge);
    assert!(cache.get(&key(3, "a", 1024)).is_none(), "larger than the whole budget: not kept");
    assert_eq!(cache.len(), 1, "and nothing else was dropped for it");
}

/// The studio asks the shell's GPU probe only where a GPU might be used, and what it finds picks
/// the engine as `open` does.
#[test]
fn the_gpu_probe_is_asked_only_where_a_gpu_might_be_used() {
    let asked = Rc::new(Cell::new(0));
    let probe = |found: GpuProbe| {
        let asked = asked.clone();
        move || {
            asked.set(asked.get() + 1);
            std::future::ready(found)
        }
    };
    let runs = Rc::new(Cell::new(0));
    let cpu = pollster::block_on(Studio::open_probing_with(
        package(), EngineChoice::Cpu, probe(GpuProbe::Hardware("never asked".into())), pretend_gpu(&runs, None),
    ))
    .unwrap();
    assert_eq!((asked.get(), cpu.status()), (0, &EngineStatus::Cpu { reason: CpuReason::Chosen }), "the CPU chosen: no probe");
    let auto = pollster::block_on(Studio::open_probing_with(
        package(), EngineChoice::Auto, probe(GpuProbe::Hardware("Test GPU".into())), pretend_gpu(&runs, None),
    ))
    .unwrap();
    assert_eq!((asked.get(), auto.status()), (1, &EngineStatus::Gpu { adapter: "Test GPU".into() }));
    let software = pollster::block_on(Studio::open_probing_with(
        package(), EngineChoice::Auto, probe(GpuProbe::Software("lavapipe".into())), pretend_gpu(&runs, None),
    ))
    .unwrap();
    assert_eq!(software.status(), &EngineStatus::Cpu { reason: CpuReason::SoftwareGpu("lavapipe".into()) });
    let missing = pollster::block_on(Studio::open_probing_with(
        package(), EngineChoice::Gpu, probe(GpuProbe::Missing(CpuReason::NoAdapter)), pretend_gpu(&runs, None),
    ));
    assert!(matches!(missing, Err(StudioError::NoGpu(CpuReason::NoAdapter))));
    assert_eq!(asked.get(), 3);
    assert_eq!(Studio::open_cpu(package()).unwrap().status(), &EngineStatus::Cpu { reason: CpuReason::Chosen });
}
