//! The studio: the one place that picks the engine for an opened model package, hands a job from
//! a failing GPU to the CPU engine, prepares photos and paints them. The worker, the JS module and
//! the CLI are thin shells over it: they bring the bytes (fetch, files), probe the GPU their own
//! way (WebGPU in a browser, Vulkan/Metal/DX12 natively) and show what it reports.
//!
//! No DOM and no wasm-only code: the fallback is tested natively with engines that fail like a
//! lost GPU (`engine::LosesDevice`).

use std::borrow::Cow;

use image::RgbaImage;
use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::engine::{Checkpoint, CpuEngine, Engine, EngineError, EngineKind, Tensors, WonnxEngine};
use crate::imaging::{self, ImageError};
use crate::model::format::ModelProto;
use crate::model::{GraphError, GraphVariant, ModelPackage, PackageError, StyleChoice, INPUT_NAME, OUTPUT_NAME};
use crate::detail::Detail;
use crate::pipeline::{self, Brush, DetailStage, PaintRequest, RenderOptions};

/// Which engine a caller asks for (the CLI's `--engine`, the JS module's `load`, the worker's).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(clap::ValueEnum))]
pub enum EngineChoice {
    /// A hardware GPU where there is one, else the CPU engine; a GPU that fails hands the job, and
    /// every later one, to the CPU engine.
    #[default]
    Auto,
    /// The GPU, software adapters included, or an error: for measurements and tests. A GPU failure
    /// is an error, not a fallback.
    Gpu,
    /// The CPU engine, without asking for a GPU.
    Cpu,
}

impl std::str::FromStr for EngineChoice {
    type Err = StudioError;

    fn from_str(text: &str) -> Result<Self, StudioError> {
        match text {
            "auto" => Ok(EngineChoice::Auto),
            "gpu" | "webgpu" => Ok(EngineChoice::Gpu),
            "cpu" => Ok(EngineChoice::Cpu),
            other => Err(StudioError::UnknownEngine(other.to_string())),
        }
    }
}

/// Why the CPU engine runs instead of the GPU (the page words it in the visitor's language).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum CpuReason {
    /// The caller asked for the CPU engine.
    Chosen,
    /// `navigator.gpu` is missing.
    NoWebGpu,
    /// WebGPU is there (or natively: Vulkan/Metal/DX12) but offers no adapter.
    NoAdapter,
    /// Asking for an adapter failed.
    ProbeFailed(String),
    /// The browser did not answer the request for an adapter within this many seconds (it can
    /// hang on some drivers): the CPU engine paints rather than the visitor waiting forever.
    ProbeTimedOut { seconds: u32 },
    /// The only adapter is a software rasteriser (named): slower than the CPU engine. On
    /// SwiftShader a 481x321 photo took 185-217 s against 1.6-3 s on the CPU engine.
    SoftwareGpu(String),
    /// The GPU failed while painting (device lost, out of memory).
    GpuFailed(String),
}

/// What a shell's GPU probe found. Shells skip the probe where the choice is `Cpu`.
#[derive(Debug, Clone, PartialEq)]
pub enum GpuProbe {
    /// A hardware adapter, with a description for the badge.
    Hardware(String),
    /// A software rasteriser (SwiftShader, lavapipe, WARP), with its description.
    Software(String),
    /// No usable GPU, and why.
    Missing(CpuReason),
}

/// Whether an adapter's description names a software rasteriser (where the platform does not say
/// so itself: WebGPU's adapter info has no device type in every browser).
pub fn is_software_adapter(description: &str) -> bool {
    let description = description.to_ascii_lowercase();
    ["swiftshader", "llvmpipe", "lavapipe", "softpipe", "microsoft basic render"].iter().any(|name| description.contains(name))
}

/// What runs, for the badge.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum EngineStatus {
    /// The shell is still looking (the page, before the worker answers).
    Probing,
    Gpu { adapter: String },
    Cpu { reason: CpuReason },
    /// Nothing can run, and why.
    Unavailable { problem: StudioError },
}

impl EngineStatus {
    pub fn kind(&self) -> Option<EngineKind> {
        match self {
            EngineStatus::Gpu { .. } => Some(EngineKind::Gpu),
            EngineStatus::Cpu { .. } => Some(EngineKind::Cpu),
            _ => None,
        }
    }

    pub fn cpu_reason(&self) -> Option<&CpuReason> {
        match self {
            EngineStatus::Cpu { reason } => Some(reason),
            _ => None,
        }
    }
}

