//! The supervisor's side of the app against the real `tournee-server`: a tablet enrolled as a
//! supervisor shows the team, approves a technician's week (the technician's own tablet then
//! says so on My time), sends a week back with a comment, and moves a whole day of visits to
//! another technician, who receives them at the next sync with the history saying who moved
//! them. A technician's tablet has no team and is refused a review.

#![cfg(all(feature = "gui", feature = "server"))]

mod common;
mod sync_common;

use std::time::Duration;

use egui_kittest::kittest::Queryable;

use common::{
    demo_enrolled, settle, shows, shows_containing, syncing_app, tap, today, type_into, until,
};
use sync_common::{Kind, Server, enrolled, tid};
use tournee::app::model::{Command, Outcome, Refusal, Ticket};
use tournee::domain::{Payload, ReviewDecision, Technician, Week};

/// The app of supervisor S01 (team T01 and T02) on a store in `dir`, enrolled on Settings as
/// a finger would, on the Team screen.
fn supervisor_tablet(
    server: &Server,
    dir: &std::path::Path,
) -> egui_kittest::Harness<'static, tournee::app::TourneeApp> {
    let mut boss = syncing_app(dir, Duration::from_millis(200));
    let token = server.token(&["add-supervisor", "S01", "--team", "T01,T02"]);
    tap(&mut boss, "Réglages");
    type_into(&mut boss, "Adresse du serveur", &server.url());
    type_into(&mut boss, "Jeton d'inscription", &token);
    tap(&mut boss, "Inscrire la tablette");
    until(&mut boss, "the team tab", |h| shows(h, "Équipe"));
    tap(&mut boss, "Équipe");
    boss
}

const SAVED: &str = "Enregistré : le technicien le verra à sa prochaine synchronisation.";

