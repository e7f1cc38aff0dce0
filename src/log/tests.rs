//! Tests of the log against a real sled store in a temporary folder.

use chrono::NaiveDate;

use super::*;
use crate::domain::{
    Act, ActId, ActKind, AnimalId, BullId, Confirmation, Ede, Farm, InseminationRank, Location,
    Payload, Species, Straw, SupervisorId, Technician, TechnicianId, Urgency, Visit, VisitId,
};

fn day() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 24).unwrap()
}

fn tech(id: &str) -> Technician {
    Technician {
        id: TechnicianId::parse("t", id).unwrap(),
        name: format!("Tech {id}"),
        home: None,
        licence: None,
    }
}

fn farm() -> Farm {
    Farm {
        ede: Ede::parse("ede", "53161001").unwrap(),
        name: "GAEC du Bocage".into(),
        village: Some("Montsûrs".into()),
        location: Location {
            lat: 48.13,
            lon: -0.57,
        },
        species: vec![Species::Bovine],
        phone: None,
        note: None,
    }
}

fn visit(id: &str, technician: &str) -> Visit {
    Visit {
        id: VisitId::parse("v", id).unwrap(),
        technician: TechnicianId::parse("t", technician).unwrap(),
        farm: farm().ede,
        day: day(),
        requested: vec![],
        urgency: Urgency::Normal,
        window: None,
        arrived: None,
        left: None,
        travel_km: None,
        note: None,
    }
}

fn insemination(id: &str, visit: &str, cow: &str) -> Act {
    Act {
        id: ActId::parse("a", id).unwrap(),
        visit: VisitId::parse("v", visit).unwrap(),
        kind: ActKind::IaBovine,
        count: 1,
        animals: vec![AnimalId::parse("a", cow).unwrap()],
        bull: Some(bull()),
        straw: None,
        rank: Some(InseminationRank::First),
        result: None,
        at: None,
        note: None,
    }
}

fn bull() -> BullId {
    BullId::parse("b", "FR2934119912").unwrap()
}

fn straws(technician: &str, count: u32) -> Payload {
    Payload::DosesReceived {
        technician: TechnicianId::parse("t", technician).unwrap(),
        straw: Straw {
            bull: bull(),
            bull_name: "Ulysse".into(),
            breed: "66".into(),
            centre: None,
            batch: None,
        },
        count,
    }
}

fn setup(store: &Store) {
    store
        .append(vec![
            Payload::TechnicianRecorded(tech("T01")),
            Payload::TechnicianRecorded(tech("T02")),
            Payload::FarmRecorded(farm()),
            Payload::VisitRecorded(visit("V1", "T01")),
            straws("T01", 10),
        ])
        .unwrap();
}

#[test]
fn appended_acts_are_read_back_after_reopening() {
    let dir = tempfile::tempdir().unwrap();
    {
        let store = Store::open(dir.path()).unwrap();
        setup(&store);
        let ids = store
            .append(vec![Payload::ActRecorded(insemination(
                "A1",
                "V1",
                "FR5312345678",
            ))])
            .unwrap();
        assert_eq!(ids[0].seq, 6);
    }
    let store = Store::open(dir.path()).unwrap();
    let v = VisitId::parse("v", "V1").unwrap();
    let acts = store.acts_of(&v).unwrap();
    assert_eq!(acts.len(), 1);
    assert_eq!(acts[0].animals[0].as_str(), "FR5312345678");
    let t1 = TechnicianId::parse("t", "T01").unwrap();
    assert_eq!(store.visits_on(&t1, day()).unwrap()[0].id, v);
    assert_eq!(store.stock(&t1).unwrap()[0].left(), 9);
    // the sequence goes on where it stopped
    let next = store
        .append(vec![Payload::ActRecorded(insemination(
            "A2",
            "V1",
            "FR5312345679",
        ))])
        .unwrap();
    assert_eq!(next[0].seq, 7);
}

#[test]
fn an_act_on_an_unknown_visit_is_refused_and_nothing_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    setup(&store);
    let before = store.head(store.device()).unwrap();
    let err = store
        .append(vec![
            Payload::ActRecorded(insemination("A1", "V1", "FR5312345678")),
            Payload::ActRecorded(insemination("A2", "V9", "FR5312345678")),
        ])
        .unwrap_err();
    match err {
        LogError::Refused(e) => {
            assert_eq!(e.field, "act.visit");
            assert_eq!(e.value, "V9");
        }
        other => panic!("{other}"),
    }
    assert_eq!(store.head(store.device()).unwrap(), before);
    assert!(
        store
            .acts_of(&VisitId::parse("v", "V1").unwrap())
            .unwrap()
            .is_empty()
    );
    // and the next append still chains on
    store
        .append(vec![Payload::ActRecorded(insemination(
            "A1",
            "V1",
            "FR5312345678",
        ))])
        .unwrap();
}

