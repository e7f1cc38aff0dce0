//! Round planning in the app, on a real store with the demo week: today's round in the
//! planned order with arrival times, its cost and its map; an urgent call offered its best
//! places and put in the one chosen; a visit moved by hand, with what that costs against the
//! planner's order, and the planner's order taken back; follow-ups proposed on the day they
//! fall due, and added to the round.

#![cfg(feature = "gui")]

mod common;

use chrono::Duration;
use egui::accesskit::Role;
use egui_kittest::kittest::Queryable;

use common::{harness, settle, shows, shows_containing, store_harness, tap, today, type_into};
use tournee::app::model::{Improving, TodayView};
use tournee::app::{AppConfig, TourneeApp};
use tournee::domain::{TechnicianId, VisitStatus};
use tournee::log::Store;

fn today_view(h: &egui_kittest::Harness<'static, TourneeApp>) -> TodayView {
    h.state().state.pages.today.view.clone().unwrap()
}

fn technician() -> TechnicianId {
    TechnicianId::parse("technician", tournee::demo::TECHNICIAN).unwrap()
}

#[test]
fn todays_round_is_planned_an_urgent_call_is_placed_and_a_hand_order_is_costed() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = store_harness(dir.path());
    tap(&mut h, "Charger les données de démonstration");
    let view = today_view(&h);
    let round = view.round.clone().expect("the demo's round is planned");
    assert!(round.km > 0.0 && round.drive_seconds > 0);
    assert!(round.new_calls.is_empty());
    assert!(h.query_by_label_contains("Tournée : ").is_some());
    h.get_by_label("Carte de la tournée");
    // Every visit to do has an arrival time, in round order.
    let arrivals: Vec<_> = view.visits.iter().map(|v| v.arrival.unwrap()).collect();
    assert!(arrivals.windows(2).all(|w| w[0] <= w[1]), "{arrivals:?}");
    assert_eq!(round.map.stops.len(), view.visits.len());

    // An urgent call at a farm not in today's round.
    let records = tournee::demo::week(today());
    let farm = records
        .farms
        .iter()
        .find(|f| !view.visits.iter().any(|v| v.farm == f.ede))
        .unwrap()
        .clone();
    tap(&mut h, "Nouvel appel");
    type_into(
        &mut h,
        "Élevage (nom, commune ou numéro EDE)",
        farm.ede.as_str(),
    );
    tap(&mut h, &farm.name);
    tap(&mut h, "+ IA");
    tap(&mut h, "Urgente (animal en chaleur)");
    tap(&mut h, "Ajouter à la tournée");
    let view = today_view(&h);
    let round = view.round.clone().unwrap();
    let call = round
        .new_calls
        .first()
        .expect("the call waits to be placed");
    assert_eq!(call.farm_name, farm.name);
    assert!(!call.options.is_empty());
    h.get_by_label(&format!("Nouvel appel : où placer {} ?", farm.name));
    // The best place first: the least added driving of those within the day.
    let best = &call.options[0];
    assert!(call.options.iter().all(|o| !o.fits_day
        || o.added_late_seconds > best.added_late_seconds
        || o.added_drive_seconds >= best.added_drive_seconds));
    let chosen = best.order.clone();
    let part = match &best.after {
        Some(after) => format!("Après {after} ("),
        None => "En premier (".to_owned(),
    };
    common::tap_containing(&mut h, &part);
    let view = today_view(&h);
    assert!(view.round.as_ref().unwrap().new_calls.is_empty());
    let shown: Vec<_> = view.visits.iter().map(|v| v.id.clone()).collect();
    assert_eq!(shown, chosen);

    // By hand: the last visit first; the screen says what it costs against the planner.
    tap(&mut h, "Changer l'ordre à la main");
    let last = view.visits.last().unwrap().clone();
    tap(&mut h, &format!("{} en premier", last.farm_name));
    let moved = today_view(&h);
    assert_eq!(moved.visits[0].id, last.id);
    let r = moved.round.clone().unwrap();
    let (best_km, best_drive, best_late) = r.best.expect("a hand order is compared");
    assert!(
        r.km > best_km || r.drive_seconds > best_drive || r.late_seconds > best_late,
        "the planner's order is no worse"
    );
    assert!(h.query_by_label_contains("Ordre actuel : ").is_some());
    tap(&mut h, "Prendre l'ordre proposé");
    let back = today_view(&h);
    assert_eq!(back.round.as_ref().unwrap().best, None);
    drop(h);

    // The store holds the order shown.
    let store = Store::open(dir.path()).unwrap();
    let recorded = store.round_order(&technician(), today()).unwrap().unwrap();
    let shown: Vec<_> = back.visits.iter().map(|v| v.id.clone()).collect();
    assert_eq!(recorded, shown);
}

