//! The page's side of the visitor's own styles (issue 33): what the "Your painting" card asks,
//! what the worker answers about learning and style files, keeping them on the device
//! (localStorage) and the link that carries one. The shelf itself is `own_styles::OwnShelf`
//! (tested natively); the learning is the worker's.

use std::rc::Rc;

use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use yew::prelude::*;

use super::own_painting::{LearningView, OwnAsk};
use super::prefs::{store_checked, stored};
use super::{App, Msg};
use crate::model::style_file::base64;
use crate::model::{StyleFile, StyleFileError};
use crate::protocol::{OwnStyleFrom, WorkerRequest, WorkerResponse};
use crate::web::i18n::{words, Problem};
use crate::web::own_styles::OwnShelf;
use crate::web::samples::SAMPLES;

const OWN_STYLES_KEY: &str = "atelier.own-styles";
/// How long a painting is learned in the page: the budget is a minute in all, and the
/// first guess and the previews' paintings come on top of this.
const LEARN_SECONDS: f32 = 40.0;

/// The page's switch for tests: `?atelier-learn-seconds=N`.
fn learn_seconds() -> f32 {
    let search = web_sys::window().and_then(|w| w.location().search().ok()).unwrap_or_default();
    search
        .trim_start_matches('?')
        .split('&')
        .find_map(|pair| pair.strip_prefix("atelier-learn-seconds="))
        .and_then(|s| s.parse::<f32>().ok())
        .filter(|s| s.is_finite() && *s >= 0.0)
        .unwrap_or(LEARN_SECONDS)
}

/// What the page reads of the own styles between messages.
#[derive(Default)]
pub(super) struct OwnState {
    pub shelf: OwnShelf,
    /// (id, data URL) of each own style's thumbnail, for the gallery.
    pub thumbs: Rc<Vec<(String, String)>>,
    /// The learning job under way and what the card shows of it.
    pub learning: Option<(u64, LearningView)>,
    pub next_job: u64,
    pub note: Option<String>,
    pub manual_link: Option<String>,
    /// A card just put on show, to bring into view once drawn (on a phone the gallery is a
    /// sideways strip, and the new card is at its far end).
    pub reveal: Option<String>,
    /// The learning under way is of a kept style the package refused after an update (the
    /// shelf's `next_to_learn_again`), not of a painting the visitor just gave.
    pub learning_again: bool,
    /// Learning again waits for the next visit: the visitor stopped it before anything was
    /// learned, or it failed for a reason that may pass (no network for the loss network).
    pub again_paused: bool,
}

pub enum OwnMsg {
    Ask(OwnAsk),
    PaintingRead { name: String, bytes: Vec<u8> },
    StyleFileRead(Vec<u8>),
    Unreadable(String),
    LinkCopied(Result<(), String>),
}

/// The style files kept on this device (with their paintings), and the one a link's fragment
/// carries (the fragment is then taken off the address, so a reload does not add it again); and
/// the state that keeps the styles waiting to be learned again.
pub(super) fn saved_and_linked() -> (Vec<WorkerRequest>, OwnState) {
    let text = stored(OWN_STYLES_KEY).unwrap_or_default();
    let mut state = OwnState::default();
    for again in OwnShelf::to_learn_again_from_stored(&text) {
        state.shelf.learn_again(again.name, again.painting);
    }
    let saved = OwnShelf::files_from_stored(&text);
    let mut requests: Vec<WorkerRequest> =
        saved.into_iter().map(|kept| WorkerRequest::AddOwnStyle { bytes: kept.file, from: OwnStyleFrom::Saved, painting: kept.painting }).collect();
    let window = web_sys::window();
    let hash = window.as_ref().and_then(|w| w.location().hash().ok()).unwrap_or_default();
    if let Some(bytes) = StyleFile::bytes_from_link_fragment(&hash) {
        requests.push(WorkerRequest::AddOwnStyle { bytes, from: OwnStyleFrom::Link, painting: Vec::new() });
        if let Some(history) = window.as_ref().and_then(|w| w.history().ok()) {
            let path = window.as_ref().and_then(|w| w.location().pathname().ok()).unwrap_or_default();
            let search = window.as_ref().and_then(|w| w.location().search().ok()).unwrap_or_default();
            let _ = history.replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(&format!("{path}{search}")));
        }
    }
    (requests, state)
}

