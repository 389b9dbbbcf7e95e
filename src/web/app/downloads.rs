//! The buttons under the painting: download as PNG or JPEG (at the quality chosen here), share,
//! and the share poster. The page does the exporting (`export`); this asks for it.

use yew::prelude::*;

use super::controls::select_value;
use crate::web::i18n::{words, Lang};

/// What the visitor asked to take away.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ExportAsk {
    Png,
    Jpeg { quality: f32 },
    /// The picture as a file, through the Web Share API.
    Share,
    /// The share poster: downloaded, or shared where the browser can share files.
    Poster { share: bool },
}

#[derive(Properties, PartialEq)]
pub struct DownloadsProps {
    pub lang: Lang,
    /// Nothing painted yet.
    pub hidden: bool,
    /// The picture on show is a preview whose detail is still being painted: the buttons wait
    /// for the finished painting.
    #[prop_or_default]
    pub pending: bool,
    /// The browser can share a picture file (Web Share level 2); otherwise no Share buttons.
    pub can_share_files: bool,
    /// A note beside the buttons (what a failed share said, or that sharing is not offered).
    pub share_note: Option<String>,
    pub on_export: Callback<ExportAsk>,
}

const JPEG_QUALITIES: [f32; 4] = [0.95, 0.9, 0.8, 0.7];

#[function_component(Downloads)]
pub fn downloads(props: &DownloadsProps) -> Html {
    let w = words(props.lang);
    let quality = use_state(|| 0.9f32);
    let on = &props.on_export;
    let jpeg = { let q = *quality; on.reform(move |_| ExportAsk::Jpeg { quality: q }) };
    let on_quality = { let quality = quality.clone(); move |e: Event| quality.set(select_value(&e).parse().unwrap_or(0.9)) };
    let pending_title = props.pending.then_some(w.detail_pending);
    html! {
        <>
            <div class="downloads" hidden={props.hidden}>
                <button class="primary" data-testid="download-png" disabled={props.pending} title={pending_title} onclick={on.reform(|_| ExportAsk::Png)}>{ w.download_png }</button>
                <button data-testid="download-jpeg" disabled={props.pending} title={pending_title} onclick={jpeg}>{ w.download_jpeg }</button>
                if props.can_share_files {
                    <button data-testid="share-button" disabled={props.pending} title={pending_title} onclick={on.reform(|_| ExportAsk::Share)}>{ w.share }</button>
                }
                <button data-testid="poster-download" disabled={props.pending} title={pending_title} onclick={on.reform(|_| ExportAsk::Poster { share: false })}>{ w.poster }</button>
                if props.can_share_files {
                    <button data-testid="poster-share" disabled={props.pending} title={pending_title} onclick={on.reform(|_| ExportAsk::Poster { share: true })}>{ w.share_poster }</button>
                }
                <label class="row compact">
                    <span>{ w.jpeg_quality }</span>
                    <select data-testid="jpeg-quality" onchange={on_quality}>
                        { for JPEG_QUALITIES.iter().map(|q| html! {
                            <option value={q.to_string()} selected={(*q - *quality).abs() < 1e-3}>{ format!("{:.0}", q * 100.0) }</option>
                        }) }
                    </select>
                </label>
            </div>
            if let Some(note) = &props.share_note {
                <p class="note" role="status" data-testid="share-note">{ note }</p>
            }
        </>
    }
}