#[test]
fn recording_the_same_act_id_twice_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    setup(&store);
    let act = Payload::ActRecorded(insemination("A1", "V1", "FR5312345678"));
    store.append(vec![act.clone()]).unwrap();
    let err = store.append(vec![act]).unwrap_err().to_string();
    assert!(err.contains("A1"), "{err}");
}

#[test]
fn a_correction_replaces_the_act_and_gives_the_dose_back_when_withdrawn() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    setup(&store);
    let t1 = TechnicianId::parse("t", "T01").unwrap();
    let v1 = VisitId::parse("v", "V1").unwrap();
    store
        .append(vec![Payload::ActRecorded(insemination(
            "A1",
            "V1",
            "FR5312345678",
        ))])
        .unwrap();
    // wrong cow: replaced by the right one; still one dose used
    store
        .append(vec![Payload::ActCorrected {
            act: ActId::parse("a", "A1").unwrap(),
            replacement: Some(insemination("A1b", "V1", "FR5312345670")),
            reason: "wrong number".into(),
        }])
        .unwrap();
    let acts = store.acts_of(&v1).unwrap();
    assert_eq!(acts.len(), 1);
    assert_eq!(acts[0].animals[0].as_str(), "FR5312345670");
    assert_eq!(store.act_history(&v1).unwrap().len(), 2);
    assert_eq!(store.stock(&t1).unwrap()[0].used, 1);
    // withdrawn: no act, the dose is back
    store
        .append(vec![Payload::ActCorrected {
            act: ActId::parse("a", "A1b").unwrap(),
            replacement: None,
            reason: "recorded by mistake".into(),
        }])
        .unwrap();
    assert!(store.acts_of(&v1).unwrap().is_empty());
    assert_eq!(store.stock(&t1).unwrap()[0].left(), 10);
    // a corrected act cannot be corrected again
    assert!(
        store
            .append(vec![Payload::ActCorrected {
                act: ActId::parse("a", "A1").unwrap(),
                replacement: None,
                reason: "again".into(),
            }])
            .is_err()
    );
}

#[test]
fn a_reassigned_visit_moves_to_the_other_technicians_day() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    setup(&store);
    let t1 = TechnicianId::parse("t", "T01").unwrap();
    let t2 = TechnicianId::parse("t", "T02").unwrap();
    let v1 = VisitId::parse("v", "V1").unwrap();
    store
        .append(vec![Payload::VisitReassigned {
            visit: v1.clone(),
            to: t2.clone(),
            supervisor: SupervisorId::parse("s", "S01").unwrap(),
            reason: Some("T01 off sick".into()),
        }])
        .unwrap();
    assert!(store.visits_on(&t1, day()).unwrap().is_empty());
    assert_eq!(store.visits_on(&t2, day()).unwrap()[0].id, v1);
    assert_eq!(store.visit(&v1).unwrap().unwrap().technician, t2);
    let history: Vec<&str> = store
        .visit_history(&v1)
        .unwrap()
        .iter()
        .map(|e| e.payload.name())
        .collect();
    assert_eq!(history, ["visit_recorded", "visit_reassigned"]);
}

#[test]
fn confirmation_latest_clock_wins() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    setup(&store);
    let v1 = VisitId::parse("v", "V1").unwrap();
    let at = chrono::DateTime::parse_from_rfc3339("2026-11-24T09:00:00+01:00").unwrap();
    store
        .append(vec![Payload::VisitConfirmed {
            visit: v1.clone(),
            confirmation: Confirmation::InstructionsLeft { at },
        }])
        .unwrap();
    store
        .append(vec![Payload::VisitConfirmed {
            visit: v1.clone(),
            confirmation: Confirmation::ConfirmedLater { at, comment: None },
        }])
        .unwrap();
    assert!(store.confirmation(&v1).unwrap().unwrap().is_confirmed());
}

/// Copies all of `from`'s events of its own device into `to`, as sync will.
fn replicate(from: &Store, to: &Store) -> usize {
    let (seq, _) = from.head(from.device()).unwrap().unwrap();
    let events = from.events_after(from.device(), 0, usize::MAX).unwrap();
    let sig = from.sign_own(seq).unwrap();
    to.merge(from.public_key(), events, sig).unwrap()
}

#[test]
fn events_merged_from_another_device_give_the_same_projections_and_merge_twice_is_harmless() {
    let a_dir = tempfile::tempdir().unwrap();
    let b_dir = tempfile::tempdir().unwrap();
    let a = Store::open(a_dir.path()).unwrap();
    let b = Store::open(b_dir.path()).unwrap();
    setup(&a);
    a.append(vec![Payload::ActRecorded(insemination(
        "A1",
        "V1",
        "FR5312345678",
    ))])
    .unwrap();
    assert_eq!(replicate(&a, &b), 6);
    assert_eq!(replicate(&a, &b), 0);
    assert_eq!(a.records().unwrap(), b.records().unwrap());
    let t1 = TechnicianId::parse("t", "T01").unwrap();
    assert_eq!(a.stock(&t1).unwrap(), b.stock(&t1).unwrap());
    // b writes on top of a's records, and a gets it back
    b.append(vec![Payload::ActRecorded(insemination(
        "B1",
        "V1",
        "FR5312345600",
    ))])
    .unwrap();
    assert_eq!(replicate(&b, &a), 1);
    assert_eq!(
        a.acts_of(&VisitId::parse("v", "V1").unwrap())
            .unwrap()
            .len(),
        2
    );
    drop(b);
    let b = Store::open(b_dir.path()).unwrap();
    assert_eq!(a.records().unwrap(), b.records().unwrap());
}

