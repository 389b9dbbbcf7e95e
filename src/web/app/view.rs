//! How the page's components are laid out, and the small parts that are the App's own (the
//! notices, the error line, the progress row). Reads the App's state; no state changes here.

use super::controls::Controls;
use super::downloads::Downloads;
use super::gallery::Gallery;
use super::own::OwnMsg;
use super::own_painting::OwnPainting;
use super::history_panel::HistoryPanel;
use super::live_view::LiveView;
use super::picker::PhotoPicker;
use super::top_bar::TopBar;
use super::viewer::Viewer;
use super::*;
use crate::protocol::Stage;
use crate::web::i18n::cpu_reason;
use crate::web::service_worker::apply_update;

impl App {
    pub(super) fn render(&self, ctx: &Context<Self>) -> Html {
        let w = words(self.lang);
        let link = ctx.link();
        let session = &self.session;
        html! {
            <main class={classes!("shell", self.dragging.then_some("dragging"))} data-testid="studio">
                <TopBar lang={self.lang} engine={self.engine.clone()} cpu_threads={self.cpu_threads}
                    dark={self.dark.unwrap_or_else(prefers_dark)}
                    on_lang={link.callback(|()| Msg::ToggleLang)} on_theme={link.callback(|()| Msg::ToggleTheme)} />
                // Notices float at the bottom of the window: they come and go (the engine's line
                // arrives after the probe) without moving the page under the visitor.
                <div class="toasts">
                    if self.update_ready {
                        <p class="notice update" data-testid="update-banner" role="status">
                            { w.update_ready }
                            <button data-testid="update-reload" onclick={|_| apply_update()}>{ w.update_reload }</button>
                        </p>
                    }
                    if let Some((done, total)) = self.loading {
                        <p class="notice loading" data-testid="model-progress">
                            { format!("{} {:.1} / {:.1} MB", w.loading_styles, done as f64 / 1e6, total as f64 / 1e6) }
                            <progress max={total.to_string()} value={done.to_string()} />
                        </p>
                    }
                    if let EngineStatus::Unavailable { problem: p } = &self.engine {
                        <p class="notice">{ format!("{} {}", w.cannot_run, problem(self.lang, &Problem::Studio(p.clone()))) }</p>
                    }
                </div>
                // In the document (and so for Tab) the paintings and sliders come right after the
                // photo picker; on wide screens they stand beside the picture (style.css grid areas).
                <section class="workspace">
                    <div class="stage-top">
                        <PhotoPicker lang={self.lang} file_name={session.newest_photo().map(|p| p.name.clone())}
                            on_pick={link.callback(Msg::PhotoChosen)} on_live={link.callback(|()| Msg::Live(LiveAsk::Open))}
                            live_open={self.live_open} />
                        if let Some(error) = &self.error {
                            <p class="error" role="alert" data-testid="error-message">{ problem(self.lang, error) }</p>
                        }
                        if self.cancelled && !session.jobs.running() {
                            <p class="notice cancel-note" role="status" data-testid="cancel-note">{
                                match (&self.painted, self.cancelled_preview) {
                                    (Some(_), true) => w.cancelled_preview,
                                    (Some(_), false) => w.cancelled,
                                    (None, _) => w.cancelled_nothing,
                                }
                            }</p>
                        }
                        { self.progress_row(ctx) }
                    </div>
                    <aside class="controls">
                        <Gallery lang={self.lang} styles={self.styles.clone()} selected={session.style.clone()}
                            on_pick={link.callback(Msg::PickStyle)} own_thumbs={self.own.thumbs.clone()}>
                            <OwnPainting lang={self.lang} learning={self.own.learning.as_ref().map(|(_, view)| view.clone())}
                                selected={self.own_selected()} note={self.own.note.clone()} manual_link={self.own.manual_link.clone()}
                                on_ask={link.callback(|ask| Msg::Own(OwnMsg::Ask(ask)))} />
                        </Gallery>
                        <Controls lang={self.lang} styles={self.styles.clone()} adjustments={self.adjustments}
                            mix_style={session.mix_style.clone()} mix_amount={session.mix_amount} brush={session.brush}
                            max_side={session.max_side} on_change={link.callback(Msg::Control)} />
                    </aside>
                    <div class="stage-column">
                        if let Some(url) = &self.chosen {
                            <figure class="chosen" data-testid="chosen-photo">
                                <img src={url.clone()} alt={w.chosen_alt} />
                            </figure>
                        }
                        if self.live_open {
                            <LiveView lang={self.lang} style={self.live_style()} adjustments={self.adjustments}
                                send={link.callback(Msg::LiveSend)} inbox={self.live_inbox.clone()}
                                on_capture={link.callback(|file| Msg::Live(LiveAsk::Capture(file)))}
                                on_close={link.callback(|problem| Msg::Live(LiveAsk::Close(problem)))} />
                        }
                        <Viewer lang={self.lang} painted={self.painted.clone()} adjustments={self.adjustments}
                            hidden={self.chosen.is_some() || self.live_open} result_canvas={self.result_canvas.clone()} photo_canvas={self.photo_canvas.clone()}
                            detail_pending={self.detail_pending()} on_full_screen={link.callback(Msg::FullScreen)}>
                            { self.empty_state(ctx) }
                            <Downloads lang={self.lang} hidden={self.painted.is_none()} pending={self.detail_pending()} can_share_files={self.can_share_files}
                                share_note={self.share_note.clone()} on_export={link.callback(Msg::Export)} />
                        </Viewer>
                        if let Some(sample) = session.newest_photo().and_then(|p| p.sample) {
                            <p class="photo-credit" data-testid="photo-credit">
                                { sample.credit(self.lang) }{ ", " }
                                <a href={sample.licence_url} target="_blank" rel="noopener">{ sample.licence }</a>
                            </p>
                        }
                        <HistoryPanel lang={self.lang} items={self.history.clone()} styles={self.styles.clone()}
                            note={self.history_note.clone()}
                            on_open={link.callback(|id| Msg::History(HistoryMsg::Reopen(id)))}
                            on_delete={link.callback(|id| Msg::History(HistoryMsg::Delete(id)))}
                            on_clear={link.callback(|()| Msg::History(HistoryMsg::Clear))} />
                    </div>
                </section>
            </main>
        }
    }

