//! The app end to end on a real store in a temporary folder: the screens driven through
//! kittest by their accessible labels, the backend carrying the commands out on its thread,
//! and the store read back after the app is gone.
//!
//! Flat-rate figures come from the demo company's agreement (`assets/demo-agreement.toml`) and
//! Annexe I (`assets/annexe-i.toml`); each expected value says how it is computed.

#![cfg(feature = "gui")]

mod common;

use common::{
    cattle_visit_today, inseminate, notice, settle, shows, shows_containing, sign, store_harness,
    tap, tap_containing, tap_last, today, type_digits, type_into,
};
use egui_kittest::kittest::Queryable;
use tournee::app::Screen;
use tournee::domain::{
    ActKind, Confirmation, Family, PregnancyResult, Species, TechnicianId, VisitStatus,
};
use tournee::log::Store;

fn technician() -> TechnicianId {
    TechnicianId::parse("t", "T01").unwrap()
}

/// A store with the demo loaded through the first-start screen.
fn demo_harness(dir: &std::path::Path) -> egui_kittest::Harness<'static, tournee::app::TourneeApp> {
    let mut h = store_harness(dir);
    h.get_by_label("Bienvenue dans Tournée");
    tap(&mut h, "Charger les données de démonstration");
    assert!(
        h.state()
            .state
            .pages
            .today
            .view
            .as_ref()
            .is_some_and(|t| !t.visits.is_empty())
    );
    h
}

fn visit_view(
    h: &egui_kittest::Harness<'static, tournee::app::TourneeApp>,
) -> tournee::app::model::VisitView {
    h.state()
        .state
        .pages
        .visit
        .view
        .clone()
        .expect("a visit on screen")
}

