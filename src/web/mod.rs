//! Browser shells: the yew app, the inference worker and the JS module. No inference logic lives
//! here: the worker and the JS module are shells over `crate::studio`. The DOM-free parts (the
//! page's words, job bookkeeping, history labels, keyboard shortcuts, the sample photos, the painting session's state) also build natively, for
//! `cargo test`.

pub mod camera;
pub mod history_meta;
pub mod i18n;
pub mod jobs;
pub mod own_styles;
pub mod samples;
pub mod session;
pub mod shortcuts;

#[cfg(target_arch = "wasm32")]
pub mod app;
#[cfg(target_arch = "wasm32")]
pub mod canvas;
#[cfg(target_arch = "wasm32")]
pub mod gpu_probe;
#[cfg(target_arch = "wasm32")]
pub mod history;
#[cfg(all(target_arch = "wasm32", feature = "js-api"))]
pub mod js_api;
#[cfg(target_arch = "wasm32")]
pub mod package_fetch;
#[cfg(target_arch = "wasm32")]
pub mod listeners;
#[cfg(target_arch = "wasm32")]
pub mod service_worker;
#[cfg(target_arch = "wasm32")]
pub mod worker;
