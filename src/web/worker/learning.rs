//! The worker's room for learning a visitor's painting (issue 33): the loss network fetched once
//! (verified against the manifest, kept by the service worker for offline use), then the two
//! stages of `crate::learn` between the page's paintings. Each better style is added to the
//! studio and sent to the page (`WorkerResponse::Learned`), which paints its preview with it.
//! While a painting runs, learning waits: the visitor is waiting for that picture.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use image::RgbaImage;

use super::{yield_to_event_loop, OwnChange, WorkerState};
use crate::learn::{first_stage, keep_painting, mean_style, LearnSchedule, LearnSettings, Learner, LossNetwork, StyleGenerator, StyleSignatures, MIN_PAINTING_SIDE};
use crate::model::{ModelPackage, StyleChoice, StyleFile, StyleParams};
use crate::protocol::{LearnFailure, LearnStage, OwnStyleInfo, WorkerResponse};
use crate::studio::{self, StudioError};
use crate::web::package_fetch::{fetch_bytes, load_loss_network, load_style_signatures};

/// How long the refinement waits for the page to ask for the first stage's painting.
const FIRST_PAINTING_WAIT_MS: f64 = 1000.0;

/// A painting is seen at most this large (the learner scales it to `painting_side` anyway).
const PAINTING_SIDE: u32 = 1024;

/// Which learning job runs and which were stopped: a newer `Learn` or a `StopLearning` ends the
/// one before at its next step.
#[derive(Default)]
pub(super) struct LearnFlags {
    latest: Cell<u64>,
    stopped_through: Cell<u64>,
}

impl LearnFlags {
    pub(super) fn start(&self, job: u64) {
        self.latest.set(self.latest.get().max(job));
    }

    pub(super) fn stop(&self, job: u64) {
        self.stopped_through.set(self.stopped_through.get().max(job));
    }

    fn go_on(&self, job: u64) -> bool {
        job > self.stopped_through.get() && job >= self.latest.get()
    }
}

pub(super) struct LearnJob {
    pub job: u64,
    pub painting: Vec<u8>,
    pub name: String,
    pub photo: Option<Rc<RgbaImage>>,
    pub sample_urls: Vec<String>,
    pub seconds: f32,
}

/// Learn `request`'s painting; every answer goes through `respond`.
pub(super) async fn learn(state: Rc<RefCell<WorkerState>>, flags: Rc<LearnFlags>, request: LearnJob, respond: impl Fn(WorkerResponse)) {
    let job = request.job;
    if let Err(error) = run(&state, &flags, request, &respond).await {
        respond(WorkerResponse::LearnFailed { job, error });
    }
}

async fn run(
    state: &Rc<RefCell<WorkerState>>,
    flags: &LearnFlags,
    request: LearnJob,
    respond: &impl Fn(WorkerResponse),
) -> Result<(), LearnFailure> {
    let job = request.job;
    let painting = studio::prepare_photo(&request.painting, PAINTING_SIDE).map_err(|e| match e {
        StudioError::Photo(e) => LearnFailure::Unreadable(e.to_string()),
        e => LearnFailure::Unreadable(e.to_string()),
    })?;
    if painting.width().min(painting.height()) < MIN_PAINTING_SIDE {
        return Err(LearnFailure::TooSmall { width: painting.width(), height: painting.height() });
    }
    let package = wait_for_studio(state).await?;
    respond(WorkerResponse::Learning { job, stage: LearnStage::LossNetwork });
    let (loss_network, signatures) = loss_network(state, &package).await?;
    let photos = match &request.photo {
        Some(photo) => vec![(**photo).clone()],
        None => sample_photos(&request.sample_urls).await,
    };
    if photos.is_empty() {
        return Err(LearnFailure::NoPhotos);
    }
    if !flags.go_on(job) {
        return Err(LearnFailure::Stopped);
    }
    respond(WorkerResponse::Learning { job, stage: LearnStage::FirstGuess });
    yield_to_event_loop().await;
    let other = |e: crate::learn::LearnError| LearnFailure::Other(e.to_string());
    let generator = StyleGenerator::from_package(&package).map_err(other)?;
    let shipped: Vec<StyleParams> =
        package.manifest.styles.iter().filter_map(|s| package.style_params(&StyleChoice::single(&s.id)).ok()).collect();
    let start = mean_style(&shipped).ok_or(LearnFailure::Other("the package has no styles".into()))?;
    let mut learner = Learner::new(&generator, &loss_network, &painting, photos, start, LearnSettings::default()).map_err(|e| match e {
        crate::learn::LearnError::PaintingTooSmall { width, height } => LearnFailure::TooSmall { width, height },
        e => other(e),
    })?;
    // With the package's signatures the first stage paints nothing: the guess is on screen at
    // once, and the refinement's first act compares the two nearest by painting them.
    let first = first_stage(&learner, &shipped, signatures.as_deref()).map_err(other)?;
    if !flags.go_on(job) {
        return Err(LearnFailure::Stopped);
    }
    let guess = first.guess.clone();
    let thumbnail = StyleFile::thumbnail_of(&painting);
    let kept_painting = keep_painting(&painting, &LearnSettings::default());
    let sha = package.manifest.network.generator.sha256.clone();
    let file = |params: &StyleParams| StyleFile { name: request.name.clone(), generator_sha256: sha.clone(), params: params.clone(), thumbnail: thumbnail.clone() };
    let painted_before = state.borrow().paintings_done;
    // The first guess can be a row the page keeps already (a style stopped at its own first
    // guess, or opened from such a file): that style is the page's, not this learning's to take
    // away when a better one replaces it.
    let guess_id = file(&guess).style_id();
    let kept_before = state.borrow().own_ids.contains(&guess_id).then_some(guess_id);
    let send_style = |file: StyleFile, replaces: Option<String>, finished: Option<Vec<u8>>| {
        let removable = replaces.clone().filter(|old| kept_before.as_ref() != Some(old));
        send_style(state, respond, job, file, replaces, removable, finished)
    };
    let mut shown = send_style(file(&guess), None, None);
    // The first stage's painting goes first: the page asks for it when it hears of the style
    // (a round trip), and settling the guess would hold the worker for a second or more. Where
    // no painting comes (no photo on show), the refinement goes on after a moment.
    let sent = js_sys::Date::now();
    loop {
        let (painted, painting_now) = {
            let state = state.borrow();
            (state.paintings_done > painted_before, state.studio.is_none())
        };
        if painted || !flags.go_on(job) || (!painting_now && js_sys::Date::now() - sent > FIRST_PAINTING_WAIT_MS) {
            break;
        }
        sleep_ms(25).await;
    }
    learner.begin_refining(&first).map_err(other)?;

    let mut schedule = LearnSchedule::new(request.seconds);
    while !schedule.finished() && flags.go_on(job) {
        // The preview's painting first: learning waits while the studio paints.
        while state.borrow().studio.is_none() {
            sleep_ms(25).await;
        }
        if !flags.go_on(job) {
            break;
        }
        let started = js_sys::Date::now();
        learner.step().map_err(other)?;
        schedule.stepped(js_sys::Date::now() - started);
        let stage = LearnStage::Refining { steps: schedule.steps(), elapsed_ms: schedule.learned_ms(), total_ms: schedule.total_ms() };
        respond(WorkerResponse::Learning { job, stage });
        if schedule.refresh_due() {
            shown = send_style(file(learner.averaged()), Some(shown), None);
        }
        // Lets a stop, a cancel or a painting request in.
        yield_to_event_loop().await;
    }
    send_style(file(learner.averaged()), Some(shown), Some(kept_painting));
    Ok(())
}

