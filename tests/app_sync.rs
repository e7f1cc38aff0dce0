//! The app and the real `tournee-server` process: a tablet enrolled through the Settings screen
//! (refusals first: no address, a server that cannot be reached, a token already used), whose
//! background sync sends the acts recorded through the screens — "1 act waiting" until the
//! server has it, then "everything is on the server" — where another device finds them; and
//! events written elsewhere (a visit reassigned by the supervisor, a farmer's confirmation)
//! showing on Today with no restart and no tap.
//!
//! The tablet reaches the server through a loopback proxy that can hold requests, so what the
//! screen says while a sync is under way is seen deterministically.

#![cfg(all(feature = "gui", feature = "server"))]

mod common;
mod sync_common;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;

use common::{
    cattle_visit_today, demo_enrolled, inseminate, replace, settle, shows, shows_containing,
    syncing_app, tap, type_into, until,
};
use sync_common::{Device, Fault, Kind, Proxy, Server, enrolled};
use tournee::app::TourneeApp;
use tournee::domain::{Confirmation, Payload, VisitStatus};
use tournee::tour::arrival;

/// A door on the way to the server: while closed, requests wait at the proxy.
struct Gate {
    open: Mutex<bool>,
    opened: Condvar,
    /// Requests that reached the proxy.
    arrived: AtomicU64,
}

impl Gate {
    fn new() -> Arc<Gate> {
        Arc::new(Gate {
            open: Mutex::new(true),
            opened: Condvar::new(),
            arrived: AtomicU64::new(0),
        })
    }

    fn set(&self, open: bool) {
        *self.open.lock().unwrap() = open;
        self.opened.notify_all();
    }

    /// A proxy to `server` through this gate.
    fn proxy(self: &Arc<Gate>, server: &Server) -> Proxy {
        let gate = self.clone();
        Proxy::start(&server.addr, move |_| {
            gate.arrived.fetch_add(1, Ordering::SeqCst);
            let mut open = gate.open.lock().unwrap();
            while !*open {
                open = gate.opened.wait(open).unwrap();
            }
            Fault::Pass
        })
    }
}

fn typed(text: &str) -> egui::Event {
    egui::Event::Text(text.to_owned())
}

const UP_TO_DATE: &str = "Synchro : tout est sur le serveur";