fn absolute(url: &str) -> String {
    let base = web_sys::window().and_then(|w| w.location().href().ok()).unwrap_or_default();
    web_sys::Url::new_with_base(url, &base).map(|u| u.href()).unwrap_or_else(|_| url.to_string())
}

fn data_url(thumbnail: &[u8]) -> String {
    let mime = if thumbnail.starts_with(b"\x89PNG") { "image/png" } else { "image/jpeg" };
    format!("data:{mime};base64,{}", base64::encode(thumbnail))
}

async fn read_file(file: web_sys::File) -> Result<Vec<u8>, String> {
    let buffer = JsFuture::from(file.array_buffer()).await.map_err(|e| format!("{e:?}"))?;
    Ok(js_sys::Uint8Array::new(&buffer).to_vec())
}

impl App {
    pub(super) fn on_own(&mut self, ctx: &Context<Self>, msg: OwnMsg) -> bool {
        let w = words(self.lang);
        match msg {
            OwnMsg::Ask(OwnAsk::Painting(file)) => {
                let name = file.name();
                let name = name.rsplit_once('.').map_or(name.as_str(), |(stem, _)| stem).to_string();
                ctx.link().send_future(async move {
                    match read_file(file).await {
                        Ok(bytes) => Msg::Own(OwnMsg::PaintingRead { name, bytes }),
                        Err(detail) => Msg::Own(OwnMsg::Unreadable(detail)),
                    }
                });
                return false;
            }
            OwnMsg::Ask(OwnAsk::StyleFile(file)) => {
                // A style file is far smaller than this; a larger one is refused unread.
                if file.size() > crate::model::style_file::MAX_FILE_BYTES as f64 {
                    let error = crate::model::StyleFileError::TooLarge(file.size() as usize);
                    self.error = Some(Problem::OwnStyle { from: OwnStyleFrom::Imported, error });
                    return true;
                }
                ctx.link().send_future(async move {
                    match read_file(file).await {
                        Ok(bytes) => Msg::Own(OwnMsg::StyleFileRead(bytes)),
                        Err(detail) => Msg::Own(OwnMsg::Unreadable(detail)),
                    }
                });
                return false;
            }
            OwnMsg::PaintingRead { name, bytes } => {
                // One painting at a time: a new one ends the one before (the worker stops it; a
                // style being learned again waits until this one is learned).
                if self.own.learning.is_some() {
                    self.end_learning();
                }
                self.start_learning(bytes, name, false);
                self.own.note = None;
                self.error = None;
            }
            OwnMsg::StyleFileRead(bytes) => self.worker.send(WorkerRequest::AddOwnStyle { bytes, from: OwnStyleFrom::Imported, painting: Vec::new() }),
            OwnMsg::Unreadable(detail) => self.error = Some(Problem::FileUnreadable(detail)),
            OwnMsg::Ask(OwnAsk::Stop) => {
                if let Some((job, _)) = &self.own.learning {
                    self.worker.send(WorkerRequest::StopLearning { job: *job });
                }
            }
            OwnMsg::Ask(OwnAsk::Download(id)) => {
                let Some(style) = self.own.shelf.get(&id) else { return false };
                let name = format!("{}.style", style.name);
                if let Err(e) = download_bytes(&style.file, &name) {
                    self.error = Some(Problem::Export(e));
                }
                return true;
            }
            OwnMsg::Ask(OwnAsk::Link(id)) => {
                let Some(style) = self.own.shelf.get(&id) else { return false };
                let fragment = format!("style={}", base64::encode_url(&style.file));
                let page = web_sys::window().and_then(|w| {
                    let l = w.location();
                    Some(format!("{}{}{}", l.origin().ok()?, l.pathname().ok()?, l.search().ok()?))
                });
                let link = format!("{}#{fragment}", page.unwrap_or_default());
                self.own.manual_link = None;
                match write_to_clipboard(&link) {
                    Some(promise) => {
                        ctx.link().send_future(async move {
                            let copied = JsFuture::from(promise).await.map(|_| ()).map_err(|_| link);
                            Msg::Own(OwnMsg::LinkCopied(copied))
                        });
                    }
                    None => self.own.manual_link = Some(link),
                }
            }
            OwnMsg::LinkCopied(Ok(())) => self.own.note = Some(w.own_link_copied.into()),
            OwnMsg::LinkCopied(Err(link)) => self.own.manual_link = Some(link),
            OwnMsg::Ask(OwnAsk::Delete(id)) => {
                if self.own.shelf.is_learning(&id) {
                    self.end_learning();
                }
                self.own.shelf.remove(&id);
                self.worker.send(WorkerRequest::RemoveOwnStyle { id: id.clone() });
                self.save_own();
                self.own_changed();
                self.own.note = None;
                self.own.manual_link = None;
                self.style_gone(&id);
            }
        }
        true
    }

