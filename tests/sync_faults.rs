//! Sync through a network that misbehaves, and a server that dies: connections cut in the
//! middle of a batch, answers lost or cut, requests duplicated, replayed and reordered, the
//! server killed with SIGKILL while devices push. Afterwards nothing is lost and nothing is
//! doubled. On sled and on PostgreSQL.

#![cfg(feature = "server")]

mod sync_common;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use sync_common::*;
use tournee::log::Store;

/// 30 visits with two acts each, appended one visit at a time: 91 events in 31 appends.
fn a_month_of_visits(d: &Device) {
    d.append(vec![technician("T01"), farm(1)]);
    for i in 0..30 {
        let v = format!("V{i}");
        d.append(vec![
            visit(&v, "T01", 1),
            insemination(&format!("A{i}a"), &v, 100 + i),
            insemination(&format!("A{i}b"), &v, 200 + i),
        ]);
    }
}

fn faulty_network(kind: Kind) {
    let mut server = Server::start(kind);
    let tablet = Device::new();
    let spare = Device::new();
    let observer = Device::new();
    tablet.enroll(
        &server.url(),
        &server.token(&["add-technician", "T01", "--name", "Julie"]),
    );
    spare.enroll(
        &server.url(),
        &server.token(&["add-technician", "T01", "--name", "Julie"]),
    );
    observer.enroll(
        &server.url(),
        &server.token(&["add-supervisor", "S01", "--team", "T01"]),
    );
    a_month_of_visits(&tablet);
    let head = tablet.store.head(tablet.store.device()).unwrap().unwrap().0;
    assert_eq!(head, 92);

    // Every fault in turn, on pushes of 7 events and pulls of 10.
    let cycle = [
        Fault::CutRequest,
        Fault::Pass,
        Fault::DropResponse,
        Fault::Duplicate,
        Fault::CutResponse,
        Fault::Pass,
    ];
    let proxy = Proxy::start(&server.addr, move |n| cycle[n as usize % cycle.len()]);
    let mut client = tablet.client(&proxy.url());
    client.push_batch = 7;
    client.pull_limit = 10;
    let failures = sync_until_done(&tablet, &client, 200);
    assert!(failures >= 10, "the faults happened ({failures})");
    assert!(
        tournee::sync::status(&tablet.store)
            .unwrap()
            .everything_on_server()
    );

    // A second tablet of the same technician restores everything through the same network.
    let mut client = spare.client(&proxy.url());
    client.pull_limit = 10;
    sync_until_done(&spare, &client, 200);
    assert!(spare.store.records().unwrap() == tablet.store.records().unwrap());
    let t01 = tid("T01");
    assert_eq!(
        spare.store.stock(&t01).unwrap(),
        tablet.store.stock(&t01).unwrap()
    );

    // The supervisor, on a good network, receives each event exactly once.
    let first = observer.sync(&server.url());
    assert_eq!(first.pulled, head);
    assert_eq!(
        observer
            .store
            .events_after(tablet.store.device(), 0, 10_000)
            .unwrap()
            .len() as u64,
        head
    );

    // Every request seen is now replayed, last first: refused as replays (those the cuts
    // kept from the server are taken, without effect)...
    let recorded = proxy.recorded.lock().unwrap().clone();
    assert!(recorded.len() >= 30);
    let mut refused = 0;
    for request in recorded.iter().rev() {
        let answer = forward(&server.addr, request).expect("an answer");
        match status_of(&answer) {
            409 => refused += 1,
            200 => {}
            _ => panic!("{}", String::from_utf8_lossy(&answer)),
        }
    }
    assert!(
        refused >= recorded.len() / 2,
        "{refused} of {} refused",
        recorded.len()
    );
    // ... and after a restart (the server forgot the nonces), taken without effect.
    server.restart();
    for request in recorded.iter().rev() {
        let answer = forward(&server.addr, request).expect("an answer");
        assert!(
            matches!(status_of(&answer), 200 | 409),
            "{}",
            String::from_utf8_lossy(&answer)
        );
    }
    let again = observer.sync(&server.url());
    assert_eq!(again.pulled, 0, "nothing new, nothing doubled");
    let fresh = Device::new();
    fresh.enroll(
        &server.url(),
        &server.token(&["add-supervisor", "S01", "--team", "T01"]),
    );
    assert_eq!(fresh.sync(&server.url()).pulled, head);
    assert!(fresh.store.records().unwrap() == tablet.store.records().unwrap());
}

