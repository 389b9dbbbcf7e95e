//! The embeddable JS module's wasm (see `atelier::web::js_api`); built by scripts/build-js.sh.
//! Its exports are `Atelier` and wasm-bindgen's `init`; it has no start-up work of its own.

#[cfg(all(target_arch = "wasm32", feature = "js-api"))]
pub use atelier::web::js_api::Atelier;

#[cfg(target_arch = "wasm32")]
fn main() {
    console_error_panic_hook::set_once();
}

#[cfg(not(target_arch = "wasm32"))]
fn main() {
    eprintln!("atelier_js is the browser module: build it with scripts/build-js.sh.");
    std::process::exit(2);
}
