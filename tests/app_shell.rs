//! The app's shell and widgets driven through kittest by their accessible labels, as a
//! technician's finger would: tabs, settings, the keypad, the signature pad.
//!
//! These tests run without a store: the visit and confirmation screens get their views from
//! fixtures built on the demo week, and the commands stay in the app's outbox where the tests
//! read them. The tests on the real store (tests/app_store.rs) drive the same screens end to
//! end through the backend.

#![cfg(feature = "gui")]

mod common;

use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;

use common::{app_on, harness, sign, tap, type_digits, visit_view};
use tournee::app::i18n::Lang;
use tournee::app::kit::Contrast;
use tournee::app::model::Command;
use tournee::app::{AppConfig, Screen, TourneeApp};
use tournee::domain::{ActKind, Confirmation, InseminationRank};

/// The visit screen with these digits typed and the bull Urbain chosen.
fn insemination_of(digits: &str) -> Harness<'static, TourneeApp> {
    let mut h = harness(app_on(|v| Screen::Visit(v.row.id.clone())));
    type_digits(&mut h, digits);
    h.get_by_label_contains("Urbain").click();
    h.run();
    h
}

#[test]
fn opens_in_french_and_switches_tabs_by_their_labels() {
    let mut h = harness(TourneeApp::new(AppConfig::default()));
    h.get_by_label("Ma tournée");
    tap(&mut h, "Réglages");
    h.get_by_label("Taille du texte");
    tap(&mut h, "Cuve");
    h.get_by_label("Ma cuve");
}

#[test]
fn settings_switch_language_text_size_and_high_contrast() {
    let mut h = harness(TourneeApp::new(AppConfig::default()));
    tap(&mut h, "Réglages");
    tap(&mut h, "English");
    // The whole interface speaks English from the next frame.
    h.get_by_label("Text size");
    h.get_by_label("Today");
    tap(&mut h, "High contrast (sunlight)");
    tap(&mut h, "Very large");
    let prefs = h.state().state.prefs;
    assert_eq!(prefs.lang, Lang::En);
    assert_eq!(prefs.contrast, Contrast::High);
    assert_eq!(prefs.text_size, tournee::app::kit::TextSize::Larger);
}

#[test]
fn records_an_insemination_typed_on_the_keypad() {
    let mut h = insemination_of("5312345678");
    h.get_by_label("Numéro complet");
    tap(&mut h, "IA de retour");
    tap(&mut h, "Enregistrer l'IA");
    let outbox = &h.state().state.outbox;
    assert_eq!(outbox.len(), 1, "{outbox:?}");
    let Command::RecordAct { act, reason: None } = &outbox[0].1 else {
        panic!("not an act: {outbox:?}");
    };
    assert_eq!(act.visit, visit_view().row.id);
    assert_eq!(act.kind, ActKind::IaBovine);
    assert_eq!(act.count, 1);
    assert_eq!(act.animals, vec!["FR5312345678".parse().unwrap()]);
    assert_eq!(act.bull, Some("FR2934119912".parse().unwrap()));
    assert_eq!(
        act.straw.as_ref().map(|s| s.bull_name.as_str()),
        Some("Urbain")
    );
    assert_eq!(act.rank, Some(InseminationRank::Repeat));
    assert_eq!((act.result, &act.note, act.at), (None, &None, None));
    // Waiting for the backend (there is none here): the button says so and takes no second tap.
    h.get_by_label("Enregistrement…");
}

#[test]
fn refuses_a_malformed_number_next_to_the_field_and_records_nothing() {
    let mut h = insemination_of("5312345");
    h.get_by_label("7 chiffres sur 10");
    tap(&mut h, "Enregistrer l'IA");
    h.get_by_label("Numéro incomplet : 7 chiffres tapés, 10 attendus après FR");
    assert!(h.state().state.outbox.is_empty());
    // Deleting a digit clears the refusal; typing on completes the number.
    tap(&mut h, "Effacer");
    assert!(h.query_by_label_contains("Numéro incomplet").is_none());
}

#[test]
fn refuses_a_bull_with_no_dose_left_and_a_missing_bull() {
    let mut h = harness(app_on(|v| Screen::Visit(v.row.id.clone())));
    type_digits(&mut h, "5312345678");
    tap(&mut h, "Enregistrer l'IA");
    h.get_by_label("Choisissez un taureau de la cuve");
    h.get_by_label_contains("Vaillant").click();
    h.run();
    tap(&mut h, "Enregistrer l'IA");
    h.get_by_label("Plus aucune dose de ce taureau dans la cuve");
    assert!(h.state().state.outbox.is_empty());
}

#[test]
fn a_signature_drawn_on_the_pad_confirms_the_visit() {
    let mut h = harness(app_on(|v| Screen::Confirm(v.row.id.clone())));
    sign(&mut h);
    tap(&mut h, "Valider la signature");
    let outbox = &h.state().state.outbox;
    assert_eq!(outbox.len(), 1, "{outbox:?}");
    let Command::Confirm {
        confirmation: Confirmation::Signed {
            strokes, signer, ..
        },
        ..
    } = &outbox[0].1
    else {
        panic!("not a signed confirmation: {outbox:?}");
    };
    assert_eq!(signer, &visit_view().row.farm_name);
    let points: Vec<[f32; 2]> = strokes.iter().flatten().copied().collect();
    assert!(points.len() >= 8, "{points:?}");
    assert!(points.iter().flatten().all(|c| (0.0..=1.0).contains(c)));
    // The stroke goes from the left of the pad to its right.
    assert!(
        points[0][0] < 0.1 && points.last().unwrap()[0] > 0.9,
        "{points:?}"
    );
    // Back on today's round.
    assert_eq!(h.state().state.screen, Screen::Today);
}

#[test]
fn an_empty_pad_does_not_confirm() {
    let mut h = harness(app_on(|v| Screen::Confirm(v.row.id.clone())));
    tap(&mut h, "Valider la signature");
    h.get_by_label("L'éleveur n'a pas encore signé");
    assert!(h.state().state.outbox.is_empty());
}
