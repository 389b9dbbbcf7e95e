//! The page's markup: the studio (picker, picture, controls), a style card, the history.
//! Reads the component's state and wires its messages; no state changes here.

use super::*;

impl App {
    pub(super) fn render(&self, ctx: &Context<Self>) -> Html {
        let w = words(self.lang);
        let link = ctx.link();
        let on_file = link.batch_callback(|e: Event| {
            let input: HtmlInputElement = e.target_unchecked_into();
            let file = input.files().and_then(|files| files.get(0));
            input.set_value("");
            file.map(Msg::FileChosen)
        });
        let on_drop = link.batch_callback(|e: DragEvent| {
            e.prevent_default();
            e.data_transfer().and_then(|d| d.files()).and_then(|f| f.get(0)).map(Msg::FileChosen)
        });
        let on_dragover = Callback::from(|e: DragEvent| e.prevent_default());
        // The divider follows a pointer pressed on the picture (the range input under it is for
        // keys and screen readers: its thumb would offset the pointer on small pictures).
        // yew delegates events to its root, so `current_target` is not the frame: a NodeRef is.
        // Zoomed in, a mouse drag pans the picture instead (touch pans natively).
        // A finger moves the divider only once its gesture is sideways: a vertical swipe that
        // starts on the picture scrolls the page (the frame's touch-action lets it) and leaves the
        // divider where it was.
        let (zoomed, frame_ref, box_ref, pinching, swipe) =
            (self.zoom.is_some(), self.compare_frame.clone(), self.compare_box.clone(), self.pinching.clone(), self.swipe.clone());
        let on_compare_pointer = link.batch_callback(move |e: PointerEvent| {
            if e.buttons() & 1 == 0 || pinching.get() {
                return None;
            }
            if !zoomed && e.pointer_type() == "touch" {
                let (x, y) = (e.client_x() as f64, e.client_y() as f64);
                if e.type_() == "pointerdown" {
                    swipe.set(Swipe::Started { x, y });
                    return None;
                }
                match swipe.get() {
                    Swipe::Sideways => {}
                    Swipe::Started { x: x0, y: y0 } => match classify_swipe(x - x0, y - y0) {
                        Some(Swipe::Sideways) => {
                            swipe.set(Swipe::Sideways);
                            if let Some(frame) = frame_ref.cast::<web_sys::Element>() {
                                let _ = frame.set_pointer_capture(e.pointer_id());
                            }
                        }
                        Some(other) => {
                            swipe.set(other);
                            return None;
                        }
                        None => return None,
                    },
                    Swipe::Idle | Swipe::Vertical => return None,
                }
            }
            if zoomed {
                if e.pointer_type() == "mouse" && e.type_() == "pointermove" {
                    let container: web_sys::Element = box_ref.cast()?;
                    container.set_scroll_left(container.scroll_left() - e.movement_x());
                    container.set_scroll_top(container.scroll_top() - e.movement_y());
                }
                return None;
            }
            let frame: web_sys::Element = frame_ref.cast()?;
            if e.type_() == "pointerdown" {
                e.prevent_default();
                let _ = frame.set_pointer_capture(e.pointer_id());
            }
            let rect = frame.get_bounding_client_rect();
            (rect.width() > 0.0).then(|| Msg::Divider((((e.client_x() as f64 - rect.left()) / rect.width()).clamp(0.0, 1.0)) as f32))
        });
        let actual_size = self.zoom.is_some();
        // The picture's aspect: full screen sizes the frame to it, so the divider spans the
        // picture and not the black bars beside it.
        let aspect = self.painted.as_ref().map_or(String::new(), |p| {
            format!("; --aspect: {:.5}", p.stylized.width() as f64 / p.stylized.height().max(1) as f64)
        });
        let zoom_width = match (self.zoom, &self.painted) {
            (Some(z), Some(p)) => format!("; --zoom-width: {:.1}px", p.stylized.width() as f64 * z),
            _ => String::new(),
        };
        let (badge_state, badge_text, badge_title) = match &self.engine {
            EngineStatus::Probing => ("probing", w.probing.to_string(), String::new()),
            EngineStatus::Gpu { adapter } => ("ready", EngineKind::Gpu.label().to_string(), adapter.clone()),
            EngineStatus::Cpu { reason } => {
                let label = if self.cpu_threads > 1 {
                    w.cpu_threads.replace("{}", &self.cpu_threads.to_string())
                } else {
                    EngineKind::Cpu.label().to_string()
                };
                let why = if self.cpu_threads > 1 {
                    cpu_reason(self.lang, reason)
                } else {
                    format!("{} {}", cpu_reason(self.lang, reason), w.one_thread_why)
                };
                ("ready", label, why)
            }
            EngineStatus::Unavailable { problem: p } => ("none", w.no_engine.to_string(), problem(self.lang, &Problem::Studio(p.clone()))),
        };
        // The theme button says which theme is on and what a press does.
        let dark_shown = self.dark.unwrap_or_else(prefers_dark);
        let theme_label = if dark_shown { w.theme_dark } else { w.theme_light };
        let stage_text = match self.session.jobs.stage() {
            Some(Stage::Decoding) => w.reading.to_string(),
            Some(Stage::Painting { done, total }) if total > 1 => match self.session.jobs.eta_s() {
                Some(eta) if eta >= 3 => format!("{} {done}/{total} · {}", w.painting, w.seconds_left.replace("{}", &eta.to_string())),
                _ => format!("{} {done}/{total}", w.painting),
            },
            Some(Stage::Painting { .. }) => w.painting.to_string(),
            None => String::new(),
        };
        // Passes counted where there are several (tiles); a single pass has nothing to count, so
        // the bar says "working" (indeterminate) rather than sitting at 0 until it vanishes.
        let progress_value = match self.session.jobs.stage() {
            Some(Stage::Painting { done, total }) if total > 1 => Some((done as f64 / total as f64).to_string()),
            _ => None,
        };
        let percent = |v: f32| format!("{}", (v * 100.0).round());

        html! {
            <main class={classes!("shell", self.dragging.then_some("dragging"))} data-testid="studio">
                <header class="bar">
                    <div class="brand">
                        <h1>{ "Atelier" }</h1>
                        <p class="tagline">{ w.tagline }</p>
                    </div>
                    <div class="bar-actions">
                        <span class="badge" data-testid="engine-badge" data-state={badge_state} title={badge_title}>{ badge_text }</span>
                        <button class="ghost" data-testid="lang-toggle" onclick={link.callback(|_| Msg::ToggleLang)}>{ w.lang_toggle }</button>
                        <button class="ghost" data-testid="theme-toggle" aria-label={theme_label} title={theme_label}
                            data-theme-shown={if dark_shown { "dark" } else { "light" }} onclick={link.callback(|_| Msg::ToggleTheme)}>{ "◐" }</button>
                    </div>
                </header>
                // Notices float at the bottom of the window: they come and go (the engine's line
                // arrives after the probe) without moving the page under the visitor.
                <div class="toasts">
                    if self.update_ready {
                        <p class="notice update" data-testid="update-banner" role="status">
                            { w.update_ready }
                            <button data-testid="update-reload" onclick={link.callback(|_| Msg::ApplyUpdate)}>{ w.update_reload }</button>
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
                        <div class="pickers">
                            // The browser's own file control speaks the browser's language ("No file chosen"):
                            // it stays for keyboards and screen readers but is drawn by the page, in the page's language.
                            <label class="drop-zone" data-testid="drop-zone" ondrop={on_drop} ondragover={on_dragover}>
                                <span class="drop-title">{ w.choose_photo }</span>
                                <span class="drop-hint">{ w.drop_hint }</span>
                                <span class="pick-row">
                                    <span class="pick-button" aria-hidden="true">{ w.browse }</span>
                                    <span class="file-name" data-testid="file-name">{
                                        self.session.newest_photo().map(|p| p.name.clone()).unwrap_or_else(|| w.no_file.to_string())
                                    }</span>
                                </span>
                                <input class="visually-hidden" type="file" accept="image/*" data-testid="image-input" onchange={on_file.clone()} />
                            </label>
                            // Phones: the camera straight away (with `capture` a phone offers no gallery, so it is its own button).
                            <label class="camera" data-testid="camera-button">
                                { w.take_photo }
                                <input class="visually-hidden" type="file" accept="image/*" capture="environment" data-testid="camera-input" onchange={on_file} />
                            </label>
                            // Drawn the same in index.html before the wasm arrives (no layout shift).
                            <div class="samples" data-testid="samples">
                                <span class="samples-label">{ w.try_sample }</span>
                                { for SAMPLES.iter().enumerate().map(|(i, s)| {
                                    let name = format!("{}: {}", w.sample_photo, s.title(self.lang));
                                    html! {
                                        <button class="sample" type="button" data-testid={format!("sample-{}", s.id)}
                                            aria-label={name.clone()} title={name}
                                            onclick={link.callback(move |_| Msg::SampleChosen(i))}>
                                            <img src={s.thumbnail_url()} width="56" height="56" alt="" />
                                        </button>
                                    }
                                }) }
                            </div>
                        </div>
                        if let Some(error) = &self.error {
                            <p class="error" role="alert" data-testid="error-message">{ problem(self.lang, error) }</p>
                        }
                        if self.cancelled && !self.session.jobs.running() {
                            <p class="notice cancel-note" role="status" data-testid="cancel-note">{
                                if self.painted.is_some() { w.cancelled } else { w.cancelled_nothing }
                            }</p>
                        }
                        <div class="progress-row" hidden={!self.session.jobs.running()}>
                            <progress data-testid="progress" max="1" value={progress_value} />
                            <span data-testid="stage-label">{ stage_text }</span>
                            <button data-testid="cancel-button" onclick={link.callback(|_| Msg::Cancel)}>{ w.cancel }</button>
                        </div>
                    </div>
                    { self.controls_view(ctx) }
                    <div class="stage-column">
                        if let Some(url) = &self.chosen {
                            <figure class="chosen" data-testid="chosen-photo">
                                <img src={url.clone()} alt={w.chosen_alt} />
                            </figure>
                        }
                        <figure class="result" data-empty={ self.painted.is_none().to_string() } hidden={self.chosen.is_some()}>
                            <div class={classes!("compare", actual_size.then_some("actual"), self.peeking.then_some("peek"))} data-testid="compare"
                                ref={self.compare_box.clone()}
                                data-peek={self.peeking.to_string()}
                                data-zoom={ self.zoom.map_or("fit".to_string(), |z| format!("{z:.3}")) }
                                style={format!("--divider: {}%{zoom_width}{aspect}", self.divider * 100.0)}>
                                <div class="frame" ref={self.compare_frame.clone()} onpointerdown={on_compare_pointer.clone()} onpointermove={on_compare_pointer}>
                                    <canvas ref={self.photo_canvas.clone()} class="before" aria-hidden="true" />
                                    <canvas ref={self.result_canvas.clone()} class="after" data-testid="result-image"
                                        data-state={ if self.painted.is_some() { "ready" } else { "empty" } }
                                        data-job={ self.painted.as_ref().map(|p| p.origin.clone()) }
                                        data-cached={ self.painted.as_ref().map(|p| p.cached.to_string()) } />
                                    // The before/after handle lies on the picture itself: drag anywhere on it, or
                                    // use the arrow keys. At 100 % the picture pans instead.
                                    if !actual_size {
                                        <span class="compare-line" aria-hidden="true" />
                                        <input class="compare-handle" type="range" min="0" max="100" step="1" value={percent(self.divider)}
                                            data-testid="compare-handle" aria-label={w.compare}
                                            oninput={link.callback(|e: InputEvent| Msg::Divider(slider_value(&e)))} />
                                    }
                                </div>
                                // Shown in full screen only: phones have no Esc key.
                                <button class="exit-full-screen" data-testid="fullscreen-exit"
                                    onclick={link.callback(|_| Msg::ToggleFullScreen)}>{ w.exit_full_screen }</button>
                            </div>
                            // Why the CPU paints is said here, in the room the empty picture keeps for it
                            // (nothing moves when it arrives, nothing is covered); with a painting on show
                            // the badge's tooltip keeps saying it.
                            if self.painted.is_none() {
                                <div class="empty">
                                    <p>{ w.empty_state }</p>
                                    if let (EngineStatus::Cpu { reason }, false) = (&self.engine, self.engine_notice_closed) {
                                        <p class="notice engine-notice" data-testid="engine-notice" role="status">
                                            <span>{ cpu_reason(self.lang, reason) }</span>
                                            <button class="ghost close" data-testid="engine-notice-close" aria-label={w.close}
                                                onclick={link.callback(|_| Msg::CloseEngineNotice)}>{ "×" }</button>
                                        </p>
                                    }
                                </div>
                            }
                            <div class="view-tools" hidden={self.painted.is_none()}>
                                <button class="ghost" data-testid="zoom-toggle" aria-pressed={actual_size.to_string()}
                                    onclick={link.callback(|_| Msg::ToggleActualSize)}>
                                    { if actual_size { w.fit_view.to_string() } else { w.actual_size.to_string() } }
                                </button>
                                if let Some(z) = self.zoom {
                                    <span class="zoom-level" data-testid="zoom-level">{ format!("{:.0} %", z * 100.0) }</span>
                                }
                                <button class="ghost" data-testid="fullscreen-toggle" onclick={link.callback(|_| Msg::ToggleFullScreen)}>
                                    { w.full_screen }
                                </button>
                                <p class="shortcuts" data-testid="shortcuts">{ w.shortcuts }</p>
                            </div>
                            if let Some(p) = &self.painted {
                                <figcaption>{ match p.timing {
                                    Some(_) if p.cached => format!("{}×{} px · {}", p.stylized.width(), p.stylized.height(), w.shown_again),
                                    Some((engine, ms)) => format!("{}×{} px · {} · {ms:.0} ms", p.stylized.width(), p.stylized.height(), engine.label()),
                                    None => format!("{}×{} px · {}", p.stylized.width(), p.stylized.height(), w.history),
                                } }</figcaption>
                            }
                            <div class="downloads" hidden={self.painted.is_none()}>
                                <button class="primary" data-testid="download-png" onclick={link.callback(|_| Msg::Download { jpeg: false })}>{ w.download_png }</button>
                                <button data-testid="download-jpeg" onclick={link.callback(|_| Msg::Download { jpeg: true })}>{ w.download_jpeg }</button>
                                if self.can_share_files {
                                    <button data-testid="share-button" onclick={link.callback(|_| Msg::Share)}>{ w.share }</button>
                                }
                                <button data-testid="poster-download" onclick={link.callback(|_| Msg::Poster { share: false })}>{ w.poster }</button>
                                if self.can_share_files {
                                    <button data-testid="poster-share" onclick={link.callback(|_| Msg::Poster { share: true })}>{ w.share_poster }</button>
                                }
                                <label class="row compact">
                                    <span>{ w.jpeg_quality }</span>
                                    <select data-testid="jpeg-quality" onchange={link.callback(|e: Event| Msg::JpegQuality(select_value(&e).parse().unwrap_or(0.9)))}>
                                        { for [0.95f32, 0.9, 0.8, 0.7].iter().map(|q| html! { <option value={q.to_string()} selected={(*q - self.jpeg_quality).abs() < 1e-3}>{ format!("{:.0}", q * 100.0) }</option> }) }
                                    </select>
                                </label>
                            </div>
                            if let Some(note) = &self.share_note {
                                <p class="note" role="status" data-testid="share-note">{ note }</p>
                            }
                        </figure>
                        if let Some(sample) = self.session.newest_photo().and_then(|p| p.sample) {
                            <p class="photo-credit" data-testid="photo-credit">
                                { sample.credit(self.lang) }{ ", " }
                                <a href={sample.licence_url} target="_blank" rel="noopener">{ sample.licence }</a>
                            </p>
                        }
                        { self.history_view(ctx) }
                    </div>
                </section>
            </main>
        }
    }

    /// The paintings and the sliders: beside the picture on wide screens, under it on phones.
    fn controls_view(&self, ctx: &Context<Self>) -> Html {
        let w = words(self.lang);
        let link = ctx.link();
        let selected = self.session.style.as_ref().and_then(|id| self.styles.iter().find(|s| &s.id == id));
        let percent = |v: f32| format!("{}", (v * 100.0).round());
        html! {
            <aside class="controls">
                <h2>{ w.styles }</h2>
                <div class="gallery">
                    { for self.styles.iter().map(|s| self.style_card(ctx, s)) }
                    // Inside the gallery, in the room it keeps for the paintings.
                    if self.styles.is_empty() {
                        <p class="empty">{ w.no_style_yet }</p>
                    }
                </div>
                if let Some(s) = selected {
                    <details class="style-details" data-testid="style-details">
                        <summary>{ format!("{} — {}", w.details, self.lang.pick(&s.title)) }</summary>
                        <p>{ format!("{}, {}", self.lang.pick(&s.artist), s.year) }</p>
                        <p>{ self.lang.pick(&s.description) }</p>
                    </details>
                }
                { percent_slider(w.strength, "strength", self.adjustments.strength, link.callback(Msg::Strength)) }
                { percent_slider(w.colour, "colour", self.adjustments.preserve_colour, link.callback(Msg::Colour)) }
                <label class="row">
                    <span>{ w.mix_with }</span>
                    <select data-testid="mix-style-select" onchange={link.callback(|e: Event| {
                        let v = select_value(&e);
                        Msg::MixStyle(if v.is_empty() { None } else { Some(v) })
                    })}>
                        <option value="" selected={self.session.mix_style.is_none()}>{ w.mix_none }</option>
                        { for self.styles.iter().map(|s| html! {
                            <option value={s.id.clone()} selected={self.session.mix_style.as_ref() == Some(&s.id)}>{ self.lang.pick(&s.name) }</option>
                        }) }
                    </select>
                </label>
                <label class="row">
                    <span>{ w.mix_amount }</span>
                    <input type="range" min="0" max="100" value={percent(self.session.mix_amount)} data-testid="mix-slider"
                        disabled={self.session.mix_style.is_none()}
                        onchange={link.callback(|e: Event| {
                            let input: HtmlInputElement = e.target_unchecked_into();
                            Msg::MixAmount(input.value().parse::<f32>().unwrap_or(50.0) / 100.0)
                        })} />
                    <output data-testid="mix-value" hidden={self.session.mix_style.is_none()}>{ format!("{} %", percent(self.session.mix_amount)) }</output>
                </label>
                <label class="row" title={w.brush_hint}>
                    <span>{ w.brush }</span>
                    <input type="range" min="-2" max="2" step="0.25" value={self.session.brush.size().log2().to_string()}
                        data-testid="brush-slider" aria-valuetext={format!("{:.2}x", self.session.brush.size())}
                        onchange={link.batch_callback(|e: Event| brush_from_slider(&e).map(Msg::Brush))} />
                    <output data-testid="brush-value">{ format!("{:.2}×", self.session.brush.size()) }</output>
                </label>
                <label class="row">
                    <span>{ w.size }</span>
                    <select data-testid="size-select" onchange={link.callback(|e: Event| Msg::Size(select_value(&e).parse().unwrap_or(SIZES[0])))}>
                        { for SIZES.iter().zip([w.size_preview, w.size_large, w.size_original]).map(|(side, label)| html! {
                            <option value={side.to_string()} selected={*side == self.session.max_side}>{ label }</option>
                        }) }
                    </select>
                </label>
                <p class="privacy">{ w.privacy }</p>
            </aside>
        }
    }

    pub(super) fn style_card(&self, ctx: &Context<Self>, style: &StyleEntry) -> Html {
        let id = style.id.clone();
        let selected = self.session.style.as_ref() == Some(&style.id);
        let thumb = style.thumbnail.as_ref().map(|t| format!("{MODELS_PATH}{}", t.file));
        html! {
            <button class={classes!("style-card", selected.then_some("selected"))} data-testid={format!("style-card-{}", style.id)}
                title={format!("{} — {}, {}", self.lang.pick(&style.title), self.lang.pick(&style.artist), style.year)}
                aria-pressed={selected.to_string()} onclick={ctx.link().callback(move |_| Msg::PickStyle(id.clone()))}>
                if let Some(src) = thumb {
                    <img src={src} alt="" loading="lazy" />
                }
                <span class="card-name">{ self.lang.pick(&style.name) }</span>
                <span class="card-meta">{ format!("{}, {}", self.lang.pick(&style.artist), style.year) }</span>
            </button>
        }
    }

    pub(super) fn history_view(&self, ctx: &Context<Self>) -> Html {
        let w = words(self.lang);
        let link = ctx.link();
        html! {
            <section class="history" aria-label={w.history}>
                <div class="history-head">
                    <h2>{ w.history }</h2>
                    if self.confirm_clear && !self.history.is_empty() {
                        <div class="confirm" role="alertdialog" aria-label={w.history_clear} data-testid="history-confirm">
                            <span>{ match self.history.len() {
                                1 => w.history_clear_question_one.to_string(),
                                n => w.history_clear_question.replace("{}", &n.to_string()),
                            } }</span>
                            <button class="danger" data-testid="history-clear-yes" onclick={link.callback(|_| Msg::ConfirmClear(true))}>{ w.history_clear_yes }</button>
                            <button class="ghost" data-testid="history-clear-no" onclick={link.callback(|_| Msg::ConfirmClear(false))}>{ w.history_clear_no }</button>
                        </div>
                    } else {
                        <button class="ghost" data-testid="history-clear" disabled={self.history.is_empty()}
                            onclick={link.callback(|_| Msg::ClearHistory)}>{ w.history_clear }</button>
                    }
                </div>
                if let Some(note) = &self.history_note {
                    <p class="error" data-testid="history-note" role="status">{ note }</p>
                } else if self.history.is_empty() {
                    <p class="empty">{ w.history_empty }</p>
                }
                <ul class="history-list">
                    { for self.history.iter().map(|item| {
                        let id = item.id;
                        let name = self.styles.iter().find(|s| s.id == item.meta.style.style)
                            .map(|s| self.lang.pick(&s.name).to_string()).unwrap_or_else(|| item.meta.style.style.clone());
                        let when = js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(item.meta.created_ms));
                        // A mix is part of the label: "Starry Night + The Scream 30 %".
                        let name = match &item.meta.style.mix {
                            Some((other, t)) => {
                                let other = self.styles.iter().find(|s| &s.id == other)
                                    .map(|s| self.lang.pick(&s.name).to_string()).unwrap_or_else(|| other.clone());
                                format!("{name} + {other} {:.0} %", t * 100.0)
                            }
                            None => name,
                        };
                        let when = String::from(when.to_locale_string(self.lang.code(), &wasm_bindgen::JsValue::UNDEFINED));
                        let note = item.meta.settings_note(w.brush);
                        let details = if note.is_empty() { when.clone() } else { format!("{note} · {when}") };
                        let label = format!("{} · {} · {}", name, item.meta.photo_name, details);
                        let delete_label = format!("{} {}", w.history_delete, label);
                        html! {
                            <li class="history-row">
                                <button class="history-open" data-testid="history-item" title={label.clone()}
                                    onclick={link.callback(move |_| Msg::Reopen(id))}>
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
                                    onclick={link.callback(move |_| Msg::DeleteEntry(id))}>{ "×" }</button>
                            </li>
                        }
                    }) }
                </ul>
            </section>
        }
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