    /// What is said while a painting is under way, with the button that cancels it.
    fn progress_row(&self, ctx: &Context<Self>) -> Html {
        let w = words(self.lang);
        let jobs = &self.session.jobs;
        // With the painting's preview on show, what is left is its finest strokes.
        let painting = if self.detail_pending() { w.painting_detail } else { w.painting };
        let stage_text = match jobs.stage() {
            Some(Stage::Decoding) => w.reading.to_string(),
            Some(Stage::Painting { done, total }) if total > 1 => match jobs.eta_s() {
                Some(eta) if eta >= 3 => format!("{painting} {done}/{total} · {}", w.seconds_left.replace("{}", &eta.to_string())),
                _ => format!("{painting} {done}/{total}"),
            },
            Some(Stage::Painting { .. }) => painting.to_string(),
            None => String::new(),
        };
        // Passes counted where there are several (tiles); a single pass has nothing to count, so
        // the bar says "working" (indeterminate) rather than sitting at 0 until it vanishes.
        let progress_value = match jobs.stage() {
            Some(Stage::Painting { done, total }) if total > 1 => Some((done as f64 / total as f64).to_string()),
            _ => None,
        };
        html! {
            // Once a painting is on show the row keeps its room when idle: a new painting (or the
            // preview becoming the finished painting) does not move the picture up and down.
            <div class={classes!("progress-row", self.painted.is_some().then_some("keeps-room"))} hidden={!jobs.running()}>
                <progress data-testid="progress" max="1" value={progress_value} />
                <span data-testid="stage-label">{ stage_text }</span>
                <button data-testid="cancel-button" onclick={ctx.link().callback(|_| Msg::Cancel)}>{ w.cancel }</button>
            </div>
        }
    }

    /// The picture's place before the first painting. Why the CPU paints is said here, in the
    /// room the empty picture keeps for it (nothing moves when it arrives, nothing is covered);
    /// with a painting on show the badge's tooltip keeps saying it.
    fn empty_state(&self, ctx: &Context<Self>) -> Html {
        if self.painted.is_some() {
            return Html::default();
        }
        let w = words(self.lang);
        html! {
            <div class="empty">
                <p>{ w.empty_state }</p>
                if let (EngineStatus::Cpu { reason }, false) = (&self.engine, self.engine_notice_closed) {
                    <p class="notice engine-notice" data-testid="engine-notice" role="status">
                        <span>{ cpu_reason(self.lang, reason) }</span>
                        <button class="ghost close" data-testid="engine-notice-close" aria-label={w.close}
                            onclick={ctx.link().callback(|_| Msg::CloseEngineNotice)}>{ "×" }</button>
                    </p>
                }
            </div>
        }
    }
}
