//! Each recording rule on a real store: what it records, and that a refusal names the field
//! and value and writes nothing (the device's head does not move).

use chrono::DateTime;

use super::*;
use crate::declare::tests::{company, date, farm, straw, technician, visit};
use crate::domain::{
    Act, ActKind, BullId, Confirmation, Ede, Instant, Payload, Request, ReviewDecision, Straw,
    SupervisorId, Technician, TechnicianId, Urgency, Week,
};

/// 10:00 in Paris on the 20th of November 2026 (and `days` later).
fn at(days: i64) -> Instant {
    DateTime::parse_from_rfc3339("2026-11-20T10:00:00+01:00").unwrap()
        + chrono::Duration::days(days)
}

fn tech(id: &str) -> TechnicianId {
    TechnicianId::parse("t", id).unwrap()
}

fn vid(id: &str) -> VisitId {
    VisitId::parse("v", id).unwrap()
}

fn ede() -> Ede {
    farm().ede
}

fn bull() -> BullId {
    straw().bull
}

/// An insemination of `cow` at `visit` (its id and time are the recorder's).
fn insemination(visit: &str, cow: &str) -> Act {
    crate::declare::tests::insemination("new", visit, cow)
}

/// T01 records an insemination of `cow` at `visit`, at `when`.
fn inseminate(store: &Store, visit: &str, cow: &str, when: Instant) -> Result<Act, RecordError> {
    record_act(store, &tech("T01"), insemination(visit, cow), None, when)
}

/// A store with the company, T01 (licensed) and T02, the farm, visits V1 (20th) and V2
/// (22nd) of T01 and V3 (20th) of T02, and `doses` straws of Ulysse in T01's tank.
fn store_with(dir: &std::path::Path, doses: u32) -> Store {
    let store = Store::open(dir).unwrap();
    store
        .append(vec![
            Payload::CompanyRecorded(company()),
            Payload::TechnicianRecorded(technician()),
            Payload::TechnicianRecorded(Technician {
                id: tech("T02"),
                name: "Marc Guérin".into(),
                ..technician()
            }),
            Payload::FarmRecorded(farm()),
            Payload::VisitRecorded(visit("V1", date(2026, 11, 20))),
            Payload::VisitRecorded(visit("V2", date(2026, 11, 22))),
            Payload::VisitRecorded(Visit {
                technician: tech("T02"),
                ..visit("V3", date(2026, 11, 20))
            }),
            Payload::DosesReceived {
                technician: tech("T01"),
                straw: straw(),
                count: doses,
            },
        ])
        .unwrap();
    store
}

fn head(store: &Store) -> Option<(u64, crate::log::Hash)> {
    store.head(store.device()).unwrap()
}

/// The refusal's field and value, after checking that nothing was written.
fn refused<T: std::fmt::Debug>(
    store: &Store,
    before: Option<(u64, crate::log::Hash)>,
    r: Result<T, RecordError>,
) -> (String, String) {
    assert_eq!(head(store), before, "a refusal wrote something");
    match r {
        Err(RecordError::Invalid(e)) => (e.field, e.value),
        other => panic!("expected a refused value, got {other:?}"),
    }
}

fn left(store: &Store) -> i64 {
    store.stock(&tech("T01")).unwrap()[0].left()
}

#[test]
fn the_first_act_is_the_arrival_and_a_later_one_keeps_it() {
    let dir = tempfile::tempdir().unwrap();
    let store = store_with(dir.path(), 5);
    let first = inseminate(&store, "V1", "FR5312345678", at(0)).unwrap();
    assert_eq!(first.id.as_str(), "V1.1");
    assert_eq!(first.at, Some(at(0)));
    assert_eq!(
        store.visit(&vid("V1")).unwrap().unwrap().arrived,
        Some(at(0))
    );

    let later = at(0) + chrono::Duration::minutes(20);
    let second = inseminate(&store, "V1", "FR5312345679", later).unwrap();
    assert_eq!(second.id.as_str(), "V1.2");
    assert_eq!(
        store.visit(&vid("V1")).unwrap().unwrap().arrived,
        Some(at(0))
    );
    assert_eq!(left(&store), 3);
}

