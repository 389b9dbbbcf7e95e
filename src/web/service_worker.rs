//! The service worker from the page's side: register it (offline mode) and hand over to a new
//! build when the visitor accepts it. The worker itself is static/sw.template.js.

use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use yew::Callback;

fn property(target: &wasm_bindgen::JsValue, key: &str) -> wasm_bindgen::JsValue {
    js_sys::Reflect::get(target, &key.into()).unwrap_or_default()
}

/// `target.addEventListener(event, f)` for the page's lifetime.
fn listen(target: &wasm_bindgen::JsValue, event: &str, f: impl FnMut() + 'static) {
    let closure = wasm_bindgen::closure::Closure::<dyn FnMut()>::new(f);
    if let Ok(add) = property(target, "addEventListener").dyn_into::<js_sys::Function>() {
        let _ = add.call2(target, &event.into(), closure.as_ref());
    }
    closure.forget();
}

fn is_present(value: &wasm_bindgen::JsValue) -> bool {
    !value.is_null() && !value.is_undefined()
}

/// Register the service worker that makes a second visit work offline (static/sw.template.js),
/// and tell the page (`on_update`) when a new build has installed and waits: the visitor is
/// offered the new version; until then every file comes from the build the page started with.
pub fn register_service_worker(on_update: Callback<()>) {
    let Some(window) = web_sys::window() else { return };
    let container = property(&window.navigator(), "serviceWorker");
    let Ok(register) = property(&container, "register").dyn_into::<js_sys::Function>() else { return };
    // A rejected registration (file://, a private window) only means no offline mode.
    let Ok(promise) = register.call1(&container, &"./sw.js".into()) else { return };
    let promise: js_sys::Promise = promise.unchecked_into();
    wasm_bindgen_futures::spawn_local(async move {
        let registration = match JsFuture::from(promise).await {
            Ok(registration) => registration,
            Err(e) => return log::warn!("no offline mode: {e:?}"),
        };
        // A build that installs while no build controls the page (a first visit) is simply the
        // first one: nothing to offer. Otherwise it waits for the visitor.
        let is_update = {
            let container = container.clone();
            move || is_present(&property(&container, "controller"))
        };
        if is_present(&property(&registration, "waiting")) && is_update() {
            on_update.emit(());
        }
        let watched = registration.clone();
        listen(&registration, "updatefound", move || {
            let installing = property(&watched, "installing");
            let (state_of, on_update, is_update) = (installing.clone(), on_update.clone(), is_update.clone());
            listen(&installing, "statechange", move || {
                if property(&state_of, "state").as_string().as_deref() == Some("installed") && is_update() {
                    on_update.emit(());
                }
            });
        });
    });
}

/// The visitor accepted the new build: let it take over, then reload into it once.
pub fn apply_update() {
    let Some(window) = web_sys::window() else { return };
    let container = property(&window.navigator(), "serviceWorker");
    let Ok(get) = property(&container, "getRegistration").dyn_into::<js_sys::Function>() else { return };
    let Ok(promise) = get.call0(&container) else { return };
    wasm_bindgen_futures::spawn_local(async move {
        let Ok(registration) = JsFuture::from(js_sys::Promise::from(promise)).await else { return };
        let waiting = property(&registration, "waiting");
        if !is_present(&waiting) {
            return;
        }
        let mut reloaded = false;
        listen(&container, "controllerchange", move || {
            if !std::mem::replace(&mut reloaded, true) {
                if let Some(window) = web_sys::window() {
                    let _ = window.location().reload();
                }
            }
        });
        if let Ok(post) = property(&waiting, "postMessage").dyn_into::<js_sys::Function>() {
            let _ = post.call1(&waiting, &"skip-waiting".into());
        }
    });
}