#[test]
fn an_insemination_from_the_keypad_to_the_signed_certificate_survives_reopening() {
    let dir = tempfile::tempdir().unwrap();
    let (visit, farm) = cattle_visit_today();
    let mut h = demo_harness(dir.path());
    // 15 visits or so planned today in the demo, none done yet; the tablet never synced.
    h.get_by_label_contains("visites · 0 terminée");
    h.get_by_label("Synchro : tablette non inscrite");

    tap(&mut h, &farm.name);
    assert_eq!(h.state().state.screen, Screen::Visit(visit.clone()));
    let bull = visit_view(&h).bulls[0].clone();
    let left = bull.left;
    let bull_label = |n: i64| {
        format!(
            "{} ({}) · {n} doses",
            bull.straw.bull_name, bull.straw.breed
        )
    };
    h.get_by_label(&bull_label(left));

    // A malformed number first: refused next to the field, nothing recorded.
    tap(&mut h, &bull_label(left));
    type_digits(&mut h, "5312345");
    tap(&mut h, "Enregistrer l'IA");
    h.get_by_label("Numéro incomplet : 7 chiffres tapés, 10 attendus après FR");
    assert!(visit_view(&h).acts.is_empty());
    h.get_by_label(&bull_label(left));

    // The three missing digits, and the insemination is recorded.
    type_digits(&mut h, "678");
    h.get_by_label("Numéro complet");
    tap(&mut h, "Enregistrer l'IA");
    // Demo agreement: ia_bovine = 420 s, shown as 7 min.
    assert!(notice(&h, "Enregistré · 7 min"));
    let line = format!(
        "IA · FR 53 1234 5678 · {} · IA1 · 7 min",
        bull.straw.bull_name
    );
    h.get_by_label(&line);
    h.get_by_label("Temps forfaitaire de la visite : 7 min");
    // The stock went down by one, and recording the act was arriving.
    h.get_by_label(&bull_label(left - 1));
    h.get_by_label("En cours");
    h.get_by_label("Tapez les 10 chiffres après FR");

    // The farm's history shows the cow, the day and the bull.
    tap(&mut h, "Historique de l'élevage");
    h.get_by_label("Animaux inséminés");
    h.get_by_label(&format!(
        "24/11/2026 · FR 53 1234 5678 · {} · IA1",
        bull.straw.bull_name
    ));
    tap(&mut h, "Retour");

    // Departure, then the certificate the farmer signs.
    tap(&mut h, "Terminer la visite");
    assert_eq!(h.state().state.screen, Screen::Confirm(visit.clone()));
    h.get_by_label("Certificat d'insémination");
    h.get_by_label("Entreprise : Coopérative d'insémination du Maine — agrément IA-53-001");
    h.get_by_label("Inséminateur : Julie Moreau — licence 53-0142");
    h.get_by_label(&format!("Élevage : {} — EDE {}", farm.name, farm.ede));
    h.get_by_label("Femelle : FR 53 1234 5678");
    // The breed as the farmer reads it: the demo's cattle sires are of these four breeds.
    let breed = match bull.straw.breed.as_str() {
        "66" => "Prim'Holstein (66)",
        "56" => "Normande (56)",
        "46" => "Montbéliarde (46)",
        "38" => "Charolaise (38)",
        other => panic!("a demo sire of breed {other}"),
    };
    h.get_by_label(&format!(
        "Taureau : {} ({}), race {breed}",
        bull.straw.bull_name, bull.straw.bull
    ));
    h.get_by_label(&format!(
        "Paillette : centre {}, lot {}",
        bull.straw.centre.clone().unwrap(),
        bull.straw.batch.clone().unwrap()
    ));
    sign(&mut h);
    tap(&mut h, "Valider la signature");
    settle(&mut h);
    assert_eq!(h.state().state.screen, Screen::Today);
    let row = |h: &egui_kittest::Harness<'static, tournee::app::TourneeApp>| {
        h.state()
            .state
            .pages
            .today
            .view
            .as_ref()
            .unwrap()
            .visits
            .iter()
            .find(|r| r.id == visit)
            .cloned()
            .unwrap()
    };
    assert_eq!(row(&h).status, VisitStatus::Confirmed);
    assert_eq!(row(&h).acts, 1);

    // The tank says the same.
    tap(&mut h, "Cuve");
    let line = h
        .state()
        .state
        .pages
        .tank
        .view
        .as_ref()
        .unwrap()
        .lines
        .iter()
        .find(|l| l.bull == bull.straw.bull)
        .cloned()
        .unwrap();
    assert_eq!(line.left, left - 1);
    h.get_by_label(&bull.straw.bull_name);

    // Close the app (its backend closes the store), open a new one on the same folder.
    drop(h);
    let mut h = store_harness(dir.path());
    assert_eq!(row(&h).status, VisitStatus::Confirmed);
    tap(&mut h, &farm.name);
    h.get_by_label(&format!(
        "IA · FR 53 1234 5678 · {} · IA1 · 7 min",
        bull.straw.bull_name
    ));
    h.get_by_label("Confirmée");
    drop(h);

    // And the store itself holds the act, its straw, the signature and the stock.
    let store = Store::open(dir.path()).unwrap();
    let acts = store.acts_of(&visit).unwrap();
    assert_eq!(acts.len(), 1);
    let act = &acts[0];
    assert_eq!(act.kind, ActKind::IaBovine);
    assert_eq!(act.animals[0].as_str(), "FR5312345678");
    assert_eq!(act.straw.as_ref(), Some(&bull.straw));
    assert!(
        act.at
            .is_some_and(|at| tournee::domain::paris_day(&at) == today())
    );
    let Some(Confirmation::Signed {
        strokes, signer, ..
    }) = store.confirmation(&visit).unwrap()
    else {
        panic!("not signed");
    };
    assert_eq!(signer, farm.name);
    assert!(strokes.iter().map(Vec::len).sum::<usize>() >= 8);
    let v = store.visit(&visit).unwrap().unwrap();
    assert!(v.arrived.is_some() && v.left.is_some());
    let stock = store.stock(&technician()).unwrap();
    let line = stock.iter().find(|l| l.bull == bull.straw.bull).unwrap();
    assert_eq!(line.left(), left - 1);
    // The insemination record is complete and queued for declaration.
    let records = tournee::record::visit_records(&store, &visit).unwrap();
    assert!(records[0].is_ok(), "{records:?}");
    assert!(store.declaration(&act.id).unwrap().is_some());
}

