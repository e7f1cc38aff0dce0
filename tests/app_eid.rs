//! Animals read, not typed, in the real app on a real store, with a pseudo-terminal standing
//! for the technician's stick reader (real Allflex frames at 9600 baud): a lot of forty goats
//! filled by reads, a double read refused, the reader unplugged mid-lot (the lot stays, the
//! screen says so) and back by itself; a cow's number filled by a read and the bull chosen by a
//! straw's code from a barcode scanner (keyboard wedge); the tank's receipt opened by a scan;
//! Settings showing the reader, its port, the last tag and the test mode; a port and a speed
//! chosen in Settings, the reader reopened with them and a read filling a lot.

#![cfg(feature = "gui")]

mod common;
mod eid_common;

use std::time::Duration;

use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;

use common::{
    cattle_visit_today, harness, settle, shows, shows_containing, tap, tap_containing, today,
    type_into, until,
};
use eid_common::{FakeReader, GPS_NAME, NMEA, READER_NAME, goat};
use tournee::app::eid::ReaderStatus;
use tournee::app::{AppConfig, Screen, TourneeApp};
use tournee::domain::{ActKind, AnimalId, Species};
use tournee::eid::reader::{ReaderChoice, ReaderConfig, Search};
use tournee::log::Store;

/// The app on the store in `dir` with the demo loaded, looking for readers in `readers`.
fn app_with_reader(
    dir: &std::path::Path,
    readers: &std::path::Path,
) -> Harness<'static, TourneeApp> {
    let mut h = reader_app(dir, readers);
    tap(&mut h, "Charger les données de démonstration");
    h
}

/// The app on the store in `dir` as it is, its automatic search looking in `readers`.
fn reader_app(dir: &std::path::Path, readers: &std::path::Path) -> Harness<'static, TourneeApp> {
    let mut config = AppConfig::for_dir(dir);
    config.today = Some(today());
    config.reader = Some(ReaderConfig {
        search: Search::Folder(readers.to_path_buf()),
        retry: Duration::from_millis(50),
        ..ReaderConfig::default()
    });
    let mut h = harness(TourneeApp::new(config));
    settle(&mut h);
    h
}

fn connected(h: &Harness<'static, TourneeApp>) -> bool {
    matches!(
        h.state().state.reader.status,
        ReaderStatus::Connected { .. }
    )
}

/// A scanner in keyboard mode: the code's characters, then Enter, with no field focused.
fn scan(h: &mut Harness<'static, TourneeApp>, code: &str) {
    h.event(egui::Event::Text(code.to_owned()));
    h.key_press(egui::Key::Enter);
    settle(h);
}

/// A goat farm of the demo no screen shows yet, called in for a fresh-semen lot today; the
/// visit is opened.
fn goat_visit(h: &mut Harness<'static, TourneeApp>) -> tournee::domain::VisitId {
    let records = tournee::demo::week(today());
    let goats = records
        .farms
        .iter()
        .find(|f| {
            f.species == [Species::Caprine]
                && records.farms.iter().filter(|g| g.name == f.name).count() == 1
                && !records
                    .visits
                    .iter()
                    .any(|v| v.visit.farm == f.ede && v.visit.day == today())
        })
        .unwrap()
        .clone();
    tap(h, "Nouvel appel");
    type_into(
        h,
        "Élevage (nom, commune ou numéro EDE)",
        goats.ede.as_str(),
    );
    tap(h, &goats.name);
    tap(h, "+ IA chèvre, semence fraîche");
    tap(h, "Ajouter à la tournée");
    // The farm's name may show twice on Today (the new call in the round, an earlier visit
    // awaiting the farmer below it): the round comes first.
    h.get_all_by_label(&goats.name)
        .next()
        .unwrap()
        .scroll_to_me();
    h.run();
    h.get_all_by_label(&goats.name).next().unwrap().click();
    settle(h);
    match h.state().state.screen.clone() {
        Screen::Visit(id) if id.as_str().contains(&today().format("%Y%m%d").to_string()) => id,
        other => panic!("the call's visit is not open: {other:?}"),
    }
}