/// Add `file`'s style to the studio (in place of `replaces`, which goes where it is `removable`)
/// and tell the page; returns its id. `finished`: the painting to keep beside the last style
/// (None while learning goes on).
fn send_style(
    state: &Rc<RefCell<WorkerState>>,
    respond: &impl Fn(WorkerResponse),
    job: u64,
    file: StyleFile,
    replaces: Option<String>,
    removable: Option<String>,
    finished: Option<Vec<u8>>,
) -> String {
    let id = file.style_id();
    let mut state = state.borrow_mut();
    if let Some(old) = removable.filter(|old| *old != id) {
        state.change_own(OwnChange::Remove(old));
    }
    state.change_own(OwnChange::Add(id.clone(), file.params.clone()));
    let done = finished.is_some();
    let painting = finished.unwrap_or_default();
    let style = OwnStyleInfo { id: id.clone(), name: file.name.clone(), thumbnail: file.thumbnail.clone(), file: file.to_bytes(), painting };
    respond(WorkerResponse::Learned { job, style, replaces: replaces.filter(|old| *old != id), finished: done });
    id
}

/// The package, once the studio is open (a learning request right after Init waits for it).
async fn wait_for_studio(state: &Rc<RefCell<WorkerState>>) -> Result<ModelPackage, LearnFailure> {
    loop {
        {
            let state = state.borrow();
            if let Some(studio) = &state.studio {
                return Ok(studio.package().clone());
            }
            if let Some(problem) = &state.unavailable {
                return Err(LearnFailure::Other(problem.to_string()));
            }
        }
        sleep_ms(50).await;
    }
}

/// The loss network and the style signatures: fetched and checked once, then kept for the
/// worker's life.
async fn loss_network(state: &Rc<RefCell<WorkerState>>, package: &ModelPackage) -> Result<(Rc<LossNetwork>, Option<Rc<StyleSignatures>>), LearnFailure> {
    let kept = {
        let state = state.borrow();
        state.loss_network.clone().zip(state.style_signatures.clone())
    };
    if let Some(kept) = kept {
        return Ok(kept);
    }
    let models_url = state.borrow().models_url.clone();
    let network = Rc::new(load_loss_network(&models_url, package, LearnSettings::default().deepest()).await.map_err(LearnFailure::LossNetwork)?);
    let signatures = load_style_signatures(&models_url, package).await.map(Rc::new);
    let mut state = state.borrow_mut();
    state.loss_network = Some(network.clone());
    state.style_signatures = Some(signatures.clone());
    Ok((network, signatures))
}

/// The sample photos, for a visitor who has not given one yet; those that cannot be fetched are
/// left out.
async fn sample_photos(urls: &[String]) -> Vec<RgbaImage> {
    let mut photos = Vec::new();
    for url in urls {
        match fetch_bytes(url, false).await.and_then(|bytes| studio::prepare_photo(&bytes, PAINTING_SIDE)) {
            Ok(photo) => photos.push(photo),
            Err(e) => log::warn!("a sample photo to learn on is missing: {e}"),
        }
    }
    photos
}

async fn sleep_ms(ms: i32) {
    use wasm_bindgen::JsCast;
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        let global: web_sys::WorkerGlobalScope = js_sys::global().unchecked_into();
        let _ = global.set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms);
    });
    let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
}