#[test]
fn merge_refuses_a_forged_signature_and_a_rewritten_chain() {
    let a_dir = tempfile::tempdir().unwrap();
    let b_dir = tempfile::tempdir().unwrap();
    let m_dir = tempfile::tempdir().unwrap();
    let a = Store::open(a_dir.path()).unwrap();
    let b = Store::open(b_dir.path()).unwrap();
    let mallory = Store::open(m_dir.path()).unwrap();
    setup(&a);
    let events = a.events_after(a.device(), 0, usize::MAX).unwrap();
    // signed by another key
    let forged = mallory
        .append(vec![Payload::TechnicianRecorded(tech("T09"))])
        .map(|_| mallory.sign_own(1).unwrap())
        .unwrap();
    assert!(matches!(
        b.merge(a.public_key(), events.clone(), forged),
        Err(LogError::Rejected { .. })
    ));
    // altered payload under the real signature
    let mut altered = events.clone();
    altered[0].payload = Payload::TechnicianRecorded(tech("T66"));
    let sig = a.sign_own(5).unwrap();
    assert!(matches!(
        b.merge(a.public_key(), altered, sig),
        Err(LogError::Rejected { .. })
    ));
    assert!(b.technicians().unwrap().is_empty());
    // a gap
    assert!(b.merge(a.public_key(), events[2..].to_vec(), sig).is_err());
    // the genuine events pass
    assert_eq!(b.merge(a.public_key(), events, sig).unwrap(), 5);
}

/// Rewrites event `seq` of `device` in the store in `dir` (closed) as someone editing the
/// file would: the block stays well-formed, only its seal can tell.
fn alter_event(dir: &std::path::Path, device: DeviceId, seq: u64, payload: Payload) {
    let db = super::open_sled(dir).unwrap(); // the store just dropped may hold its lock a moment
    let blocks = db.open_tree(super::BLOCKS).unwrap();
    let (k, v) = blocks
        .range(..=EventId { device, seq }.key())
        .next_back()
        .unwrap()
        .unwrap();
    let (mut block, _) = super::block::Block::decode(&v).unwrap();
    let i = (seq - block.first) as usize;
    let id = EventId { device, seq };
    let mut event = Event::from_body(id, &block.bodies[i]).unwrap();
    event.payload = payload;
    block.bodies[i] = event.body().unwrap();
    blocks.insert(k, block.encode().unwrap()).unwrap();
    db.flush().unwrap();
}

#[test]
fn an_altered_event_on_disk_is_reported_with_what_is_intact() {
    let dir = tempfile::tempdir().unwrap();
    let device;
    {
        let store = Store::open(dir.path()).unwrap();
        ten_events(&store);
        device = store.device();
    }
    let cow = Payload::ActRecorded(insemination("A1", "V1", "FR5399999999"));
    alter_event(dir.path(), device, 7, cow);
    match Store::open(dir.path()) {
        Err(LogError::Damaged(report)) => {
            let chain = &report.chains[0];
            assert_eq!(chain.events, 6);
            assert_eq!(chain.last, 6);
            assert_eq!(chain.after_damage, 4);
            let text = report.to_string();
            assert!(text.contains("6 events verified"), "{text}");
            assert!(text.contains("4 events after it kept"), "{text}");
            assert!(text.contains("event 7"), "{text}");
        }
        Err(other) => panic!("{other}"),
        Ok(_) => panic!("a damaged store opened"),
    }
}

#[test]
fn rebuilding_projections_gives_the_same_answers() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    setup(&store);
    store
        .append(vec![Payload::ActRecorded(insemination(
            "A1",
            "V1",
            "FR5312345678",
        ))])
        .unwrap();
    let before = store.records().unwrap();
    let t1 = TechnicianId::parse("t", "T01").unwrap();
    let stock = store.stock(&t1).unwrap();
    store.rebuild_projections().unwrap();
    assert_eq!(store.records().unwrap(), before);
    assert_eq!(store.stock(&t1).unwrap(), stock);
}

/// A server's witness over `from`'s event `seq`, as `sync` gets it from the server.
fn witness(server: &SigningKey, from: &Store, seq: u64) -> Seal {
    let id = EventId {
        device: from.device(),
        seq,
    };
    let hash = from.hash_at(id).unwrap().unwrap();
    Seal::Witness {
        key: server.verifying_key().to_bytes(),
        signature: SignatureBytes(server.sign(&witness_message(&id, &hash)).to_bytes()),
    }
}

