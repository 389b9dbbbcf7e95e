//! `atelier`: the native command-line tool over the same library and the same models/.

#[cfg(target_arch = "wasm32")]
fn main() {}

/// mimalloc keeps freed memory for the next tensor instead of handing it back to the system:
/// with glibc's allocator every tensor over 32 MB is a fresh mapping, and at 1024 px the page
/// faults took a third of a pass (bench_native: 1384 ms with glibc's, 940 ms with mimalloc).
#[cfg(not(target_arch = "wasm32"))]
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[cfg(not(target_arch = "wasm32"))]
fn main() {
    std::process::exit(cli::main());
}

#[cfg(not(target_arch = "wasm32"))]
mod cli {
    use std::path::{Path, PathBuf};

    use std::sync::atomic::{AtomicUsize, Ordering};

    use atelier::engine::{cpu_threads, EngineKind};
    use atelier::imaging;
    use atelier::model::prepare::MAX_TENSOR_ELEMENTS;
    use atelier::model::{ModelPackage, StyleChoice};
    use atelier::pipeline::{self, Adjustments, Brush, PaintRequest, RenderOptions};
    use atelier::studio::{self, CpuReason, EngineChoice, EngineStatus, Studio, StudioError, StudioEvent};
    use clap::{Parser, Subcommand};
    use indicatif::{ProgressBar, ProgressStyle};

    /// Exit codes, also in the README.
    const EXIT_SOME_FAILED: i32 = 1;
    const EXIT_MODELS: i32 = 3;
    const EXIT_ENGINE: i32 = 4;
    const EXIT_INPUT: i32 = 5;

    #[derive(Parser)]
    #[command(name = "atelier", version, about = "Stylize photos with Atelier's painting styles, on this machine")]
    struct Cli {
        /// The model package folder (manifest.json and the files it lists).
        #[arg(long, global = true, env = "ATELIER_MODELS", default_value = "models")]
        models: PathBuf,
        #[command(subcommand)]
        command: Command,
    }

    #[derive(Subcommand)]
    enum Command {
        /// List the styles of the model package.
        Styles {
            /// Show names in Chinese.
            #[arg(long)]
            zh: bool,
        },
        /// Check the model package: sizes and hashes, int8 weights, the wonnx rules, and that
        /// every graph variant specialises at a few sizes (the training export runs this).
        Check,
        /// Stylize a photo, or every photo in a folder.
        Stylize {
            /// A photo (JPEG, PNG, WebP, GIF, BMP) or a folder of photos.
            input: PathBuf,
            /// The output file (its extension picks PNG or JPEG), or a folder for a folder input.
            output: PathBuf,
            /// The style's id (see `atelier styles`).
            #[arg(long, required_unless_present = "style_file", conflicts_with = "style_file")]
            style: Option<String>,
            /// Paint with a style learned by `atelier learn` (a .style file) instead of a shipped one.
            #[arg(long)]
            style_file: Option<PathBuf>,
            /// Mix in a second (shipped) style, `ID:WEIGHT` with WEIGHT in 0..1.
            #[arg(long, value_parser = parse_mix)]
            mix: Option<(String, f32)>,
            /// 0 keeps the photo, 1 is the full painting.
            #[arg(long, default_value_t = 1.0, value_parser = parse_unit)]
            strength: f32,
            /// 0 takes the painting's colours, 1 keeps the photo's.
            #[arg(long = "preserve-colour", alias = "preserve-color", default_value_t = 0.0, value_parser = parse_unit)]
            preserve_colour: f32,
            /// Scale the photo so its long side is at most this (0: keep its size).
            #[arg(long, default_value_t = 2048)]
            max_side: u32,
            /// Stroke size relative to the picture, 0.25 to 4: 1 is the size the styles were
            /// trained for, 2 twice as large. The network paints at a working resolution this sets
            /// and the photo's detail is restored at the output size.
            #[arg(long, default_value = "1", value_parser = parse_brush)]
            brush: Brush,
            #[arg(long, value_enum, default_value_t = EngineChoice::Auto)]
            engine: EngineChoice,
            /// Leave out the detail stage (the painting's fine texture at 100 %, on outputs at
            /// least 3x the working side: re-painted at half the brush, or the package's refiner).
            #[arg(long)]
            no_detail: bool,
        },
        /// Learn the style of a painting (a photo or scan of any painting) on this machine and
        /// write it as a style file: the first guess at once, then refinement for --seconds.
        Learn {
            /// The painting: JPEG, PNG, WebP, GIF or BMP, at least 64 px a side.
            painting: PathBuf,
            /// The style file to write (it must end in .style).
            output: PathBuf,
            /// The style's name (default: the painting's file name).
            #[arg(long)]
            name: Option<String>,
            /// A folder of photos to learn on (default: the app's three sample photos).
            #[arg(long)]
            photos: Option<PathBuf>,
            /// How long to refine, in seconds.
            #[arg(long, default_value_t = 20.0, value_parser = parse_seconds)]
            seconds: f64,
        },
    }