#[test]
fn cuts_lost_answers_and_replays_lose_and_double_nothing_on_sled() {
    faulty_network(Kind::Sled);
}

#[test]
fn cuts_lost_answers_and_replays_lose_and_double_nothing_on_postgres() {
    faulty_network(Kind::Postgres);
}

fn killed_server(kind: Kind) {
    let mut server = Server::start(kind);
    let tablet = Device::new();
    let observer = Device::new();
    tablet.enroll(
        &server.url(),
        &server.token(&["add-technician", "T01", "--name", "Julie"]),
    );
    // A second tablet of the same technician sees every event the first one pushed.
    observer.enroll(
        &server.url(),
        &server.token(&["add-technician", "T01", "--name", "Julie"]),
    );
    tablet.store.import(&tournee::demo::week(day())).unwrap();
    let head = tablet.store.head(tablet.store.device()).unwrap().unwrap().0;
    let proxy = Proxy::start(&server.addr, |_| Fault::Pass);

    // The tablet pushes in small batches, retrying through every outage.
    let done = Arc::new(AtomicBool::new(false));
    let pusher = {
        let (store, url, done) = (tablet.store.clone(), proxy.url(), done.clone());
        std::thread::spawn(move || {
            let mut client =
                tournee::sync::SyncClient::new(tournee::sync::HttpTransport::new(&url));
            client.push_batch = 5;
            while !done.load(Ordering::SeqCst) {
                match client.sync_once(&store) {
                    Ok(r) if r.waiting == 0 => break,
                    _ => std::thread::sleep(Duration::from_millis(10)),
                }
            }
        })
    };
    let mut rng = Rng(0xC0FFEE);
    let mut kills = 0;
    while !pusher.is_finished() && kills < 5 {
        std::thread::sleep(Duration::from_millis(40 + rng.next() % 120));
        server.kill();
        kills += 1;
        // Everything the server acknowledged before dying...
        let acknowledged = tournee::sync::progress(&tablet.store).unwrap().acknowledged;
        server.restart();
        proxy.set_upstream(&server.addr);
        // ... is still there after the restart.
        observer.sync(&server.url());
        let seen = observer
            .store
            .head(tablet.store.device())
            .unwrap()
            .map_or(0, |(s, _)| s);
        assert!(
            seen >= acknowledged,
            "acknowledged {acknowledged}, server has {seen}"
        );
        eprintln!("kill {kills}: acknowledged {acknowledged}, kept {seen}");
    }
    pusher.join().unwrap();
    done.store(true, Ordering::SeqCst);
    assert!(kills >= 2, "the server was killed during the pushes");
    observer.sync(&server.url());
    assert_eq!(
        observer
            .store
            .head(tablet.store.device())
            .unwrap()
            .unwrap()
            .0,
        head
    );
    let (seen, wrote) = (
        observer.store.records().unwrap(),
        tablet.store.records().unwrap(),
    );
    // On a difference, say where: the records of a year do not fit in a failure message.
    if seen != wrote {
        let first = seen
            .visits
            .iter()
            .zip(&wrote.visits)
            .find(|(a, b)| a != b)
            .map(|(a, b)| format!("observer {a:?}\ntablet   {b:?}"));
        panic!(
            "the observer's records differ: {} / {} visits, {} / {} farms, company equal {}; \
             first differing visit: {first:?}",
            seen.visits.len(),
            wrote.visits.len(),
            seen.farms.len(),
            wrote.farms.len(),
            seen.company == wrote.company,
        );
    }
    drop(observer.store);
    assert!(
        tournee::log::check(&Store::open(observer.dir.path()).unwrap())
            .unwrap()
            .is_intact()
    );
}

#[test]
fn nothing_acknowledged_is_lost_when_the_server_is_killed_on_sled() {
    killed_server(Kind::Sled);
}

#[test]
fn nothing_acknowledged_is_lost_when_the_server_is_killed_on_postgres() {
    killed_server(Kind::Postgres);
}