#[test]
fn a_supervisor_approves_a_week_and_moves_a_day_the_technicians_see_it() {
    let server = Server::start(Kind::Sled);
    let url = server.url();
    // Julie (T01) works on her tablet with the demo week; Marc (T02) has a tablet of his own.
    let julie_dir = tempfile::tempdir().unwrap();
    let mut julie = syncing_app(julie_dir.path(), Duration::from_millis(200));
    let token = server.token(&["add-technician", "T01", "--name", "Julie Moreau"]);
    demo_enrolled(&mut julie, &url, &token);
    let marc = enrolled(
        &server,
        &["add-technician", "T02", "--name", "Marc Lefèvre"],
    );
    marc.append(vec![Payload::TechnicianRecorded(Technician {
        id: tid("T02"),
        name: "Marc Lefèvre".to_owned(),
        home: None,
        licence: None,
    })]);
    marc.sync(&url);
    // A technician's tablet has no team tab.
    assert!(!shows(&julie, "Équipe"));

    // The supervisor enrols a tablet of their own and receives the team's records.
    let boss_dir = tempfile::tempdir().unwrap();
    let mut boss = supervisor_tablet(&server, boss_dir.path());
    let week = Week::of(today()).week;
    let row = format!("Julie Moreau · semaine {week}");
    until(&mut boss, "Julie's week, synced", |h| {
        h.state()
            .state
            .pages
            .team
            .view
            .as_ref()
            .and_then(|t| t.members.iter().find(|m| m.name == "Julie Moreau"))
            .and_then(|m| m.weeks.last())
            .is_some_and(|w| w.total_seconds > 0)
    });
    settle(&mut boss);
    assert!(shows(&boss, &format!("Marc Lefèvre · semaine {week}")));

    // Approve Julie's week.
    tap(&mut boss, &row);
    tap(&mut boss, "Valider la semaine");
    assert!(shows(&boss, SAVED));
    assert!(shows(&boss, "Semaine validée par S01"));

    // Julie's tablet pulls the review and says so on My time.
    tap(&mut julie, "Mon temps");
    until(&mut julie, "the approval on Julie's tablet", |h| {
        shows(h, "Semaine validée par S01")
    });

    // A week sent back without a comment is refused next to the comment; with one, it is saved.
    tap(&mut boss, &format!("Marc Lefèvre · semaine {week}"));
    tap(&mut boss, "Renvoyer avec ce commentaire");
    assert!(shows(&boss, "Écrivez ce que le technicien doit revoir"));
    type_into(
        &mut boss,
        "Commentaire pour le technicien",
        "Il manque la réunion de jeudi",
    );
    tap(&mut boss, "Renvoyer avec ce commentaire");
    assert!(shows(&boss, SAVED));
    assert!(shows(
        &boss,
        "Semaine renvoyée par S01 : Il manque la réunion de jeudi"
    ));

    // Julie is off sick: her day goes to Marc.
    tap(&mut boss, &row);
    let moved: Vec<_> = {
        let team = boss.state().state.pages.team.view.clone().unwrap();
        let julie_row = team
            .members
            .iter()
            .find(|m| m.name == "Julie Moreau")
            .unwrap();
        let (day, visits) = julie_row
            .days
            .first()
            .expect("Julie has visits to do")
            .clone();
        assert_eq!(day, today());
        visits.into_iter().map(|v| v.id).collect()
    };
    assert!(!moved.is_empty());
    tap(&mut boss, "À Marc Lefèvre");
    tap(
        &mut boss,
        "Réassigner toute la journée du mardi 24 novembre",
    );
    assert!(shows(&boss, SAVED));
    until(&mut boss, "the day gone from Julie's coming visits", |h| {
        h.state()
            .state
            .pages
            .team
            .view
            .as_ref()
            .and_then(|t| t.members.iter().find(|m| m.name == "Marc Lefèvre"))
            .is_some_and(|m| m.days.first().is_some_and(|(_, v)| v.len() == moved.len()))
    });
    // Wait for the supervisor's tablet to have sent it, then Marc syncs and has the day.
    until(&mut boss, "the reassignment on the server", |h| {
        shows_containing(h, "tout est sur le serveur")
    });
    for _ in 0..100 {
        marc.sync(&url);
        if marc.store.visits_on(&tid("T02"), today()).unwrap().len() == moved.len() {
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let received = marc.store.visits_on(&tid("T02"), today()).unwrap();
    let mut received: Vec<_> = received.into_iter().map(|v| v.id).collect();
    let mut expected = moved.clone();
    received.sort();
    expected.sort();
    assert_eq!(received, expected);
    // The history says who moved it.
    let history = marc.store.visit_history(&moved[0]).unwrap();
    assert!(history.iter().any(|e| matches!(
        &e.payload,
        Payload::VisitReassigned { to, supervisor, .. }
            if to.as_str() == "T02" && supervisor.as_str() == "S01"
    )));

    // Julie's tablet cannot review a week, even by a command sent straight to the backend.
    let ticket = Ticket(1_000_000);
    julie.state_mut().state.outbox.push((
        ticket,
        Command::ReviewWeek {
            technician: tid("T01"),
            week: Week::of(today()),
            decision: ReviewDecision::Approved,
        },
    ));
    settle(&mut julie);
    match julie.state().state.outcomes.get(&ticket) {
        Some(Outcome::Refused(Refusal::Invalid(e))) => assert_eq!(e.field, "supervisor"),
        other => panic!("expected a refusal naming the supervisor, got {other:?}"),
    }
}

/// The Team screen's reproduction figures as the supervisor's tablet computes them: from the
/// team's records it pulled from the server, per technician (each one's services) and per bull
/// (every technician's), over the twelve months to the tablet's today (24 November 2026).
#[test]
fn the_team_screen_computes_the_figures_per_technician_and_per_bull_from_the_synced_team() {
    let server = Server::start(Kind::Sled);
    let url = server.url();
    // Julie (T01) recorded the hand-made herd of tests/app_fertility.rs on her tablet.
    let julie = enrolled(
        &server,
        &["add-technician", "T01", "--name", "Julie Moreau"],
    );
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/fertility-herd.json"
    ))
    .unwrap();
    let herd = tournee::exchange::parse(&text, &|_| false, &|_| false, today()).unwrap();
    julie.store.import(&herd).unwrap();
    julie.sync(&url);
    // Paul (T02) inseminated one cow today, with Ulysse too, at a farm of his own.
    let paul = enrolled(&server, &["add-technician", "T02", "--name", "Paul Hamon"]);
    paul.append(vec![
        Payload::TechnicianRecorded(Technician {
            id: tid("T02"),
            name: "Paul Hamon".to_owned(),
            home: None,
            licence: None,
        }),
        sync_common::farm(2),
        sync_common::visit("P1", "T02", 2),
        sync_common::insemination("P1.1", "P1", 9),
    ]);
    paul.sync(&url);

    let boss_dir = tempfile::tempdir().unwrap();
    let mut boss = supervisor_tablet(&server, boss_dir.path());
    until(&mut boss, "both technicians' services, synced", |h| {
        h.state()
            .state
            .pages
            .team
            .view
            .as_ref()
            .and_then(|t| t.fertility.as_ref())
            .is_some_and(|f| f.technicians.iter().map(|(_, f)| f.services).sum::<u32>() == 6)
    });
    settle(&mut boss);
    let fertility = boss
        .state()
        .state
        .pages
        .team
        .view
        .clone()
        .unwrap()
        .fertility
        .unwrap();
    let names: Vec<&str> = fertility
        .technicians
        .iter()
        .map(|(n, _)| n.as_str())
        .collect();
    assert_eq!(names, ["Julie Moreau", "Paul Hamon"]);
    assert_eq!(
        (fertility.from, fertility.to),
        (
            chrono::NaiveDate::from_ymd_opt(2025, 12, 1).unwrap(),
            today()
        )
    );

    boss.get_by_label("Reproduction de l'équipe sur 12 mois, par technicien");
    // Julie: the herd's figures, as the farm screen gives them (5 services, 4 IA1; NR56
    // 1 of 2: cow 2 came back on day 20; conception 1 of 1; nobody three times).
    assert!(shows(&boss, "Julie Moreau"));
    boss.get_by_label("Inséminations : 5, dont 4 IA1");
    boss.get_by_label("Non-retour à 56 jours : 50\u{202f}% (1 sur 2)");
    // (and Ulysse's, below: cow 1 is his)
    let shown = |label: &str| boss.query_all_by_label(label).count();
    assert_eq!(
        shown("Réussite en IA1 (gestations constatées) : 100\u{202f}% (1 sur 1)"),
        2
    );
    // Paul: one IA1 today, too recent for NR56.
    assert!(shows(&boss, "Paul Hamon"));
    boss.get_by_label("Inséminations : 1, dont 1 IA1");
    // Ulysse served for both: Julie's cow 1 (IA1 and her second dose the same heat, one
    // service) and cow 4, and Paul's cow 9: 3 IA1; only cow 1's is 56 days old, no return.
    boss.get_by_label("Ulysse (FR2934119912)");
    boss.get_by_label("Inséminations : 3, dont 3 IA1");
    boss.get_by_label("Non-retour à 56 jours : 100\u{202f}% (1 sur 1)");
    // Ottawa: Julie's cow 2 (IA1 and her return) and cow 3: NR56 0 of 1.
    boss.get_by_label("Ottawa (FR5311820264)");
    boss.get_by_label("Inséminations : 3, dont 2 IA1");
    boss.get_by_label("Non-retour à 56 jours : 0\u{202f}% (0 sur 1)");
}

