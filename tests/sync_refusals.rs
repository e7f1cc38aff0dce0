//! What the server refuses, with a clear reason, storing nothing: a technician pushing events
//! signed as another device or written for another technician, a forged or forked chain, a
//! farmer reading or confirming another farm, a replayed enrolment token, bad frames and
//! oversized requests. On sled and on PostgreSQL.

#![cfg(feature = "server")]

mod sync_common;

use sync_common::*;
use tournee::domain::{Confirmation, Payload};
use tournee::log::SignatureBytes;
use tournee::sync::protocol::{Push, Pushed, SyncRequest};
use tournee::sync::{Endpoint, SyncError, Transport, TransportError};

fn refused(e: SyncError) -> (u16, String) {
    match e {
        SyncError::Transport(TransportError::Refused { status, reason, .. }) => (status, reason),
        other => panic!("expected a refusal, got {other}"),
    }
}

fn raw_refused(e: TransportError) -> (u16, String) {
    match e {
        TransportError::Refused { status, reason, .. } => (status, reason),
        other => panic!("expected a refusal, got {other}"),
    }
}

/// The events of a device the server holds, as a device of `observer`'s account pulls them.
fn held(url: &str, observer: &Device, of: &Device) -> usize {
    let reply = raw_sync(url, &observer.store, &pull_all()).unwrap();
    reply
        .pull
        .unwrap()
        .runs
        .iter()
        .filter(|r| r.device() == of.store.device())
        .map(|r| r.bodies.len())
        .sum()
}

/// Gives `to` all of `from`'s own events, as if received (so it can write about them).
fn copy_chain(from: &Device, to: &Device) {
    let events = from
        .store
        .events_after(from.store.device(), 0, 10_000)
        .unwrap();
    let last = events.last().unwrap().id.seq;
    to.store
        .merge(
            from.store.public_key(),
            events,
            from.store.sign_own(last).unwrap(),
        )
        .unwrap();
}

