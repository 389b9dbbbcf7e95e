//! The Atelier page: a thin yew shell. It reads files, talks to the worker and draws pixels; it
//! holds no inference logic.

use gloo_worker::{Spawnable, WorkerBridge};
use wasm_bindgen::{Clamped, JsCast};
use wasm_bindgen_futures::JsFuture;
use web_sys::{CanvasRenderingContext2d, HtmlCanvasElement, HtmlInputElement, ImageData};
use yew::prelude::*;

use super::worker::InferenceWorker;
use crate::model::package::StyleEntry;
use crate::model::StyleChoice;
use crate::protocol::{EngineStatus, Stage, WorkerRequest, WorkerResponse};

/// Where the model package is served from, relative to the page.
const MODELS_PATH: &str = "models/";
/// Long side of the picture the app paints (the output-size choice comes with the studio UI).
const PREVIEW_SIDE: u32 = 1024;
/// The worker's script, as Trunk emits it next to index.html.
const WORKER_PATH: &str = "./worker.js";

pub enum Msg {
    Worker(WorkerResponse),
    FileChosen(web_sys::File),
    FileRead { job: u64, bytes: Vec<u8> },
    FileUnreadable { job: u64, message: String },
}

pub struct App {
    worker: WorkerBridge<InferenceWorker>,
    engine: EngineStatus,
    styles: Vec<StyleEntry>,
    /// The job whose answers we still want; answers for older jobs are dropped.
    job: u64,
    stage: Option<Stage>,
    error: Option<String>,
    result: Option<ResultInfo>,
    canvas: NodeRef,
}

struct ResultInfo {
    width: u32,
    height: u32,
    elapsed_ms: f64,
}

/// Absolute URL of a path relative to the page: the worker runs from a blob: URL, against which
/// relative paths would not resolve.
fn absolute_url(path: &str) -> String {
    let href = web_sys::window().and_then(|w| w.location().href().ok()).unwrap_or_default();
    web_sys::Url::new_with_base(path, &href).map(|u| u.href()).unwrap_or_else(|_| path.to_string())
}

impl Component for App {
    type Message = Msg;
    type Properties = ();

    fn create(ctx: &Context<Self>) -> Self {
        let link = ctx.link().clone();
        let worker = InferenceWorker::spawner().callback(move |r| link.send_message(Msg::Worker(r))).spawn(WORKER_PATH);
        worker.send(WorkerRequest::Init { models_url: absolute_url(MODELS_PATH) });
        App {
            worker,
            engine: EngineStatus::Probing,
            styles: Vec::new(),
            job: 0,
            stage: None,
            error: None,
            result: None,
            canvas: NodeRef::default(),
        }
    }

    fn update(&mut self, ctx: &Context<Self>, msg: Msg) -> bool {
        match msg {
            Msg::FileChosen(file) => {
                self.job += 1;
                self.stage = Some(Stage::Decoding);
                self.error = None;
                let job = self.job;
                ctx.link().send_future(async move {
                    match JsFuture::from(file.array_buffer()).await {
                        Ok(buffer) => Msg::FileRead { job, bytes: js_sys::Uint8Array::new(&buffer).to_vec() },
                        Err(e) => Msg::FileUnreadable { job, message: format!("Could not read the file: {e:?}") },
                    }
                });
            }
            Msg::FileRead { job, bytes } if job == self.job => {
                let Some(style) = self.styles.first() else {
                    self.stage = None;
                    self.error = Some("No style is loaded yet.".into());
                    return true;
                };
                let style = StyleChoice::single(&style.id);
                self.worker.send(WorkerRequest::Stylize { job, image_bytes: bytes, style, max_side: PREVIEW_SIDE });
            }
            Msg::FileUnreadable { job, message } if job == self.job => {
                self.stage = None;
                self.error = Some(message);
            }
            Msg::FileRead { .. } | Msg::FileUnreadable { .. } => return false,
            Msg::Worker(response) => return self.on_worker(response),
        }
        true
    }