    fn parse_seconds(s: &str) -> Result<f64, String> {
        let v: f64 = s.parse().map_err(|_| format!("'{s}' is not a number"))?;
        if (0.0..=3600.0).contains(&v) {
            Ok(v)
        } else {
            Err(format!("{v} is outside 0..3600"))
        }
    }

    fn parse_unit(s: &str) -> Result<f32, String> {
        let v: f32 = s.parse().map_err(|_| format!("'{s}' is not a number"))?;
        if (0.0..=1.0).contains(&v) {
            Ok(v)
        } else {
            Err(format!("{v} is outside 0..1"))
        }
    }

    fn parse_brush(s: &str) -> Result<Brush, String> {
        Brush::parse(s).map_err(|e| e.to_string())
    }

    fn parse_mix(s: &str) -> Result<(String, f32), String> {
        let (id, weight) = s.rsplit_once(':').ok_or("expected ID:WEIGHT, e.g. starry-night:0.3")?;
        Ok((id.to_string(), parse_unit(weight)?))
    }

    pub fn main() -> i32 {
        let cli = Cli::parse();
        let package = match ModelPackage::load_dir(&cli.models) {
            Ok(p) => p,
            Err(e) => {
                eprintln!("error: the model package in {} cannot be used: {e}", shown(&cli.models));
                return EXIT_MODELS;
            }
        };
        match cli.command {
            Command::Styles { zh } => {
                for s in &package.manifest.styles {
                    let (name, artist) = if zh { (&s.name.zh, &s.artist.zh) } else { (&s.name.en, &s.artist.en) };
                    println!("{:<28} {} — {}, {}", s.id, name, artist, s.year);
                }
                0
            }
            Command::Check => check_command(&package, &cli.models),
            Command::Stylize { input, output, style, style_file, mix, strength, preserve_colour, max_side, brush, engine, no_detail } => {
                let mut package = package;
                let style = match (style, style_file) {
                    (Some(style), _) => style,
                    (None, Some(file)) => match add_style_file(&mut package, &file) {
                        Ok(id) => id,
                        Err((code, message)) => {
                            eprintln!("error: {message}");
                            return code;
                        }
                    },
                    // clap requires one of the two.
                    (None, None) => return EXIT_USAGE,
                };
                let request = PaintRequest { style: StyleChoice { style, mix }, max_side, brush };
                let adjustments = Adjustments { strength, preserve_colour };
                stylize_command(package, &input, &output, &request, adjustments, engine, !no_detail)
            }
            Command::Learn { painting, output, name, photos, seconds } => {
                learn_command(&package, &cli.models, &painting, &output, name, photos.as_deref(), seconds)
            }
        }
    }

