//! The browser app's entry point (built by Trunk, see index.html).

#[cfg(target_arch = "wasm32")]
fn main() {
    atelier::web::app::start();
}

#[cfg(not(target_arch = "wasm32"))]
fn main() {
    eprintln!("The Atelier app runs in the browser: serve it with the README's command.");
    std::process::exit(2);
}