impl CpuReason {
    /// A name for a reason that holds on every visit from this browser (the page remembers that
    /// the visitor has read it); None for one that is news each time (a failure, a time-out).
    pub fn lasting_key(&self) -> Option<&'static str> {
        match self {
            CpuReason::Chosen => Some("chosen"),
            CpuReason::NoWebGpu => Some("no-webgpu"),
            CpuReason::NoAdapter => Some("no-adapter"),
            CpuReason::SoftwareGpu(_) => Some("software-gpu"),
            CpuReason::ProbeFailed(_) | CpuReason::ProbeTimedOut { .. } | CpuReason::GpuFailed(_) => None,
        }
    }
}

/// Everything that can go wrong between a package, a photo and a painting. Serializable so the
/// worker can send it to the page, which says it in the visitor's language (`web::i18n`).
#[derive(Debug, Clone, PartialEq, Error, Serialize, Deserialize)]
pub enum StudioError {
    #[error("{0}")]
    Photo(#[from] ImageError),
    /// The package could not be downloaded, read or verified (the detail is technical).
    #[error("the styles could not be loaded: {0}")]
    Package(String),
    #[error("there is no style '{0}' in this package")]
    UnknownStyle(String),
    #[error("unknown engine '{0}': use 'auto', 'gpu' (or 'webgpu') or 'cpu'")]
    UnknownEngine(String),
    /// `EngineChoice::Gpu` where no GPU is usable.
    #[error("no usable GPU: {0:?}")]
    NoGpu(CpuReason),
    /// The engine failed (for the GPU: only where no fallback was allowed).
    #[error("the engine failed: {0}")]
    Engine(String),
    #[error("cancelled")]
    Cancelled,
    /// A job arrived before a package was opened (or after it failed to open).
    #[error("no engine is ready yet")]
    NotReady,
}

impl From<PackageError> for StudioError {
    fn from(e: PackageError) -> Self {
        match e {
            PackageError::UnknownStyle(id) => StudioError::UnknownStyle(id),
            e => StudioError::Package(e.to_string()),
        }
    }
}

impl From<GraphError> for StudioError {
    fn from(e: GraphError) -> Self {
        StudioError::Package(e.to_string())
    }
}

impl From<EngineError> for StudioError {
    fn from(e: EngineError) -> Self {
        match e {
            EngineError::Cancelled => StudioError::Cancelled,
            e => StudioError::Engine(e.to_string()),
        }
    }
}

/// What a painting reports while it runs.
#[derive(Debug, Clone, PartialEq)]
pub enum StudioEvent<'a> {
    /// Network passes: `done` of `total` (tiles, for large pictures).
    Pass { done: u32, total: u32 },
    /// The GPU failed; the CPU engine takes this job and every later one.
    FellBack(CpuReason),
    /// The painting at the photo's size before its detail stage (only where one follows): what
    /// the page shows while the detail is painted. The finished painting differs from it only
    /// in its finest band.
    Coarse(&'a RgbaImage),
}

/// A finished painting at the photo's size, and the engine that made it.
pub struct Painting {
    pub image: RgbaImage,
    pub engine: EngineKind,
}

/// Decode a photo (orientation applied, pixel budget checked) and fit it within `max_side` px on
/// its long side (0: keep its size; never enlarged).
pub fn prepare_photo(bytes: &[u8], max_side: u32) -> Result<RgbaImage, StudioError> {
    Ok(fit_photo(Cow::Owned(imaging::decode(bytes)?), max_side))
}

/// `prepare_photo` for the studio page, which refuses a photo under `imaging::MIN_PHOTO_SIDE` on
/// a side (`ImageError::TooSmall`): a visitor's 1x1 image is a mistake to name, not a painting
/// to keep. The CLI and the JS module paint any size (an embedder may batch icons).
pub fn prepare_visitor_photo(bytes: &[u8], max_side: u32) -> Result<RgbaImage, StudioError> {
    let photo = imaging::decode(bytes)?;
    let (width, height) = photo.dimensions();
    if width.min(height) < imaging::MIN_PHOTO_SIDE {
        return Err(ImageError::TooSmall { width, height, min: imaging::MIN_PHOTO_SIDE }.into());
    }
    Ok(fit_photo(Cow::Owned(photo), max_side))
}

/// `photo` fitted within `max_side` px (0: as it is). An owned photo that fits already (most phone
/// photos within 4096 px) is passed on, not copied; a borrowed one is copied only then.
pub fn fit_photo(photo: Cow<'_, RgbaImage>, max_side: u32) -> RgbaImage {
    let (width, height) = imaging::fit_within(photo.width(), photo.height(), max_side);
    if (width, height) == photo.dimensions() {
        return photo.into_owned();
    }
    imaging::resize_to(&photo, width, height)
}

/// Pass and tile sizes within `engine`'s budget, and the reflection `package`'s network expects.
fn render_options(package: &ModelPackage, engine: &dyn Engine) -> Result<RenderOptions, StudioError> {
    let options = RenderOptions::for_generator(&package.generator, package.stride(), engine.max_tensor_elements())?;
    Ok(RenderOptions { margin: package.margin(), ..options })
}

/// A model package with the engine that paints it.
pub struct Studio {
    package: ModelPackage,
    engine: Box<dyn Engine>,
    /// Pass and tile sizes within the running engine's budget.
    options: RenderOptions,
    status: EngineStatus,
    /// `Auto`: a failing GPU hands over to the CPU engine. Otherwise its failure is the caller's.
    falls_back: bool,
    /// Given to every engine the studio runs (see `Checkpoint`).
    checkpoint: Option<Checkpoint>,
    /// Whether large outputs get the detail stage (`pipeline::DetailStage`).
    detail: bool,
}

impl Studio {
    /// Pick the engine for `package` from `choice`, asking the shell's GPU `probe` (WebGPU in a
    /// browser, wgpu's adapters natively) only where a GPU might be used: never for
    /// `EngineChoice::Cpu` (in a browser without WebGPU the request alone logs warnings).
    pub async fn open_probing<F>(package: ModelPackage, choice: EngineChoice, probe: impl FnOnce() -> F) -> Result<Studio, StudioError>
    where
        F: std::future::Future<Output = GpuProbe>,
    {
        Studio::open_probing_with(package, choice, probe, |generator| Box::new(WonnxEngine::new(generator))).await
    }

