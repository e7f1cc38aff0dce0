//! Fixtures shared by the UI tests: a harness around the whole app (on a real store, or on
//! views built by hand from the demo week), and the taps and typing a technician's finger does.

#![allow(dead_code)]

use std::path::Path;
use std::time::Duration;

use chrono::NaiveDate;
use egui::accesskit::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;

use tournee::app::backend::sync::SyncTiming;
use tournee::app::model::{BullChoice, TodayView, VisitRow, VisitView};
use tournee::app::{AppConfig, Screen, TourneeApp};
use tournee::domain::{BullId, Species, Straw};

pub fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 24).unwrap()
}

pub fn harness(app: TourneeApp) -> Harness<'static, TourneeApp> {
    Harness::builder()
        .with_size([900.0, 2000.0])
        .with_max_steps(64)
        .build_ui_state(|ui, app: &mut TourneeApp| app.ui(ui), app)
}

/// The app on the store in `dir` (created if absent), on the demo's "today".
pub fn store_app(dir: &Path) -> TourneeApp {
    let mut config = AppConfig::for_dir(dir);
    config.today = Some(today());
    TourneeApp::new(config)
}

/// A harness on the store in `dir`, settled on its first screen.
pub fn store_harness(dir: &Path) -> Harness<'static, TourneeApp> {
    let mut h = harness(store_app(dir));
    settle(&mut h);
    h
}

/// Runs frames until the backend has carried out every command and screen change and the
/// screen shows the result.
pub fn settle(h: &mut Harness<'static, TourneeApp>) {
    for _ in 0..10_000 {
        h.run();
        if h.state().is_idle() {
            h.run();
            if h.state().is_idle() {
                return;
            }
        }
        std::thread::sleep(Duration::from_millis(1));
    }
    panic!("the backend is still busy after 10 s");
}

/// A visit of today's demo round at a cattle farm, with two bulls in the tank.
pub fn visit_view() -> VisitView {
    let records = tournee::demo::week(today());
    let v = records
        .visits
        .iter()
        .find(|v| {
            v.visit.day == today()
                && records
                    .farms
                    .iter()
                    .any(|f| f.ede == v.visit.farm && f.species.contains(&Species::Bovine))
        })
        .expect("a cattle visit today in the demo week");
    let farm = records
        .farms
        .iter()
        .find(|f| f.ede == v.visit.farm)
        .unwrap();
    VisitView {
        row: VisitRow::build(&v.visit, Some(farm), 0, None),
        species: farm.species.clone(),
        farm_note: None,
        acts: Vec::new(),
        bulls: vec![
            BullChoice {
                straw: straw("FR2934119912", "Urbain", "Prim'Holstein"),
                left: 12,
                used: 30,
            },
            BullChoice {
                straw: straw("FR5634110042", "Vaillant", "Normande"),
                left: 0,
                used: 8,
            },
        ],
        confirmation: None,
        anomalies: Vec::new(),
        corrected: Vec::new(),
        records: Vec::new(),
        answers: Vec::new(),
        history: Vec::new(),
    }
}

pub fn app_on(screen: impl FnOnce(&VisitView) -> Screen) -> TourneeApp {
    let mut app = TourneeApp::new(AppConfig::default());
    let view = visit_view();
    app.state.screen = screen(&view);
    app.state.pages.visit.view = Some(view);
    app
}

/// Today's round of the demo week, in the order the demo planned it.
pub fn today_view() -> TodayView {
    let records = tournee::demo::week(today());
    let visits = records
        .visits
        .iter()
        .filter(|v| v.visit.day == today())
        .map(|v| {
            let farm = records.farms.iter().find(|f| f.ede == v.visit.farm);
            VisitRow::build(&v.visit, farm, v.acts.len(), v.confirmation.as_ref())
        })
        .collect();
    TodayView {
        day: Some(today()),
        visits,
        store_empty: false,
        technician: Some("Julie Moreau".to_owned()),
        ..TodayView::default()
    }
}

