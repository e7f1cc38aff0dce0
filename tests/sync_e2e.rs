//! End to end: the real `tournee-server` process, real devices with their own stores.
//! Two technicians and a supervisor record offline, sync in random orders, and end with the
//! same state; a visit the supervisor reassigns reaches the new technician with its farm's
//! history, and so does a whole day reassigned at once. The same scenarios run on sled and on
//! PostgreSQL.

#![cfg(feature = "server")]

mod sync_common;

use sync_common::*;
use tournee::domain::{Payload, Week};
use tournee::log::{Store, check};

fn sync_round(devices: &[&Device], url: &str, rng: &mut Rng) -> Vec<usize> {
    let mut order: Vec<usize> = (0..devices.len()).collect();
    rng.shuffle(&mut order);
    for &i in &order {
        devices[i].sync(url);
    }
    order
}

/// What a device knows of a visit, to compare devices.
fn visit_state(store: &Store, v: &str) -> Option<String> {
    let id = vid(v);
    let visit = store.visit(&id).unwrap()?;
    let acts = store.acts_of(&id).unwrap();
    let confirmation = store.confirmation(&id).unwrap();
    Some(format!("{visit:?} {acts:?} {confirmation:?}"))
}

fn converge(kind: Kind, seed: u64) {
    let server = Server::start(kind);
    let url = server.url();
    let (t1, t2, sup) = team(&server);
    let mut rng = Rng(seed);
    let devices = [&t1, &t2, &sup];

    // Offline: each technician records their own round.
    t1.append(vec![
        technician("T01"),
        farm(1),
        farm(2),
        visit("V1", "T01", 1),
        visit("V2", "T01", 2),
    ]);
    t1.append(vec![
        insemination("A11", "V1", 11),
        insemination("A21", "V2", 21),
    ]);
    t1.append(vec![signed("V1")]);
    t2.append(vec![technician("T02"), farm(3), visit("V3", "T02", 3)]);
    t2.append(vec![insemination("A31", "V3", 31)]);
    for _ in 0..2 {
        eprintln!("order {:?}", sync_round(&devices, &url, &mut rng));
    }
    // The supervisor, offline, approves T01's week and gives V2 to T02; the technicians
    // go on recording meanwhile.
    assert!(sup.store.visit(&vid("V2")).unwrap().is_some());
    sup.append(vec![review("T01", "S01"), reassign("V2", "T02", "S01")]);
    t1.append(vec![insemination("A12", "V1", 12)]);
    t2.append(vec![insemination("A32", "V3", 32)]);
    for _ in 0..2 {
        eprintln!("order {:?}", sync_round(&devices, &url, &mut rng));
    }
    // The reassigned visit is in T02's round, with its farm and T01's act: T02 works on it.
    let v2 = t2.store.visit(&vid("V2")).unwrap().expect("V2 reached T02");
    assert_eq!(v2.technician, tid("T02"));
    assert!(
        t2.store
            .visits_on(&tid("T02"), day())
            .unwrap()
            .iter()
            .any(|v| v.id == vid("V2"))
    );
    assert!(t2.store.farm(&ede(2)).unwrap().is_some());
    assert_eq!(t2.store.acts_of(&vid("V2")).unwrap().len(), 1);
    t2.append(vec![insemination("A22", "V2", 22), signed("V2")]);
    for _ in 0..2 {
        eprintln!("order {:?}", sync_round(&devices, &url, &mut rng));
    }

    // Everyone ends with the same state of what they share.
    for v in ["V1", "V2", "V3"] {
        let reference = visit_state(&sup.store, v).expect("the supervisor sees the team");
        for (name, d) in [("T01", &t1), ("T02", &t2)] {
            if let Some(state) = visit_state(&d.store, v) {
                assert_eq!(state, reference, "{name} on {v}");
            }
        }
    }
    assert_eq!(
        t1.store.acts_of(&vid("V2")).unwrap().len(),
        2,
        "T01 sees V2 move on"
    );
    assert_eq!(
        t1.store.visit(&vid("V2")).unwrap().unwrap().technician,
        tid("T02")
    );
    assert!(
        t1.store
            .review(&tid("T01"), Week::of(day()))
            .unwrap()
            .is_some()
    );
    // Scope: T01 never had farm 3; T02 sees no review of T01's week.
    assert!(t1.store.visit(&vid("V3")).unwrap().is_none());
    assert!(t1.store.farm(&ede(3)).unwrap().is_none());
    assert!(
        t2.store
            .review(&tid("T01"), Week::of(day()))
            .unwrap()
            .is_none()
    );
    // The supervisor holds every event of every device, once.
    for d in [&t1, &t2] {
        assert_eq!(
            sup.store.head(d.store.device()).unwrap(),
            d.store.head(d.store.device()).unwrap()
        );
        assert!(
            tournee::sync::status(&d.store)
                .unwrap()
                .everything_on_server()
        );
    }
    // And every store reopens intact, sparse chains included.
    for d in [t1, t2, sup] {
        let dir = d.dir;
        drop(d.store);
        let store = Store::open(dir.path()).unwrap();
        assert!(check(&store).unwrap().is_intact());
    }
}