/// A technician's store copied to a second tablet: the server refuses the copy's push as a
/// forked chain and keeps that for the supervisor (durably: across a kill of the server); the
/// supervisor's tablet asks at its sync and the Team screen says which tablet, when and why.
#[test]
fn the_supervisor_sees_a_team_tablet_whose_push_the_server_refused() {
    supervisor_sees_a_refused_push(Kind::Sled);
}

#[test]
fn the_supervisor_sees_a_refused_push_kept_in_postgresql() {
    supervisor_sees_a_refused_push(Kind::Postgres);
}

fn supervisor_sees_a_refused_push(kind: Kind) {
    let mut server = Server::start(kind);
    let copy_dir = tempfile::tempdir().unwrap();
    let julie = sync_common::tablet_and_copy(&server, copy_dir.path());
    julie.append(vec![sync_common::insemination("A3", "V1", 3)]);
    julie.sync(&server.url());
    let copy = tournee::log::Store::open(copy_dir.path()).unwrap();
    copy.append(vec![sync_common::insemination("A9", "V1", 9)])
        .unwrap();
    let refused = julie
        .client(&server.url())
        .sync_once(&copy)
        .unwrap_err()
        .to_string();
    assert!(refused.contains("forked chain"), "{refused}");
    drop(copy);
    // A technician's account is not told of refusals: the server refuses the question.
    let asked = julie
        .client(&server.url())
        .refusals(&julie.store)
        .unwrap_err()
        .to_string();
    assert!(asked.contains("only a supervisor"), "{asked}");
    server.restart();

    let boss_dir = tempfile::tempdir().unwrap();
    let mut boss = supervisor_tablet(&server, boss_dir.path());
    until(&mut boss, "the refused push on the Team screen", |h| {
        shows(h, "Envois refusés par le serveur")
    });
    // The copy carries Julie's tablet's identity: the server names that tablet.
    let device: String = julie.store.device().to_string().chars().take(8).collect();
    let row = format!("Tech T01 · tablette « test » ({device}) · refusé aujourd'hui à");
    assert!(shows_containing(&boss, &row), "{row}");
    assert!(shows_containing(
        &boss,
        "une copie de la tablette enregistre sous la même identité (chaîne divergente)"
    ));
    assert!(shows_containing(&boss, "(a forked chain)"));
}