#[test]
fn a_tablet_enrolled_from_settings_sends_an_act_by_itself_and_another_device_finds_it() {
    let server = Server::start(Kind::Sled);
    let gate = Gate::new();
    let proxy = gate.proxy(&server);
    let dir = tempfile::tempdir().unwrap();
    // Periodic syncs an hour apart: every sync in this test is the one an act or enrolment
    // starts.
    let mut h = syncing_app(dir.path(), Duration::from_secs(3600));
    tap(&mut h, "Charger les données de démonstration");
    h.get_by_label("Synchro : tablette non inscrite");
    tap(&mut h, "Réglages");
    h.get_by_label("Serveur de la coopérative");

    // Nothing typed: each field says what it lacks, nothing is sent.
    tap(&mut h, "Inscrire la tablette");
    h.get_by_label("Tapez l'adresse du serveur");
    h.get_by_label("Tapez ou collez le jeton d'inscription");
    assert_eq!(gate.arrived.load(Ordering::SeqCst), 0);

    // An address where nothing answers (no scheme typed: https is assumed; nothing listens on
    // port 1).
    let token = server.token(&["add-technician", "T01", "--name", "Julie Moreau"]);
    type_into(&mut h, "Adresse du serveur", "127.0.0.1:1");
    type_into(&mut h, "Jeton d'inscription", &token);
    tap(&mut h, "Inscrire la tablette");
    h.get_by_label("Serveur injoignable : pas de réseau, ou adresse erronée");
    h.get_by_label("Synchro : tablette non inscrite");

    // A token another tablet already used.
    let used = server.token(&["add-technician", "T01", "--name", "Julie Moreau"]);
    Device::new().enroll(&server.url(), &used);
    replace(&mut h, "Adresse du serveur", typed(&proxy.url()));
    replace(&mut h, "Jeton d'inscription", typed(&used));
    tap(&mut h, "Inscrire la tablette");
    h.get_by_label(
        "Ce jeton d'inscription est inconnu ou a déjà servi : demandez-en un nouveau à votre \
         technicien coordinateur",
    );
    assert!(!shows_containing(&h, "Serveur injoignable"));

    // The good token, pasted from a message that cut it in two groups.
    let pasted = format!("{}  {}\n", &token[..16], &token[16..]);
    replace(&mut h, "Jeton d'inscription", egui::Event::Paste(pasted));
    tap(&mut h, "Inscrire la tablette");
    h.get_by_label(
        "Tablette inscrite : elle se synchronise d'elle-même dès que le réseau le permet",
    );
    h.get_by_label(&format!("Inscrite sur {}", proxy.url()));
    h.get_by_label("Compte : technicien T01 — Julie Moreau");

    // The demo week goes up by itself, right after enrolment.
    until(&mut h, "the demo week on the server", |h| {
        shows(h, UP_TO_DATE)
    });
    assert!(shows_containing(
        &h,
        "Dernière synchronisation : aujourd'hui à "
    ));
    assert!(shows_containing(&h, "dernière synchro aujourd'hui à "));
    let office = enrolled(&server, &["add-supervisor", "S01", "--team", "T01"]);
    let (visit, farm) = cattle_visit_today();
    office.sync(&server.url());
    assert!(office.store.visit(&visit).unwrap().is_some());
    assert!(office.store.acts_of(&visit).unwrap().is_empty());

    // Out of network (requests held on the way): an insemination through the screens.
    gate.set(false);
    let before = gate.arrived.load(Ordering::SeqCst);
    tap(&mut h, "Aujourd'hui");
    inseminate(&mut h, &farm.name, "5312345678");
    h.get_by_label("1 acte en attente d'envoi");
    // The tablet tries to send it by itself, soon after: the request reaches the proxy...
    until(&mut h, "a sync attempt after the act", |_| {
        gate.arrived.load(Ordering::SeqCst) > before
    });
    until(&mut h, "the top bar saying a sync is under way", |h| {
        shows(h, "synchronisation…")
    });
    // ...and until it gets through, the act is waiting.
    h.get_by_label("1 acte en attente d'envoi");
    assert!(office.sync(&server.url()).pulled == 0);

    // The network is back: the same sync ends, everything is on the server.
    gate.set(true);
    until(&mut h, "the act on the server", |h| shows(h, UP_TO_DATE));
    office.sync(&server.url());
    let acts = office.store.acts_of(&visit).unwrap();
    assert_eq!(acts.len(), 1);
    assert_eq!(acts[0].animals[0].as_str(), "FR5312345678");

    // After the app is gone, the tablet's store agrees: nothing of its own waits.
    drop(h);
    let store = tournee::log::Store::open(dir.path()).unwrap();
    let status = tournee::sync::status(&store).unwrap();
    assert!(status.enrolled && status.everything_on_server());
}

#[test]
fn a_failed_sync_says_why_and_when_and_sync_now_tries_again() {
    let server = Server::start(Kind::Sled);
    let gate = Gate::new();
    let proxy = gate.proxy(&server);
    let dir = tempfile::tempdir().unwrap();
    let mut h = syncing_app(dir.path(), Duration::from_secs(3600));
    let token = server.token(&["add-technician", "T01", "--name", "Julie Moreau"]);
    demo_enrolled(&mut h, &proxy.url(), &token);
    until(&mut h, "the demo week on the server", |h| {
        shows(h, UP_TO_DATE)
    });

    // The server goes away: the proxy now forwards to a port where nothing listens.
    proxy.set_upstream("127.0.0.1:1");
    tap(&mut h, "Aujourd'hui");
    let (_, farm) = cattle_visit_today();
    inseminate(&mut h, &farm.name, "5312345678");
    until(&mut h, "the failed attempt in the top bar", |h| {
        shows(h, "serveur injoignable")
    });
    h.get_by_label("1 acte en attente d'envoi");
    tap(&mut h, "Réglages");
    assert!(shows_containing(&h, "Dernier essai aujourd'hui à "));
    assert!(shows_containing(
        &h,
        "Serveur injoignable : pas de réseau, ou adresse erronée"
    ));
    h.get_by_label(
        "La tablette réessaie d'elle-même ; rien de ce qui est enregistré ne se perd en attendant.",
    );

    // The server is back; the technician does not wait for the next turn.
    proxy.set_upstream(&server.addr);
    tap(&mut h, "Synchroniser maintenant");
    until(&mut h, "the act on the server", |h| shows(h, UP_TO_DATE));
    assert!(!shows_containing(&h, "Dernier essai"));
    // The exchange said in numbers: the insemination and the arrival it made, sent.
    h.get_by_label("Dernier échange : 2 enregistrements envoyés, 0 reçu");
}

