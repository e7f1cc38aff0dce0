//! End to end: the real `tournee-server` process, real devices with their own stores.
//! Two technicians and a supervisor record offline, sync in random orders, and end with the
//! same state; a visit the supervisor reassigns reaches the new technician with its farm's
//! history. The same scenario runs on sled and on PostgreSQL.

#![cfg(feature = "server")]

mod sync_common;

use sync_common::*;
use tournee::domain::Week;
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