fn refusals(kind: Kind) {
    let server = Server::start(kind);
    let url = server.url();
    let (t1, t2, sup) = team(&server);
    t1.append(vec![
        technician("T01"),
        farm(1),
        farm(2),
        visit("V1", "T01", 1),
        visit("V2", "T01", 2),
    ]);
    t1.append(vec![
        insemination("A1", "V1", 1),
        insemination("A2", "V2", 2),
    ]);
    t1.sync(&url);
    assert_eq!(held(&url, &sup, &t1), 7);

    // A replayed enrolment token: refused, and the device is unknown to the server.
    let token = server.token(&["add-technician", "T02", "--name", "Paul Hamon"]);
    Device::new().enroll(&url, &token);
    let late = Device::new();
    let (status, reason) = refused(
        late.client(&url)
            .enroll(&late.store, &url, &token, "x")
            .unwrap_err(),
    );
    assert_eq!(status, 403, "{reason}");
    assert!(reason.contains("already used"), "{reason}");
    let (status, reason) = raw_refused(raw_sync(&url, &late.store, &pull_all()).unwrap_err());
    assert_eq!(
        (status, reason.contains("unknown device")),
        (401, true),
        "{reason}"
    );

    // T02's tablet pushes T01's events with T01's signature: the events are not its chain.
    let events = t1.store.events_after(t1.store.device(), 0, 100).unwrap();
    let push = |events: &[tournee::log::Event]| SyncRequest {
        push: Some(Push {
            after: 0,
            events: Pushed::Plain(events.iter().map(|e| e.body().unwrap()).collect()),
            signature: SignatureBytes(t1.store.sign_own(7).unwrap()),
        }),
        pull: None,
    };
    let (status, reason) = raw_refused(raw_sync(&url, &t2.store, &push(&events)).unwrap_err());
    assert_eq!(status, 403, "{reason}");
    assert!(reason.contains("signature"), "{reason}");
    assert_eq!(held(&url, &sup, &t2), 0);

    // A forged chain: an event added after T01 signed (the signature no longer matches)...
    let mut forged = events.clone();
    let mut extra = events[6].clone();
    if let Payload::ActRecorded(a) = &mut extra.payload {
        a.id = tournee::domain::ActId::parse("a", "A8").unwrap();
    }
    forged.push(extra);
    let (status, reason) = raw_refused(raw_sync(&url, &t1.store, &push(&forged)).unwrap_err());
    assert_eq!(status, 403, "{reason}");
    // ... and an event the server holds, altered: a fork of the chain.
    let mut altered = events.clone();
    if let Payload::ActRecorded(a) = &mut altered[6].payload {
        a.count = 3;
    }
    let (status, reason) = raw_refused(raw_sync(&url, &t1.store, &push(&altered)).unwrap_err());
    assert_eq!(status, 409, "{reason}");
    assert_eq!(held(&url, &sup, &t1), 7);

    // T02, with its own valid chain, writes time for T01: refused by rights, nothing stored.
    let t2b = Device::new();
    t2b.enroll(
        &url,
        &server.token(&["add-technician", "T02", "--name", "Paul Hamon"]),
    );
    t2b.append(vec![technician("T02")]);
    copy_chain(&t1, &t2b);
    t2b.append(vec![Payload::TimeDeclared {
        technician: tid("T01"),
        day: day(),
        kind: tournee::domain::OtherTimeKind::Admin,
        seconds: 3600,
        note: None,
    }]);
    let (status, reason) = refused(t2b.client(&url).sync_once(&t2b.store).unwrap_err());
    assert_eq!(status, 403, "{reason}");
    assert!(
        reason.contains("time_declared") && reason.contains("T01"),
        "{reason}"
    );
    assert_eq!(held(&url, &sup, &t2b), 0, "the whole batch is refused");
    // A technician cannot review a week either.
    let t2c = Device::new();
    t2c.enroll(
        &url,
        &server.token(&["add-technician", "T02", "--name", "Paul Hamon"]),
    );
    t2c.append(vec![review("T02", "S01")]);
    let (status, reason) = refused(t2c.client(&url).sync_once(&t2c.store).unwrap_err());
    assert_eq!(status, 403, "{reason}");
    assert!(reason.contains("supervisor"), "{reason}");

    // A forked chain: a copy of T01's tablet, both recording different acts after seq 7.
    drop(t1.store);
    let fork_dir = tempfile::tempdir().unwrap();
    copy_dir(t1.dir.path(), fork_dir.path());
    let t1 = Device {
        store: tournee::log::Store::open(t1.dir.path()).unwrap(),
        dir: t1.dir,
    };
    let fork = Device {
        store: tournee::log::Store::open(fork_dir.path()).unwrap(),
        dir: fork_dir,
    };
    assert_eq!(fork.store.device(), t1.store.device());
    t1.append(vec![insemination("A3", "V1", 3)]);
    fork.append(vec![insemination("A9", "V1", 9)]);
    t1.sync(&url);
    let (status, reason) = refused(fork.client(&url).sync_once(&fork.store).unwrap_err());
    assert_eq!(status, 409, "{reason}");
    assert!(reason.contains("forked"), "{reason}");
    sup.sync(&url);
    assert!(
        sup.store
            .act(&tournee::domain::ActId::parse("a", "A3").unwrap())
            .unwrap()
            .is_some()
    );
    assert!(
        sup.store
            .act(&tournee::domain::ActId::parse("a", "A9").unwrap())
            .unwrap()
            .is_none()
    );

    // A farmer reads their farm's visits, and nothing of another farm.
    let farmer = Device::new();
    farmer.enroll(
        &url,
        &server.token(&["add-farmer", "--farm", &ede(1).to_string()]),
    );
    t1.append(vec![Payload::AnomalyNoted {
        visit: vid("V1"),
        kind: tournee::domain::AnomalyKind::RestraintNotReady,
        note: "pas de cornadis".into(),
    }]);
    t1.sync(&url);
    farmer.sync(&url);
    assert!(farmer.store.visit(&vid("V1")).unwrap().is_some());
    assert_eq!(farmer.store.acts_of(&vid("V1")).unwrap().len(), 2);
    assert!(farmer.store.visit(&vid("V2")).unwrap().is_none());
    assert!(farmer.store.farm(&ede(2)).unwrap().is_none());
    assert!(farmer.store.technician(&tid("T01")).unwrap().is_none());
    assert!(
        farmer.store.anomalies(&vid("V1")).unwrap().is_empty(),
        "internal notes stay internal"
    );
    let seen: usize = raw_sync(&url, &farmer.store, &pull_all())
        .unwrap()
        .pull
        .unwrap()
        .runs
        .iter()
        .map(|r| r.bodies.len())
        .sum();
    assert_eq!(seen, 4, "farm 1, V1 and its acts A1, A3: nothing else");

    // The farmer confirms their visit: accepted, and it reaches the technician.
    let at = chrono::DateTime::parse_from_rfc3339("2026-11-25T08:00:00+01:00").unwrap();
    farmer.append(vec![Payload::VisitConfirmed {
        visit: vid("V1"),
        confirmation: Confirmation::ConfirmedLater { at, comment: None },
    }]);
    farmer.sync(&url);
    t1.sync(&url);
    assert!(
        t1.store
            .confirmation(&vid("V1"))
            .unwrap()
            .unwrap()
            .is_confirmed()
    );
    // A farmer disputing another farm's visit (learnt somehow): refused, nothing stored.
    let other = Device::new();
    other.enroll(
        &url,
        &server.token(&["add-farmer", "--farm", &ede(2).to_string()]),
    );
    copy_chain(&t1, &other);
    other.append(vec![Payload::VisitConfirmed {
        visit: vid("V1"),
        confirmation: Confirmation::Disputed {
            at,
            comment: "pas venu".into(),
        },
    }]);
    let (status, reason) = refused(other.client(&url).sync_once(&other.store).unwrap_err());
    assert_eq!(status, 403, "{reason}");
    assert!(reason.contains("not at farm"), "{reason}");
    t1.sync(&url);
    assert!(
        t1.store
            .confirmation(&vid("V1"))
            .unwrap()
            .unwrap()
            .is_confirmed()
    );

    // Frames that are not ours, from another version, or too large.
    let http = tournee::sync::HttpTransport::new(&url);
    let (status, _) = raw_refused(
        http.post(Endpoint::Sync, b"GET /etc/passwd".to_vec())
            .unwrap_err(),
    );
    assert_eq!(status, 400);
    let mut frame = tournee::sync::wire::encode(&1u8).unwrap();
    frame[2] = 99;
    let (status, reason) = raw_refused(http.post(Endpoint::Sync, frame).unwrap_err());
    assert_eq!(status, 426, "{reason}");
    assert!(reason.contains("version 99"), "{reason}");
    match http.post(Endpoint::Sync, vec![0u8; 17 << 20]) {
        Err(TransportError::Refused { status, .. }) => assert_eq!(status, 413),
        // The server may close before the whole body is sent: also a refusal.
        Err(TransportError::Unreachable(_)) => {}
        Ok(_) => panic!("a 17 MB request was accepted"),
    }
}

#[test]
fn forged_foreign_and_out_of_scope_writes_and_reads_are_refused_on_sled() {
    refusals(Kind::Sled);
}

#[test]
fn forged_foreign_and_out_of_scope_writes_and_reads_are_refused_on_postgres() {
    refusals(Kind::Postgres);
}
