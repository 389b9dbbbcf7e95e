//! The page's head: the name, which engine paints (a badge whose tooltip says why), the language
//! and the theme.

use yew::prelude::*;

use crate::engine::EngineKind;
use crate::protocol::EngineStatus;
use crate::web::i18n::{cpu_reason, problem, words, Lang, Problem};

#[derive(Properties, PartialEq)]
pub struct TopBarProps {
    pub lang: Lang,
    pub engine: EngineStatus,
    /// The CPU engine's threads in the worker (1 but in the threaded build).
    pub cpu_threads: u32,
    /// The dark theme is on (chosen, or the system's).
    pub dark: bool,
    pub on_lang: Callback<()>,
    pub on_theme: Callback<()>,
}

#[function_component(TopBar)]
pub fn top_bar(props: &TopBarProps) -> Html {
    let (lang, w) = (props.lang, words(props.lang));
    let (badge_state, badge_text, badge_title) = match &props.engine {
        EngineStatus::Probing => ("probing", w.probing.to_string(), String::new()),
        EngineStatus::Gpu { adapter } => ("ready", EngineKind::Gpu.label().to_string(), adapter.clone()),
        EngineStatus::Cpu { reason } => {
            let threaded = props.cpu_threads > 1;
            let label = if threaded {
                w.cpu_threads.replace("{}", &props.cpu_threads.to_string())
            } else {
                EngineKind::Cpu.label().to_string()
            };
            let why = if threaded { cpu_reason(lang, reason) } else { format!("{} {}", cpu_reason(lang, reason), w.one_thread_why) };
            ("ready", label, why)
        }
        EngineStatus::Unavailable { problem: p } => ("none", w.no_engine.to_string(), problem(lang, &Problem::Studio(p.clone()))),
    };
    // The theme button says which theme is on and what a press does.
    let theme_label = if props.dark { w.theme_dark } else { w.theme_light };
    html! {
        <header class="bar">
            <div class="brand">
                <h1>{ "Atelier" }</h1>
                <p class="tagline">{ w.tagline }</p>
            </div>
            <div class="bar-actions">
                <span class="badge" data-testid="engine-badge" data-state={badge_state} title={badge_title}>{ badge_text }</span>
                <button class="ghost" data-testid="lang-toggle" onclick={props.on_lang.reform(|_| ())}>{ w.lang_toggle }</button>
                <button class="ghost" data-testid="theme-toggle" aria-label={theme_label} title={theme_label}
                    data-theme-shown={if props.dark { "dark" } else { "light" }} onclick={props.on_theme.reform(|_| ())}>{ "◐" }</button>
            </div>
        </header>
    }
}