#[test]
fn every_act_family_is_recorded_with_its_flat_rate_time() {
    let dir = tempfile::tempdir().unwrap();
    let (visit, farm) = cattle_visit_today();
    let mut h = demo_harness(dir.path());
    tap(&mut h, &farm.name);
    tap(&mut h, "Arrivée à l'élevage");
    h.get_by_label("En cours");

    // Pregnancy check by palpation: a result is asked for.
    tap(&mut h, "Constat");
    tap(&mut h, "Palper");
    type_digits(&mut h, "5300000001");
    tap(&mut h, "Enregistrer le constat");
    h.get_by_label("Choisissez le résultat du constat");
    tap(&mut h, "Pleine");
    tap(&mut h, "Enregistrer le constat");
    // Annexe I: gestation_palpation = 150 s.
    h.get_by_label("Constat par palper · FR 53 0000 0001 · Pleine · 2 min 30 s");

    // Synchronisation: a count, and 0 is refused next to it.
    tap(&mut h, "Synchro");
    tap(&mut h, "Implant");
    type_digits(&mut h, "0");
    tap(&mut h, "Enregistrer la synchronisation");
    h.get_by_label("Le nombre doit être au moins 1");
    tap(&mut h, "Tout effacer");
    type_digits(&mut h, "3");
    tap(&mut h, "Enregistrer la synchronisation");
    // Annexe I: sync_bovine_implant = 240 s per animal, 3 × 240 = 720 s = 12 min.
    h.get_by_label("Pose d'implant · 3 animaux · 12 min");

    // A genotyping sample.
    tap(&mut h, "Prélèvement");
    tap(&mut h, "Génotypage");
    type_digits(&mut h, "5300000002");
    tap(&mut h, "Enregistrer le prélèvement");
    // Demo agreement: sample_genotyping = 180 s.
    h.get_by_label("Prélèvement génotypage · FR 53 0000 0002 · 3 min");
    // 150 + 720 + 180 = 1,050 s = 17 min 30 s.
    h.get_by_label("Temps forfaitaire de la visite : 17 min 30 s");

    // A goat farm's call, then a lot inseminated with fresh semen: a goat farm whose name
    // Today shows nowhere yet (no other farm of that name, no visit of it listed), so its row
    // is the call's.
    tap(&mut h, "Aujourd'hui");
    let records = tournee::demo::week(today());
    let shown: Vec<String> = {
        let view = h.state().state.pages.today.view.as_ref().unwrap();
        view.visits
            .iter()
            .map(|v| v.farm_name.clone())
            .chain(view.awaiting.iter().map(|(_, v)| v.farm_name.clone()))
            .chain(view.disputes.iter().map(|d| d.row.farm_name.clone()))
            .chain(view.follow_ups.iter().map(|p| p.farm_name.clone()))
            .collect()
    };
    let goats = records
        .farms
        .iter()
        .find(|f| {
            f.species == [Species::Caprine]
                && !shown.contains(&f.name)
                && records.farms.iter().filter(|g| g.name == f.name).count() == 1
        })
        .unwrap()
        .clone();
    tap(&mut h, "Nouvel appel");
    type_into(
        &mut h,
        "Élevage (nom, commune ou numéro EDE)",
        goats.ede.as_str(),
    );
    tap(&mut h, &goats.name);
    tap(&mut h, "+ IA chèvre, semence fraîche");
    tap(&mut h, "Ajouter à la tournée");
    assert_eq!(h.state().state.screen, Screen::Today);
    let call = h
        .state()
        .state
        .pages
        .today
        .view
        .as_ref()
        .unwrap()
        .visits
        .iter()
        .find(|r| r.farm == goats.ede)
        .cloned()
        .expect("the call is on today's round");
    tap_last(&mut h, &goats.name);
    assert_eq!(h.state().state.screen, Screen::Visit(call.id.clone()));
    h.get_by_label("Demandé : 1 IA chèvre (fraîche)");
    tap(&mut h, "Semence fraîche");
    let galopin_left = visit_view(&h)
        .bulls
        .iter()
        .find(|b| b.straw.bull_name == "Galopin")
        .unwrap()
        .left;
    tap_containing(&mut h, "Galopin (Alpine)");
    type_digits(&mut h, "12");
    tap(&mut h, "Enregistrer l'IA");
    // Annexe I: ia_caprine_fresh, 12 goats in the first tier: 12 × 120 s = 1,440 s = 24 min.
    h.get_by_label("IA chèvre, semence fraîche · 12 animaux · Galopin · 24 min");
    drop(h);

    let store = Store::open(dir.path()).unwrap();
    let kinds: Vec<ActKind> = store
        .acts_of(&visit)
        .unwrap()
        .iter()
        .map(|a| a.kind)
        .collect();
    assert_eq!(
        kinds,
        vec![
            ActKind::GestationPalpation,
            ActKind::SyncBovineImplant,
            ActKind::SampleGenotyping
        ]
    );
    let check = &store.acts_of(&visit).unwrap()[0];
    assert_eq!(check.result, Some(PregnancyResult::Pregnant));
    let lot = &store.acts_of(&call.id).unwrap()[0];
    assert_eq!((lot.kind, lot.count), (ActKind::IaCaprineFresh, 12));
    assert_eq!(lot.kind.family(), Family::Insemination);
    // Galopin's straws: 300 in the tank when the demo starts (what its past months used was
    // received before), this lot used.
    assert_eq!(galopin_left, 300);
    let galopin = store
        .stock(&technician())
        .unwrap()
        .into_iter()
        .find(|l| l.straw.as_ref().is_some_and(|s| s.bull_name == "Galopin"))
        .unwrap();
    assert_eq!(galopin.left(), galopin_left - 12, "{galopin:?}");
}

