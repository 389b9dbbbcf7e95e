//! Browser shells (wasm only): the yew app and the inference worker. No inference logic lives
//! in the app; the worker turns requests into engine calls.

pub mod app;
pub mod i18n;
#[cfg(feature = "js-api")]
pub mod js_api;
pub mod gpu_probe;
pub mod history;
pub mod worker;