#[test]
fn devices_recording_offline_converge_whatever_the_sync_order_on_sled() {
    converge(Kind::Sled, 0x5EED_0001);
    converge(Kind::Sled, 0x5EED_0002);
}

#[test]
fn devices_recording_offline_converge_whatever_the_sync_order_on_postgres() {
    converge(Kind::Postgres, 0x5EED_0003);
}

fn tournee(dir: &std::path::Path, args: &[&str]) -> (i32, serde_json::Value, String) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_tournee"))
        .arg("--data")
        .arg(dir)
        .args(args)
        .output()
        .unwrap();
    let json = serde_json::from_slice(&out.stdout).unwrap_or(serde_json::Value::Null);
    (
        out.status.code().unwrap_or(-1),
        json,
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn the_command_line_enrols_syncs_and_says_what_waits() {
    let server = Server::start(Kind::Sled);
    let url = server.url();
    let token = server.token(&["add-technician", "T01", "--name", "Julie Moreau"]);
    let tablet = tempfile::tempdir().unwrap();
    let (code, demo, _) = tournee(tablet.path(), &["demo", "--today", "2026-11-24"]);
    assert_eq!(code, 0);
    let (code, _, err) = tournee(tablet.path(), &["sync"]);
    assert_eq!(code, 2, "not enrolled yet");
    assert!(err.contains("enroll"), "{err}");
    let (code, enrolled, _) = tournee(
        tablet.path(),
        &["enroll", "--server", &url, "--token", &token],
    );
    assert_eq!(code, 0);
    assert_eq!(enrolled["account"], "technician:T01");
    let (_, status, _) = tournee(tablet.path(), &["sync-status"]);
    assert_eq!(status["everything_on_server"], false);
    assert!(status["waiting_acts"].as_u64().unwrap() > 0);
    let (code, report, _) = tournee(tablet.path(), &["sync"]);
    assert_eq!(code, 0);
    let pushed = report["pushed"].as_u64().unwrap();
    assert!(pushed > demo["visits"].as_u64().unwrap());
    assert_eq!(report["waiting"], 0);
    let (_, status, _) = tournee(tablet.path(), &["sync-status"]);
    assert_eq!(status["everything_on_server"], true);
    // The same token on another tablet: refused, exit 2, the reason on stderr.
    let other = tempfile::tempdir().unwrap();
    let (code, out, err) = tournee(
        other.path(),
        &["enroll", "--server", &url, "--token", &token],
    );
    assert_eq!((code, out), (2, serde_json::Value::Null));
    assert!(err.contains("already used"), "{err}");
}

/// A visit recorded for another day than `day()`.
fn visit_on(id: &str, technician: &str, farm: u32, on: chrono::NaiveDate) -> Payload {
    match visit(id, technician, farm) {
        Payload::VisitRecorded(mut v) => {
            v.day = on;
            Payload::VisitRecorded(v)
        }
        other => other,
    }
}

/// Syncs until `done` holds: on PostgreSQL a pull stops before transactions still open
/// elsewhere (other tests share the database), so what was just pushed may come a sync later.
fn sync_until(device: &Device, url: &str, done: impl Fn() -> bool) {
    for _ in 0..200 {
        device.sync(url);
        if done() {
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    panic!("the device never received what was expected");
}

/// Who wrote each event of a visit's history (which device), and what it says.
fn history(store: &Store, v: &str) -> Vec<(tournee::log::DeviceId, String)> {
    store
        .visit_history(&vid(v))
        .unwrap()
        .into_iter()
        .map(|e| {
            let what = match &e.payload {
                Payload::VisitRecorded(v) => format!("recorded for {}", v.technician),
                Payload::ActRecorded(a) => format!("act {}", a.id),
                Payload::VisitReassigned { to, supervisor, .. } => {
                    format!("reassigned to {to} by {supervisor}")
                }
                p => p.name().to_owned(),
            };
            (e.id.device, what)
        })
        .collect()
}

/// One reassigned visit and a whole day, in one push: the new technician receives each with
/// its farm's history (one batch granting several farms at once, which the sled index once
/// kept only the last of).
fn reassign_visit_and_day(kind: Kind) {
    let server = Server::start(kind);
    let url = server.url();
    let (a, b, sup) = team(&server);
    let next_day = day().succ_opt().unwrap();
    // T01's rounds: V1 and V2 today at farm 1, V4 and V5 tomorrow at farms 2 and 3 (V4 with
    // an act already, a follow-up). T02 has farm 9 only.
    a.append(vec![
        technician("T01"),
        farm(1),
        farm(2),
        farm(3),
        visit("V1", "T01", 1),
        visit("V2", "T01", 1),
        visit_on("V4", "T01", 2, next_day),
        visit_on("V5", "T01", 3, next_day),
        insemination("A41", "V4", 41),
    ]);
    b.append(vec![technician("T02"), farm(9), visit("V9", "T02", 9)]);
    a.sync(&url);
    b.sync(&url);
    sync_until(&sup, &url, || {
        sup.store.visit(&vid("V9")).unwrap().is_some()
            && sup.store.acts_of(&vid("V4")).unwrap().len() == 1
    });
    assert!(
        b.store.farm(&ede(2)).unwrap().is_none(),
        "not T02's farm yet"
    );

    // The supervisor gives V1 to T02, and the whole of T01's next day.
    let mut moves = vec![reassign("V1", "T02", "S01")];
    for v in sup.store.visits_on(&tid("T01"), next_day).unwrap() {
        moves.push(reassign(v.id.as_str(), "T02", "S01"));
    }
    assert_eq!(moves.len(), 3);
    sup.append(moves);
    sup.sync(&url);
    let of_t02 =
        |v: &str| b.store.visit(&vid(v)).unwrap().map(|v| v.technician) == Some(tid("T02"));
    sync_until(&b, &url, || {
        ["V1", "V4", "V5"].into_iter().all(of_t02)
            && b.store.visit(&vid("V2")).unwrap().is_some()
            && b.store.acts_of(&vid("V4")).unwrap().len() == 1
    });

    // T02's rounds now hold them, with their farms and T01's act; V2 stays T01's.
    let ids = |d: chrono::NaiveDate| -> Vec<String> {
        let mut v: Vec<String> = b
            .store
            .visits_on(&tid("T02"), d)
            .unwrap()
            .into_iter()
            .map(|v| v.id.as_str().to_owned())
            .collect();
        v.sort();
        v
    };
    assert_eq!(ids(day()), ["V1", "V9"]);
    assert_eq!(ids(next_day), ["V4", "V5"]);
    for n in [1, 2, 3] {
        assert!(b.store.farm(&ede(n)).unwrap().is_some(), "farm {n}");
    }
    assert_eq!(b.store.acts_of(&vid("V4")).unwrap().len(), 1);
    assert_eq!(
        b.store.visit(&vid("V2")).unwrap().unwrap().technician,
        tid("T01")
    );
    // The history says who did what: T01's tablet recorded and worked, the supervisor's
    // device moved it, on the new technician's tablet as on the supervisor's.
    let expected = vec![
        (a.store.device(), "recorded for T01".to_owned()),
        (a.store.device(), "act A41".to_owned()),
        (sup.store.device(), "reassigned to T02 by S01".to_owned()),
    ];
    assert_eq!(history(&b.store, "V4"), expected);
    assert_eq!(history(&sup.store, "V4"), expected);
    // T01's tablet sees the day leave its round.
    sync_until(&a, &url, || {
        a.store.visit(&vid("V5")).unwrap().map(|v| v.technician) == Some(tid("T02"))
    });
    assert!(a.store.visits_on(&tid("T01"), next_day).unwrap().is_empty());
    assert_eq!(
        a.store
            .visits_on(&tid("T01"), day())
            .unwrap()
            .into_iter()
            .map(|v| v.id.as_str().to_owned())
            .collect::<Vec<_>>(),
        ["V2"]
    );
}

#[test]
fn a_supervisor_reassigns_a_visit_and_a_whole_day_and_the_new_technician_receives_them_on_sled() {
    reassign_visit_and_day(Kind::Sled);
}

#[test]
fn a_supervisor_reassigns_a_visit_and_a_whole_day_and_the_new_technician_receives_them_on_postgres()
{
    reassign_visit_and_day(Kind::Postgres);
}

#[test]
fn a_damaged_tablet_is_recovered_and_a_sync_brings_back_what_the_damage_took() {
    let server = Server::start(Kind::Sled);
    let url = server.url();
    let token = server.token(&["add-technician", "T01", "--name", "Julie Moreau"]);
    let tablet = tempfile::tempdir().unwrap();
    let dir = tablet.path().join("store");
    let (code, _, err) = tournee(&dir, &["demo", "--today", "2026-11-24"]);
    assert_eq!(code, 0, "{err}");
    {
        // A few days of acts recorded one by one, as on the tablet.
        let store = Store::open(&dir).unwrap();
        let week = tournee::demo::week(day());
        let template: Vec<_> = week.visits.iter().flat_map(|v| v.acts.clone()).collect();
        for n in 0..200 {
            let mut act = template[n % template.len()].clone();
            act.id = tournee::domain::ActId::parse("act", &format!("later-{n}")).unwrap();
            store.append(vec![Payload::ActRecorded(act)]).unwrap();
        }
    }
    let (code, _, err) = tournee(&dir, &["enroll", "--server", &url, "--token", &token]);
    assert_eq!(code, 0, "{err}");
    let (code, report, err) = tournee(&dir, &["sync"]);
    assert_eq!((code, report["waiting"].as_u64()), (0, Some(0)), "{err}");
    let (_, before, _) = tournee(&dir, &["export"]);
    let (_, intact, _) = tournee(&dir, &["check"]);
    let total = intact["chains"][0]["events"].as_u64().unwrap();

    // A byte of the tablet's data file goes bad, in the middle of its blocks.
    let path = dir.join("db");
    let mut db = std::fs::read(&path).unwrap();
    let blocks: Vec<usize> = db
        .windows(4)
        .enumerate()
        .filter(|(_, w)| *w == b"TrnB")
        .map(|(i, _)| i)
        .collect();
    db[blocks[blocks.len() / 2] + 120] ^= 0x08;
    std::fs::write(&path, db).unwrap();
    let (code, _, _) = tournee(&dir, &["check"]);
    assert_eq!(code, 1);

    let fresh = tablet.path().join("recovered");
    let (code, recovery, err) = tournee(&dir, &["recover", "--to", fresh.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(recovery["enrolled"], true, "{recovery}");
    assert_eq!(recovery["same_device"], true, "{recovery}");
    assert!(
        recovery["advice"].as_str().unwrap().contains("sync"),
        "{recovery}"
    );
    let kept = recovery["kept"].as_u64().unwrap();
    assert!(kept > 0 && kept <= total, "{recovery}");

    // The server gives back what the damage took: the same records as before.
    let (code, _, err) = tournee(&fresh, &["sync"]);
    assert_eq!(code, 0, "{err}");
    let (code, after, _) = tournee(&fresh, &["check"]);
    assert_eq!(code, 0);
    assert_eq!(after["chains"][0]["events"].as_u64(), Some(total));
    let (_, exported, _) = tournee(&fresh, &["export"]);
    assert_eq!(exported, before);
    // And it goes on recording and syncing under the same identity.
    let (code, report, err) = tournee(&fresh, &["sync"]);
    assert_eq!((code, report["waiting"].as_u64()), (0, Some(0)), "{err}");
}

#[test]
fn events_after_a_hole_the_server_never_received_are_said_and_go_out_adopted_by_a_new_store() {
    let server = Server::start(Kind::Sled);
    let url = server.url();
    let tablet = tempfile::tempdir().unwrap();
    let dir = tablet.path().join("store");
    let (code, _, err) = tournee(&dir, &["demo", "--today", "2026-11-24"]);
    assert_eq!(code, 0, "{err}");
    let token = server.token(&["add-technician", "T01", "--name", "Julie Moreau"]);
    let (code, _, err) = tournee(&dir, &["enroll", "--server", &url, "--token", &token]);
    assert_eq!(code, 0, "{err}");
    let (code, report, err) = tournee(&dir, &["sync"]);
    assert_eq!((code, report["waiting"].as_u64()), (0, Some(0)), "{err}");
    let (_, intact, _) = tournee(&dir, &["check"]);
    let synced = intact["chains"][0]["events"].as_u64().unwrap();
    // Then, out of network, three lots of 300 acts, each one block.
    let act_id = |n: usize| tournee::domain::ActId::parse("act", &format!("offline-{n}")).unwrap();
    {
        let store = Store::open(&dir).unwrap();
        let week = tournee::demo::week(day());
        let template: Vec<_> = week.visits.iter().flat_map(|v| v.acts.clone()).collect();
        for lot in 0..3 {
            let acts = (lot * 300..(lot + 1) * 300).map(|n| {
                let mut act = template[n % template.len()].clone();
                act.id = act_id(n);
                Payload::ActRecorded(act)
            });
            store.append(acts.collect()).unwrap();
        }
    }
    // The disk spoils every copy of the block of the second lot, before any sync.
    let (hole_from, hole_to) = (synced + 301, synced + 600);
    let path = dir.join("db");
    let mut db = std::fs::read(&path).unwrap();
    // A block: magic (4), version (1), length (4), device (16), key (32), first (8, BE),
    // count (4, BE).
    let spoilt: Vec<usize> = (0..db.len().saturating_sub(69))
        .filter(|&i| db[i..i + 4] == *b"TrnB")
        .filter(|&i| {
            let first = u64::from_be_bytes(db[i + 57..i + 65].try_into().unwrap());
            let count = u32::from_be_bytes(db[i + 65..i + 69].try_into().unwrap()) as u64;
            first <= hole_from && hole_from < first + count
        })
        .collect();
    assert!(!spoilt.is_empty());
    for at in spoilt {
        db[at + 80] ^= 0x10;
    }
    std::fs::write(&path, db).unwrap();

    let fresh = tablet.path().join("recovered");
    let (code, recovery, err) = tournee(&dir, &["recover", "--to", fresh.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(recovery["kept"].as_u64(), Some(synced + 600), "{recovery}");
    assert_eq!(
        recovery["devices"][0]["lost"],
        serde_json::json!([[hole_from, hole_to]]),
        "{recovery}"
    );
    assert!(
        recovery["advice"].as_str().unwrap().contains("adopt"),
        "{recovery}"
    );

    // The sync sends the lot before the hole, then says why the rest cannot go, and stops
    // (it does not go round in circles).
    let (code, _, err) = tournee(&fresh, &["sync"]);
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains(&format!("events {hole_from} to {hole_to}")) && err.contains("300 events"),
        "{err}"
    );
    assert!(err.contains("adopt"), "{err}");
    let (code, status, _) = tournee(&fresh, &["sync-status"]);
    assert_eq!(code, 0);
    assert_eq!(status["everything_on_server"], false, "{status}");

    // The way out: a new store of the same technician takes the third lot over and sends it.
    let token = server.token(&["add-technician", "T01", "--name", "Julie Moreau"]);
    let newer = tablet.path().join("new");
    let (code, _, err) = tournee(&newer, &["enroll", "--server", &url, "--token", &token]);
    assert_eq!(code, 0, "{err}");
    let (code, adopted, err) = tournee(&newer, &["adopt", "--from", fresh.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(adopted["adopted"].as_u64(), Some(300), "{adopted}");
    assert_eq!(adopted["waiting"].as_u64(), Some(0), "{adopted}");
    let store = Store::open(&newer).unwrap();
    for n in 0..900 {
        let held = store.act(&act_id(n)).unwrap().is_some();
        assert_eq!(held, !(300..600).contains(&n), "offline-{n}");
    }
}