/// The app on the store in `dir` on `day`.
fn app_on(
    dir: &std::path::Path,
    day: chrono::NaiveDate,
) -> egui_kittest::Harness<'static, TourneeApp> {
    let mut config = AppConfig::for_dir(dir);
    config.today = Some(day);
    let mut h = harness(TourneeApp::new(config));
    settle(&mut h);
    h
}

#[test]
fn pregnancy_checks_are_proposed_from_the_thirtieth_day_and_added_to_the_round() {
    let dir = tempfile::tempdir().unwrap();
    {
        let store = Store::open(dir.path()).unwrap();
        tournee::demo::load(&store, today()).unwrap();
    }
    // 29 days after the demo's first insemination, nothing is due.
    let first = tournee::demo::week(today())
        .visits
        .iter()
        .filter(|v| {
            v.acts
                .iter()
                .any(|a| a.kind.family() == tournee::domain::Family::Insemination)
        })
        .map(|v| v.visit.day)
        .min()
        .unwrap();
    let h = app_on(dir.path(), first + Duration::days(29));
    assert_eq!(today_view(&h).follow_ups, Vec::new());
    drop(h);

    // On the 30th day the ultrasound checks of that day's cows are proposed.
    let mut h = app_on(dir.path(), first + Duration::days(30));
    let view = today_view(&h);
    assert!(!view.follow_ups.is_empty());
    h.get_by_label("Suivis à prévoir aujourd'hui");
    let proposal = view.follow_ups[0].clone();
    assert!(
        proposal
            .requested
            .iter()
            .all(|r| r.kind.family() == tournee::domain::Family::PregnancyCheck)
    );
    tap(
        &mut h,
        &format!("Ajouter {} à la tournée", proposal.farm_name),
    );
    let view = today_view(&h);
    let row = view
        .visits
        .iter()
        .find(|v| v.farm == proposal.farm)
        .expect("the follow-up is in today's round");
    assert_eq!(row.status, VisitStatus::ToDo);
    assert_eq!(row.requested, proposal.requested);
    assert!(!view.follow_ups.iter().any(|f| f.farm == proposal.farm));
    assert!(!shows(
        &h,
        &format!("Ajouter {} à la tournée", proposal.farm_name)
    ));
}

#[test]
fn a_visit_called_off_leaves_the_round_and_the_round_is_planned_again() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = store_harness(dir.path());
    tap(&mut h, "Charger les données de démonstration");
    let before = today_view(&h);
    // A visit whose farm is named once on the screen (past visits awaiting the farmer, and
    // the follow-ups due at farms not in the round, are listed under the round).
    let named = |name: &str| {
        before.visits.iter().filter(|v| v.farm_name == name).count()
            + before
                .follow_ups
                .iter()
                .filter(|p| p.farm_name == name)
                .count()
            + before
                .awaiting
                .iter()
                .filter(|(_, v)| v.farm_name == name)
                .count()
            + before
                .disputes
                .iter()
                .filter(|d| d.row.farm_name == name)
                .count()
    };
    let gone = before
        .visits
        .iter()
        .find(|v| named(&v.farm_name) == 1)
        .unwrap()
        .clone();
    tap(&mut h, &gone.farm_name);
    tap(&mut h, "Annuler la visite");
    // No reason, nothing recorded.
    tap(&mut h, "Confirmer l'annulation");
    h.get_by_label("Donnez une raison");
    type_into(
        &mut h,
        "Pourquoi la visite est annulée",
        "L'éleveur a rappelé : vache plus en chaleur",
    );
    tap(&mut h, "Confirmer l'annulation");
    assert_eq!(h.state().state.screen, tournee::app::Screen::Today);
    let after = today_view(&h);
    assert_eq!(after.visits.len(), before.visits.len() - 1);
    assert!(!after.visits.iter().any(|v| v.id == gone.id));
    let (km_before, km_after) = (
        before.round.as_ref().unwrap().km,
        after.round.as_ref().unwrap().km,
    );
    // Going to one farm fewer is never longer (triangle inequality on road distances).
    assert!(km_after <= km_before + 1e-9, "{km_after} > {km_before}");
    assert_eq!(
        after.round.as_ref().unwrap().map.stops.len(),
        after.visits.len()
    );
    drop(h);
    let store = Store::open(dir.path()).unwrap();
    assert_eq!(
        store.cancellation(&gone.id).unwrap().as_deref(),
        Some("L'éleveur a rappelé : vache plus en chaleur")
    );
}