#[test]
fn a_cow_inseminated_days_ago_needs_a_reason_and_acts_are_corrected_not_erased() {
    let dir = tempfile::tempdir().unwrap();
    let (visit, farm) = cattle_visit_today();
    let mut h = demo_harness(dir.path());
    tap(&mut h, &farm.name);
    let bull = visit_view(&h).bulls[0].clone();
    let bull_label = format!("{} (", bull.straw.bull_name);
    tap_containing(&mut h, &bull_label);
    type_digits(&mut h, "5312345678");
    tap(&mut h, "Enregistrer l'IA");
    assert_eq!(visit_view(&h).acts.len(), 1);

    // The same cow again: likely a wrong number, so a reason is asked and nothing recorded.
    type_digits(&mut h, "5312345678");
    tap(&mut h, "Enregistrer l'IA");
    h.get_by_label(
        "FR 53 1234 5678 a déjà été inséminée le 24/11/2026 : vérifiez le numéro, ou donnez la raison de cette nouvelle IA",
    );
    assert_eq!(visit_view(&h).acts.len(), 1);
    tap(&mut h, "Enregistrer l'IA avec cette raison");
    h.get_by_label("Donnez une raison");
    assert_eq!(visit_view(&h).acts.len(), 1);
    type_into(&mut h, "Raison de cette nouvelle IA", "Double IA demandée");
    tap(&mut h, "Enregistrer l'IA avec cette raison");
    assert_eq!(visit_view(&h).acts.len(), 2);

    // Withdraw the first act: a reason is needed, and its dose goes back to the tank.
    let left = visit_view(&h)
        .bulls
        .iter()
        .find(|b| b.straw.bull == bull.straw.bull)
        .unwrap()
        .left;
    tap(&mut h, "Corriger l'acte 1");
    tap(&mut h, "Retirer l'acte");
    h.get_by_label("Donnez une raison");
    type_into(&mut h, "Raison de la correction", "Saisie en double");
    tap(&mut h, "Retirer l'acte");
    let v = visit_view(&h);
    assert_eq!(v.acts.len(), 1);
    assert_eq!(v.corrected.len(), 1);
    assert_eq!(
        v.bulls
            .iter()
            .find(|b| b.straw.bull == bull.straw.bull)
            .unwrap()
            .left,
        left + 1
    );
    h.get_by_label_contains("Corrigé : IA · FR 53 1234 5678");

    // Replace the remaining one: a wrong number.
    tap(&mut h, "Corriger l'acte 1");
    type_into(&mut h, "Raison de la correction", "Mauvais numéro");
    tap(&mut h, "Remplacer par l'acte corrigé");
    h.get_by_label("Acte corrigé");
    tap(&mut h, "Tout effacer");
    type_digits(&mut h, "5387654321");
    tap(&mut h, "Enregistrer la correction");
    let v = visit_view(&h);
    assert_eq!(v.acts.len(), 1);
    assert_eq!(v.acts[0].act.animals[0].as_str(), "FR5387654321");
    assert_eq!(v.corrected.len(), 2);

    // An anomaly, with its note.
    tap(&mut h, "Contention non prête");
    type_into(&mut h, "Précisions", "Cornadis cassé");
    tap(&mut h, "Signaler l'anomalie");
    h.get_by_label("Contention non prête · Cornadis cassé");
    // "Other" needs a note.
    tap(&mut h, "Autre anomalie");
    tap(&mut h, "Signaler l'anomalie");
    h.get_by_label("Précisez ce qui s'est passé");
    drop(h);

    let store = Store::open(dir.path()).unwrap();
    let history = store.act_history(&visit).unwrap();
    // Two acts recorded, one withdrawn, one replaced by a third: all kept.
    assert_eq!(history.len(), 3);
    let current = store.acts_of(&visit).unwrap();
    assert_eq!(current.len(), 1);
    assert_eq!(current[0].animals[0].as_str(), "FR5387654321");
    let with_reason = history
        .iter()
        .find(|a| a.act.note.as_deref() == Some("Double IA demandée"))
        .expect("the reason is kept in the act's note");
    assert!(with_reason.superseded.is_some());
    assert_eq!(
        store.anomalies(&visit).unwrap(),
        vec![(
            tournee::domain::AnomalyKind::RestraintNotReady,
            "Cornadis cassé".to_owned()
        )]
    );
}