#[test]
fn a_visit_reassigned_and_a_farmers_confirmation_show_on_today_by_themselves() {
    let server = Server::start(Kind::Sled);
    let dir = tempfile::tempdir().unwrap();
    // A turn every 200 ms: pulled events come in while Today is on screen.
    let mut h = syncing_app(dir.path(), Duration::from_millis(200));
    let token = server.token(&["add-technician", "T01", "--name", "Julie Moreau"]);
    demo_enrolled(&mut h, &server.url(), &token);
    until(&mut h, "the demo week on the server", |h| {
        shows(h, UP_TO_DATE)
    });
    tap(&mut h, "Aujourd'hui");
    let (visit, farm) = cattle_visit_today();
    assert!(!shows(&h, "GAEC 900"));

    // Paul (T02) planned a visit today at a farm Julie never went to; he falls ill and the
    // supervisor gives it to Julie.
    let url = server.url();
    let paul = enrolled(&server, &["add-technician", "T02", "--name", "Paul Hamon"]);
    paul.append(vec![
        sync_common::technician("T02"),
        sync_common::farm(900),
        sync_common::visit("VR1", "T02", 900),
    ]);
    paul.sync(&url);
    let supervisor = enrolled(&server, &["add-supervisor", "S01", "--team", "T01,T02"]);
    supervisor.sync(&url);
    supervisor.append(vec![sync_common::reassign("VR1", "T01", "S01")]);
    supervisor.sync(&url);
    until(&mut h, "the reassigned visit on Today", |h| {
        shows(h, "GAEC 900")
    });

    // The farmer of the first cattle farm confirms Julie's visit from their phone.
    let farmer = enrolled(&server, &["add-farmer", "--farm", farm.ede.as_str()]);
    farmer.sync(&url);
    farmer.append(vec![Payload::VisitConfirmed {
        visit: visit.clone(),
        confirmation: Confirmation::ConfirmedLater {
            at: chrono::DateTime::parse_from_rfc3339("2026-11-24T18:00:00+01:00").unwrap(),
            comment: None,
        },
    }]);
    farmer.sync(&url);
    let status = |h: &Harness<'static, TourneeApp>| {
        h.state()
            .state
            .pages
            .today
            .view
            .as_ref()
            .and_then(|t| t.visits.iter().find(|r| r.id == visit))
            .map(|r| r.status)
    };
    assert_eq!(status(&h), Some(VisitStatus::ToDo));
    h.get_by_label_contains("visites · 0 terminée");
    until(&mut h, "the farmer's confirmation on Today", |h| {
        status(h) == Some(VisitStatus::Confirmed)
    });
    h.get_by_label_contains("visites · 1 terminée");
}