/// `from`'s events `first..=last` with the chain hash before them.
/// Merges a run of decoded events (encoded again: these tests alter events as values).
fn merge_events(
    to: &Store,
    key: [u8; 32],
    prev: Option<Hash>,
    events: Vec<Event>,
    seal: Seal,
) -> Result<usize, LogError> {
    let first = events.first().map_or(1, |e| e.id.seq);
    let bodies = events.iter().map(|e| e.body().unwrap()).collect();
    to.merge_run(key, prev, first, bodies, seal)
}

fn run(from: &Store, first: u64, last: u64) -> (Option<Hash>, Vec<Event>) {
    let prev = (first > 1).then(|| {
        from.hash_at(EventId {
            device: from.device(),
            seq: first - 1,
        })
        .unwrap()
        .unwrap()
    });
    let events = from
        .events_after(from.device(), first - 1, (last - first + 1) as usize)
        .unwrap();
    (prev, events)
}

/// A chain of ten events: five of `setup`, then five separate appends.
fn ten_events(store: &Store) {
    setup(store);
    for (i, cow) in [
        "FR5312345671",
        "FR5312345672",
        "FR5312345673",
        "FR5312345674",
        "FR5312345675",
    ]
    .iter()
    .enumerate()
    {
        store
            .append(vec![Payload::ActRecorded(insemination(
                &format!("A{i}"),
                "V1",
                cow,
            ))])
            .unwrap();
    }
}

#[test]
fn runs_of_a_chain_merge_in_any_order_and_the_store_reopens_intact() {
    let a_dir = tempfile::tempdir().unwrap();
    let b_dir = tempfile::tempdir().unwrap();
    let a = Store::open(a_dir.path()).unwrap();
    let b = Store::open(b_dir.path()).unwrap();
    let server = SigningKey::from_bytes(&[9; 32]);
    b.trust_witness_key(server.verifying_key().to_bytes())
        .unwrap();
    ten_events(&a);
    // 3..4 sealed by the server's witness, 8..10 by a's own signature at 10
    let (prev, events) = run(&a, 3, 4);
    assert_eq!(
        merge_events(&b, a.public_key(), prev, events, witness(&server, &a, 4)).unwrap(),
        2
    );
    let (prev, events) = run(&a, 8, 10);
    let sig = Seal::Device(SignatureBytes(a.sign_own(10).unwrap()));
    assert_eq!(
        merge_events(&b, a.public_key(), prev, events, sig).unwrap(),
        3
    );
    let stored: Vec<u64> = b
        .events_after(a.device(), 0, 100)
        .unwrap()
        .iter()
        .map(|e| e.id.seq)
        .collect();
    assert_eq!(stored, [3, 4, 8, 9, 10]);
    drop(b);
    let b = Store::open(b_dir.path()).unwrap();
    let report = check(&b).unwrap();
    let chain = report
        .chains
        .iter()
        .find(|c| c.device == a.device())
        .unwrap();
    assert_eq!(
        (chain.events, chain.last, chain.damage.clone()),
        (5, 10, None)
    );
    // the scope grows: the middle, then the start; the chain is whole again
    let (prev, events) = run(&a, 5, 7);
    assert_eq!(
        merge_events(&b, a.public_key(), prev, events, witness(&server, &a, 7)).unwrap(),
        3
    );
    let (prev, events) = run(&a, 1, 2);
    assert_eq!(prev, None);
    assert_eq!(
        merge_events(&b, a.public_key(), prev, events, witness(&server, &a, 2)).unwrap(),
        2
    );
    // merging a run again adds nothing
    let (prev, events) = run(&a, 5, 7);
    assert_eq!(
        merge_events(&b, a.public_key(), prev, events, witness(&server, &a, 7)).unwrap(),
        0
    );
    assert_eq!(b.records().unwrap(), a.records().unwrap());
    drop(b);
    let b = Store::open(b_dir.path()).unwrap();
    let report = check(&b).unwrap();
    let chain = report
        .chains
        .iter()
        .find(|c| c.device == a.device())
        .unwrap();
    assert_eq!((chain.events, chain.last), (10, 10));
}

