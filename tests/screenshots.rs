//! Renders the main screens to PNG, in the light and the high-contrast theme, with egui's wgpu
//! renderer (headless: a software Vulkan driver such as Mesa's lavapipe does, see
//! `.ci/install-gui-deps`).
//!
//! `cargo test --test screenshots` renders every screen and checks the pictures are real (not
//! blank, the two themes different); `.ci/screenshots` runs it with `TOURNEE_SCREENSHOTS=write`
//! to refresh `assets/screenshots/`, the pictures the README shows. Pixel-exact comparison is
//! left out on purpose: a software rasteriser's antialiasing differs between Mesa versions, and
//! a test that fails on a driver update proves nothing about the app.

#![cfg(feature = "gui")]

mod common;

use std::path::PathBuf;

use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;

use common::{today_view, visit_view};
use tournee::app::kit::Contrast;
use tournee::app::model::ActRow;
use tournee::app::{AppConfig, Screen, TourneeApp};
use tournee::domain::{Act, ActId, ActKind, InseminationRank};

/// A 10-inch rugged tablet held upright: 800 × 1280 logical pixels.
const SIZE: [f32; 2] = [800.0, 1280.0];

fn shoot(name: &str, contrast: Contrast, setup: impl FnOnce(&mut TourneeApp)) -> image::RgbaImage {
    let mut app = TourneeApp::new(AppConfig::default());
    app.state.prefs.contrast = contrast;
    setup(&mut app);
    let mut h = Harness::builder()
        .with_size(SIZE)
        .wgpu()
        .build_ui_state(|ui, app: &mut TourneeApp| app.ui(ui), app);
    h.run();
    let image = h.render().unwrap_or_else(|e| {
        panic!(
            "{name}: rendering failed (is a Vulkan driver installed? see .ci/install-gui-deps): {e}"
        )
    });
    let theme = match contrast {
        Contrast::Normal => "light",
        Contrast::High => "high-contrast",
    };
    let dir = match std::env::var("TOURNEE_SCREENSHOTS").as_deref() {
        Ok("write") => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("assets/screenshots"),
        _ => std::env::temp_dir().join("tournee-screenshots"),
    };
    std::fs::create_dir_all(&dir).unwrap();
    image.save(dir.join(format!("{name}-{theme}.png"))).unwrap();
    image
}

fn today(app: &mut TourneeApp) {
    app.state.views.today = Some(today_view());
}

/// The visit with one insemination recorded and the next cow's number half typed.
fn visit(app: &mut TourneeApp) {
    let view = visit_with_one_act();
    app.state.screen = Screen::Visit(view.row.id.clone());
    app.state.visit_form.for_visit(&view.row.id).animal.digits = "5312345".to_owned();
    app.state.views.visit = Some(view);
}

/// The confirmation with the farmer's signature drawn.
fn confirm(app: &mut TourneeApp) {
    let view = visit_with_one_act();
    app.state.screen = Screen::Confirm(view.row.id.clone());
    // A looping scrawl, as signatures are.
    let stroke: Vec<[f32; 2]> = (0..120)
        .map(|i| {
            let t = i as f32 / 119.0;
            let x = 0.1 + 0.8 * t + 0.04 * (t * 40.0).sin();
            let y = 0.55 - 0.2 * (t * 9.0).sin() * (1.0 - t) - 0.05 * (t * 40.0).cos();
            [x.clamp(0.0, 1.0), y.clamp(0.0, 1.0)]
        })
        .collect();
    app.state
        .confirm_form
        .for_visit(&view.row.id)
        .signature
        .strokes = vec![stroke];
    app.state.views.visit = Some(view);
}

fn visit_with_one_act() -> tournee::app::model::VisitView {
    let mut view = visit_view();
    view.row.status = tournee::domain::VisitStatus::InProgress;
    view.acts.push(ActRow {
        act: Act {
            id: ActId::nth_of(&view.row.id, 0),
            visit: view.row.id.clone(),
            kind: ActKind::IaBovine,
            count: 1,
            animals: vec!["FR5398761234".parse().unwrap()],
            bull: Some(view.bulls[0].straw.bull.clone()),
            straw: Some(view.bulls[0].straw.clone()),
            rank: Some(InseminationRank::First),
            result: None,
            at: None,
            note: None,
        },
        bull_name: Some(view.bulls[0].straw.bull_name.clone()),
        forfait_seconds: None,
    });
    view.row.acts = 1;
    view
}

fn settings(app: &mut TourneeApp) {
    app.state.screen = Screen::Settings;
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

/// Puts the app on one screen with its views.
type Setup = fn(&mut TourneeApp);

#[test]
fn main_screens_render_in_both_themes() {
    let screens: [(&str, Setup); 4] = [
        ("today", today),
        ("visit", visit),
        ("confirm", confirm),
        ("settings", settings),
    ];
    for (name, setup) in screens {
        let light = shoot(name, Contrast::Normal, setup);
        let high = shoot(name, Contrast::High, setup);
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
}

#[test]
fn the_visit_screen_shows_the_keypad_and_the_incomplete_number() {
    let mut app = TourneeApp::new(AppConfig::default());
    visit(&mut app);
    let h = Harness::builder()
        .with_size(SIZE)
        .build_ui_state(|ui, app: &mut TourneeApp| app.ui(ui), app);
    h.get_by_label("7 chiffres sur 10");
    h.get_by_label("Enregistrer l'IA");
}