#[test]
fn straws_are_received_by_their_code_counted_with_a_reason_and_an_incomplete_straw_records_nothing()
{
    let dir = tempfile::tempdir().unwrap();
    let (visit, farm) = cattle_visit_today();
    let mut h = demo_harness(dir.path());
    tap(&mut h, "Cuve");
    tap(&mut h, "Recevoir des paillettes");
    type_into(
        &mut h,
        "Code imprimé sur la paillette",
        "FR4412345678 66 FR35001 L5678",
    );
    h.get_by_label("Code lu : vérifiez les champs ci-dessous");
    tap(&mut h, "Enregistrer la réception");
    h.get_by_label("Tapez le nom du taureau");
    h.get_by_label("Tapez un nombre");
    type_into(&mut h, "Nom du taureau", "Jupiter");
    type_digits(&mut h, "10");
    tap(&mut h, "Enregistrer la réception");
    let tank = |h: &egui_kittest::Harness<'static, tournee::app::TourneeApp>, name: &str| {
        h.state()
            .state
            .pages
            .tank
            .view
            .as_ref()
            .unwrap()
            .lines
            .iter()
            .find(|l| l.straw.as_ref().is_some_and(|s| s.bull_name == name))
            .cloned()
    };
    let jupiter = tank(&h, "Jupiter").expect("Jupiter in the tank");
    assert_eq!((jupiter.received, jupiter.left), (10, 10));
    assert_eq!(jupiter.bull.as_str(), "FR4412345678");
    let straw = jupiter.straw.clone().unwrap();
    assert_eq!(
        (
            straw.breed.as_str(),
            straw.centre.as_deref(),
            straw.batch.as_deref()
        ),
        ("66", Some("FR35001"), Some("L5678"))
    );

    // Counted by hand: 4 left, two broken. Without a reason, nothing.
    tap(&mut h, "Jupiter");
    h.get_by_label("La cuve devrait contenir 10 doses.");
    type_digits(&mut h, "10");
    tap(&mut h, "Enregistrer le comptage");
    h.get_by_label("Le compte est déjà juste : rien à corriger");
    tap(&mut h, "Tout effacer");
    type_digits(&mut h, "4");
    tap(&mut h, "Enregistrer le comptage");
    h.get_by_label("Donnez une raison");
    type_into(&mut h, "Raison de l'écart", "Paillettes cassées");
    tap(&mut h, "Enregistrer le comptage");
    let jupiter = tank(&h, "Jupiter").unwrap();
    assert_eq!((jupiter.corrected, jupiter.left), (-6, 4));
    // 4 doses is low stock (5 or fewer).
    assert!(jupiter.left <= tournee::app::model::LOW_STOCK);

    // A straw whose code gives no collection centre or batch: an insemination with it would
    // make an incomplete record, so it is refused with the missing field, and nothing recorded.
    tap(&mut h, "Recevoir des paillettes");
    type_into(&mut h, "Code imprimé sur la paillette", "FR4412345679 66");
    type_into(&mut h, "Nom du taureau", "Incomplet");
    type_digits(&mut h, "5");
    tap(&mut h, "Enregistrer la réception");
    assert!(tank(&h, "Incomplet").is_some());
    tap(&mut h, "Aujourd'hui");
    tap(&mut h, &farm.name);
    // A bull never used yet is behind "other bulls".
    tap_containing(&mut h, "Autres taureaux de la cuve");
    tap_containing(&mut h, "Incomplet (66)");
    type_digits(&mut h, "5312345678");
    tap(&mut h, "Enregistrer l'IA");
    h.get_by_label(
        "Le centre de collecte manque sur la paillette de ce taureau : complétez-le dans la cuve",
    );
    assert!(visit_view(&h).acts.is_empty());
    assert!(shows(&h, "Non enregistré : voir le message"));
    drop(h);

    let store = Store::open(dir.path()).unwrap();
    assert!(store.acts_of(&visit).unwrap().is_empty());
}