    /// The worker's answers about own styles and learning; false where nothing changed.
    pub(super) fn on_own_response(&mut self, response: WorkerResponse) -> bool {
        let w = words(self.lang);
        match response {
            WorkerResponse::OwnStyleAdded { style, from } => {
                let (id, name) = (style.id.clone(), style.name.clone());
                if !self.own.shelf.put(style) {
                    self.worker.send(WorkerRequest::RemoveOwnStyle { id });
                    self.error = Some(Problem::OwnShelfFull);
                    return true;
                }
                self.own_changed();
                if from != OwnStyleFrom::Saved {
                    self.own.note = Some(w.own_added.replace("{name}", &name));
                    self.own.reveal = Some(id.clone());
                    self.session.style = Some(id);
                    self.run();
                    // After the painting's request, which clears the error line: a storage that
                    // refused the style must stay said.
                    self.save_own();
                }
            }
            WorkerResponse::OwnStyleRefused { from: OwnStyleFrom::Saved, error: StyleFileError::OtherPackage { names }, painting } if !painting.is_empty() => {
                // After an update: a kept style with its painting is learned again, by itself,
                // and kept (as its painting) until that is done.
                let name = names.first().cloned().unwrap_or_default();
                if !self.own.shelf.learn_again(name, painting) {
                    // As many are waiting as can be kept: this one is refused as if it had none.
                    self.error = Some(Problem::OwnStyle { from: OwnStyleFrom::Saved, error: StyleFileError::OtherPackage { names } });
                    self.save_own();
                    return true;
                }
                let waiting: Vec<String> = self.own.shelf.waiting_to_learn_again().iter().map(|a| a.name.clone()).collect();
                self.own.note = Some(w.own_learning_again.replace("{names}", &crate::model::style_file::quoted_list(&waiting, w.list_separator)));
                self.save_own();
                self.learn_next_again();
            }
            WorkerResponse::OwnStyleRefused { from, mut error, .. } => {
                // After an update every kept style of the old painter is refused in turn: one
                // message names them all, not only the last.
                if let (OwnStyleFrom::Saved, Some(Problem::OwnStyle { from: OwnStyleFrom::Saved, error: StyleFileError::OtherPackage { names: before } }), StyleFileError::OtherPackage { names }) =
                    (from, &self.error, &mut error)
                {
                    names.splice(0..0, before.iter().cloned());
                }
                self.error = Some(Problem::OwnStyle { from, error });
                // A kept style that no longer fits is dropped from the device with this message.
                if from == OwnStyleFrom::Saved {
                    self.save_own();
                }
            }
            WorkerResponse::Learning { job, stage } => {
                let Some((current, view)) = self.own.learning.as_mut() else { return false };
                if *current != job {
                    return false;
                }
                view.stage = Some(stage);
            }
            WorkerResponse::Learned { job, style, replaces, finished } => {
                if self.own.learning.as_ref().map(|(j, _)| *j) != Some(job) {
                    // A learning the page ended: the worker has it; forget it there too.
                    self.worker.send(WorkerRequest::RemoveOwnStyle { id: style.id });
                    return false;
                }
                let (id, name) = (style.id.clone(), style.name.clone());
                self.own.shelf.learned(style, replaces.as_deref(), finished);
                self.own_changed();
                let shown = self.session.style.as_deref();
                // A style learned again after an update is not put on show: the visitor did not
                // ask for it now.
                let first_on_show = replaces.is_none() && !self.own.learning_again;
                // The preview follows the learning: the first style is put on show, each better one
                // takes the place of the one before where that is on show (or mixed).
                if first_on_show || (replaces.is_some() && shown == replaces.as_deref()) {
                    // Only the first: a visitor who scrolled away meanwhile is not pulled back
                    // at every refresh.
                    if replaces.is_none() {
                        self.own.reveal = Some(id.clone());
                    }
                    self.session.style = Some(id.clone());
                    self.run();
                } else if self.session.mix_style.is_some() && self.session.mix_style == replaces {
                    self.session.mix_style = Some(id.clone());
                    self.run();
                }
                if finished {
                    self.own.learning = None;
                    let words = if std::mem::take(&mut self.own.learning_again) {
                        self.own.shelf.learned_again();
                        w.own_learned_again
                    } else {
                        w.own_learned
                    };
                    self.save_own();
                    self.own.note = Some(words.replace("{name}", &name));
                    self.learn_next_again();
                }
            }
            WorkerResponse::LearnFailed { job, error } => {
                if self.own.learning.as_ref().map(|(j, _)| *j) != Some(job) {
                    return false;
                }
                let again = self.own.learning_again;
                self.end_learning();
                if again {
                    use crate::protocol::LearnFailure as F;
                    match error {
                        // The kept painting cannot be learned, now or later: it is dropped, with the
                        // message a painting given now would have.
                        F::Unreadable(_) | F::TooSmall { .. } => {
                            self.own.shelf.learned_again();
                            self.save_own();
                            self.error = Some(Problem::Learn(error));
                        }
                        // Stopped by the visitor, or a reason that may pass: kept for the next visit.
                        _ => {
                            self.own.again_paused = true;
                            if error != F::Stopped {
                                self.error = Some(Problem::Learn(error));
                            }
                        }
                    }
                } else {
                    self.error = Some(Problem::Learn(error));
                }
                self.learn_next_again();
            }
            _ => return false,
        }
        true
    }