    /// Read a style file and add its style to `package`; its id for the request and for output
    /// names: `own-` and the file name's safe part (`own-my-painting`), which also names folder
    /// outputs (`photo.own-my-painting.png`).
    fn add_style_file(package: &mut ModelPackage, path: &Path) -> Result<String, (i32, String)> {
        use atelier::model::style_file::{StyleFile, MAX_FILE_BYTES, OWN_ID_PREFIX};
        let size = std::fs::metadata(path).map_err(|e| (EXIT_INPUT, format!("cannot open the style file {}: {e}", shown(path))))?.len();
        if !path.is_file() {
            return Err((EXIT_INPUT, format!("the style file {} is not a file", shown(path))));
        }
        if size > MAX_FILE_BYTES as u64 {
            return Err((EXIT_INPUT, format!("{}: {}", shown(path), atelier::model::StyleFileError::TooLarge(size as usize))));
        }
        let bytes = std::fs::read(path).map_err(|e| (EXIT_INPUT, format!("cannot read the style file {}: {e}", shown(path))))?;
        let file = StyleFile::parse(&bytes, package).map_err(|e| (EXIT_INPUT, format!("{}: {e}", shown(path))))?;
        let stem = path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
        let slug: String = stem.chars().map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_lowercase() } else { '-' }).collect();
        let slug = slug.split('-').filter(|p| !p.is_empty()).collect::<Vec<_>>().join("-");
        let id = if slug.is_empty() { file.style_id() } else { format!("{OWN_ID_PREFIX}{slug}") };
        package.add_own_style(&id, file.params).map_err(|e| (EXIT_INPUT, format!("{}: {e}", shown(path))))?;
        Ok(id)
    }

    /// Exit code for a painting that cannot be learned (unreadable, too small).
    const EXIT_PAINTING: i32 = 1;
    /// Exit code for a command line that makes no sense (as clap's own).
    const EXIT_USAGE: i32 = 2;
    /// The app's sample photos: what a style is learned on when no photos are given.
    const SAMPLE_PHOTOS: [&[u8]; 3] = [
        include_bytes!("../../static/samples/fig.jpg"),
        include_bytes!("../../static/samples/friends.jpg"),
        include_bytes!("../../static/samples/picos-de-europa.jpg"),
    ];

    fn learn_command(package: &ModelPackage, models: &Path, painting: &Path, output: &Path, name: Option<String>, photos: Option<&Path>, seconds: f64) -> i32 {
        use atelier::learn::{learn_painting, LearnError, LearnSettings, LossNetwork, StyleGenerator, StyleSignatures};
        use atelier::model::StyleFile;
        // The budget counts from here: reading the painting, the loss network and the photos are
        // part of the seconds the user gave, not extra.
        let started = std::time::Instant::now();
        if output.extension().and_then(|e| e.to_str()) != Some("style") {
            eprintln!("error: the output {} must end in .style", shown(output));
            return EXIT_USAGE;
        }
        if !output.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new(".")).is_dir() {
            eprintln!("error: the folder of {} does not exist", shown(output));
            return EXIT_INPUT;
        }
        let bytes = match std::fs::read(painting) {
            Ok(b) => b,
            Err(e) => {
                eprintln!("error: cannot read {}: {e}", shown(painting));
                return EXIT_INPUT;
            }
        };
        let picture = match studio::prepare_photo(&bytes, 1024) {
            Ok(p) => p,
            Err(e) => {
                eprintln!("error: {}: {e}", shown(painting));
                return EXIT_PAINTING;
            }
        };
        let Some(entry) = &package.manifest.network.loss_network else {
            eprintln!("error: the model package in {} has no loss network: it cannot learn paintings", shown(models));
            return EXIT_MODELS;
        };
        let loss_network = match std::fs::read(models.join(&entry.file)).map_err(|e| e.to_string()).and_then(|b| {
            entry.verify(&b).map_err(|e| e.to_string())?;
            LossNetwork::from_safetensors(&b, "relu4_1").map_err(|e| e.to_string())
        }) {
            Ok(n) => n,
            Err(e) => {
                eprintln!("error: the loss network {} cannot be used: {e}", entry.file);
                return EXIT_MODELS;
            }
        };
        // The shipped styles' signatures make the first guess paint nothing; without them (or
        // for another package) learning paints every candidate instead, slower but the same.
        let signatures = package.manifest.network.style_signatures.as_ref().and_then(|sig| {
            let read = std::fs::read(models.join(&sig.file)).map_err(|e| e.to_string()).and_then(|b| {
                sig.verify(&b).map_err(|e| e.to_string())?;
                StyleSignatures::parse(&b, package, &entry.sha256).map_err(|e| e.to_string())
            });
            read.map_err(|e| eprintln!("warning: the style signatures {} are not used ({e}); the first guess paints every style", sig.file)).ok()
        });
        let photos_dir = photos;
        let photos: Vec<image::RgbaImage> = match photos_dir {
            None => SAMPLE_PHOTOS.iter().filter_map(|b| imaging::decode(b).ok()).collect(),
            Some(dir) => {
                let Ok(entries) = std::fs::read_dir(dir) else {
                    eprintln!("error: cannot read the folder {}", shown(dir));
                    return EXIT_INPUT;
                };
                let mut paths: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).filter(|p| p.is_file() && is_photo(p)).collect();
                paths.sort();
                paths.iter().take(32).filter_map(|p| studio::prepare_photo(&std::fs::read(p).ok()?, 1024).ok()).collect()
            }
        };
        if photos.is_empty() {
            eprintln!("error: no readable photos in {}", photos_dir.map_or("the samples".into(), shown));
            return EXIT_INPUT;
        }
        let generator = match StyleGenerator::from_package(package) {
            Ok(g) => g,
            Err(e) => {
                eprintln!("error: {e}");
                return EXIT_MODELS;
            }
        };
        let shipped: Vec<_> = package.manifest.styles.iter().filter_map(|s| package.style_params(&StyleChoice::single(&s.id)).ok()).collect();
        let bar = ProgressBar::new((seconds * 10.0).round() as u64);
        bar.set_style(ProgressStyle::with_template("learning {bar:30} {msg}").unwrap_or_else(|_| ProgressStyle::default_bar()));
        // A step is begun only if it should end within the budget (as long as the last one took).
        let mut last_call: Option<f64> = None;
        let mut go_on = |_steps: usize| {
            let now = started.elapsed().as_secs_f64();
            let step = last_call.map_or(0.0, |t| now - t);
            last_call = Some(now);
            now + step < seconds
        };
        let mut progress = |steps: usize, losses: atelier::learn::StepLosses| {
            bar.set_position((started.elapsed().as_secs_f64() * 10.0) as u64);
            bar.set_message(format!("step {steps}, style loss {:.1}", losses.style));
        };
        let learned = learn_painting(&generator, &loss_network, &picture, photos, &shipped, signatures.as_ref(), LearnSettings::default(), &mut go_on, &mut progress);
        bar.finish_and_clear();
        let learned = match learned {
            Ok(l) => l,
            Err(e @ LearnError::PaintingTooSmall { .. }) => {
                eprintln!("error: {}: {e}", shown(painting));
                return EXIT_PAINTING;
            }
            Err(e) => {
                eprintln!("error: {e}");
                return EXIT_SOME_FAILED;
            }
        };
        let stem = painting.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
        let name = atelier::model::style_file::name_or(name.as_deref().unwrap_or(&stem), &stem);
        let thumbnail = StyleFile::thumbnail_of(&picture);
        let file = StyleFile { name, generator_sha256: package.manifest.network.generator.sha256.clone(), params: learned.params, thumbnail };
        if let Err(e) = write_atomically(output, &file.to_bytes()) {
            eprintln!("error: cannot write {}: {e}", shown(output));
            return EXIT_SOME_FAILED;
        }
        println!("learned '{}' in {} steps ({:.1} s): {}", atelier::model::style_file::clean_name(&file.name), learned.steps, started.elapsed().as_secs_f64(), shown(output));
        0
    }

    fn check_command(package: &ModelPackage, dir: &Path) -> i32 {
        use atelier::model::{specialise, GraphVariant};
        let stride = package.stride();
        for variant in [GraphVariant::Plain, GraphVariant::EmitStats, GraphVariant::InjectStats] {
            for (h, w) in [(4 * stride, 4 * stride), (64 * stride, 48 * stride)] {
                if let Err(e) = specialise(&package.generator, h, w, variant) {
                    eprintln!("error: {variant:?} at {w}x{h}: {e}");
                    return EXIT_MODELS;
                }
            }
        }
        if let Err(e) = RenderOptions::for_generator(&package.generator, stride, MAX_TENSOR_ELEMENTS) {
            eprintln!("error: {e}");
            return EXIT_MODELS;
        }
        for style in &package.manifest.styles {
            if let Err(e) = package.style_params(&StyleChoice::single(&style.id)) {
                eprintln!("error: {e}");
                return EXIT_MODELS;
            }
        }
        let thumbnails = match package.verify_thumbnails(dir) {
            Ok(n) => n,
            Err(e) => {
                eprintln!("error: {e}");
                return EXIT_MODELS;
            }
        };
        let refiner = match &package.manifest.network.refiner {
            Some(entry) => format!(", refiner {} bytes ({} layers, {} styles)", entry.file.bytes, entry.layers.len(), entry.styles.len()),
            None => String::new(),
        };
        println!(
            "ok: {} ({} styles, {thumbnails} thumbnails), generator {} bytes, style parameters {} bytes{refiner}",
            package.manifest.network.id,
            package.manifest.styles.len(),
            package.manifest.network.generator.bytes,
            package.manifest.network.style_params.bytes
        );
        0
    }

    /// The engine for `choice`, through the studio; says which on stderr.
    fn open_studio(package: ModelPackage, choice: EngineChoice) -> Result<Studio, String> {
        let studio = pollster::block_on(Studio::open_probing(package, choice, studio::probe_native_gpu)).map_err(|e| match e {
            StudioError::NoGpu(_) => "--engine gpu: no GPU adapter found (Vulkan/Metal/DX12)".to_string(),
            e => e.to_string(),
        })?;
        match studio.status() {
            EngineStatus::Gpu { adapter } => eprintln!("engine: GPU, {adapter}"),
            EngineStatus::Cpu { reason: CpuReason::SoftwareGpu(name) } => {
                eprintln!("engine: CPU (the only GPU adapter, {name}, is software)")
            }
            EngineStatus::Cpu { reason: CpuReason::NoAdapter } => eprintln!("engine: CPU (no GPU adapter found)"),
            _ => eprintln!("engine: CPU"),
        }
        Ok(studio)
    }

    /// A path as it may be printed: control characters (escape sequences a hostile file name could
    /// carry to the terminal) are shown escaped, bytes that are not UTF-8 as U+FFFD.
    fn shown(path: &Path) -> String {
        path.to_string_lossy().chars().flat_map(|c| if c.is_control() { c.escape_default().collect::<Vec<_>>() } else { vec![c] }).collect()
    }

    const PHOTO_EXTENSIONS: &[&str] = &["jpg", "jpeg", "png", "webp", "gif", "bmp"];

    fn is_photo(path: &Path) -> bool {
        path.extension().and_then(|e| e.to_str()).is_some_and(|e| PHOTO_EXTENSIONS.contains(&e.to_ascii_lowercase().as_str()))
    }

    /// Output names for a folder: `<stem>.<style>.png`, or `<stem>.<ext>.<style>.png` where two
    /// photos share a stem (`x.jpg` and `x.png`), so no result overwrites another.
    fn folder_outputs(photos: Vec<PathBuf>, output: &Path, style: &str) -> Vec<(PathBuf, PathBuf)> {
        let stem = |p: &Path| p.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
        let mut seen = std::collections::HashMap::<String, usize>::new();
        for p in &photos {
            *seen.entry(stem(p)).or_default() += 1;
        }
        let mut taken = std::collections::HashSet::new();
        let mut jobs = Vec::new();
        for p in photos {
            let mut name = if seen[&stem(&p)] > 1 {
                let ext = p.extension().map(|e| e.to_string_lossy().into_owned()).unwrap_or_default();
                format!("{}.{ext}", stem(&p))
            } else {
                stem(&p)
            };
            // Names that differ only in bytes that are not UTF-8 still collide after the lossy
            // conversion: number them.
            let base = name.clone();
            let mut n = 1;
            while !taken.insert(name.clone()) {
                n += 1;
                name = format!("{base}-{n}");
            }
            jobs.push((p, output.join(format!("{name}.{style}.png"))));
        }
        jobs
    }

    /// The formats a result can be written in, from the output's extension.
    #[derive(Clone, Copy, PartialEq)]
    enum OutputFormat {
        Png,
        Jpeg,
    }

    fn output_format(path: &Path) -> Result<OutputFormat, String> {
        let ext = path.extension().and_then(|e| e.to_str()).map(|e| e.to_ascii_lowercase()).unwrap_or_default();
        match ext.as_str() {
            "png" => Ok(OutputFormat::Png),
            "jpg" | "jpeg" => Ok(OutputFormat::Jpeg),
            _ => Err(format!("cannot write '{}': the output must end in .png, .jpg or .jpeg", shown(path))),
        }
    }

    /// Before any painting: the output's format is known and it is not the photo itself.
    fn check_output(input: &Path, output: &Path) -> Result<(), String> {
        output_format(output)?;
        let resolved = |p: &Path| -> Option<PathBuf> {
            let parent = p.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
            Some(parent.canonicalize().ok()?.join(p.file_name()?))
        };
        let same = match (input.canonicalize().ok(), resolved(output)) {
            (Some(a), Some(b)) => a == b || b.canonicalize().is_ok_and(|b| a == b),
            _ => false,
        };
        if same {
            return Err(format!("the output {} is the photo itself: choose another name", shown(output)));
        }
        Ok(())
    }

    /// Write `bytes` to `path` all or nothing: a temporary file beside it, renamed over it once
    /// complete, so a full disk or a crash never leaves a truncated picture under the real name.
    fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
        use std::io::Write;
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let temp = path.with_file_name(format!(".{name}.{}.partial", std::process::id()));
        let written = (|| {
            let mut file = std::fs::File::create(&temp)?;
            file.write_all(bytes)?;
            file.sync_all()?;
            std::fs::rename(&temp, path)
        })();
        if written.is_err() {
            let _ = std::fs::remove_file(&temp);
        }
        written
    }

    fn stylize_command(
        package: ModelPackage,
        input: &Path,
        output: &Path,
        request: &PaintRequest,
        adjustments: Adjustments,
        engine_choice: EngineChoice,
        detail: bool,
    ) -> i32 {
        if let Err(e) = package.style_params(&request.style) {
            eprintln!("error: {e} (see `atelier styles`)");
            return EXIT_INPUT;
        }
        let jobs: Vec<(PathBuf, PathBuf)> = if input.is_dir() {
            let mut photos: Vec<PathBuf> = match std::fs::read_dir(input) {
                Ok(entries) => entries.filter_map(|e| e.ok().map(|e| e.path())).filter(|p| p.is_file() && is_photo(p)).collect(),
                Err(e) => {
                    eprintln!("error: cannot read {}: {e}", shown(input));
                    return EXIT_INPUT;
                }
            };
            photos.sort();
            if let Err(e) = std::fs::create_dir_all(output) {
                eprintln!("error: cannot create {}: {e}", shown(output));
                return EXIT_INPUT;
            }
            folder_outputs(photos, output, &request.style.style)
        } else if input.is_file() {
            if let Err(e) = check_output(input, output) {
                eprintln!("error: {e}");
                return EXIT_INPUT;
            }
            vec![(input.to_path_buf(), output.to_path_buf())]
        } else {
            // Not a file or folder: say what it is (a FIFO would block a read forever, a symlink
            // loop is not "missing").
            match std::fs::metadata(input) {
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => eprintln!("error: {} does not exist", shown(input)),
                Err(e) => eprintln!("error: cannot open {}: {e}", shown(input)),
                Ok(_) => eprintln!("error: {} is not a photo file or a folder (a pipe, socket or device?)", shown(input)),
            }
            return EXIT_INPUT;
        };
        if jobs.is_empty() {
            eprintln!("error: no photos ({}) in {}", PHOTO_EXTENSIONS.join(", "), shown(input));
            return EXIT_INPUT;
        }
        let spare = package.clone();
        let mut studio = match open_studio(package, engine_choice) {
            Ok(studio) => studio,
            Err(e) => {
                eprintln!("error: {e}");
                return EXIT_ENGINE;
            }
        };
        studio.set_detail(detail);

        let bar = ProgressBar::new(jobs.len() as u64);
        bar.set_style(
            ProgressStyle::with_template("{bar:32} {pos}/{len} {wide_msg}").unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        let failed = AtomicUsize::new(0);
        let paint = |studio: &mut Studio, (src, dst): &(PathBuf, PathBuf)| {
            bar.set_message(shown(src).to_string());
            match stylize_one(studio, &bar, request, adjustments, src, dst) {
                Ok(()) => bar.suspend(|| eprintln!("{} -> {}", shown(src), shown(dst))),
                Err(e) => {
                    bar.suspend(|| eprintln!("error: {}: {e}", shown(src)));
                    failed.fetch_add(1, Ordering::Relaxed);
                }
            }
            bar.inc(1);
        };
        // A folder on the CPU engine: one painter per core, each with its own engine, taking the
        // next photo as it finishes one, so the steps that run on one core (decoding, guided
        // upsampling, encoding) overlap. The GPU engine is one device: one painter.
        let painters = match studio.engine_kind() {
            EngineKind::Cpu => cpu_threads().min(jobs.len()),
            EngineKind::Gpu => 1,
        };
        if painters <= 1 {
            for job in &jobs {
                paint(&mut studio, job);
            }
        } else {
            drop(studio);
            let next = AtomicUsize::new(0);
            std::thread::scope(|scope| {
                for _ in 0..painters {
                    let (package, next, jobs, paint, bar) = (spare.clone(), &next, &jobs, &paint, &bar);
                    scope.spawn(move || {
                        let mut studio = match Studio::open_cpu(package) {
                            Ok(studio) => studio,
                            Err(e) => return bar.suspend(|| eprintln!("error: {e}")),
                        };
                        studio.set_detail(detail);
                        while let Some(job) = jobs.get(next.fetch_add(1, Ordering::Relaxed)) {
                            paint(&mut studio, job);
                        }
                    });
                }
            });
        }
        bar.finish_and_clear();
        let failed = failed.into_inner();
        if failed > 0 || bar.position() < jobs.len() as u64 {
            eprintln!("{} of {} photos failed", failed.max(jobs.len() - bar.position() as usize), jobs.len());
            return EXIT_SOME_FAILED;
        }
        0
    }

    fn stylize_one(
        studio: &mut Studio,
        bar: &ProgressBar,
        request: &PaintRequest,
        adjustments: Adjustments,
        src: &Path,
        dst: &Path,
    ) -> Result<(), String> {
        let format = output_format(dst)?;
        // The size before the read: a huge file is refused without reading it.
        let size = std::fs::metadata(src).map_err(|e| e.to_string())?.len();
        if size > imaging::MAX_FILE_BYTES {
            return Err(imaging::ImageError::FileTooLarge { bytes: size }.to_string());
        }
        let bytes = std::fs::read(src).map_err(|e| e.to_string())?;
        let photo = studio::prepare_photo(&bytes, request.max_side).map_err(|e| e.to_string())?;
        let mut events = |event: StudioEvent<'_>| {
            if let StudioEvent::FellBack(CpuReason::GpuFailed(reason)) = event {
                bar.suspend(|| eprintln!("the GPU failed ({reason}); continuing on the CPU"));
            }
            true
        };
        let painting = pollster::block_on(studio.paint(&photo, &request.style, request.brush, &mut events)).map_err(|e| e.to_string())?;
        let result = pipeline::adjust(&photo, &painting.image, adjustments);
        let mut encoded = Vec::new();
        let mut cursor = std::io::Cursor::new(&mut encoded);
        match format {
            OutputFormat::Jpeg => image::DynamicImage::ImageRgba8(result).to_rgb8().write_to(&mut cursor, image::ImageFormat::Jpeg),
            OutputFormat::Png => result.write_to(&mut cursor, image::ImageFormat::Png),
        }
        .map_err(|e| format!("cannot encode {}: {e}", shown(dst)))?;
        write_atomically(dst, &encoded).map_err(|e| format!("cannot write {}: {e}", shown(dst)))
    }
}