#[test]
fn a_call_is_added_started_finished_and_left_awaiting_the_farmer() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = demo_harness(dir.path());
    let page = &h.state().state.pages.today;
    let before = page.view.as_ref().unwrap().visits.len();
    let (_, farm) = cattle_visit_today();
    tap(&mut h, "Nouvel appel");
    tap(&mut h, "Ajouter à la tournée");
    h.get_by_label("Choisissez un élevage");
    // Found by its EDE number.
    type_into(
        &mut h,
        "Élevage (nom, commune ou numéro EDE)",
        farm.ede.as_str(),
    );
    tap(&mut h, &farm.name);
    tap(&mut h, "Ajouter à la tournée");
    h.get_by_label("Indiquez au moins un acte demandé");
    tap(&mut h, "+ IA");
    tap(&mut h, "+ IA");
    tap(&mut h, "+ Constat écho");
    tap(&mut h, "Urgente (animal en chaleur)");
    tap(&mut h, "Ajouter à la tournée");
    let today_view = h.state().state.pages.today.view.clone().unwrap();
    assert_eq!(today_view.visits.len(), before + 1);
    // The call comes last in the round (no planned order yet).
    let call = today_view.visits.last().unwrap().clone();
    assert_eq!(call.farm, farm.ede);
    assert_eq!(call.urgency, tournee::domain::Urgency::Urgent);
    assert_eq!(call.status, VisitStatus::ToDo);

    tap_last(&mut h, &farm.name);
    h.get_by_label("Demandé : 2 IA, 1 constat écho");
    tap(&mut h, "Arrivée à l'élevage");
    h.get_by_label("En cours");
    tap(&mut h, "Terminer la visite");
    tap(&mut h, "Éleveur absent, consignes laissées");
    let row = h
        .state()
        .state
        .pages
        .today
        .view
        .as_ref()
        .unwrap()
        .visits
        .iter()
        .find(|r| r.id == call.id)
        .cloned()
        .unwrap();
    assert_eq!(row.status, VisitStatus::AwaitingConfirmation);
    drop(h);

    let store = Store::open(dir.path()).unwrap();
    let v = store.visit(&call.id).unwrap().unwrap();
    assert_eq!(v.day, today());
    assert!(v.arrived.unwrap() <= v.left.unwrap());
    assert!(matches!(
        store.confirmation(&call.id).unwrap(),
        Some(Confirmation::InstructionsLeft { .. })
    ));
}

/// A duration as the French screens write it.
fn i18n_duration(seconds: u64) -> String {
    tournee::app::i18n::I18n::new(tournee::app::kit::UiPrefs::default().lang).duration(seconds)
}

#[test]
fn my_time_shows_the_flat_rate_of_today_and_of_the_week() {
    let dir = tempfile::tempdir().unwrap();
    let (_, farm) = cattle_visit_today();
    let mut h = demo_harness(dir.path());
    inseminate(&mut h, &farm.name, "5312345678");
    tap(&mut h, "Mon temps");
    let view = h.state().state.pages.my_time.view.clone().unwrap();
    assert_eq!(view.error, None);
    // Today, Tuesday 24 November 2026: the one insemination, 420 s by the demo agreement.
    let today_time = view.today().unwrap();
    assert_eq!(today_time.day, today());
    assert_eq!((today_time.acts, today_time.forfait_seconds), (1, 420));
    // The week runs from Monday 23 November: the demo's Monday plus today.
    assert_eq!(view.days.len(), 2);
    assert_eq!(
        view.week_forfait_seconds,
        view.days[0].forfait_seconds + 420
    );
    assert!(view.days[0].forfait_seconds > 0);
    h.get_by_label("Forfait : 7 min");
    h.get_by_label("1 acte");
    // The day opens to the acts behind it: the visit and its insemination at 7 min.
    h.get_by_label(&format!("{} · 7 min", farm.name));
    h.get_by_label("1 IA · 7 min");
    // The week: each day a button that opens its details; the chart against the limits.
    tap(&mut h, "Semaine");
    let monday_total = i18n_duration(view.days[0].total_seconds);
    tap(&mut h, &format!("Lundi 23 novembre · {monday_total}"));
    h.get_by_label(&format!(
        "Forfait : {}",
        i18n_duration(view.days[0].forfait_seconds)
    ));
    h.get_by_label("Heures par semaine et limites");
    // The year: worked time against the annual ceiling of 1,607 h.
    tap(&mut h, "Année");
    h.get_by_label_contains("sur 1\u{202f}607 h");
    // Nobody reviewed the week yet, and the technician is told.
    h.get_by_label("Semaine pas encore validée par le superviseur");
    drop(h);

    // The same figures as the work-time report computes from the store.
    let store = Store::open(dir.path()).unwrap();
    let (grid, settings) =
        tournee::worktime::company_rules(store.company().unwrap().as_ref()).unwrap();
    let monday = chrono::NaiveDate::from_ymd_opt(2026, 11, 23).unwrap();
    let report = tournee::worktime::report_from_store(
        &store,
        &technician(),
        monday,
        today(),
        &settings,
        &grid,
    )
    .unwrap();
    let week: u64 = report.days.iter().map(|d| d.forfait_seconds).sum();
    assert_eq!(week, view.week_forfait_seconds);
}