#[test]
fn on_a_sunday_the_demo_shows_a_working_day_and_a_round_that_keeps_every_window() {
    // 29 November 2026 is a Sunday.
    let sunday = today() + Duration::days(5);
    let dir = tempfile::tempdir().unwrap();
    let mut config = AppConfig::for_dir(dir.path());
    config.today = Some(sunday);
    let mut h = harness(TourneeApp::new(config));
    settle(&mut h);
    tap(&mut h, "Charger les données de démonstration");
    h.get_by_label("Dimanche 29 novembre");
    h.get_by_label(
        "Dimanche : jour non ouvré. La démo le traite comme un jour ouvré, avec sa tournée complète.",
    );
    let view = today_view(&h);
    assert!(view.visits.len() >= 14, "{} visits", view.visits.len());
    let round = view.round.unwrap();
    assert!(view.visits.iter().any(|v| v.window.is_some()));
    assert_eq!(round.late_seconds, 0);
    assert!(round.unplanned.is_empty(), "{:?}", round.unplanned);
    assert!(!shows_containing(&h, "Créneaux manqués"));
}

/// The demo week in a new store, today made a crowded day of forty visits at the demo's farms
/// (as on the bench's days: a few acts each, a third with a window of two hours, a sixth
/// urgent); with `order`, the day's order recorded as the visits' ids sort.
fn crowded_day(order: bool) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let day = today();
    {
        let mut records = tournee::demo::week(day);
        records.visits.retain(|r| r.visit.day != day);
        let template = tournee::exchange::VisitRecords {
            visit: tournee::domain::Visit::planned(
                tournee::domain::VisitId::parse("visit", "V-CROWDED-00").unwrap(),
                technician(),
                records.farms[0].ede.clone(),
                day,
            ),
            acts: Vec::new(),
            confirmation: None,
        };
        let farms: Vec<_> = records
            .farms
            .iter()
            .map(|f| f.ede.clone())
            .take(40)
            .collect();
        assert_eq!(farms.len(), 40, "the demo has forty farms");
        for (k, farm) in farms.into_iter().enumerate() {
            let mut r = template.clone();
            r.visit.id =
                tournee::domain::VisitId::parse("visit", &format!("V-CROWDED-{k:02}")).unwrap();
            r.visit.farm = farm;
            r.visit.requested = vec![tournee::domain::Request {
                kind: tournee::domain::ActKind::IaBovine,
                count: 1 + (k % 3) as u32,
            }];
            if k % 3 == 0 {
                let from = chrono::NaiveTime::from_hms_opt(8, 0, 0).unwrap()
                    + Duration::minutes((k as i64 * 37) % (8 * 60));
                r.visit.window = Some((from, from + Duration::hours(2)));
            }
            if k % 6 == 1 {
                r.visit.urgency = tournee::domain::Urgency::Urgent;
            }
            records.visits.push(r);
        }
        let ids: Vec<_> = records
            .visits
            .iter()
            .filter(|r| r.visit.day == day)
            .map(|r| r.visit.id.clone())
            .collect();
        let store = Store::open(dir.path()).unwrap();
        store.import(&records).unwrap();
        if order {
            let morning =
                chrono::DateTime::parse_from_rfc3339("2026-11-24T07:00:00+01:00").unwrap();
            assert_eq!(morning.date_naive(), day);
            tournee::record::order_round(&store, &technician(), ids, morning).unwrap();
        }
    }
    dir
}

