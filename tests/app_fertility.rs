//! The farm screen's reproduction figures on a real store holding a hand-made herd
//! (`tests/data/fertility-herd.json`), driven by accessible labels as a finger would: the
//! figures with their counts, the month-by-month trend, the females to watch, the advice typed
//! for the year to come, and the yearly report handed as PDF and read back.

mod common;

use common::{settle, shows, store_app, tap, type_into_area};
use egui_kittest::kittest::Queryable;
use tournee::app::Screen;
use tournee::domain::Ede;
use tournee::log::Store;

/// The hand-made herd, as the import reads it.
fn herd_records() -> tournee::exchange::Records {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/fertility-herd.json"
    ))
    .unwrap();
    tournee::exchange::parse(
        &text,
        &|_| false,
        &|_| false,
        tournee::domain::time::paris_day(&tournee::domain::time::now()),
    )
    .unwrap()
}

fn herd_store() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    store.import(&herd_records()).unwrap();
    drop(store);
    dir
}

#[test]
fn the_farm_screen_shows_the_herds_figures_and_hands_the_yearly_report() {
    let dir = herd_store();
    let mut app = store_app(dir.path());
    let ede = Ede::parse("ede", "53161001").unwrap();
    app.state.screen = Screen::Farm(ede);
    let mut h = common::harness(app);
    settle(&mut h);

    // Twelve months to 24 November 2026 (from 1 December 2025). Services: cow 1 once (two
    // doses the same heat), cow 2 twice (back on day 20), cows 3 and 4 once = 5; IA1: 4.
    h.get_by_label("Reproduction sur 12 mois");
    h.get_by_label("Inséminations : 5, dont 4 IA1");
    // NR56: cows 1 and 2 are eligible (cows 3 and 4 were inseminated less than 56 days
    // ago); cow 2 came back: 1 of 2. NR90 the same.
    h.get_by_label("Non-retour à 56 jours : 50\u{202f}% (1 sur 2)");
    h.get_by_label("Non-retour à 90 jours : 50\u{202f}% (1 sur 2)");
    // Conception: cow 1 found pregnant on day 46; cow 2's check was doubtful: 1 of 1.
    h.get_by_label("Réussite en IA1 (gestations constatées) : 100\u{202f}% (1 sur 1)");
    // Four females served, none three times.
    h.get_by_label("Vaches inséminées 3 fois ou plus : 0\u{202f}% (0 sur 4)");
    // The trend: January holds cows 1 and 2's IA1 (NR56 1 of 2, conception 1 of 1); November
    // cow 3's, too recent for NR56 and not checked yet.
    h.get_by_label(
        "janvier 2026 · 2 IA1 · NR56 50\u{202f}% (1 sur 2) · réussite 100\u{202f}% (1 sur 1)",
    );
    h.get_by_label("novembre 2026 · 1 IA1 · NR56 — (0 sur 0) · réussite — (0 sur 0)");
    // To watch: cow 3 inseminated 20 days ago (a heat to watch), cow 4 35 days ago, not checked.
    h.get_by_label("Chaleur à surveiller (IA il y a 18 à 24 jours)");
    h.get_by_label("FR 53 0000 0003 · IA il y a 20 jours");
    h.get_by_label("Constat de gestation à faire");
    h.get_by_label("FR 53 0000 0004 · IA il y a 35 jours");

    // The advice for the year to come, typed on the tablet, then the report handed.
    type_into_area(
        &mut h,
        "Nos axes pour 2027, avec l'éleveur",
        "Détecter les chaleurs matin et soir",
    );
    tap(&mut h, "Enregistrer les axes");
    h.get_by_label("Axes enregistrés : ils figurent dans le bilan.");
    tap(&mut h, "Remettre le bilan (PDF)");
    let file = dir.path().join("bilans").join("bilan-53161001-2026.pdf");
    assert!(shows(
        &h,
        &format!(
            "Bilan enregistré sur la tablette : {}. L'éleveur le trouve aussi sur sa page.",
            file.display()
        )
    ));
    let text = pdf_extract::extract_text_from_mem(&std::fs::read(&file).unwrap()).unwrap();
    let text = text.replace(['\u{a0}', '\u{202f}'], " ");
    // The report is of the calendar year to 24 November: the same IA1 as the screen's.
    assert!(
        text.contains("Non-retour à 56 jours : 50 % (1 sur 2)"),
        "{text}"
    );
    assert!(
        text.contains("Détecter les chaleurs matin et soir"),
        "{text}"
    );
    assert!(text.contains("technicien : Julie Moreau"), "{text}");

    // The advice is an event of the store: it is there after the app is gone.
    drop(h);
    let store = Store::open(dir.path()).unwrap();
    let advice = store
        .advice(&Ede::parse("ede", "53161001").unwrap(), 2026)
        .unwrap()
        .unwrap();
    assert_eq!(advice.text, "Détecter les chaleurs matin et soir");
}

#[test]
fn the_team_screen_shows_the_figures_per_technician_and_per_bull() {
    use tournee::advice::{Dated, Herd, Selection};
    use tournee::app::model::{TeamFertility, TeamView};
    use tournee::app::{AppConfig, TourneeApp};

    // The same herd, as the supervisor's tablet reads it: twelve months to 24 November.
    let records = herd_records();
    let acts: Vec<Dated> = records
        .visits
        .iter()
        .flat_map(|v| {
            v.acts.iter().map(|a| Dated {
                day: v.visit.day,
                farm: v.visit.farm.clone(),
                technician: v.visit.technician.clone(),
                act: a.clone(),
            })
        })
        .collect();
    let herd = Herd::new(&acts);
    let today = common::today();
    let from = chrono::NaiveDate::from_ymd_opt(2025, 12, 1).unwrap();
    let t01 = Selection {
        technician: Some(tournee::domain::TechnicianId::parse("t", "T01").unwrap()),
        ..Selection::default()
    };
    let report = tournee::advice::report(&herd, &Selection::default(), from, today, today);
    let mut app = TourneeApp::new(AppConfig::default());
    app.state.screen = Screen::Team;
    app.state.pages.team.view = Some(TeamView {
        supervisor: Some("S01".into()),
        fertility: Some(TeamFertility {
            from,
            to: today,
            technicians: vec![(
                "Julie Moreau".into(),
                herd.figures(&t01, from, today, today),
            )],
            bulls: report.by_bull,
        }),
        ..TeamView::default()
    });
    let mut h = common::harness(app);
    h.run();
    h.get_by_label("Reproduction de l'équipe sur 12 mois, par technicien");
    h.get_by_label("Julie Moreau");
    h.get_by_label("Inséminations : 5, dont 4 IA1");
    h.get_by_label("Par taureau");
    // Ulysse: cow 1's IA1 (no return) and cow 4's (35 days old, not eligible): 1 of 1.
    h.get_by_label("Ulysse (FR2934119912)");
    h.get_by_label("Inséminations : 2, dont 2 IA1");
    h.get_by_label("Non-retour à 56 jours : 100\u{202f}% (1 sur 1)");
    // Ottawa: cow 2's IA1 and her return, cow 3's IA1 (20 days old): 0 of 1.
    h.get_by_label("Ottawa (FR5311820264)");
    h.get_by_label("Inséminations : 3, dont 2 IA1");
    h.get_by_label("Non-retour à 56 jours : 0\u{202f}% (0 sur 1)");
}