#[test]
fn settings_and_identity_are_kept_and_a_fresh_tablet_starts_without_demo() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = store_harness(dir.path());
    tap(&mut h, "Commencer sans données");
    assert_eq!(h.state().state.screen, Screen::Settings);
    tap(&mut h, "Enregistrer mon identité");
    h.get_by_label("Identifiant : lettres, chiffres, - _ ou . (64 au plus)");
    h.get_by_label("Tapez votre nom");
    type_into(&mut h, "Identifiant (matricule)", "T07");
    type_into(&mut h, "Nom", "Paul Lemaire");
    type_into(&mut h, "Numéro de licence d'inséminateur", "53-0777");
    type_into(&mut h, "Domicile : latitude", "48,07");
    type_into(&mut h, "Domicile : longitude", "-0,77");
    tap(&mut h, "Enregistrer mon identité");
    h.get_by_label("Identité enregistrée");
    tap(&mut h, "English");
    tap(&mut h, "High contrast (sunlight)");
    settle(&mut h);
    tap(&mut h, "Today");
    h.get_by_label("Paul Lemaire");
    drop(h);

    let h = store_harness(dir.path());
    let prefs = h.state().state.prefs;
    assert_eq!(prefs.lang, tournee::app::i18n::Lang::En);
    assert_eq!(prefs.contrast, tournee::app::kit::Contrast::High);
    h.get_by_label("My round");
    h.get_by_label("Paul Lemaire");
    drop(h);

    let store = Store::open(dir.path()).unwrap();
    let t = store
        .technician(&TechnicianId::parse("t", "T07").unwrap())
        .unwrap()
        .unwrap();
    assert_eq!(t.licence.as_deref(), Some("53-0777"));
    let home = t.home.unwrap();
    assert_eq!((home.lat, home.lon), (48.07, -0.77));
}