#[test]
fn a_new_tablet_enrolled_without_data_takes_its_identity_and_the_visits_planned_for_it() {
    let server = Server::start(Kind::Sled);
    let url = server.url();
    let dir = tempfile::tempdir().unwrap();
    let mut h = syncing_app(dir.path(), Duration::from_millis(200));
    h.get_by_label("Bienvenue dans Tournée");
    let token = server.token(&["add-technician", "T01", "--name", "Julie Moreau"]);
    tap(&mut h, "Réglages");
    type_into(&mut h, "Adresse du serveur", &url);
    type_into(&mut h, "Jeton d'inscription", &token);
    tap(&mut h, "Inscrire la tablette");
    h.get_by_label("Compte : technicien T01 — Julie Moreau");

    // No demo offered to an enrolled tablet: its technician is the account's, recorded once
    // the first sync found no record of them on the server.
    tap(&mut h, "Aujourd'hui");
    assert!(!shows(&h, "Bienvenue dans Tournée"));
    until(&mut h, "the technician's name on Today", |h| {
        shows(h, "Julie Moreau")
    });
    h.get_by_label("Aucune visite prévue aujourd'hui.");
    until(&mut h, "the identity on the server", |h| {
        shows(h, UP_TO_DATE)
    });

    // The supervisor sees Julie's record and plans her a visit at a new farm.
    let supervisor = enrolled(&server, &["add-supervisor", "S01", "--team", "T01"]);
    supervisor.sync(&url);
    let julie = supervisor
        .store
        .technician(&sync_common::tid("T01"))
        .unwrap()
        .expect("the tablet's identity reached the supervisor");
    assert_eq!(julie.name, "Julie Moreau");
    supervisor.append(vec![
        sync_common::farm(901),
        sync_common::visit("VP1", "T01", 901),
    ]);
    supervisor.sync(&url);
    until(&mut h, "the planned visit on Today", |h| {
        shows(h, "GAEC 901")
    });
    h.get_by_label_contains("1 visite · 0 terminée");
}

#[test]
fn today_says_what_each_farmer_was_told_once_the_server_has_the_arrival_windows() {
    let server = Server::start(Kind::Sled);
    let dir = tempfile::tempdir().unwrap();
    // The demo's round on the real today: windows are told of today's visits only.
    let real_today = tournee::domain::paris_day(&tournee::domain::time::now());
    let minutes_now = || {
        use chrono::Timelike;
        let t = tournee::domain::paris_time(&tournee::domain::time::now());
        (t.hour() * 60 + t.minute()) as u16
    };
    let started = minutes_now();
    let mut h = common::syncing_app_on(dir.path(), Duration::from_millis(200), real_today);
    let token = server.token(&["add-technician", "T01", "--name", "Julie Moreau"]);
    demo_enrolled(&mut h, &server.url(), &token);
    tap(&mut h, "Aujourd'hui");
    // Enrolled, the tablet records the round's windows, sends them, and once the server holds
    // them each visit to come says what its farmer was told (the row's text is drawn from it:
    // `screens::today` tests the words).
    until(&mut h, "the windows told", |h| {
        h.state()
            .state
            .pages
            .today
            .view
            .as_ref()
            .is_some_and(|t| t.visits.iter().any(|r| r.told.is_some()))
    });
    settle(&mut h);
    let today = h.state().state.pages.today.view.clone().unwrap();
    assert_eq!(today.day, Some(real_today));
    for r in &today.visits {
        let planned = r.arrival.unwrap();
        let w = r.told.unwrap_or_else(|| panic!("{} told nothing", r.id));
        // Each window is drawn around the planned arrival, or around the time it was drawn
        // when that arrival is past (the round is planned from the morning), on 5 minutes, an
        // hour each side at most (and the rounding outwards).
        use chrono::Timelike;
        let at = (planned.hour() * 60 + planned.minute()) as u16;
        assert!(w.from <= at.max(minutes_now()), "{planned} in {w:?}");
        assert!(at.max(started) <= w.to, "{planned} in {w:?}");
        let widest = 2 * (arrival::MAX_HALF_MINUTES as u16 + arrival::STEP_MINUTES);
        assert!(w.to - w.from <= widest, "{w:?}");
        assert!(w.from % arrival::STEP_MINUTES == 0 && w.to % arrival::STEP_MINUTES == 0);
        assert_eq!(r.status, VisitStatus::ToDo);
    }
}
