//! The history list: the paintings kept on this device, newest first; a click shows one again,
//! × deletes it, "Clear all" asks first. The page keeps the database (`history_store`).

use std::rc::Rc;

use yew::prelude::*;

use crate::model::package::StyleEntry;
use crate::web::history::HistoryItem;
use crate::web::i18n::{words, Lang};

#[derive(Properties, PartialEq)]
pub struct HistoryPanelProps {
    pub lang: Lang,
    pub items: Rc<Vec<HistoryItem>>,
    /// For the styles' names in the page's language.
    pub styles: Rc<Vec<StyleEntry>>,
    /// Why the history cannot be kept (no database, the quota full).
    pub note: Option<String>,
    pub on_open: Callback<u32>,
    pub on_delete: Callback<u32>,
    /// "Clear all", confirmed.
    pub on_clear: Callback<()>,
}

#[function_component(HistoryPanel)]
pub fn history_panel(props: &HistoryPanelProps) -> Html {
    let (lang, w) = (props.lang, words(props.lang));
    let confirming = use_state(|| false);
    let style_name = |id: &str| props.styles.iter().find(|s| s.id == id).map(|s| lang.pick(&s.name).to_string()).unwrap_or_else(|| id.to_string());
    let answer = |clear: bool| {
        let (confirming, on_clear) = (confirming.clone(), props.on_clear.clone());
        Callback::from(move |_: MouseEvent| {
            confirming.set(false);
            if clear {
                on_clear.emit(());
            }
        })
    };
    html! {
        <section class="history" aria-label={w.history}>
            <div class="history-head">
                <h2>{ w.history }</h2>
                if *confirming && !props.items.is_empty() {
                    <div class="confirm" role="alertdialog" aria-label={w.history_clear} data-testid="history-confirm">
                        <span>{ match props.items.len() {
                            1 => w.history_clear_question_one.to_string(),
                            n => w.history_clear_question.replace("{}", &n.to_string()),
                        } }</span>
                        <button class="danger" data-testid="history-clear-yes" onclick={answer(true)}>{ w.history_clear_yes }</button>
                        <button class="ghost" data-testid="history-clear-no" onclick={answer(false)}>{ w.history_clear_no }</button>
                    </div>
                } else {
                    <button class="ghost" data-testid="history-clear" disabled={props.items.is_empty()}
                        onclick={let confirming = confirming.clone(); move |_| confirming.set(true)}>{ w.history_clear }</button>
                }
            </div>
            if let Some(note) = &props.note {
                <p class="error" data-testid="history-note" role="status">{ note }</p>
            } else if props.items.is_empty() {
                <p class="empty">{ w.history_empty }</p>
            }
            <ul class="history-list">
                { for props.items.iter().map(|item| {
                    let id = item.id;
                    // A mix is part of the label: "Starry Night + The Scream 30 %".
                    let name = match &item.meta.style.mix {
                        Some((other, t)) => format!("{} + {} {:.0} %", style_name(&item.meta.style.style), style_name(other), t * 100.0),
                        None => style_name(&item.meta.style.style),
                    };
                    let when = js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(item.meta.created_ms));
                    let when = String::from(when.to_locale_string(lang.code(), &wasm_bindgen::JsValue::UNDEFINED));
                    let note = item.meta.settings_note(w.brush);
                    let details = if note.is_empty() { when.clone() } else { format!("{note} · {when}") };
                    let label = format!("{} · {} · {}", name, item.meta.photo_name, details);
                    let delete_label = format!("{} {}", w.history_delete, label);
                    html! {
                        <li class="history-row">
                            <button class="history-open" data-testid="history-item" title={label.clone()}
                                onclick={props.on_open.reform(move |_| id)}>
                                <img src={item.meta.thumbnail.clone()} alt="" />
                                // One line each, so the date and the settings are never cut off by
                                // a long photo name.
                                <span class="history-text">
                                    <span class="history-style">{ name }</span>
                                    <span>{ item.meta.photo_name.clone() }</span>
                                    <span>{ details }</span>
                                </span>
                            </button>
                            <button class="ghost" data-testid="history-delete" aria-label={delete_label}
                                onclick={props.on_delete.reform(move |_| id)}>{ "×" }</button>
                        </li>
                    }
                }) }
            </ul>
        </section>
    }
}
