//! The inference Web Worker's entry point (built by Trunk as a worker, see index.html).

#[cfg(target_arch = "wasm32")]
fn main() {
    use gloo_worker::Registrable;
    atelier::web::worker::InferenceWorker::registrar().register();
}

#[cfg(not(target_arch = "wasm32"))]
fn main() {
    eprintln!("The Atelier worker runs in the browser: serve the app with the README's command.");
    std::process::exit(2);
}
