//! A farm's closed hours (milking) set on the farm screen, on a real store with the demo week,
//! driven by accessible labels as a finger would: a span typed over the time a visit of today's
//! round was to be served, which the round then keeps clear; the evening milking added with one
//! tap and removed with another; a span that ends before it starts, and a time that is not
//! one, refused in French with the value, nothing recorded.

#![cfg(feature = "gui")]

mod common;

use chrono::{NaiveTime, Timelike};
use egui_kittest::kittest::Queryable;

use common::{replace, settle, shows, store_app, tap, today};
use tournee::app::model::TodayView;
use tournee::app::{Screen, TourneeApp};
use tournee::domain::{ClosedSpan, TechnicianId, VisitStatus};
use tournee::log::Store;

fn today_view(h: &egui_kittest::Harness<'static, TourneeApp>) -> TodayView {
    h.state().state.pages.today.view.clone().unwrap()
}

fn minutes(t: NaiveTime) -> u16 {
    (t.num_seconds_from_midnight() / 60) as u16
}

fn hhmm(m: u16) -> String {
    format!("{:02}:{:02}", m / 60, m % 60)
}

fn typed(text: &str) -> egui::Event {
    egui::Event::Text(text.to_owned())
}

#[test]
fn closed_hours_set_on_the_farm_screen_keep_the_round_out_of_them() {
    let dir = tempfile::tempdir().unwrap();
    {
        let store = Store::open(dir.path()).unwrap();
        tournee::demo::load(&store, today()).unwrap();
    }
    let mut h = common::harness(store_app(dir.path()));
    settle(&mut h);
    // A visit still to do, served in the late morning or the afternoon.
    let before = today_view(&h);
    let visit = before
        .visits
        .iter()
        .find(|v| {
            v.status == VisitStatus::ToDo && v.arrival.is_some_and(|a| (10..16).contains(&a.hour()))
        })
        .expect("the demo's round has a visit to do between 10:00 and 16:00")
        .clone();
    let arrival = minutes(visit.arrival.unwrap());
    // Milking from a quarter of an hour before the planned arrival to half an hour after.
    let (from, to) = (arrival - 15, arrival + 30);

    // From the visit to the farm's screen, as the technician goes.
    h.state_mut().state.screen = Screen::Visit(visit.id.clone());
    settle(&mut h);
    tap(&mut h, "Historique de l'élevage");
    h.get_by_label("Heures de fermeture (traite)");
    h.get_by_label("Ouvert toute la journée : aucune heure de traite enregistrée.");

    // A span that ends before it starts: said in French with the value, nothing sent.
    replace(&mut h, "Fermé de (HH:MM)", typed("18:30"));
    replace(&mut h, "à (HH:MM)", typed("17:00"));
    tap(&mut h, "Ajouter ces heures");
    h.get_by_label(
        "Heures de fermeture « 18:30–17:00 » refusées : la fin doit venir après le début, \
         dans la même journée (jusqu'à 23:59).",
    );
    // A time that is not one.
    replace(&mut h, "Fermé de (HH:MM)", typed("25:00"));
    tap(&mut h, "Ajouter ces heures");
    h.get_by_label(
        "Début « 25:00 » refusé : une heure est attendue, comme 17:00 (de 00:00 à 23:59).",
    );
    assert!(shows(
        &h,
        "Ouvert toute la journée : aucune heure de traite enregistrée."
    ));

    // The span over the visit's planned arrival.
    let span = format!("{}–{}", hhmm(from), hhmm(to));
    replace(&mut h, "Fermé de (HH:MM)", typed(&hhmm(from)));
    replace(&mut h, "à (HH:MM)", typed(&hhmm(to)));
    tap(&mut h, "Ajouter ces heures");
    h.get_by_label(&format!(
        "Heures enregistrées : fermé de {span}. La tournée en tient compte."
    ));
    h.get_by_label(&format!("Fermé de {span}"));
    // The evening milking, one tap; it overlaps nothing typed above (the span ends by 16:30).
    tap(&mut h, "+ Traite du soir 17:00–18:30");
    h.get_by_label("Fermé de 17:00–18:30");
    // Removed with one tap too.
    tap(&mut h, "Retirer 17:00–18:30");
    assert!(!shows(&h, "Fermé de 17:00–18:30"));
    h.get_by_label(&format!("Fermé de {span}"));

    // Today's round keeps the visit out of the milking: it is served after it, or done
    // before it starts.
    h.state_mut().state.screen = Screen::Today;
    settle(&mut h);
    let after = today_view(&h);
    let row = after.visits.iter().find(|v| v.id == visit.id).unwrap();
    let moved = minutes(row.arrival.expect("still planned"));
    assert!(
        moved >= to || moved < from,
        "arrives at {} inside the milking {span}",
        hhmm(moved)
    );
    drop(h);

    // The store holds the span, and the day's problem gives it to the planner.
    let store = Store::open(dir.path()).unwrap();
    let spans = vec![ClosedSpan { from, to }];
    assert_eq!(store.closed_hours(&visit.farm).unwrap(), spans);
    let technician = TechnicianId::parse("technician", tournee::demo::TECHNICIAN).unwrap();
    let (grid, settings) =
        tournee::worktime::company_rules(store.company().unwrap().as_ref()).unwrap();
    let day = tournee::tour::day::day_round(&store, &technician, today(), &grid, &settings)
        .unwrap()
        .unwrap();
    let planned = day
        .problem
        .visits
        .iter()
        .find(|v| v.id == visit.id.as_str())
        .unwrap();
    assert_eq!(
        planned.closed,
        vec![tournee::tour::Window {
            from: u32::from(from) * 60,
            to: u32::from(to) * 60,
        }]
    );
}
