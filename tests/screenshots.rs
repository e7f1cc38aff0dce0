//! Renders the main screens to PNG, in the light and the high-contrast theme, with egui's wgpu
//! renderer (headless: a software Vulkan driver such as Mesa's lavapipe does, see
//! `.ci/install-gui-deps`), on a real store holding the demo data, the way a technician sees
//! them: the demo week loaded at first start, one insemination recorded through the screens.
//!
//! `cargo test --test screenshots` renders every screen and checks the pictures are real (not
//! blank, the two themes different); `.ci/screenshots` runs it with `TOURNEE_SCREENSHOTS=write`
//! to refresh `assets/screenshots/`, the pictures the README shows. Pixel-exact comparison is
//! left out on purpose: a software rasteriser's antialiasing differs between Mesa versions, and
//! a test that fails on a driver update proves nothing about the app.

#![cfg(feature = "gui")]

mod common;
mod eid_common;

use std::path::{Path, PathBuf};

use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;

use common::{
    cattle_visit_today, inseminate, settle, store_app, store_harness, tap, tap_containing,
    type_digits, type_into, until,
};
use eid_common::{FakeReader, goat};
use tournee::app::eid::ReaderStatus;
use tournee::app::kit::Contrast;
use tournee::app::{AppConfig, Screen, TourneeApp};
use tournee::eid::reader::{ReaderConfig, Search};

/// A 10-inch rugged tablet held upright: 800 × 1280 logical pixels.
const SIZE: [f32; 2] = [800.0, 1280.0];

type Shot = Harness<'static, TourneeApp>;

/// Puts the app on one screen.
type Setup = fn(&mut Shot);

/// The demo loaded and one insemination recorded at today's first cattle visit.
fn prepare(dir: &Path) {
    let (_, farm) = cattle_visit_today();
    let mut h = store_harness(dir);
    tap(&mut h, "Charger les données de démonstration");
    inseminate(&mut h, &farm.name, "5398761234");
}

fn shoot(dir: &Path, name: &str, contrast: Contrast, setup: Setup) -> image::RgbaImage {
    shoot_app(store_app(dir), name, contrast, &mut |h| setup(h))
}

fn shoot_app(
    mut app: TourneeApp,
    name: &str,
    contrast: Contrast,
    setup: &mut dyn FnMut(&mut Shot),
) -> image::RgbaImage {
    app.state.prefs.contrast = contrast;
    let mut h = Harness::builder()
        .with_size(SIZE)
        .with_max_steps(64)
        .wgpu()
        .build_ui_state(|ui, app: &mut TourneeApp| app.ui(ui), app);
    // A finger leaves no pointer on a tablet.
    h.set_render_cursor(false);
    settle(&mut h);
    setup(&mut h);
    settle(&mut h);
    let image = h.render().unwrap_or_else(|e| {
        panic!(
            "{name}: rendering failed (is a Vulkan driver installed? see .ci/install-gui-deps): {e}"
        )
    });
    let theme = match contrast {
        Contrast::Normal => "light",
        Contrast::High => "high-contrast",
    };
    let out = match std::env::var("TOURNEE_SCREENSHOTS").as_deref() {
        Ok("write") => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("assets/screenshots"),
        _ => std::env::temp_dir().join("tournee-screenshots"),
    };
    std::fs::create_dir_all(&out).unwrap();
    image.save(out.join(format!("{name}-{theme}.png"))).unwrap();
    image
}

fn today(_: &mut Shot) {}

/// The visit with its insemination recorded and the next cow's number half typed.
fn visit(h: &mut Shot) {
    let (_, farm) = cattle_visit_today();
    tap(h, &farm.name);
    type_digits(h, "5312345");
    // The acts recorded at the top, the form under them.
    h.get_by_label("Actes enregistrés").scroll_to_me();
    h.run();
}

/// The certificate above the pad, and the farmer's signature drawn (a looping scrawl, as
/// signatures are; the drawing itself is tested in app_store and app_shell).
fn confirm(h: &mut Shot) {
    let (visit, _) = cattle_visit_today();
    h.state_mut().state.screen = Screen::Confirm(visit.clone());
    let stroke: Vec<[f32; 2]> = (0..120)
        .map(|i| {
            let t = i as f32 / 119.0;
            let x = 0.1 + 0.8 * t + 0.04 * (t * 40.0).sin();
            let y = 0.55 - 0.2 * (t * 9.0).sin() * (1.0 - t) - 0.05 * (t * 40.0).cos();
            [x.clamp(0.0, 1.0), y.clamp(0.0, 1.0)]
        })
        .collect();
    h.state_mut()
        .state
        .pages
        .visit
        .confirm
        .for_visit(&visit)
        .signature
        .strokes = vec![stroke];
}