#[test]
fn a_run_that_contradicts_the_stored_chain_or_an_untrusted_witness_is_refused() {
    let a_dir = tempfile::tempdir().unwrap();
    let b_dir = tempfile::tempdir().unwrap();
    let a = Store::open(a_dir.path()).unwrap();
    let b = Store::open(b_dir.path()).unwrap();
    let server = SigningKey::from_bytes(&[9; 32]);
    let stranger = SigningKey::from_bytes(&[7; 32]);
    b.trust_witness_key(server.verifying_key().to_bytes())
        .unwrap();
    ten_events(&a);
    // a witness from a server b does not trust
    let (prev, events) = run(&a, 3, 4);
    let err = merge_events(
        &b,
        a.public_key(),
        prev,
        events.clone(),
        witness(&stranger, &a, 4),
    )
    .unwrap_err();
    assert!(err.to_string().contains("trusts"), "{err}");
    // a forged link before the run: the witness over the real hash no longer matches
    let err = merge_events(
        &b,
        a.public_key(),
        Some([1; 32]),
        events.clone(),
        witness(&server, &a, 4),
    )
    .unwrap_err();
    assert!(err.to_string().contains("witness does not match"), "{err}");
    // an event altered inside the run
    let mut altered = events.clone();
    altered[1].payload = Payload::ActRecorded(insemination("A66", "V1", "FR5312345679"));
    assert!(merge_events(&b, a.public_key(), prev, altered, witness(&server, &a, 4)).is_err());
    assert!(b.events_after(a.device(), 0, 100).unwrap().is_empty());
    // the genuine run passes
    merge_events(&b, a.public_key(), prev, events, witness(&server, &a, 4)).unwrap();
    // a run claiming another chain before event 6 (its witness no longer matches), and one
    // that joins the stored event 4 but disagrees with its hash
    for (first, last, expected) in [(6, 7, "witness"), (5, 5, "forked")] {
        let (_, events) = run(&a, first, last);
        let err = merge_events(
            &b,
            a.public_key(),
            Some([2; 32]),
            events,
            witness(&server, &a, last),
        )
        .unwrap_err();
        assert!(err.to_string().contains(expected), "{err}");
    }
    assert_eq!(b.events_after(a.device(), 0, 100).unwrap().len(), 2);
}

#[test]
fn an_altered_event_in_a_witnessed_run_is_reported_on_open() {
    let a_dir = tempfile::tempdir().unwrap();
    let b_dir = tempfile::tempdir().unwrap();
    let a = Store::open(a_dir.path()).unwrap();
    let server = SigningKey::from_bytes(&[9; 32]);
    ten_events(&a);
    {
        let b = Store::open(b_dir.path()).unwrap();
        b.trust_witness_key(server.verifying_key().to_bytes())
            .unwrap();
        for (first, last) in [(2, 3), (6, 7)] {
            let (prev, events) = run(&a, first, last);
            merge_events(&b, a.public_key(), prev, events, witness(&server, &a, last)).unwrap();
        }
    }
    let cow = Payload::ActRecorded(insemination("A1", "V1", "FR5399999999"));
    alter_event(b_dir.path(), a.device(), 3, cow);
    match Store::open(b_dir.path()) {
        Err(LogError::Damaged(report)) => {
            let text = report.to_string();
            assert!(text.contains("seal of event 3"), "{text}");
        }
        Err(other) => panic!("{other}"),
        Ok(_) => panic!("a rewritten run opened"),
    }
}

#[test]
fn a_reassignment_or_cancellation_merged_before_the_visit_record_still_applies() {
    let a_dir = tempfile::tempdir().unwrap();
    let s_dir = tempfile::tempdir().unwrap();
    let b_dir = tempfile::tempdir().unwrap();
    let a = Store::open(a_dir.path()).unwrap();
    let supervisor = Store::open(s_dir.path()).unwrap();
    let b = Store::open(b_dir.path()).unwrap();
    setup(&a);
    a.append(vec![Payload::VisitRecorded(visit("V2", "T01"))])
        .unwrap();
    replicate(&a, &supervisor);
    supervisor
        .append(vec![
            Payload::VisitReassigned {
                visit: VisitId::parse("v", "V1").unwrap(),
                to: TechnicianId::parse("t", "T02").unwrap(),
                supervisor: SupervisorId::parse("s", "S01").unwrap(),
                reason: None,
            },
            Payload::VisitCancelled {
                visit: VisitId::parse("v", "V2").unwrap(),
                reason: "called off".into(),
            },
        ])
        .unwrap();
    // b receives the supervisor's events first, then the visits
    let (seq, _) = supervisor.head(supervisor.device()).unwrap().unwrap();
    let events = supervisor
        .events_after(supervisor.device(), 0, usize::MAX)
        .unwrap();
    b.merge(
        supervisor.public_key(),
        events,
        supervisor.sign_own(seq).unwrap(),
    )
    .unwrap();
    replicate(&a, &b);
    let v1 = VisitId::parse("v", "V1").unwrap();
    let v2 = VisitId::parse("v", "V2").unwrap();
    assert_eq!(
        b.visit(&v1).unwrap().unwrap().technician,
        TechnicianId::parse("t", "T02").unwrap()
    );
    assert_eq!(b.cancellation(&v2).unwrap().as_deref(), Some("called off"));
    assert_eq!(b.records().unwrap(), supervisor.records().unwrap());
}

