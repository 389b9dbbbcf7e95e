//! Write a painting as the studio page keeps it beside a learned style (`learn::keep_painting`:
//! read as the page reads it, at most 1024 px, then the learner's 256 px, JPEG), to measure what
//! learning it again after an update of the package gets (docs/learning.md):
//!
//!   cargo run --release --example keep_painting -- PAINTING OUT.jpg
use atelier::learn::{keep_painting, LearnSettings};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [painting, out] = args.as_slice() else {
        eprintln!("usage: keep_painting PAINTING OUT.jpg");
        std::process::exit(2);
    };
    let bytes = std::fs::read(painting).unwrap_or_else(|e| panic!("{painting}: {e}"));
    // The worker's `learning::PAINTING_SIDE`: the page reads a painting at most this large.
    let picture = atelier::studio::prepare_photo(&bytes, 1024).unwrap_or_else(|e| panic!("{painting}: {e}"));
    let kept = keep_painting(&picture, &LearnSettings::default());
    std::fs::write(out, &kept).unwrap_or_else(|e| panic!("{out}: {e}"));
    println!("{out}: {} bytes", kept.len());
}
