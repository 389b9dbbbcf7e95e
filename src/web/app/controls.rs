//! The sliders and settings under the gallery: strength and colour (applied to the painting on
//! show), mixing in a second painting, the brush and the output size (painted again).

use std::rc::Rc;

use web_sys::{HtmlInputElement, HtmlSelectElement};
use yew::prelude::*;

use super::slider_value;
use crate::model::package::StyleEntry;
use crate::pipeline::{Adjustments, Brush};
use crate::web::i18n::{words, Lang};
use crate::web::session::SIZES;

/// What the visitor changed.
#[derive(Debug, Clone, PartialEq)]
pub enum ControlChange {
    Strength(f32),
    Colour(f32),
    MixStyle(Option<String>),
    MixAmount(f32),
    Brush(Brush),
    Size(u32),
}

#[derive(Properties, PartialEq)]
pub struct ControlsProps {
    pub lang: Lang,
    pub styles: Rc<Vec<StyleEntry>>,
    pub adjustments: Adjustments,
    pub mix_style: Option<String>,
    pub mix_amount: f32,
    pub brush: Brush,
    pub max_side: u32,
    pub on_change: Callback<ControlChange>,
}

pub(super) fn select_value(e: &Event) -> String {
    let select: HtmlSelectElement = e.target_unchecked_into();
    select.value()
}

/// The brush slider runs over log2(brush size), so 0.5 -> 1 -> 2 are equal steps.
fn brush_from_slider(e: &Event) -> Option<Brush> {
    let input: HtmlInputElement = e.target_unchecked_into();
    input.value().parse::<f32>().ok().and_then(|v| Brush::new(2f32.powf(v)).ok())
}

#[function_component(Controls)]
pub fn controls(props: &ControlsProps) -> Html {
    let (lang, w) = (props.lang, words(props.lang));
    let on = &props.on_change;
    let percent = |v: f32| format!("{}", (v * 100.0).round());
    let mixing = props.mix_style.is_some();
    html! {
        <>
            { percent_slider(w.strength, "strength", props.adjustments.strength, on.reform(ControlChange::Strength)) }
            { percent_slider(w.colour, "colour", props.adjustments.preserve_colour, on.reform(ControlChange::Colour)) }
            <label class="row">
                <span>{ w.mix_with }</span>
                <select data-testid="mix-style-select" onchange={on.reform(|e: Event| {
                    let v = select_value(&e);
                    ControlChange::MixStyle(if v.is_empty() { None } else { Some(v) })
                })}>
                    <option value="" selected={!mixing}>{ w.mix_none }</option>
                    { for props.styles.iter().map(|s| html! {
                        <option value={s.id.clone()} selected={props.mix_style.as_ref() == Some(&s.id)}>{ lang.pick(&s.name) }</option>
                    }) }
                </select>
            </label>
            <label class="row">
                <span>{ w.mix_amount }</span>
                <input type="range" min="0" max="100" value={percent(props.mix_amount)} data-testid="mix-slider"
                    disabled={!mixing}
                    onchange={on.reform(|e: Event| {
                        let input: HtmlInputElement = e.target_unchecked_into();
                        ControlChange::MixAmount(input.value().parse::<f32>().unwrap_or(50.0) / 100.0)
                    })} />
                <output data-testid="mix-value" hidden={!mixing}>{ format!("{} %", percent(props.mix_amount)) }</output>
            </label>
            <label class="row" title={w.brush_hint}>
                <span>{ w.brush }</span>
                <input type="range" min="-2" max="2" step="0.25" value={props.brush.size().log2().to_string()}
                    data-testid="brush-slider" aria-valuetext={format!("{:.2}x", props.brush.size())}
                    onchange={let on = on.clone(); move |e: Event| if let Some(brush) = brush_from_slider(&e) { on.emit(ControlChange::Brush(brush)) }} />
                <output data-testid="brush-value">{ format!("{:.2}×", props.brush.size()) }</output>
            </label>
            <label class="row">
                <span>{ w.size }</span>
                <select data-testid="size-select" onchange={on.reform(|e: Event| ControlChange::Size(select_value(&e).parse().unwrap_or(SIZES[0])))}>
                    { for SIZES.iter().zip([w.size_preview, w.size_large, w.size_original]).map(|(side, label)| html! {
                        <option value={side.to_string()} selected={*side == props.max_side}>{ label }</option>
                    }) }
                </select>
            </label>
            <p class="privacy">{ w.privacy }</p>
        </>
    }
}

/// A 0..1 slider shown as 0-100 %, acting as it moves (`{name}-slider`, `{name}-value`).
fn percent_slider(label: &'static str, name: &str, value: f32, on_input: Callback<f32>) -> Html {
    let percent = format!("{}", (value * 100.0).round());
    html! {
        <label class="row">
            <span>{ label }</span>
            <input type="range" min="0" max="100" value={percent.clone()} data-testid={format!("{name}-slider")}
                oninput={move |e: InputEvent| on_input.emit(slider_value(&e))} />
            <output data-testid={format!("{name}-value")}>{ format!("{percent} %") }</output>
        </label>
    }
}
