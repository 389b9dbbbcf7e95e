//! "Your painting" (issue 33): the card after the gallery's paintings that learns a painting the
//! visitor gives (picked or dropped), the learning's progress with its stop button, opening a
//! style file, and for an own style on show: its style file, a link that carries it, delete.
//! What learning does is the worker's (`worker::learning`); what is kept, `own_styles`.

use web_sys::HtmlInputElement;
use yew::prelude::*;

use crate::protocol::LearnStage;
use crate::web::i18n::{words, Lang};

/// What the visitor asked of the card.
pub enum OwnAsk {
    /// Learn this painting.
    Painting(web_sys::File),
    /// Open this style file.
    StyleFile(web_sys::File),
    Stop,
    Download(String),
    Link(String),
    Delete(String),
}

/// Learning under way, as the card shows it.
#[derive(Clone, PartialEq)]
pub struct LearningView {
    pub name: String,
    pub stage: Option<LearnStage>,
}

#[derive(Properties, PartialEq)]
pub struct OwnPaintingProps {
    pub lang: Lang,
    pub learning: Option<LearningView>,
    /// The own style on show (id, name), if the style on show is one.
    pub selected: Option<(String, String)>,
    /// A line about the last thing done (learned, added, link copied).
    pub note: Option<String>,
    /// The link to copy by hand, where the clipboard refused it.
    pub manual_link: Option<String>,
    pub on_ask: Callback<OwnAsk>,
}

fn file_from(e: &Event) -> Option<web_sys::File> {
    let input: HtmlInputElement = e.target_unchecked_into();
    let file = input.files().and_then(|files| files.get(0));
    input.set_value("");
    file
}

#[function_component(OwnPainting)]
pub fn own_painting(props: &OwnPaintingProps) -> Html {
    let w = words(props.lang);
    let on_ask = &props.on_ask;
    let on_painting = {
        let on_ask = on_ask.clone();
        Callback::from(move |e: Event| {
            if let Some(file) = file_from(&e) {
                on_ask.emit(OwnAsk::Painting(file));
            }
        })
    };
    let on_style_file = {
        let on_ask = on_ask.clone();
        Callback::from(move |e: Event| {
            if let Some(file) = file_from(&e) {
                on_ask.emit(OwnAsk::StyleFile(file));
            }
        })
    };
    let on_drop = {
        let on_ask = on_ask.clone();
        Callback::from(move |e: DragEvent| {
            // Taken here: the window's drop listener must not take it as a photo too.
            e.prevent_default();
            if let Some(file) = e.data_transfer().and_then(|d| d.files()).and_then(|f| f.get(0)) {
                let is_style = file.name().to_ascii_lowercase().ends_with(".style");
                on_ask.emit(if is_style { OwnAsk::StyleFile(file) } else { OwnAsk::Painting(file) });
            }
        })
    };
    let on_dragover = Callback::from(|e: DragEvent| e.prevent_default());
    let progress = props.learning.as_ref().map(|learning| {
        let (text, value) = match learning.stage {
            None | Some(LearnStage::LossNetwork) => (w.own_loss_network.to_string(), None),
            Some(LearnStage::FirstGuess) => (w.own_first_guess.to_string(), None),
            Some(LearnStage::Refining { steps, elapsed_ms, total_ms }) => {
                let left = ((total_ms - elapsed_ms) / 1000.0).max(0.0).ceil();
                let text = w.own_refining.replace("{steps}", &steps.to_string()).replace("{left}", &format!("{left:.0}"));
                (text, Some((elapsed_ms / total_ms.max(1.0)).clamp(0.0, 1.0)))
            }
        };
        html! {
            <div class="own-progress" data-testid="learn-progress" role="status">
                <span class="own-learning-name">{ &learning.name }</span>
                <span data-testid="learn-stage">{ text }</span>
                if let Some(value) = value {
                    <progress max="1" value={value.to_string()} />
                } else {
                    <progress />
                }
                <button type="button" data-testid="learn-stop" onclick={on_ask.reform(|_| OwnAsk::Stop)}>{ w.own_stop }</button>
            </div>
        }
    });
    html! {
        <div class="own-painting" data-testid="own-painting">
            <label class="style-card own-card" data-testid="own-painting-card" ondrop={on_drop} ondragover={on_dragover}>
                <span class="own-plus" aria-hidden="true">{ "+" }</span>
                <span class="card-name">{ w.own_card }</span>
                <span class="card-meta">{ w.own_hint }</span>
                <input class="visually-hidden" type="file" accept="image/*" data-testid="own-painting-input" onchange={on_painting} />
            </label>
            { for progress }
            <div class="own-actions">
                <label class="own-open" data-testid="own-style-open">
                    { w.own_open }
                    <input class="visually-hidden" type="file" accept=".style,application/json" data-testid="own-style-input" onchange={on_style_file} />
                </label>
                if let Some((id, name)) = props.selected.clone() {
                    <span class="own-selected" data-testid="own-selected">{ name }</span>
                    <button type="button" data-testid="own-style-download" onclick={on_ask.reform({ let id = id.clone(); move |_| OwnAsk::Download(id.clone()) })}>{ w.own_download }</button>
                    <button type="button" data-testid="own-style-link" onclick={on_ask.reform({ let id = id.clone(); move |_| OwnAsk::Link(id.clone()) })}>{ w.own_link }</button>
                    <button type="button" data-testid="own-style-delete" onclick={on_ask.reform(move |_| OwnAsk::Delete(id.clone()))}>{ w.own_delete }</button>
                }
            </div>
            if let Some(note) = &props.note {
                <p class="own-note" data-testid="own-note" role="status">{ note }</p>
            }
            if let Some(link) = &props.manual_link {
                <label class="own-manual-link">{ w.own_link_manual }
                    <input type="text" readonly=true value={link.clone()} data-testid="own-link-text" />
                </label>
            }
        </div>
    }
}