/// What the screens cannot offer (a bull not in the tank, a lot larger than the doses left)
/// is still checked by the backend, which refuses it with the field and records nothing.
#[test]
fn the_backend_refuses_a_bull_not_in_the_tank_and_too_many_doses() {
    use tournee::app::backend::{BackendConfig, Job, WorkerHandle, WorkerReply};
    use tournee::app::model::{Command, Outcome, Refusal, Ticket};
    use tournee::domain::{Act, ActId, AnimalId, BullId, InseminationRank, Straw};

    let dir = tempfile::tempdir().unwrap();
    let mut backend = WorkerHandle::start(BackendConfig {
        dir: dir.path().to_path_buf(),
        prefs: Default::default(),
        today: Some(today()),
    });
    let run = |backend: &mut WorkerHandle, n: u64, command: Command| -> Option<Outcome> {
        assert!(backend.send(Ticket(n), Job::Do(Box::new(command))));
        loop {
            match backend.recv_timeout(std::time::Duration::from_secs(30)) {
                Some(WorkerReply::Done(Ticket(t), outcome)) if t == n => return outcome,
                Some(_) => {}
                None => panic!("no answer from the backend"),
            }
        }
    };
    assert_eq!(
        run(&mut backend, 1, Command::LoadDemo),
        Some(Outcome::Saved {
            forfait_seconds: None
        })
    );
    let (visit, _) = cattle_visit_today();
    let straw = Straw {
        bull: BullId::parse("bull", "FR9999999999").unwrap(),
        bull_name: "Inconnu".into(),
        breed: "66".into(),
        centre: Some("FR35001".into()),
        batch: Some("L1".into()),
    };
    let act = Act {
        id: ActId::nth_of(&visit, 0),
        visit: visit.clone(),
        kind: ActKind::IaBovine,
        count: 1,
        animals: vec![AnimalId::parse("animal", "FR5312345678").unwrap()],
        bull: Some(straw.bull.clone()),
        straw: Some(straw),
        rank: Some(InseminationRank::First),
        result: None,
        at: None,
        note: None,
    };
    let outcome = run(
        &mut backend,
        2,
        Command::RecordAct {
            act: act.clone(),
            reason: None,
        },
    );
    let Some(Outcome::Refused(refusal)) = outcome else {
        panic!("{outcome:?}");
    };
    assert_eq!(refusal.field(), Some("act.bull"));
    let i18n = tournee::app::i18n::I18n::default();
    assert_eq!(
        tournee::app::screens::refusal_text(&i18n, &refusal),
        "Ce taureau n'est pas dans la cuve"
    );

    // A goat lot larger than the doses of Hercule left in the tank.
    let records = tournee::demo::week(today());
    let goats = records
        .visits
        .iter()
        .find(|v| {
            v.visit.day < today()
                && records
                    .farms
                    .iter()
                    .any(|f| f.ede == v.visit.farm && f.species == [Species::Caprine])
        })
        .unwrap();
    let hercule = tournee::demo::tank()
        .into_iter()
        .find_map(|p| match p {
            tournee::domain::Payload::DosesReceived { straw, .. }
                if straw.bull_name == "Hercule" =>
            {
                Some(straw)
            }
            _ => None,
        })
        .unwrap();
    let lot = Act {
        visit: goats.visit.id.clone(),
        kind: ActKind::IaCaprineFrozen,
        count: 5000,
        animals: Vec::new(),
        bull: Some(hercule.bull.clone()),
        straw: Some(hercule),
        rank: None,
        ..act
    };
    let outcome = run(
        &mut backend,
        3,
        Command::RecordAct {
            act: lot,
            reason: None,
        },
    );
    assert!(
        matches!(&outcome, Some(Outcome::Refused(Refusal::Invalid(e))) if e.field == "act.count"),
        "{outcome:?}"
    );
    drop(backend);

    let store = Store::open(dir.path()).unwrap();
    assert!(store.acts_of(&visit).unwrap().is_empty());
    assert_eq!(
        store.acts_of(&goats.visit.id).unwrap().len(),
        goats.acts.len()
    );
}

#[test]
fn a_damaged_store_opens_on_its_damage_screen_and_recover_goes_on_with_what_is_intact() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("store");
    {
        let store = Store::open(&path).unwrap();
        tournee::demo::load(&store, today()).unwrap();
    }
    // One byte of the data file goes bad, inside the last block written.
    let db_path = path.join("db");
    let mut db = std::fs::read(&db_path).unwrap();
    let last_block = db
        .windows(4)
        .rposition(|w| w == b"TrnB")
        .expect("a block in the data file");
    db[last_block + 120] ^= 0x10;
    std::fs::write(&db_path, &db).unwrap();

    let mut h = store_harness(&path);
    assert!(shows(&h, "Les données de cette tablette sont endommagées"));
    assert!(shows_containing(&h, "Rien n'a été modifié"));
    // Nothing was changed by opening: the damaged byte is still there.
    assert_eq!(std::fs::read(&db_path).unwrap(), db);
    tap(&mut h, "Récupérer ce qui est intact");
    assert!(!shows(&h, "Les données de cette tablette sont endommagées"));
    drop(h);
    // The damaged folder is set aside as it was, and the store in its place opens.
    let aside: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().contains(".damaged-"))
        .collect();
    assert_eq!(aside.len(), 1);
    assert_eq!(std::fs::read(aside[0].path().join("db")).unwrap(), db);
    let store = Store::open(&path).unwrap();
    assert!(tournee::log::check(&store).unwrap().is_intact());
    assert!(!store.technicians().unwrap().is_empty());
}