    /// Learn `painting` (image file bytes) as `name`; `again`: a kept style the package refused.
    fn start_learning(&mut self, painting: Vec<u8>, name: String, again: bool) {
        // A style file needs a name: a painting named ".jpg", or a name of nothing but control
        // characters, would give a style that the next visit refuses as unnamed.
        let name = crate::model::style_file::name_or(&name, words(self.lang).own_card);
        self.own.next_job += 1;
        let job = self.own.next_job;
        let photo = self.session.photo.as_ref().map(|p| p.id);
        let sample_urls = SAMPLES.iter().map(|s| absolute(&s.url())).collect();
        self.worker.send(WorkerRequest::Learn { job, painting, name: name.clone(), photo, sample_urls, seconds: learn_seconds() });
        self.own.learning = Some((job, LearningView { name, stage: None }));
        self.own.learning_again = again;
    }

    /// Learn the next kept style the package refused, where nothing else is being learned.
    pub(super) fn learn_next_again(&mut self) {
        if self.own.learning.is_some() || self.own.again_paused {
            return;
        }
        if let Some(next) = self.own.shelf.next_to_learn_again().cloned() {
            self.start_learning(next.painting, next.name, true);
        }
    }

    /// Stop the learning under way and forget its unfinished style (a style being learned again
    /// stays waiting for its turn).
    fn end_learning(&mut self) {
        if let Some((job, _)) = self.own.learning.take() {
            self.worker.send(WorkerRequest::StopLearning { job });
        }
        self.own.learning_again = false;
        let learning: Vec<String> = self.own.shelf.styles().iter().filter(|s| self.own.shelf.is_learning(&s.id)).map(|s| s.id.clone()).collect();
        self.own.shelf.learning_ended();
        for id in learning {
            self.worker.send(WorkerRequest::RemoveOwnStyle { id: id.clone() });
            self.style_gone(&id);
        }
        self.own_changed();
    }