    /// `open_probing` with the GPU engine made by `make_gpu` (see `open_with`).
    pub async fn open_probing_with<F>(
        package: ModelPackage,
        choice: EngineChoice,
        probe: impl FnOnce() -> F,
        make_gpu: impl FnOnce(ModelProto) -> Box<dyn Engine>,
    ) -> Result<Studio, StudioError>
    where
        F: std::future::Future<Output = GpuProbe>,
    {
        let found = match choice {
            EngineChoice::Cpu => GpuProbe::Missing(CpuReason::Chosen),
            EngineChoice::Auto | EngineChoice::Gpu => probe().await,
        };
        Studio::open_with(package, choice, found, make_gpu)
    }

    /// The CPU engine for `package`, no GPU asked for.
    pub fn open_cpu(package: ModelPackage) -> Result<Studio, StudioError> {
        Studio::open(package, EngineChoice::Cpu, GpuProbe::Missing(CpuReason::Chosen))
    }

    /// Pick the engine for `package` from `choice` and what a GPU probe already found (tests
    /// give it directly; shells use `open_probing`).
    pub fn open(package: ModelPackage, choice: EngineChoice, probe: GpuProbe) -> Result<Studio, StudioError> {
        Studio::open_with(package, choice, probe, |generator| Box::new(WonnxEngine::new(generator)))
    }

    /// `open` with the GPU engine made by `make_gpu` (called only where the GPU is picked): tests
    /// and the page's fault switches wrap it in engines that fail on purpose.
    pub fn open_with(
        package: ModelPackage,
        choice: EngineChoice,
        probe: GpuProbe,
        make_gpu: impl FnOnce(ModelProto) -> Box<dyn Engine>,
    ) -> Result<Studio, StudioError> {
        let use_gpu = match (choice, probe) {
            (EngineChoice::Cpu, _) => Err(CpuReason::Chosen),
            (EngineChoice::Gpu, GpuProbe::Hardware(adapter) | GpuProbe::Software(adapter)) => Ok(adapter),
            (EngineChoice::Gpu, GpuProbe::Missing(reason)) => return Err(StudioError::NoGpu(reason)),
            (EngineChoice::Auto, GpuProbe::Hardware(adapter)) => Ok(adapter),
            (EngineChoice::Auto, GpuProbe::Software(adapter)) => Err(CpuReason::SoftwareGpu(adapter)),
            (EngineChoice::Auto, GpuProbe::Missing(reason)) => Err(reason),
        };
        let (engine, status) = match use_gpu {
            Ok(adapter) => (make_gpu(package.generator.clone()), EngineStatus::Gpu { adapter }),
            Err(reason) => (cpu_engine(&package), EngineStatus::Cpu { reason }),
        };
        let options = render_options(&package, engine.as_ref())?;
        Ok(Studio { package, engine, options, status, falls_back: choice == EngineChoice::Auto, checkpoint: None, detail: true })
    }

