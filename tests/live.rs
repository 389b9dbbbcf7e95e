//! The live view's frames through the studio: size kept, sliders applied, a still noisy scene
//! held steady, a lost GPU handing the view to the CPU engine, an unknown style refused.

mod common;

use atelier::engine::{CpuEngine, Engine, LosesDevice};
use atelier::live::{mean_change, NoiseSource, Steadier};
use atelier::model::StyleChoice;
use atelier::pipeline::Adjustments;
use atelier::studio::{CpuReason, EngineChoice, EngineStatus, GpuProbe, Studio, StudioError};
use common::*;

fn cpu_studio() -> Studio {
    Studio::open(package(), EngineChoice::Cpu, GpuProbe::Missing(CpuReason::Chosen)).unwrap()
}

fn live(studio: &mut Studio, frame: &image::RgbaImage, adjustments: Adjustments, steadier: &mut Steadier) -> Result<image::RgbaImage, StudioError> {
    let style = StyleChoice::single("fixture-a");
    pollster::block_on(studio.paint_live(frame, &style, adjustments, steadier, &mut |_| {})).map(|p| p.image)
}

#[test]
fn a_frame_is_painted_at_its_own_size_and_the_sliders_apply() {
    let mut studio = cpu_studio();
    let frame = synthetic_photo(64, 48);
    let painted = live(&mut studio, &frame, Adjustments::default(), &mut Steadier::new()).unwrap();
    assert_eq!(painted.dimensions(), (64, 48));
    assert!(mean_change(&painted, &frame) > 5.0, "the frame is painted: {}", mean_change(&painted, &frame));
    // Strength 0 shows the frame itself (the first frame is taken as it comes).
    let photo = live(&mut studio, &frame, Adjustments { strength: 0.0, preserve_colour: 0.0 }, &mut Steadier::new()).unwrap();
    assert!(mean_change(&photo, &frame) < 0.01, "{}", mean_change(&photo, &frame));
    let half = live(&mut studio, &frame, Adjustments { strength: 0.5, preserve_colour: 0.0 }, &mut Steadier::new()).unwrap();
    let between = mean_change(&half, &frame);
    assert!(between > 0.3 * mean_change(&painted, &frame) && between < 0.7 * mean_change(&painted, &frame), "{between}");
}

#[test]
fn a_still_noisy_scene_changes_less_than_the_camera_noise_and_less_than_painting_afresh() {
    let mut studio = cpu_studio();
    let still = synthetic_photo(96, 64);
    let mut noise = NoiseSource::new(11);
    let clip: Vec<_> = (0..12).map(|_| noise.noisy(&still, 3.0)).collect();
    let mut steadier = Steadier::new();
    let steady: Vec<_> = clip.iter().map(|f| live(&mut studio, f, Adjustments::default(), &mut steadier).unwrap()).collect();
    let afresh: Vec<_> = clip.iter().map(|f| live(&mut studio, f, Adjustments::default(), &mut Steadier::new()).unwrap()).collect();
    let change = |pictures: &[image::RgbaImage]| pictures[6..].windows(2).map(|p| mean_change(&p[0], &p[1])).sum::<f64>() / 5.0;
    let (own, steady, afresh) = (change(&clip), change(&steady), change(&afresh));
    assert!(steady < own, "painted frames change {steady}, the camera's {own}");
    assert!(steady < 0.5 * afresh, "steadied {steady} against afresh {afresh}");
}

#[test]
fn a_lost_gpu_hands_the_view_to_the_cpu_engine_and_an_unknown_style_is_refused() {
    let mut studio = Studio::open_with(package(), EngineChoice::Auto, GpuProbe::Hardware("Test".into()), |generator| {
        Box::new(LosesDevice::new(Box::new(CpuEngine::new(generator)) as Box<dyn Engine>, 0)) as Box<dyn Engine>
    })
    .unwrap();
    let frame = synthetic_photo(64, 48);
    let mut heard = Vec::new();
    let style = StyleChoice::single("fixture-a");
    let painting = pollster::block_on(studio.paint_live(&frame, &style, Adjustments::default(), &mut Steadier::new(), &mut |r| heard.push(r))).unwrap();
    assert_eq!(painting.image, live(&mut cpu_studio(), &frame, Adjustments::default(), &mut Steadier::new()).unwrap());
    assert!(matches!(heard[..], [CpuReason::GpuFailed(_)]), "{heard:?}");
    assert!(matches!(studio.status(), EngineStatus::Cpu { .. }));
    let unknown = pollster::block_on(studio.paint_live(&frame, &StyleChoice::single("nope"), Adjustments::default(), &mut Steadier::new(), &mut |_| {}));
    assert!(matches!(unknown, Err(StudioError::UnknownStyle(ref id)) if id == "nope"), "{:?}", unknown.err());
}
