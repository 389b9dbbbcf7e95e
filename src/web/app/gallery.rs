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
    /// The own styles' thumbnails (id, data URL): theirs are not files of the package.
    pub own_thumbs: Rc<Vec<(String, String)>>,
    /// "Your painting": the card after the paintings, with what goes with it.
    #[prop_or_default]
    pub children: Html,
}

#[function_component(Gallery)]
pub fn gallery(props: &GalleryProps) -> Html {
    let (lang, w) = (props.lang, words(props.lang));
    let selected = props.selected.as_ref().and_then(|id| props.styles.iter().find(|s| &s.id == id));
    html! {
        <>
            <h2>{ w.styles }</h2>
            <div class="gallery">
                { for props.styles.iter().map(|s| {
                    let own_thumb = props.own_thumbs.iter().find(|(id, _)| *id == s.id).map(|(_, url)| url.clone());
                    style_card(lang, s, own_thumb, props.selected.as_ref() == Some(&s.id), &props.on_pick)
                }) }
                // Inside the gallery, in the room it keeps for the paintings.
                if props.styles.is_empty() {
                    <p class="empty">{ w.no_style_yet }</p>
                }
            </div>
            { props.children.clone() }
            if let Some(s) = selected {
                <details class="style-details" data-testid="style-details">
                    <summary>{ format!("{} — {}", w.details, lang.pick(&s.title)) }</summary>
                    <p>{ if s.year.is_empty() { lang.pick(&s.artist).to_string() } else { format!("{}, {}", lang.pick(&s.artist), s.year) } }</p>
                    <p>{ lang.pick(&s.description) }</p>
                </details>
            }
        </>
    }
}

fn style_card(lang: Lang, style: &StyleEntry, own_thumb: Option<String>, selected: bool, on_pick: &Callback<String>) -> Html {
    let id = style.id.clone();
    let thumb = own_thumb.or_else(|| style.thumbnail.as_ref().map(|t| format!("{MODELS_PATH}{}", t.file)));
    let meta = if style.year.is_empty() { lang.pick(&style.artist).to_string() } else { format!("{}, {}", lang.pick(&style.artist), style.year) };
    html! {
        <button class={classes!("style-card", selected.then_some("selected"))} data-testid={format!("style-card-{}", style.id)}
            title={format!("{} — {meta}", lang.pick(&style.title))}
            aria-pressed={selected.to_string()} onclick={on_pick.reform(move |_| id.clone())}>
            if let Some(src) = thumb {
                <img src={src} alt="" loading="lazy" />
            }
            <span class="card-name">{ lang.pick(&style.name) }</span>
            <span class="card-meta">{ meta }</span>
        </button>
    }
}