#[test]
fn a_lot_of_forty_goats_is_filled_by_reads_through_a_reader_lost_and_back() {
    let dir = tempfile::tempdir().unwrap();
    let readers = tempfile::tempdir().unwrap();
    let mut h = app_with_reader(dir.path(), readers.path());
    let visit = goat_visit(&mut h);
    tap(&mut h, "Semence fraîche");
    tap_containing(&mut h, "Galopin (Alpine)");

    let mut stick = FakeReader::plug(readers.path());
    until(&mut h, "the reader found", connected);
    assert!(shows(&h, &format!("Lecteur prêt : {READER_NAME}")));

    // Twenty goats, the fifth read a second time (the stick held on her ear).
    for n in 1..=20 {
        stick.send_allflex(250, goat(n));
        if n == 10 {
            stick.send_allflex(250, goat(5));
        }
    }
    until(&mut h, "twenty tags read", |h| shows(h, "20 boucles lues"));
    // Twenty, not twenty-one: the second read of the fifth was refused (said below, where a
    // double read is the last thing read and stays on screen).
    assert!(shows(&h, "Boucle lue : FR 530123 00020"));

    // The reader goes in the middle of a frame: the lot stays, and the screen says so.
    stick.send(b"LA 250 0530");
    stick.unplug();
    until(&mut h, "the loss said", |h| {
        shows(
            h,
            "Lecteur perdu : les 20 boucles déjà lues restent, il se reconnecte seul",
        )
    });
    assert!(shows(&h, "20 boucles lues"));

    // Back by itself; twenty more goats.
    let mut stick = FakeReader::plug(readers.path());
    until(&mut h, "the reader back", connected);
    for n in 21..=40 {
        stick.send_allflex(250, goat(n));
    }
    until(&mut h, "forty tags read", |h| shows(h, "40 boucles lues"));
    stick.send_allflex(250, goat(33));
    until(&mut h, "the double read refused", |h| {
        shows(h, "Déjà lue : FR 530123 00033 (n° 33 du lot)")
    });
    assert!(shows(&h, "40 boucles lues"));
    // A line of no known format is said, never used.
    stick.send(b"LA 250\r\n");
    until(&mut h, "the unknown line said", |h| {
        shows(h, "Lecture non reconnue : « LA 250 » (format inconnu)")
    });

    tap(&mut h, "Enregistrer l'IA");
    assert!(
        shows_containing(
            &h,
            "IA chèvre, semence fraîche · 40 animaux · 40 numéros lus · Galopin"
        ),
        "the lot's line"
    );
    drop(h);

    let store = Store::open(dir.path()).unwrap();
    let acts = store.acts_of(&visit).unwrap();
    assert_eq!(acts.len(), 1, "{acts:#?}");
    let lot = &acts[0];
    assert_eq!((lot.kind, lot.count), (ActKind::IaCaprineFresh, 40));
    let expected: Vec<AnimalId> = (1..=40)
        .map(|n| AnimalId::parse("a", &format!("FR{:011}", goat(n))).unwrap())
        .collect();
    assert_eq!(lot.animals, expected);
}

#[test]
fn a_cow_read_and_a_straw_scanned_make_an_insemination() {
    let dir = tempfile::tempdir().unwrap();
    let readers = tempfile::tempdir().unwrap();
    let mut h = app_with_reader(dir.path(), readers.path());
    let (visit, farm) = cattle_visit_today();
    tap(&mut h, &farm.name);
    let straw = h.state().state.pages.visit.view.clone().unwrap().bulls[0]
        .straw
        .clone();

    // A bull the tank does not hold is said; the tank's first bull is chosen by its code.
    scan(&mut h, "FR9999999999 66");
    assert!(shows(&h, "Le taureau FR9999999999 n'est pas dans la cuve"));
    let code = [
        Some(straw.bull.to_string()),
        Some(straw.breed.clone()),
        // Printed without the spaces the demo keeps in the centre's number.
        straw.centre.as_ref().map(|c| c.replace(' ', "")),
        straw.batch.clone(),
    ]
    .into_iter()
    .flatten()
    .collect::<Vec<_>>()
    .join(" ");
    scan(&mut h, &code);
    let said = match &straw.batch {
        Some(b) => format!("Paillette : {}, lot {b}", straw.bull_name),
        None => format!("Paillette : {}", straw.bull_name),
    };
    assert!(shows(&h, &said), "{said}");

    // The cow's electronic tag: 250 00 + her 10 digits.
    let mut stick = FakeReader::plug(readers.path());
    until(&mut h, "the reader found", connected);
    stick.send(b"\x02250 005312340077\r\n");
    until(&mut h, "the cow read", |h| {
        shows(h, "Boucle lue : FR 53 1234 0077")
    });
    tap(&mut h, "Enregistrer l'IA");
    drop(h);

    let store = Store::open(dir.path()).unwrap();
    let acts = store.acts_of(&visit).unwrap();
    let ia = acts.last().unwrap();
    assert_eq!(ia.kind, ActKind::IaBovine);
    assert_eq!(
        ia.animals,
        vec![AnimalId::parse("a", "FR5312340077").unwrap()]
    );
    assert_eq!(ia.bull.as_ref(), Some(&straw.bull));
}