#[test]
fn a_crowded_days_round_gets_better_on_screen_as_the_planner_works_on_in_the_background() {
    // No order recorded yet: the round shown is the planner's.
    let dir = crowded_day(false);
    let mut h = store_harness(dir.path());
    let instant = today_view(&h).round.expect("the crowded day is planned");
    // The screen says the round may still change (the 20 slices take seconds in a test
    // build: the notice is up when the first view comes).
    assert_eq!(instant.improving, Some(Improving::Shows));
    h.get_by_label(
        "Le planificateur cherche encore une meilleure tournée ; elle s'affichera d'elle-même.",
    );
    // A bar says how far along the work is, and moves a step a slice, before the end.
    assert!(
        (0.0..1.0).contains(&instant.improving_done),
        "{}",
        instant.improving_done
    );
    h.get_by_role(Role::ProgressIndicator);
    common::until(&mut h, "a slice of the background work done", |h| {
        today_view(h)
            .round
            .is_some_and(|r| r.improving.is_none() || r.improving_done > instant.improving_done)
    });
    let midway = today_view(&h).round.unwrap();
    assert_eq!(
        midway.improving,
        Some(Improving::Shows),
        "seen before the end"
    );
    assert!(midway.improving_done > instant.improving_done && midway.improving_done < 1.0);
    h.get_by_role(Role::ProgressIndicator);
    let key =
        |r: &tournee::app::model::RoundView| (r.unplanned.len(), r.late_seconds, r.drive_seconds);
    common::until(&mut h, "the better round found in the background", |h| {
        today_view(h)
            .round
            .is_some_and(|r| key(&r) != key(&instant))
    });
    let better = today_view(&h).round.unwrap();
    assert!(
        key(&better) < key(&instant),
        "{:?} then {:?}",
        key(&instant),
        key(&better)
    );
    // Every visit is still in the round or listed as not fitting.
    assert_eq!(
        better.map.stops.len() + better.unplanned.len(),
        instant.map.stops.len() + instant.unplanned.len()
    );
    // The work over, the notice goes with it.
    assert_eq!(better.improving, None);
    assert!(
        h.query_by_label_contains("cherche encore une meilleure tournée")
            .is_none()
    );
    assert!(h.query_by_role(Role::ProgressIndicator).is_none());
}

#[test]
fn on_a_crowded_day_whose_order_is_set_the_planner_proposes_a_better_round_and_changes_nothing() {
    // The order recorded (the visits' ids as they sort: a poor round) stays on screen; the
    // planner's better round is proposed beside it, and gets better as it works on.
    let dir = crowded_day(true);
    let mut h = store_harness(dir.path());
    let first = today_view(&h);
    let shown: Vec<_> = first.visits.iter().map(|v| v.id.clone()).collect();
    let mut sorted = shown.clone();
    sorted.sort();
    assert_eq!(shown, sorted, "the recorded order is the one shown");
    let instant = first.round.expect("the crowded day is planned");
    assert_eq!(instant.improving, Some(Improving::Proposes));
    h.get_by_label(
        "Le planificateur cherche encore une meilleure tournée ; s'il en trouve une, il la proposera ici sans changer votre ordre.",
    );
    let proposed = instant
        .best
        .expect("the planner's round is better than the ids' order");
    common::until(&mut h, "the end of the work in the background", |h| {
        today_view(h).round.is_some_and(|r| r.improving.is_none())
    });
    let after = today_view(&h);
    let round = after.round.unwrap();
    let shown_after: Vec<_> = after.visits.iter().map(|v| v.id.clone()).collect();
    assert_eq!(shown_after, shown, "the order set stays");
    assert_eq!(
        (round.km, round.drive_seconds, round.late_seconds),
        (instant.km, instant.drive_seconds, instant.late_seconds)
    );
    // (km, driving, lateness) of the proposal: the better round found replaced it.
    let better = round.best.expect("still proposed");
    let key = |b: (f64, u64, u64)| (b.2, b.1);
    assert!(key(better) < key(proposed), "{proposed:?} then {better:?}");
    assert!(
        h.query_by_label_contains("cherche encore une meilleure tournée")
            .is_none()
    );
    h.get_by_label("Prendre l'ordre proposé");
}