fn straw(bull: &str, name: &str, breed: &str) -> Straw {
    Straw {
        bull: BullId::parse("bull", bull).unwrap(),
        bull_name: name.to_owned(),
        breed: breed.to_owned(),
        centre: None,
        batch: None,
    }
}

/// Taps the one control with this accessible label (scrolled into view first, as a finger
/// would) and lets the app settle.
pub fn tap(h: &mut Harness<'static, TourneeApp>, label: &str) {
    h.get_by_label(label).scroll_to_me();
    h.run();
    h.get_by_label(label).click();
    settle(h);
}

/// Taps the one control whose label contains `part`.
pub fn tap_containing(h: &mut Harness<'static, TourneeApp>, part: &str) {
    h.get_by_label_contains(part).scroll_to_me();
    h.run();
    h.get_by_label_contains(part).click();
    settle(h);
}

/// Types digits on the in-app keypad.
pub fn type_digits(h: &mut Harness<'static, TourneeApp>, digits: &str) {
    for d in digits.chars() {
        let key = d.to_string();
        h.get_by_role_and_label(Role::Button, &key).scroll_to_me();
        h.run();
        h.get_by_role_and_label(Role::Button, &key).click();
        h.run();
    }
    settle(h);
}

/// Types text into the text field with this label.
pub fn type_into(h: &mut Harness<'static, TourneeApp>, label: &str, text: &str) {
    type_into_role(h, Role::TextInput, label, text);
}

/// Types text into the field of a few lines with this label.
pub fn type_into_area(h: &mut Harness<'static, TourneeApp>, label: &str, text: &str) {
    type_into_role(h, Role::MultilineTextInput, label, text);
}

fn type_into_role(h: &mut Harness<'static, TourneeApp>, role: Role, label: &str, text: &str) {
    h.get_by_role_and_label(role, label).scroll_to_me();
    h.run();
    h.get_by_role_and_label(role, label).click();
    h.run();
    h.get_by_role_and_label(role, label).type_text(text);
    settle(h);
}

/// Replaces the text of a field: select all, then what a finger types or a paste brings.
pub fn replace(h: &mut Harness<'static, TourneeApp>, label: &str, event: egui::Event) {
    h.get_by_role_and_label(Role::TextInput, label)
        .scroll_to_me();
    h.run();
    h.get_by_role_and_label(Role::TextInput, label).click();
    h.run();
    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::A);
    h.run();
    h.event(event);
    settle(h);
}

/// Whether a node with exactly this label is on screen.
pub fn shows(h: &Harness<'static, TourneeApp>, label: &str) -> bool {
    h.query_all_by_label(label).next().is_some()
}

/// Whether a node whose label contains `part` is on screen.
pub fn shows_containing(h: &Harness<'static, TourneeApp>, part: &str) -> bool {
    h.query_all_by_label_contains(part).next().is_some()
}

/// Draws a signature across the pad, as a finger would.
pub fn sign(h: &mut Harness<'static, TourneeApp>) {
    h.get_by_label("Zone de signature").scroll_to_me();
    h.run();
    let pad = h.get_by_label("Zone de signature").rect();
    let start = pad.left_center() + egui::vec2(20.0, 0.0);
    h.hover_at(start);
    h.run();
    h.drag_at(start);
    h.run();
    for i in 1..=20 {
        let x = start.x + i as f32 * (pad.width() - 40.0) / 20.0;
        let y = pad.center().y + if i % 2 == 0 { 30.0 } else { -30.0 };
        h.hover_at(egui::pos2(x, y));
        h.run();
    }
    h.drop_at(egui::pos2(pad.right() - 20.0, pad.center().y));
    h.run();
}