#[test]
fn the_tank_takes_a_scanned_code_and_settings_show_the_reader() {
    let dir = tempfile::tempdir().unwrap();
    let readers = tempfile::tempdir().unwrap();
    let mut h = app_with_reader(dir.path(), readers.path());

    tap(&mut h, "Cuve");
    scan(&mut h, "FR2934119912 66 FR35001 L9912");
    assert!(shows(&h, "Code lu : vérifiez les champs ci-dessous"));
    let r = h.state().state.pages.tank.form.receiving.clone().unwrap();
    assert_eq!(
        (
            r.bull.as_str(),
            r.breed.as_str(),
            r.centre.as_str(),
            r.batch.as_str()
        ),
        ("FR2934119912", "66", "FR35001", "L9912")
    );

    tap(&mut h, "Réglages");
    assert!(shows_containing(&h, "Aucun lecteur trouvé"));
    assert!(shows(&h, "Aucune boucle lue depuis le démarrage"));
    let mut stick = FakeReader::plug(readers.path());
    until(&mut h, "the reader found", connected);
    assert!(shows(&h, &format!("Lecteur trouvé : {READER_NAME}")));
    let port = readers.path().join(READER_NAME);
    assert!(shows(&h, &format!("Port : {}", port.display())));

    tap(&mut h, "Mode test du lecteur");
    stick.send_allflex(250, goat(12));
    stick.send(b"250 005312340077\r\n");
    until(&mut h, "the test lines", |h| {
        shows(
            h,
            "250 005312340077 → FR 53 1234 0077 pour un bovin, FR 053123 40077 pour un ovin ou un caprin",
        )
    });
    assert!(shows(&h, "250 053012300012 → FR 530123 00012"));
    assert!(shows(
        &h,
        "Dernière lecture : 250 005312340077 → FR 53 1234 0077 pour un bovin, FR 053123 40077 pour un ovin ou un caprin"
    ));
    stick.unplug();
    until(&mut h, "the loss said", |h| {
        shows_containing(h, "Lecteur perdu (")
    });
}

#[test]
fn a_port_and_speed_chosen_in_settings_reopen_the_reader_and_a_read_fills_the_lot() {
    let dir = tempfile::tempdir().unwrap();
    let readers = tempfile::tempdir().unwrap();
    // A GPS on a USB adapter and a reader set to 19200 baud, both plugged in.
    let mut gps = FakeReader::plug_as(readers.path(), GPS_NAME, 9600);
    let mut stick = FakeReader::plug_as(readers.path(), READER_NAME, 19_200);
    let mut h = app_with_reader(dir.path(), readers.path());

    tap(&mut h, "Réglages");
    until(&mut h, "both ports listened to", |h| {
        shows(
            h,
            "Plusieurs ports répondent (2) : le premier qui lit une boucle est gardé",
        )
    });
    until(&mut h, "both ports listed", |h| {
        shows(h, READER_NAME) && shows(h, GPS_NAME)
    });
    assert!(shows(
        &h,
        "Automatique : les ports USB et Bluetooth sont essayés ; s'il y en a plusieurs, celui qui lit une boucle est gardé"
    ));
    // The GPS chatters; no port is kept for that.
    gps.send(NMEA);

    tap(&mut h, READER_NAME);
    until(&mut h, "the chosen port open", connected);
    assert_eq!(stick.speed(), 9600);
    tap(&mut h, "19200 bauds");
    until(&mut h, "the chosen port open at 19200 baud", connected);
    assert!(shows(&h, &format!("Lecteur trouvé : {READER_NAME}")));
    assert!(shows(&h, &format!("Port : {}", stick.path().display())));
    assert!(shows(
        &h,
        &format!("Seul le port {} est écouté", stick.path().display())
    ));
    assert_eq!(
        stick.speed(),
        19_200,
        "the reader reopened at the chosen speed"
    );
    let kept = tournee::app::prefs::load(dir.path()).reader_choice();
    assert_eq!(
        kept,
        ReaderChoice {
            port: Some(stick.path().to_path_buf()),
            baud: 19_200
        }
    );

    // A lot of goats: a read at 19200 baud fills it; the GPS is not listened to any more.
    tap(&mut h, "Aujourd'hui");
    let visit = goat_visit(&mut h);
    tap(&mut h, "Semence fraîche");
    tap_containing(&mut h, "Galopin (Alpine)");
    gps.send(NMEA);
    stick.send_allflex(250, goat(7));
    stick.send_allflex(250, goat(8));
    until(&mut h, "two tags read", |h| shows(h, "2 boucles lues"));
    assert!(shows(&h, "Boucle lue : FR 530123 00008"));
    assert!(!shows_containing(&h, "Lecture non reconnue"));
    tap(&mut h, "Enregistrer l'IA");
    drop(h);

    let store = Store::open(dir.path()).unwrap();
    let acts = store.acts_of(&visit).unwrap();
    assert_eq!(acts.len(), 1, "{acts:#?}");
    let expected: Vec<AnimalId> = [7, 8]
        .iter()
        .map(|n| AnimalId::parse("a", &format!("FR{:011}", goat(*n))).unwrap())
        .collect();
    assert_eq!(acts[0].animals, expected);
    drop(store);

    // Started again, the app opens the chosen port at the chosen speed by itself.
    let mut h = reader_app(dir.path(), readers.path());
    until(&mut h, "the chosen port open again", connected);
    assert_eq!(stick.speed(), 19_200);
}