    /// Where engines wait between steps of a pass, and may be stopped (see `Checkpoint`).
    pub fn set_checkpoint(&mut self, checkpoint: Option<Checkpoint>) {
        self.engine.set_checkpoint(checkpoint.clone());
        self.checkpoint = checkpoint;
    }

    pub fn package(&self) -> &ModelPackage {
        &self.package
    }

    /// Paint with a style of the visitor's own from now on (see `ModelPackage::add_own_style`).
    pub fn add_own_style(&mut self, id: &str, params: crate::model::StyleParams) -> Result<(), StudioError> {
        Ok(self.package.add_own_style(id, params)?)
    }

    pub fn remove_own_style(&mut self, id: &str) -> bool {
        self.package.remove_own_style(id)
    }

    pub fn status(&self) -> &EngineStatus {
        &self.status
    }

    pub fn engine_kind(&self) -> EngineKind {
        self.engine.kind()
    }

    /// Whether the package's refiner paints the detail of `style` (on outputs brought up from
    /// the working side): it has a row for it or, for a visitor's own, for the shipped styles it
    /// is mixed from. Otherwise the detail is re-painted (`detail::repaint`).
    pub fn has_refiner_row(&self, style: &StyleChoice) -> bool {
        self.package.refiner_row(style).is_some()
    }

    /// Paint large outputs with (the default) or without the detail stage (the CLI's
    /// `--no-detail`, comparisons).
    pub fn set_detail(&mut self, enabled: bool) {
        self.detail = enabled;
    }

    pub fn options(&self) -> &RenderOptions {
        &self.options
    }