#[test]
fn an_act_needs_the_doses_in_the_tank_and_a_refused_one_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let store = store_with(dir.path(), 1);
    let before = head(&store);

    // Two straws of a sire the tank holds one of.
    let two = Act {
        count: 2,
        ..insemination("V1", "FR5312345678")
    };
    let (field, value) = refused(
        &store,
        before,
        record_act(&store, &tech("T01"), two, None, at(0)),
    );
    assert_eq!((field.as_str(), value.as_str()), ("act.count", "2"));

    // A sire the tank does not hold.
    let other = BullId::parse("b", "FR5618321744").unwrap();
    let foreign = Act {
        bull: Some(other.clone()),
        straw: Some(Straw {
            bull: other,
            ..straw()
        }),
        ..insemination("V1", "FR5312345678")
    };
    let (field, value) = refused(
        &store,
        before,
        record_act(&store, &tech("T01"), foreign, None, at(0)),
    );
    assert_eq!(
        (field.as_str(), value.as_str()),
        ("act.bull", "FR5618321744")
    );
    // Nor is the visit marked arrived by an act refused.
    assert_eq!(store.visit(&vid("V1")).unwrap().unwrap().arrived, None);

    // The last straw used, the tank is empty for the next cow.
    inseminate(&store, "V1", "FR5312345678", at(0)).unwrap();
    assert_eq!(left(&store), 0);
    let before = head(&store);
    let (field, _) = refused(
        &store,
        before,
        inseminate(&store, "V1", "FR5312345679", at(0)),
    );
    assert_eq!(field, "act.bull");
}

#[test]
fn a_correction_gives_the_replaced_doses_back_before_counting() {
    let dir = tempfile::tempdir().unwrap();
    let store = store_with(dir.path(), 1);
    let act = inseminate(&store, "V1", "FR5312345678", at(0)).unwrap();
    assert_eq!(left(&store), 0);
    // The cow's number was wrong: the same straw, another cow; the tank is empty but the
    // replaced act's straw comes back in the same event.
    let replacement = correct_act(
        &store,
        &tech("T01"),
        &act.id,
        Some(insemination("V1", "FR5312345670")),
        "  mauvais numéro  ",
        at(0) + chrono::Duration::hours(1),
    )
    .unwrap()
    .unwrap();
    assert_eq!(replacement.id.as_str(), "V1.2");
    assert_eq!(
        replacement.at,
        Some(at(0)),
        "a correction changes what, not when"
    );
    assert_eq!(left(&store), 0);
    let old = store.act(&act.id).unwrap().unwrap();
    assert!(old.superseded.is_some());

    // Corrected once, the old act cannot be corrected again; a reason is required.
    let before = head(&store);
    let (field, value) = refused(
        &store,
        before,
        correct_act(&store, &tech("T01"), &act.id, None, "encore", at(0)),
    );
    assert_eq!((field.as_str(), value.as_str()), ("act", "V1.1"));
    let (field, _) = refused(
        &store,
        before,
        correct_act(&store, &tech("T01"), &replacement.id, None, "   ", at(0)),
    );
    assert_eq!(field, "reason");
}

#[test]
fn an_insemination_whose_record_lacks_a_field_is_refused_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let store = store_with(dir.path(), 5);
    store
        .append(vec![Payload::TechnicianRecorded(Technician {
            licence: None,
            ..technician()
        })])
        .unwrap();
    let before = head(&store);
    let (field, value) = refused(
        &store,
        before,
        inseminate(&store, "V1", "FR5312345678", at(0)),
    );
    assert_eq!(
        (field.as_str(), value.as_str()),
        ("technician.licence", "absent")
    );
    assert_eq!(left(&store), 5);
}