fn farm(h: &mut Shot) {
    let (_, farm) = cattle_visit_today();
    h.state_mut().state.screen = Screen::Farm(farm.ede);
}

fn tank(h: &mut Shot) {
    tap(h, "Cuve");
}

fn my_time(h: &mut Shot) {
    tap(h, "Mon temps");
}

fn my_week(h: &mut Shot) {
    tap(h, "Mon temps");
    tap(h, "Semaine");
}

fn declarations(h: &mut Shot) {
    tap_containing(h, "Déclarations d'IA");
}

fn call(h: &mut Shot) {
    tap(h, "Nouvel appel");
    type_into(h, "Élevage (nom, commune ou numéro EDE)", "gaec");
}

fn settings(h: &mut Shot) {
    tap(h, "Réglages");
}

/// Settings scrolled to the tag reader: a stick reader found on its port (a pseudo-terminal
/// linked as udev links a USB reader), the port and speed choice, the test mode listing a goat's
/// tag and a line of no known format.
fn settings_reader(dir: &Path, contrast: Contrast) -> image::RgbaImage {
    let readers = tempfile::tempdir().unwrap();
    let mut stick = FakeReader::plug(readers.path());
    let mut config = AppConfig::for_dir(dir);
    config.today = Some(common::today());
    config.reader = Some(ReaderConfig {
        search: Search::Folder(readers.path().to_path_buf()),
        ..ReaderConfig::default()
    });
    shoot_app(
        TourneeApp::new(config),
        "settings-reader",
        contrast,
        &mut |h| {
            tap(h, "Réglages");
            until(h, "the reader found", |h| {
                matches!(
                    h.state().state.reader.status,
                    ReaderStatus::Connected { .. }
                )
            });
            tap(h, "Mode test du lecteur");
            stick.send(b"LA 250\r\n");
            stick.send_allflex(250, goat(12));
            until(h, "the test lines", |h| {
                h.state().state.reader.test_lines.len() == 2
            });
            // The section's heading centred, then brought near the top.
            let heading = "Lecteur de boucles électroniques";
            h.get_by_label(heading).scroll_to_me();
            h.run();
            for _ in 0..5 {
                h.get_by_label(heading).scroll_down();
                h.run();
            }
        },
    )
}

/// Share of pixels that are not the most common colour: a blank picture has none.
fn ink(image: &image::RgbaImage) -> f64 {
    let mut counts = std::collections::HashMap::new();
    for p in image.pixels() {
        *counts.entry(p.0).or_insert(0usize) += 1;
    }
    let background = counts.values().copied().max().unwrap_or(0);
    1.0 - background as f64 / (image.width() * image.height()) as f64
}

#[test]
fn main_screens_render_in_both_themes() {
    let dir = tempfile::tempdir().unwrap();
    prepare(dir.path());
    let screens: [(&str, Setup); 10] = [
        ("today", today),
        ("visit", visit),
        ("confirm", confirm),
        ("farm", farm),
        ("tank", tank),
        ("my-time", my_time),
        ("my-week", my_week),
        ("declarations", declarations),
        ("call", call),
        ("settings", settings),
    ];
    for (name, setup) in screens {
        let light = shoot(dir.path(), name, Contrast::Normal, setup);
        let high = shoot(dir.path(), name, Contrast::High, setup);
        assert_eq!(light.dimensions(), (800, 1280));
        assert!(
            ink(&light) > 0.02,
            "{name} light looks blank: {:.3}",
            ink(&light)
        );
        assert!(ink(&high) > 0.02, "{name} high contrast looks blank");
        assert_ne!(
            light.as_raw(),
            high.as_raw(),
            "{name}: the themes look the same"
        );
    }
    let light = settings_reader(dir.path(), Contrast::Normal);
    let high = settings_reader(dir.path(), Contrast::High);
    assert!(ink(&light) > 0.02, "settings-reader light looks blank");
    assert!(
        ink(&high) > 0.02,
        "settings-reader high contrast looks blank"
    );
    assert_ne!(light.as_raw(), high.as_raw());
}