    fn view(&self, ctx: &Context<Self>) -> Html {
        let on_file = ctx.link().batch_callback(|e: Event| {
            let input: HtmlInputElement = e.target_unchecked_into();
            let file = input.files().and_then(|files| files.get(0));
            input.set_value("");
            file.map(Msg::FileChosen)
        });
        let (badge_state, badge_text) = match &self.engine {
            EngineStatus::Probing => ("probing", "Looking for an engine…".to_string()),
            EngineStatus::Ready { kind, .. } => ("ready", kind.label().to_string()),
            EngineStatus::Unavailable { .. } => ("none", "No engine".to_string()),
        };
        let badge_title = match &self.engine {
            EngineStatus::Ready { detail, .. } => detail.clone(),
            EngineStatus::Unavailable { reason } => reason.clone(),
            EngineStatus::Probing => String::new(),
        };
        let stage_text = match self.stage {
            Some(Stage::Decoding) => "Reading the photo…".to_string(),
            Some(Stage::Painting { done, total }) if total > 1 => format!("Painting on your device… {done}/{total}"),
            Some(Stage::Painting { .. }) => "Painting on your device…".to_string(),
            None => String::new(),
        };
        let progress_value = match self.stage {
            Some(Stage::Painting { done, total }) if total > 0 => (done as f64 / total as f64).to_string(),
            _ => "0".to_string(),
        };
        html! {
            <main class="shell">
                <header class="bar">
                    <h1>{ "Atelier" }</h1>
                    <span class="badge" data-testid="engine-badge" data-state={badge_state} title={badge_title}>
                        { badge_text }
                    </span>
                </header>
                if let EngineStatus::Unavailable { reason } = &self.engine {
                    <p class="notice">{ format!("Stylization cannot run here: {reason}") }</p>
                }
                if let EngineStatus::Ready { kind: crate::engine::EngineKind::Cpu, detail } = &self.engine {
                    <p class="notice">{ detail.clone() }</p>
                }
                <label class="picker">
                    <span>{ "Choose a photo" }</span>
                    <input type="file" accept="image/*" data-testid="image-input" onchange={on_file} />
                </label>
                if let Some(error) = &self.error {
                    <p class="error" role="alert" data-testid="error-message">{ error }</p>
                }
                <div class="progress-row" hidden={self.stage.is_none()}>
                    <progress data-testid="progress" max="1" value={progress_value} />
                    <span>{ stage_text }</span>
                </div>
                <figure class="result">
                    <canvas ref={self.canvas.clone()} data-testid="result-image"
                        data-state={ if self.result.is_some() { "ready" } else { "empty" } } />
                    if let Some(r) = &self.result {
                        <figcaption>{ format!("{}×{} px in {:.0} ms", r.width, r.height, r.elapsed_ms) }</figcaption>
                    }
                </figure>
            </main>
        }
    }
}

impl App {
    fn on_worker(&mut self, response: WorkerResponse) -> bool {
        match response {
            WorkerResponse::Engine(status) => self.engine = status,
            WorkerResponse::Styles(styles) => self.styles = styles,
            WorkerResponse::Progress { job, stage } if job == self.job => self.stage = Some(stage),
            WorkerResponse::Done { job, width, height, photo: _, stylized, engine: _, elapsed_ms } if job == self.job => {
                self.stage = None;
                match self.draw(width, height, &stylized) {
                    Ok(()) => self.result = Some(ResultInfo { width, height, elapsed_ms }),
                    Err(message) => self.error = Some(message),
                }
            }
            WorkerResponse::Failed { job, message } if job == self.job => {
                self.stage = None;
                self.error = Some(message);
            }
            WorkerResponse::Progress { .. } | WorkerResponse::Done { .. } | WorkerResponse::Failed { .. } => return false,
        }
        true
    }

    fn draw(&self, width: u32, height: u32, rgba: &[u8]) -> Result<(), String> {
        let canvas: HtmlCanvasElement = self.canvas.cast().ok_or("the result canvas is missing")?;
        canvas.set_width(width);
        canvas.set_height(height);
        let context: CanvasRenderingContext2d = canvas
            .get_context("2d")
            .ok()
            .flatten()
            .and_then(|c| c.dyn_into().ok())
            .ok_or("this browser cannot draw on a canvas")?;
        let image = ImageData::new_with_u8_clamped_array_and_sh(Clamped(rgba), width, height)
            .map_err(|e| format!("could not build the picture: {e:?}"))?;
        context.put_image_data(&image, 0.0, 0.0).map_err(|e| format!("could not draw the picture: {e:?}"))
    }
}

pub fn start() {
    console_error_panic_hook::set_once();
    yew::Renderer::<App>::new().render();
}