    /// A style is gone: a picture painted with it stays, but the next painting uses the first
    /// painting of the gallery (and no mix with it).
    fn style_gone(&mut self, id: &str) {
        if self.session.mix_style.as_deref() == Some(id) {
            self.session.mix_style = None;
        }
        if self.session.style.as_deref() == Some(id) {
            self.session.style = self.shipped_styles.first().map(|s| s.id.clone());
        }
    }

    /// The gallery's list and thumbnails after the shelf changed.
    pub(super) fn own_changed(&mut self) {
        let mut styles = (*self.shipped_styles).clone();
        styles.extend(self.own.shelf.entries());
        self.styles = Rc::new(styles);
        self.own.thumbs = Rc::new(self.own.shelf.styles().iter().map(|s| (s.id.clone(), data_url(&s.thumbnail))).collect());
    }

    /// Keep the shelf on the device; a full storage is said, and the style still works until the
    /// page is left (its file can be downloaded).
    fn save_own(&mut self) {
        if let Err(detail) = store_checked(OWN_STYLES_KEY, &self.own.shelf.to_stored()) {
            self.error = Some(Problem::OwnStorage(detail));
        }
    }

    /// After a worker was replaced: it knows no own styles; the learning under way is lost.
    pub(super) fn own_after_worker_replaced(&mut self) {
        if self.own.learning.take().is_some() {
            self.own.learning_again = false;
            self.own.shelf.learning_ended();
            self.own_changed();
        }
        for style in self.own.shelf.styles() {
            self.worker.send(WorkerRequest::AddOwnStyle { bytes: style.file.clone(), from: OwnStyleFrom::Saved, painting: style.painting.clone() });
        }
        self.learn_next_again();
    }

    /// After a render: bring a card just put on show into view.
    pub(super) fn reveal_own_card(&mut self) {
        let Some(id) = self.own.reveal.take() else { return };
        let card = web_sys::window()
            .and_then(|w| w.document())
            .and_then(|d| d.query_selector(&format!("[data-testid=\"style-card-{id}\"]")).ok().flatten());
        if let Some(card) = card {
            let options = js_sys::Object::new();
            let _ = js_sys::Reflect::set(&options, &"block".into(), &"nearest".into());
            let _ = js_sys::Reflect::set(&options, &"inline".into(), &"nearest".into());
            let scroll = js_sys::Reflect::get(&card, &"scrollIntoView".into()).ok().and_then(|f| f.dyn_into::<js_sys::Function>().ok());
            if let Some(scroll) = scroll {
                let _ = scroll.call1(&card, &options);
            }
        }
    }

    /// The own style on show, for the card's buttons.
    pub(super) fn own_selected(&self) -> Option<(String, String)> {
        let id = self.session.style.as_ref()?;
        self.own.shelf.get(id).map(|s| (s.id.clone(), s.name.clone()))
    }
}

/// Save `bytes` as a file named `name` (a data URL and an anchor: nothing leaves the device).
fn download_bytes(bytes: &[u8], name: &str) -> Result<(), String> {
    let document = web_sys::window().and_then(|w| w.document()).ok_or("no document")?;
    let anchor: web_sys::HtmlAnchorElement =
        document.create_element("a").map_err(|e| format!("{e:?}"))?.dyn_into().map_err(|_| "no anchor")?;
    anchor.set_href(&format!("data:application/octet-stream;base64,{}", base64::encode(bytes)));
    anchor.set_download(name);
    anchor.click();
    Ok(())
}

/// `navigator.clipboard.writeText(text)`, where the browser has it (a secure page).
fn write_to_clipboard(text: &str) -> Option<js_sys::Promise> {
    use js_sys::{Function, Reflect};
    let navigator = web_sys::window()?.navigator();
    let clipboard = Reflect::get(&navigator, &"clipboard".into()).ok().filter(|c| !c.is_undefined() && !c.is_null())?;
    let write: Function = Reflect::get(&clipboard, &"writeText".into()).ok()?.dyn_into().ok()?;
    write.call1(&clipboard, &text.into()).ok()?.dyn_into().ok()
}