/// A visit of today's demo round at a cattle farm whose name is on Today once (so its row is
/// found by name): its id and farm.
pub fn cattle_visit_today() -> (tournee::domain::VisitId, tournee::domain::Farm) {
    let records = tournee::demo::week(today());
    let farm_of = |v: &tournee::domain::Visit| {
        records
            .farms
            .iter()
            .find(|f| f.ede == v.farm)
            .unwrap()
            .clone()
    };
    let todays: Vec<_> = records
        .visits
        .iter()
        .filter(|v| v.visit.day == today())
        .map(|v| (v.visit.id.clone(), farm_of(&v.visit)))
        .collect();
    // Today also lists the visits of the last 45 days awaiting the farmer, and follow-ups due
    // at farms not in the round: the name must be on none of them, nor on another farm.
    let since = today() - chrono::Duration::days(45);
    let awaiting = |name: &str| {
        records.visits.iter().any(|v| {
            (since..today()).contains(&v.visit.day)
                && matches!(
                    v.confirmation,
                    Some(tournee::domain::Confirmation::InstructionsLeft { .. })
                )
                && farm_of(&v.visit).name == name
        })
    };
    let homonyms = |name: &str| records.farms.iter().filter(|g| g.name == name).count() > 1;
    todays
        .iter()
        .find(|(_, f)| {
            f.species == [Species::Bovine]
                && todays.iter().filter(|(_, g)| g.name == f.name).count() == 1
                && !awaiting(&f.name)
                && !homonyms(&f.name)
        })
        .cloned()
        .expect("a cattle farm with a name of its own on today's round")
}

/// Taps the last control with this label (a farm visited twice today: the later visit).
pub fn tap_last(h: &mut Harness<'static, TourneeApp>, label: &str) {
    h.get_all_by_label(label).last().unwrap().scroll_to_me();
    h.run();
    h.get_all_by_label(label).last().unwrap().click();
    settle(h);
}

/// From today's round: opens the visit at `farm`, chooses the bull the screen lists first
/// (the most used), types the cow's number on the keypad and records the insemination.
pub fn inseminate(h: &mut Harness<'static, TourneeApp>, farm: &str, cow_digits: &str) {
    tap(h, farm);
    let bull = h.state().state.pages.visit.view.clone().unwrap().bulls[0]
        .straw
        .bull_name
        .clone();
    tap_containing(h, &format!("{bull} ("));
    type_digits(h, cow_digits);
    tap(h, "Enregistrer l'IA");
}

/// Whether the app is showing this notice.
pub fn notice(h: &Harness<'static, TourneeApp>, text: &str) -> bool {
    h.state().state.toasts.texts().any(|t| t == text)
}

/// The app on a store in `dir`, on the demo's "today", syncing every `every`, 50 ms after an
/// act, and retrying after a failure only when asked (the tests decide when the server is back).
pub fn syncing_app(dir: &std::path::Path, every: Duration) -> Harness<'static, TourneeApp> {
    syncing_app_on(dir, every, today())
}

/// The same, on `day` (the real today, for what happens only then: the farmers' windows).
pub fn syncing_app_on(
    dir: &std::path::Path,
    every: Duration,
    day: NaiveDate,
) -> Harness<'static, TourneeApp> {
    let mut config = AppConfig::for_dir(dir);
    config.today = Some(day);
    config.sync = SyncTiming {
        every,
        soon: Duration::from_millis(50),
        retry: Duration::from_secs(3600),
        max_retry: Duration::from_secs(3600),
    };
    let mut h = harness(TourneeApp::new(config));
    settle(&mut h);
    h
}

/// Runs frames until `done` holds: what the background sync does takes its own time. A minute
/// without it is a failure, not a measure.
pub fn until(
    h: &mut Harness<'static, TourneeApp>,
    what: &str,
    done: impl Fn(&Harness<'static, TourneeApp>) -> bool,
) {
    for _ in 0..6_000 {
        h.run();
        if done(h) {
            return;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    panic!("{what}: not seen after a minute");
}

/// Loads the demo through the first screen, and enrols the tablet on Settings with `token`.
pub fn demo_enrolled(h: &mut Harness<'static, TourneeApp>, url: &str, token: &str) {
    tap(h, "Charger les données de démonstration");
    tap(h, "Réglages");
    type_into(h, "Adresse du serveur", url);
    type_into(h, "Jeton d'inscription", token);
    tap(h, "Inscrire la tablette");
    h.get_by_label(
        "Tablette inscrite : elle se synchronise d'elle-même dès que le réseau le permet",
    );
}