    /// Paint `photo` at its own size with `style`, strokes of `brush`. `events` hears every pass
    /// (return false to cancel) and a fallback to the CPU engine.
    pub async fn paint(
        &mut self,
        photo: &RgbaImage,
        style: &StyleChoice,
        brush: Brush,
        events: &mut dyn FnMut(StudioEvent<'_>) -> bool,
    ) -> Result<Painting, StudioError> {
        let params = self.package.style_params(style)?;
        let (stride, working_side) = (self.package.stride(), self.package.working_side_for(style));
        let refiner = self.package.refiner();
        let row = self.package.refiner_row(style);
        let detail = match refiner.as_deref().zip(row.as_deref()) {
            _ if !self.detail => DetailStage::Off,
            Some((refiner, row)) => DetailStage::Refiner(Detail { refiner, row }),
            None => DetailStage::Repaint,
        };
        let mut result = self.paint_once(photo, &params, (stride, working_side), brush, detail, events).await;
        if let Err(EngineError::Gpu(reason)) = &result {
            if self.falls_back {
                let reason = CpuReason::GpuFailed(reason.clone());
                self.use_cpu(reason.clone())?;
                events(StudioEvent::FellBack(reason));
                result = self.paint_once(photo, &params, (stride, working_side), brush, detail, events).await;
            }
        }
        Ok(Painting { image: result?, engine: self.engine.kind() })
    }

    /// One try of `paint` on the running engine, its passes and coarse picture told to `events`.
    async fn paint_once(
        &mut self,
        photo: &RgbaImage,
        params: &crate::model::StyleParams,
        (stride, working_side): (u32, u32),
        brush: Brush,
        detail: DetailStage<'_>,
        events: &mut dyn FnMut(StudioEvent<'_>) -> bool,
    ) -> Result<RgbaImage, EngineError> {
        // Both callbacks speak through `events`; they never run at the same time.
        let events = std::cell::RefCell::new(events);
        let mut on_pass = |done: usize, total: usize| (events.borrow_mut())(StudioEvent::Pass { done: done as u32, total: total as u32 });
        let mut on_coarse = |coarse: &RgbaImage| {
            (events.borrow_mut())(StudioEvent::Coarse(coarse));
        };
        pipeline::paint(self.engine.as_mut(), photo, params, stride, &self.options, brush, working_side, detail, &mut on_pass, &mut on_coarse).await
    }

    /// Paint one live camera frame (already at the live size) with `style` and the sliders,
    /// steadied against the frames before (`live::paint_frame`). A GPU that fails hands this
    /// frame and every later one to the CPU engine, as for photos (`on_fallback` hears it).
    pub async fn paint_live(
        &mut self,
        frame: &RgbaImage,
        style: &StyleChoice,
        adjustments: pipeline::Adjustments,
        steadier: &mut crate::live::Steadier,
        on_fallback: &mut dyn FnMut(CpuReason),
    ) -> Result<Painting, StudioError> {
        let params = self.package.style_params(style)?;
        let stride = self.package.stride();
        let mut result = crate::live::paint_frame(self.engine.as_mut(), frame, &params, stride, adjustments, steadier).await;
        if let Err(EngineError::Gpu(reason)) = &result {
            if self.falls_back {
                let reason = CpuReason::GpuFailed(reason.clone());
                self.use_cpu(reason.clone())?;
                on_fallback(reason);
                result = crate::live::paint_frame(self.engine.as_mut(), frame, &params, stride, adjustments, steadier).await;
            }
        }
        Ok(Painting { image: result?, engine: self.engine.kind() })
    }

    /// One network pass and nothing around it: `content` is a `[1,3,height,width]` tensor in 0..1 (no
    /// padding added); returns the generator's output of the same shape. For benchmarks and callers
    /// who do their own pre- and post-processing. No fallback: the caller measures one engine.
    pub async fn run_pass(&mut self, style: &str, content: Vec<f32>, height: u32, width: u32) -> Result<Vec<f32>, StudioError> {
        let params = self.package.style_params(&StyleChoice::single(style))?;
        let mut inputs: Tensors = params.inputs.into_iter().collect();
        inputs.insert(INPUT_NAME.into(), content);
        let mut outputs = self.engine.run(GraphVariant::Plain, height, width, &inputs).await?;
        outputs.remove(OUTPUT_NAME).ok_or_else(|| EngineError::MissingOutput(OUTPUT_NAME.into()).into())
    }

    fn use_cpu(&mut self, reason: CpuReason) -> Result<(), StudioError> {
        self.engine = cpu_engine(&self.package);
        self.engine.set_checkpoint(self.checkpoint.clone());
        self.options = render_options(&self.package, self.engine.as_ref())?;
        self.status = EngineStatus::Cpu { reason };
        Ok(())
    }
}

fn cpu_engine(package: &ModelPackage) -> Box<dyn Engine> {
    Box::new(CpuEngine::new(package.generator.clone()))
}

/// The native GPU probe: the adapter wonnx would open (Vulkan/Metal/DX12), software ones told apart.
#[cfg(not(target_arch = "wasm32"))]
pub async fn probe_native_gpu() -> GpuProbe {
    match crate::engine::native_gpu_adapter().await {
        Some(adapter) if adapter.software => GpuProbe::Software(adapter.name),
        Some(adapter) => GpuProbe::Hardware(adapter.name),
        None => GpuProbe::Missing(CpuReason::NoAdapter),
    }
}

/// What a painting was made from: the photo (a caller's id for it) and the settings that reach
/// the network. Slider adjustments are not part of it: they are applied after.
#[derive(Debug, Clone, PartialEq)]
pub struct PaintingKey {
    pub photo: u64,
    pub request: PaintRequest,
}

/// A finished painting with the photo as it went in (scaled), for the sliders.
pub struct CachedPainting {
    pub photo: RgbaImage,
    pub painting: RgbaImage,
    pub engine: EngineKind,
}

impl CachedPainting {
    fn bytes(&self) -> usize {
        self.photo.as_raw().len() + self.painting.as_raw().len()
    }
}

/// Paintings already made, newest first, within a memory budget: going back to a style, a brush
/// or a size already painted for this photo shows it again instead of painting it again.
pub struct PaintingCache {
    budget_bytes: usize,
    entries: std::collections::VecDeque<(PaintingKey, std::rc::Rc<CachedPainting>)>,
}

impl PaintingCache {
    pub fn new(budget_bytes: usize) -> Self {
        PaintingCache { budget_bytes, entries: Default::default() }
    }

    /// The painting for `key`, now the most recently used.
    pub fn get(&mut self, key: &PaintingKey) -> Option<std::rc::Rc<CachedPainting>> {
        let at = self.entries.iter().position(|(k, _)| k == key)?;
        let entry = self.entries.remove(at)?;
        let painting = entry.1.clone();
        self.entries.push_front(entry);
        Some(painting)
    }

    /// Keep `painting` under `key`, dropping the least recently used paintings past the budget.
    /// One larger than the whole budget is not kept.
    pub fn put(&mut self, key: PaintingKey, painting: CachedPainting) {
        self.entries.retain(|(k, _)| k != &key);
        if painting.bytes() > self.budget_bytes {
            return;
        }
        self.entries.push_front((key, std::rc::Rc::new(painting)));
        while self.bytes() > self.budget_bytes {
            self.entries.pop_back();
        }
    }

    /// Drop the paintings of photos other than `keep`.
    pub fn keep_photos(&mut self, keep: &[u64]) {
        self.entries.retain(|(k, _)| keep.contains(&k.photo));
    }

    pub fn bytes(&self) -> usize {
        self.entries.iter().map(|(_, p)| p.bytes()).sum()
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}