/// Writes `payloads` as a store of the first layout would have held them: one sled key per
/// event in `events` (chain hash ‖ body), the device key in `meta`, a signature at the end
/// of each append, and a projection tree beside them. Returns the device.
fn write_first_layout(dir: &std::path::Path, appends: &[Vec<Payload>]) -> DeviceId {
    use ed25519_dalek::Signer;
    let db = sled::open(dir).unwrap();
    let key = SigningKey::from_bytes(&[42; 32]);
    let public = key.verifying_key().to_bytes();
    let device = DeviceId::of_key(&public);
    let meta = db.open_tree("meta").unwrap();
    meta.insert("signing_key", &key.to_bytes()[..]).unwrap();
    meta.insert("setting/sync/credentials", &b"enrolled"[..])
        .unwrap();
    db.open_tree("devices")
        .unwrap()
        .insert(device.0, &public[..])
        .unwrap();
    let events = db.open_tree("events").unwrap();
    let signatures = db.open_tree("signatures").unwrap();
    db.open_tree("visits")
        .unwrap()
        .insert("V1", &[1][..])
        .unwrap();
    let (mut seq, mut hash) = (0, genesis(device));
    for append in appends {
        for (i, payload) in append.iter().enumerate() {
            seq += 1;
            let event = Event {
                id: EventId { device, seq },
                clock: Hlc {
                    wall_ms: 1_700_000_000_000 + seq,
                    logical: i as u32,
                },
                payload: payload.clone(),
            };
            let body = event.body().unwrap();
            hash = chain_hash(&hash, &event.id, &body);
            let mut value = hash.to_vec();
            value.extend_from_slice(&body);
            events.insert(event.id.key(), value).unwrap();
        }
        let sig = key.sign(&hash).to_bytes();
        signatures
            .insert(EventId { device, seq }.key(), &sig[..])
            .unwrap();
    }
    db.flush().unwrap();
    device
}

#[test]
fn a_store_of_the_first_layout_opens_migrated_with_nothing_lost() {
    let dir = tempfile::tempdir().unwrap();
    let first = vec![
        Payload::TechnicianRecorded(tech("T01")),
        Payload::TechnicianRecorded(tech("T02")),
        Payload::FarmRecorded(farm()),
        Payload::VisitRecorded(visit("V1", "T01")),
        straws("T01", 10),
    ];
    let acts: Vec<Vec<Payload>> = (0..5)
        .map(|i| {
            vec![Payload::ActRecorded(insemination(
                &format!("A{i}"),
                "V1",
                &format!("FR531234567{i}"),
            ))]
        })
        .collect();
    let mut appends = vec![first];
    appends.extend(acts);
    let device = write_first_layout(dir.path(), &appends);

    let store = Store::open(dir.path()).unwrap();
    assert_eq!(store.device(), device);
    assert_eq!(store.head(device).unwrap().map(|h| h.0), Some(10));
    assert_eq!(check(&store).unwrap().intact_events(), 10);
    let v1 = VisitId::parse("v", "V1").unwrap();
    assert_eq!(store.acts_of(&v1).unwrap().len(), 5);
    let t1 = TechnicianId::parse("t", "T01").unwrap();
    assert_eq!(store.stock(&t1).unwrap()[0].left(), 5);
    assert_eq!(
        store.setting("sync/credentials").unwrap().as_deref(),
        Some(&b"enrolled"[..])
    );
    // The chain goes on where it was, under the same key.
    store
        .append(vec![Payload::ActRecorded(insemination(
            "A9",
            "V1",
            "FR5312345679",
        ))])
        .unwrap();
    drop(store);
    let store = Store::open(dir.path()).unwrap();
    assert_eq!(store.head(device).unwrap().map(|h| h.0), Some(11));
    assert_eq!(store.acts_of(&v1).unwrap().len(), 6);
    // The old trees are gone: one tree of blocks is left.
    drop(store);
    let db = open_sled(dir.path()).unwrap();
    let names: Vec<String> = db
        .tree_names()
        .iter()
        .map(|n| String::from_utf8_lossy(n).into_owned())
        .collect();
    assert!(names.contains(&"blocks".to_owned()), "{names:?}");
    assert!(!names.contains(&"events".to_owned()), "{names:?}");
    assert!(!names.contains(&"visits".to_owned()), "{names:?}");
}

#[test]
fn a_first_layout_store_with_an_altered_event_is_refused_not_migrated() {
    let dir = tempfile::tempdir().unwrap();
    let device = write_first_layout(
        dir.path(),
        &[vec![
            Payload::TechnicianRecorded(tech("T01")),
            Payload::FarmRecorded(farm()),
            Payload::VisitRecorded(visit("V1", "T01")),
        ]],
    );
    {
        let db = sled::open(dir.path()).unwrap();
        let events = db.open_tree("events").unwrap();
        let k = EventId { device, seq: 2 }.key();
        let mut v = events.get(k).unwrap().unwrap().to_vec();
        let last = v.len() - 1;
        v[last] ^= 1;
        events.insert(k, v).unwrap();
        db.flush().unwrap();
    }
    let before = std::fs::read(dir.path().join("db")).unwrap();
    assert!(matches!(Store::open(dir.path()), Err(LogError::Damaged(_))));
    assert_eq!(std::fs::read(dir.path().join("db")).unwrap(), before);
    assert!(!dir.path().join("device").exists());
}