#[test]
fn a_cow_inseminated_two_days_ago_needs_a_reason_three_days_is_a_repeat() {
    let dir = tempfile::tempdir().unwrap();
    let store = store_with(dir.path(), 5);
    let t = tech("T01");
    inseminate(&store, "V1", "FR5312345678", at(0)).unwrap();

    // Same cow two days later (visit V2 is on the 22nd).
    let before = head(&store);
    let again = insemination("V2", "FR5312345678");
    match record_act(&store, &t, again.clone(), None, at(2)) {
        Err(RecordError::RecentlyInseminated { field, animal, on }) => {
            assert_eq!(field, "act.animals[0]");
            assert_eq!(animal.as_str(), "FR5312345678");
            assert_eq!(on, date(2026, 11, 20));
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(head(&store), before);
    assert_eq!(
        check_insemination(&store, &t, &again, date(2026, 11, 23), None).ok(),
        Some(())
    );

    // With a reason it is recorded, the reason kept in the act's note.
    let act = record_act(
        &store,
        &t,
        again,
        Some(" seconde dose, même chaleur "),
        at(2),
    )
    .unwrap();
    assert_eq!(act.note.as_deref(), Some("seconde dose, même chaleur"));
    assert_eq!(left(&store), 3);
}

#[test]
fn a_straw_of_another_breed_than_the_tanks_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let store = store_with(dir.path(), 5);
    let wrong_breed = Act {
        straw: Some(Straw {
            breed: "46".into(),
            ..straw()
        }),
        ..insemination("V1", "FR5312345670")
    };
    let before = head(&store);
    let (field, value) = refused(
        &store,
        before,
        record_act(&store, &tech("T01"), wrong_breed, None, at(0)),
    );
    assert_eq!((field.as_str(), value.as_str()), ("act.straw.breed", "46"));
}

#[test]
fn a_round_is_ordered_with_the_days_visits_each_once() {
    let dir = tempfile::tempdir().unwrap();
    let store = store_with(dir.path(), 5);
    store
        .append(vec![Payload::VisitRecorded(visit(
            "V4",
            date(2026, 11, 20),
        ))])
        .unwrap();
    let t = tech("T01");
    let before = head(&store);
    // V2 is the 22nd's, V3 T02's.
    for other in ["V2", "V3"] {
        let (field, value) = refused(
            &store,
            before,
            order_round(&store, &t, vec![vid("V1"), vid(other)], at(0)),
        );
        assert_eq!((field.as_str(), value.as_str()), ("order", other));
    }
    let (field, value) = refused(
        &store,
        before,
        order_round(&store, &t, vec![vid("V4"), vid("V1"), vid("V4")], at(0)),
    );
    assert_eq!((field.as_str(), value.as_str()), ("order", "V4"));

    order_round(&store, &t, vec![vid("V4"), vid("V1")], at(0)).unwrap();
    assert_eq!(
        store.round_order(&t, date(2026, 11, 20)).unwrap(),
        Some(vec![vid("V4"), vid("V1")])
    );
}

#[test]
fn only_a_visit_not_started_is_called_off_and_only_once() {
    let dir = tempfile::tempdir().unwrap();
    let store = store_with(dir.path(), 5);
    start_visit(&store, &vid("V1"), at(0)).unwrap();
    record_act(
        &store,
        &tech("T02"),
        Act {
            kind: ActKind::GestationPalpation,
            bull: None,
            straw: None,
            rank: None,
            ..insemination("V3", "FR5312345678")
        },
        None,
        at(0),
    )
    .unwrap();
    let before = head(&store);
    for started in ["V1", "V3"] {
        let (field, value) = refused(
            &store,
            before,
            cancel_visit(&store, &vid(started), "l'éleveur a appelé"),
        );
        assert_eq!((field.as_str(), value.as_str()), ("visit", started));
    }
    let (field, _) = refused(&store, before, cancel_visit(&store, &vid("V2"), " "));
    assert_eq!(field, "reason");
    let (field, value) = refused(
        &store,
        before,
        cancel_visit(&store, &vid("V9"), "l'éleveur a appelé"),
    );
    assert_eq!((field.as_str(), value.as_str()), ("visit", "V9"));

    cancel_visit(&store, &vid("V2"), " vêlage difficile ").unwrap();
    assert_eq!(
        store.cancellation(&vid("V2")).unwrap().as_deref(),
        Some("vêlage difficile")
    );
    let before = head(&store);
    let (_, value) = refused(&store, before, cancel_visit(&store, &vid("V2"), "encore"));
    assert_eq!(value, "V2");
}

#[test]
fn a_dispute_is_answered_only_when_the_farmer_disputes() {
    let dir = tempfile::tempdir().unwrap();
    let store = store_with(dir.path(), 5);
    let before = head(&store);
    let (field, _) = refused(&store, before, answer_dispute(&store, vid("V1"), "vu"));
    assert_eq!(field, "visit");
    confirm_visit(
        &store,
        &vid("V1"),
        Confirmation::Disputed {
            at: at(-3),
            comment: "deux vaches, pas trois".into(),
        },
        at(0),
    )
    .unwrap();
    // Dated by the recorder, and the visit left.
    assert_eq!(
        store.confirmation(&vid("V1")).unwrap(),
        Some(Confirmation::Disputed {
            at: at(0),
            comment: "deux vaches, pas trois".into()
        })
    );
    assert_eq!(store.visit(&vid("V1")).unwrap().unwrap().left, Some(at(0)));
    answer_dispute(&store, vid("V1"), "recompté avec l'éleveur").unwrap();
}

#[test]
fn a_count_must_differ_from_the_tanks() {
    let dir = tempfile::tempdir().unwrap();
    let store = store_with(dir.path(), 5);
    let before = head(&store);
    let (field, value) = refused(
        &store,
        before,
        count_stock(&store, &tech("T01"), &bull(), 5, "comptage"),
    );
    assert_eq!((field.as_str(), value.as_str()), ("counted", "5"));
    count_stock(&store, &tech("T01"), &bull(), 4, "paillette cassée").unwrap();
    assert_eq!(left(&store), 4);
}

#[test]
fn a_call_needs_a_known_farm_and_an_act_asked_for() {
    let dir = tempfile::tempdir().unwrap();
    let store = store_with(dir.path(), 5);
    let before = head(&store);
    let asked = vec![Request {
        kind: ActKind::IaBovine,
        count: 1,
    }];
    let unknown = Ede::parse("ede", "53161999").unwrap();
    let (field, value) = refused(
        &store,
        before,
        new_visit(
            &store,
            &tech("T01"),
            unknown,
            asked.clone(),
            Urgency::Normal,
            at(0),
        ),
    );
    assert_eq!((field.as_str(), value.as_str()), ("farm", "53161999"));
    let (field, _) = refused(
        &store,
        before,
        new_visit(&store, &tech("T01"), ede(), vec![], Urgency::Normal, at(0)),
    );
    assert_eq!(field, "requested");

    let id = new_visit(&store, &tech("T01"), ede(), asked, Urgency::Normal, at(0)).unwrap();
    let v = store.visit(&id).unwrap().unwrap();
    // Numbered after the day's two visits of T01 (V1 and this one).
    assert!(id.as_str().starts_with("V20261120-02-"), "{id}");
    assert_eq!((v.day, v.technician), (date(2026, 11, 20), tech("T01")));
}

#[test]
fn a_supervisor_reviews_and_moves_only_the_teams_records() {
    let dir = tempfile::tempdir().unwrap();
    let store = store_with(dir.path(), 5);
    let s = SupervisorId::parse("s", "S01").unwrap();
    let team = [tech("T01"), tech("T02")];
    let week = Week {
        year: 2026,
        week: 47,
    };
    let before = head(&store);
    let (field, value) = refused(
        &store,
        before,
        review_week(
            &store,
            &s,
            &team[..1],
            &tech("T02"),
            week,
            ReviewDecision::Approved,
        ),
    );
    assert_eq!((field.as_str(), value.as_str()), ("technician", "T02"));
    let decision = review_week(
        &store,
        &s,
        &team,
        &tech("T01"),
        week,
        ReviewDecision::SentBack {
            comment: "  trop de km  ".into(),
        },
    )
    .unwrap();
    let sent_back = ReviewDecision::SentBack {
        comment: "trop de km".into(),
    };
    assert_eq!(decision, sent_back);
    assert_eq!(
        store.review(&tech("T01"), week).unwrap().unwrap().decision,
        sent_back
    );

    // All of them or none: V1 moves to T02, V3 is T02's already.
    let before = head(&store);
    let (field, value) = refused(
        &store,
        before,
        reassign(&store, &s, &team, &[vid("V1"), vid("V3")], &tech("T02")),
    );
    assert_eq!((field.as_str(), value.as_str()), ("to", "T02"));
    assert_eq!(
        store.visit(&vid("V1")).unwrap().unwrap().technician,
        tech("T01")
    );
    reassign(&store, &s, &team, &[vid("V1")], &tech("T02")).unwrap();
    assert_eq!(
        store.visit(&vid("V1")).unwrap().unwrap().technician,
        tech("T02")
    );
}
