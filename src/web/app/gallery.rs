//! The gallery of paintings: a card per style (a click or Left / Right picks it), and the
//! chosen painting's details.

use std::rc::Rc;

use yew::prelude::*;

use super::MODELS_PATH;
use crate::model::package::StyleEntry;
use crate::web::i18n::{words, Lang};

#[derive(Properties, PartialEq)]
pub struct GalleryProps {
    pub lang: Lang,
    pub styles: Rc<Vec<StyleEntry>>,
    pub selected: Option<String>,
    pub on_pick: Callback<String>,
}

#[function_component(Gallery)]
pub fn gallery(props: &GalleryProps) -> Html {
    let (lang, w) = (props.lang, words(props.lang));
    let selected = props.selected.as_ref().and_then(|id| props.styles.iter().find(|s| &s.id == id));
    html! {
        <>
            <h2>{ w.styles }</h2>
            <div class="gallery">
                { for props.styles.iter().map(|s| style_card(lang, s, props.selected.as_ref() == Some(&s.id), &props.on_pick)) }
                // Inside the gallery, in the room it keeps for the paintings.
                if props.styles.is_empty() {
                    <p class="empty">{ w.no_style_yet }</p>
                }
            </div>
            if let Some(s) = selected {
                <details class="style-details" data-testid="style-details">
                    <summary>{ format!("{} — {}", w.details, lang.pick(&s.title)) }</summary>
                    <p>{ format!("{}, {}", lang.pick(&s.artist), s.year) }</p>
                    <p>{ lang.pick(&s.description) }</p>
                </details>
            }
        </>
    }
}

fn style_card(lang: Lang, style: &StyleEntry, selected: bool, on_pick: &Callback<String>) -> Html {
    let id = style.id.clone();
    let thumb = style.thumbnail.as_ref().map(|t| format!("{MODELS_PATH}{}", t.file));
    html! {
        <button class={classes!("style-card", selected.then_some("selected"))} data-testid={format!("style-card-{}", style.id)}
            title={format!("{} — {}, {}", lang.pick(&style.title), lang.pick(&style.artist), style.year)}
            aria-pressed={selected.to_string()} onclick={on_pick.reform(move |_| id.clone())}>
            if let Some(src) = thumb {
                <img src={src} alt="" loading="lazy" />
            }
            <span class="card-name">{ lang.pick(&style.name) }</span>
            <span class="card-meta">{ format!("{}, {}", lang.pick(&style.artist), style.year) }</span>
        </button>
    }
}