#[test]
fn a_refused_batch_into_an_empty_store_leaves_it_empty() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    let refused = store.append(vec![
        Payload::TechnicianRecorded(tech("T01")),
        Payload::FarmRecorded(farm()),
        Payload::ActRecorded(insemination("A1", "V404", "FR5312345678")),
    ]);
    assert!(matches!(refused, Err(LogError::Refused(_))));
    assert!(store.technicians().unwrap().is_empty());
    assert!(store.farms().unwrap().is_empty());
    assert_eq!(store.head(store.device()).unwrap(), None);
    // And the next batch is taken as usual.
    setup(&store);
    assert_eq!(store.technicians().unwrap().len(), 2);
}

#[test]
fn advice_goes_out_in_an_export_and_comes_back_in_by_import_once() {
    let a_dir = tempfile::tempdir().unwrap();
    let b_dir = tempfile::tempdir().unwrap();
    let a = Store::open(a_dir.path()).unwrap();
    let b = Store::open(b_dir.path()).unwrap();
    setup(&a);
    let advice = |year: i32, text: &str| Payload::AdviceWritten {
        farm: farm().ede,
        year,
        technician: TechnicianId::parse("t", "T01").unwrap(),
        text: text.into(),
    };
    a.append(vec![
        advice(2025, "Génisses à 15 mois"),
        advice(2026, "Détecter les chaleurs matin et soir"),
    ])
    .unwrap();
    // rewritten later in the year: the export carries the last text only
    a.append(vec![advice(
        2026,
        "Détecter les chaleurs matin et soir ; podomètres",
    )])
    .unwrap();

    let text = serde_json::to_string(&crate::exchange::document(&a.records().unwrap())).unwrap();
    let parsed = crate::exchange::parse(&text, &|_| false, &|_| false, day()).unwrap();
    let years: Vec<(i32, &str)> = parsed
        .advice
        .iter()
        .map(|r| (r.year, r.text.as_str()))
        .collect();
    assert_eq!(
        years,
        [
            (2025, "Génisses à 15 mois"),
            (2026, "Détecter les chaleurs matin et soir ; podomètres")
        ]
    );
    let summary = b.import(&parsed).unwrap();
    assert_eq!(summary.advice, 2);
    assert_eq!(b.records().unwrap(), a.records().unwrap());
    let in_b = b.advice(&farm().ede, 2026).unwrap().unwrap();
    assert_eq!(
        in_b.text,
        "Détecter les chaleurs matin et soir ; podomètres"
    );
    assert_eq!(in_b.technician.as_str(), "T01");
    // the same file again adds nothing
    assert_eq!(b.import(&parsed).unwrap(), ImportSummary::default());
    // a file with the aims rewritten brings the new text, and only that
    let mut newer = parsed.clone();
    newer.advice[0].text = "Génisses à 14 mois".into();
    let summary = b.import(&newer).unwrap();
    assert_eq!((summary.advice, summary.events()), (1, 1));
    assert_eq!(
        b.advice(&farm().ede, 2025).unwrap().unwrap().text,
        "Génisses à 14 mois"
    );
}

#[test]
fn closed_hours_are_the_latest_recorded_survive_a_reopen_and_travel_by_export() {
    use crate::domain::ClosedSpan;
    let a_dir = tempfile::tempdir().unwrap();
    let b_dir = tempfile::tempdir().unwrap();
    let closed = |spans: &[(u16, u16)]| Payload::ClosedHoursRecorded {
        farm: farm().ede,
        closed: spans
            .iter()
            .map(|&(from, to)| ClosedSpan { from, to })
            .collect(),
    };
    let evening = [(17 * 60, 18 * 60 + 30)];
    {
        let a = Store::open(a_dir.path()).unwrap();
        // a farm not recorded yet has no hours to set
        let refused = a.append(vec![closed(&evening)]);
        assert!(matches!(refused, Err(LogError::Refused(e)) if e.field == "farm"));
        setup(&a);
        assert_eq!(a.closed_hours(&farm().ede).unwrap(), vec![]);
        a.append(vec![closed(&[(6 * 60, 7 * 60)])]).unwrap();
        a.append(vec![closed(&evening)]).unwrap();
        // bad hours are refused and change nothing
        let refused = a.append(vec![closed(&[(18 * 60, 17 * 60)])]);
        assert!(matches!(refused, Err(LogError::Refused(e)) if e.field == "closed[0]"));
    }
    let a = Store::open(a_dir.path()).unwrap();
    let spans = vec![ClosedSpan {
        from: 17 * 60,
        to: 18 * 60 + 30,
    }];
    assert_eq!(a.closed_hours(&farm().ede).unwrap(), spans);
    let text = serde_json::to_string(&crate::exchange::document(&a.records().unwrap())).unwrap();
    let parsed = crate::exchange::parse(&text, &|_| false, &|_| false, day()).unwrap();
    let b = Store::open(b_dir.path()).unwrap();
    assert_eq!(b.import(&parsed).unwrap().closed_hours, 1);
    assert_eq!(b.closed_hours(&farm().ede).unwrap(), spans);
    assert_eq!(b.import(&parsed).unwrap(), ImportSummary::default());
    // open all day again: an empty list, exported as no hours
    a.append(vec![closed(&[])]).unwrap();
    assert_eq!(a.closed_hours(&farm().ede).unwrap(), vec![]);
    assert!(a.records().unwrap().closed_hours.is_empty());
}

