//! A mutation fuzzer for what Atelier parses from strangers: photos (`imaging::decode`), package
//! manifests (`Manifest::parse`) and generators (`decode_model`, `lint`, `specialise`, and a CPU
//! engine pass at a tiny size). Seeds: the hostile corpus (examples/hostile_corpus.rs) and the
//! fixture package. Each round mutates a seed (bit flips, byte runs, cuts, splices, duplicated
//! slices, interesting integers) and runs the parser; a panic, or a call over `SLOW_SECONDS`, is
//! a finding, written to OUT_DIR with the input that caused it. Not a test: run it for a set time.
//!
//!   cargo run --release --example fuzz_inputs -- --seconds 600 [--out target/fuzz]
//!   (scripts/fuzz.sh does this)

#[path = "hostile_corpus.rs"]
#[allow(dead_code)]
mod hostile_corpus;

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::time::{Duration, Instant};

use atelier::engine::{CpuEngine, Engine, Tensors};
use atelier::model::package::{expand_int8_weights, Manifest};
use atelier::model::{decode_model, lint, specialise, GraphVariant, INPUT_NAME};

const SLOW_SECONDS: f64 = 5.0;

/// xorshift64*: reproducible from the printed seed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        if n == 0 { 0 } else { (self.next() % n as u64) as usize }
    }
}

fn mutate(rng: &mut Rng, seed: &[u8], other: &[u8]) -> Vec<u8> {
    let mut data = seed.to_vec();
    for _ in 0..1 + rng.below(4) {
        let at = rng.below(data.len().max(1));
        match rng.below(7) {
            0 if !data.is_empty() => data[at] ^= 1 << rng.below(8),
            1 if !data.is_empty() => {
                let run = 1 + rng.below(16);
                let byte = [0x00, 0xFF, 0x7F, 0x80][rng.below(4)];
                for b in data.iter_mut().skip(at).take(run) {
                    *b = byte;
                }
            }
            2 => data.truncate(at),
            3 => {
                let from = rng.below(other.len().max(1));
                let len = rng.below(64).min(other.len().saturating_sub(from));
                data.splice(at..at, other[from..from + len].iter().copied());
            }
            4 if at + 8 <= data.len() => {
                // An interesting big-endian or little-endian integer (sizes, counts, lengths).
                let value: u32 = [0, 1, 0x7FFF_FFFF, 0xFFFF_FFFF, 0x10000, 65_535, 1 << 30][rng.below(7)];
                let bytes = if rng.below(2) == 0 { value.to_be_bytes() } else { value.to_le_bytes() };
                data[at..at + 4].copy_from_slice(&bytes);
            }
            5 if !data.is_empty() => {
                let len = rng.below(256).min(data.len() - at);
                let slice = data[at..at + len].to_vec();
                data.splice(at..at, slice);
            }
            _ => {
                if at < data.len() {
                    data.remove(at);
                }
            }
        }
    }
    data
}

fn run_model(bytes: &[u8]) {
    let Ok(mut model) = decode_model(bytes) else { return };
    if expand_int8_weights(&mut model).is_err() || lint(&model).is_err() {
        return;
    }
    let Ok(prepared) = specialise(&model, 8, 8, GraphVariant::Plain) else { return };
    let Some(graph) = prepared.model.graph.as_ref() else { return };
    let mut inputs = Tensors::new();
    for input in &graph.input {
        let elements = prepared.shapes.get(&input.name).map_or(0, |d| d.iter().product::<i64>().max(0) as usize);
        if elements > 1 << 20 {
            return;
        }
        inputs.insert(input.name.clone(), vec![0.5; elements]);
    }
    if !inputs.contains_key(INPUT_NAME) {
        return;
    }
    let mut engine = CpuEngine::new(model);
    let _ = pollster::block_on(engine.run(GraphVariant::Plain, 8, 8, &inputs));
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let flag = |name: &str| args.iter().position(|a| a == name).and_then(|i| args.get(i + 1)).cloned();
    let seconds: u64 = flag("--seconds").and_then(|s| s.parse().ok()).unwrap_or(60);
    let out = std::path::PathBuf::from(flag("--out").unwrap_or_else(|| "target/fuzz".into()));
    let seed: u64 = flag("--seed").and_then(|s| s.parse().ok()).unwrap_or(0x5EED_A7E1);
    std::fs::create_dir_all(&out).expect("creates the output folder");

    let fixture = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/package");
    let read = |f: &str| std::fs::read(fixture.join(f)).expect("the fixture package");
    let images: Vec<Vec<u8>> = hostile_corpus::corpus()
        .into_iter()
        .map(|c| c.bytes)
        .filter(|b| !b.is_empty() && b.len() < 4 << 20)
        .collect();
    type Target = (&'static str, Vec<Vec<u8>>, fn(&[u8]));
    let targets: Vec<Target> = vec![
        ("image", images, |b| {
            let _ = atelier::imaging::decode(b);
        }),
        ("manifest", vec![read("manifest.json")], |b| {
            let _ = Manifest::parse(b);
        }),
        ("model", vec![read("generator.onnx")], run_model),
    ];

    // Findings are reported here, not by the default hook's backtrace on every expected panic.
    std::panic::set_hook(Box::new(|_| {}));
    let mut rng = Rng(seed | 1);
    let started = Instant::now();
    let (mut runs, mut findings) = (0u64, 0u64);
    let mut per_target = vec![0u64; targets.len()];
    while started.elapsed() < Duration::from_secs(seconds) {
        let t = rng.below(targets.len());
        let (name, seeds, run) = &targets[t];
        let a = &seeds[rng.below(seeds.len())];
        let b = &seeds[rng.below(seeds.len())];
        let input = mutate(&mut rng, a, b);
        let call = Instant::now();
        let outcome = catch_unwind(AssertUnwindSafe(|| run(&input)));
        let took = call.elapsed().as_secs_f64();
        runs += 1;
        per_target[t] += 1;
        if outcome.is_err() || took > SLOW_SECONDS {
            findings += 1;
            let kind = if outcome.is_err() { "panic" } else { "slow" };
            let file = out.join(format!("{name}-{kind}-{runs}.bin"));
            std::fs::write(&file, &input).expect("writes the finding");
            println!("{kind} in {name} ({took:.1} s): {}", file.display());
        }
    }
    let counts: Vec<String> = targets.iter().zip(&per_target).map(|((n, _, _), c)| format!("{n} {c}")).collect();
    println!(
        "{runs} inputs in {:.0} s ({}), {findings} findings, seed {seed}",
        started.elapsed().as_secs_f64(),
        counts.join(", ")
    );
}