#[test]
fn the_decoding_threads_take_each_devices_first_blocks_first() {
    let (a, b) = (DeviceId([1; 16]), DeviceId([2; 16]));
    let devices = vec![(a, vec![0, 1, 2, 3]), (b, vec![4, 5])];
    assert_eq!(
        integrity::claim_order(&devices, true),
        vec![0, 4, 1, 5, 2, 3]
    );
    // A check without projections walks the devices one after the other.
    assert_eq!(
        integrity::claim_order(&devices, false),
        vec![0, 1, 2, 3, 4, 5]
    );
}

#[test]
fn two_devices_interleaved_over_many_blocks_reopen_with_the_latest_change_of_each_visit() {
    // Enough blocks for the decoding threads, and changes of the same visits by two devices
    // in turn: only a merge in clock order gives each visit its latest technician.
    let a_dir = tempfile::tempdir().unwrap();
    let b_dir = tempfile::tempdir().unwrap();
    let a = Store::open(a_dir.path()).unwrap();
    let b = Store::open(b_dir.path()).unwrap();
    setup(&a);
    let reassign = |visit: &str, to: &str| Payload::VisitReassigned {
        visit: VisitId::parse("v", visit).unwrap(),
        to: TechnicianId::parse("t", to).unwrap(),
        supervisor: SupervisorId::parse("s", "S01").unwrap(),
        reason: None,
    };
    for i in 0..12 {
        let id = format!("W{i}");
        a.append(vec![Payload::VisitRecorded(visit(&id, "T01"))])
            .unwrap();
        replicate(&a, &b);
        b.append(vec![reassign(&id, "T02")]).unwrap();
        replicate(&b, &a);
        // Every third visit comes back to T01, later than b's move.
        if i % 3 == 0 {
            a.append(vec![reassign(&id, "T01")]).unwrap();
            replicate(&a, &b);
        }
    }
    let before = b.records().unwrap();
    let technician = |s: &Store, i: usize| {
        s.visit(&VisitId::parse("v", &format!("W{i}")).unwrap())
            .unwrap()
            .unwrap()
            .technician
    };
    assert_eq!(technician(&b, 3), TechnicianId::parse("t", "T01").unwrap());
    assert_eq!(technician(&b, 4), TechnicianId::parse("t", "T02").unwrap());
    assert_eq!(before, a.records().unwrap());
    drop(b);
    let b = Store::open(b_dir.path()).unwrap();
    assert!(
        b.state()
            .chains
            .values()
            .map(|c| c.blocks.len())
            .sum::<usize>()
            >= 8
    );
    assert_eq!(b.state().chains.len(), 2);
    assert_eq!(b.records().unwrap(), before);
    assert_eq!(technician(&b, 9), TechnicianId::parse("t", "T01").unwrap());
    assert_eq!(technician(&b, 10), TechnicianId::parse("t", "T02").unwrap());
}

#[test]
fn acts_appended_one_by_one_are_merged_by_tiers_and_all_read_back() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    setup(&store);
    for i in 0..300 {
        store
            .append(vec![Payload::ActRecorded(insemination(
                &format!("T{i}"),
                "V1",
                &format!("FR53{:08}", i),
            ))])
            .unwrap();
    }
    let counts = |s: &Store| -> Vec<u64> {
        s.state().chains[&s.device()]
            .blocks
            .values()
            .map(|b| b.count)
            .collect()
    };
    // The setup's block of 5 and acts 1-15 merge into 20 (16 blocks under 16 events); acts
    // 16-255 into fifteen blocks of 16; those sixteen blocks under 256 into one of 260. Acts
    // 256-287 make two blocks of 16, and acts 288-300 stay alone (13 blocks).
    let mut expected = vec![260, 16, 16];
    expected.extend([1; 13]);
    assert_eq!(counts(&store), expected);
    drop(store);
    let store = Store::open(dir.path()).unwrap();
    assert_eq!(counts(&store), expected);
    let v1 = VisitId::parse("v", "V1").unwrap();
    assert_eq!(store.acts_of(&v1).unwrap().len(), 300);
}
