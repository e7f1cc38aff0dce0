//! What the server promises against hostile clients, with the real `tournee-server` process:
//! a captured signed request replayed after a kill -9 and a restart is refused (sled and
//! PostgreSQL); a few hundred connections trickling their bodies do not keep a real device
//! from syncing.

#![cfg(feature = "server")]

mod cli_common;
mod sync_common;

use sync_common::*;
use tournee::log::Store;
use tournee::sync::protocol::{Endpoint, Envelope, SyncRequest, request_message};
use tournee::sync::{HttpTransport, Transport, TransportError, wire};

/// A signed `POST /v1/sync` frame, as a device sends it (and an eavesdropper captures it).
fn signed_frame(store: &Store, request: &SyncRequest, nonce: [u8; 16]) -> Vec<u8> {
    let body = postcard::to_allocvec(request).unwrap();
    let issued_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64;
    let signature = store
        .sign_request(&request_message(Endpoint::Sync, issued_ms, &nonce, &body))
        .unwrap();
    wire::encode(&Envelope {
        device: store.device(),
        issued_ms,
        nonce,
        signature: tournee::log::SignatureBytes(signature),
        body,
    })
    .unwrap()
}

fn replay_after_a_kill_is_refused(kind: Kind) {
    let mut server = Server::start(kind);
    let t1 = enrolled(
        &server,
        &["add-technician", "T01", "--name", "Julie Moreau"],
    );
    t1.append(vec![technician("T01"), farm(1), visit("V1", "T01", 1)]);
    t1.sync(&server.url());

    let frame = signed_frame(&t1.store, &pull_all(), *b"captured-nonce-1");
    let first = HttpTransport::new(&server.url()).post(Endpoint::Sync, frame.clone());
    assert!(first.is_ok(), "{first:?}");
    // Before a restart, as before this change.
    match HttpTransport::new(&server.url()).post(Endpoint::Sync, frame.clone()) {
        Err(TransportError::Refused { status, reason, .. }) => {
            assert_eq!(status, 409, "{reason}");
        }
        other => panic!("expected a refusal, got {other:?}"),
    }

    server.restart();
    match HttpTransport::new(&server.url()).post(Endpoint::Sync, frame) {
        Err(TransportError::Refused { status, reason, .. }) => {
            assert_eq!(status, 409, "{reason}");
            assert!(reason.contains("already received"), "{reason}");
        }
        other => panic!("the replay after a restart must be refused, got {other:?}"),
    }
    // The device itself goes on syncing: only the copy is refused.
    t1.append(vec![visit("V2", "T01", 1)]);
    let report = t1.sync(&server.url());
    assert_eq!(report.pushed, 1, "{report:?}");
}

#[test]
fn a_request_replayed_after_kill_and_restart_is_refused_on_sled() {
    replay_after_a_kill_is_refused(Kind::Sled);
}

#[test]
fn a_request_replayed_after_kill_and_restart_is_refused_on_postgres() {
    replay_after_a_kill_is_refused(Kind::Postgres);
}

/// Opens a connection from a loopback address of its own (Linux routes all of 127/8 to the
/// loopback), as clients behind different addresses would.
async fn connect_from(from: [u8; 4], to: std::net::SocketAddr) -> tokio::net::TcpStream {
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.bind(std::net::SocketAddr::from((from, 0))).unwrap();
    socket.connect(to).await.unwrap()
}

/// The start of a sync that announces 1 MB and stops after a few bytes.
const SLOW: &[u8] = b"POST /v1/sync HTTP/1.1\r\nHost: sync\r\nContent-Type: application/x-tournee\r\nContent-Length: 1000000\r\n\r\n0123456789abcdef";

/// Reads what the server sends until it closes the connection. The bound only keeps a broken
/// server from hanging the test: the server's own limits end these connections long before.
async fn until_closed(stream: &mut tokio::net::TcpStream) -> Option<String> {
    use tokio::io::AsyncReadExt;
    let mut got = Vec::new();
    match tokio::time::timeout(
        std::time::Duration::from_secs(170),
        stream.read_to_end(&mut got),
    )
    .await
    {
        Ok(_) => Some(String::from_utf8_lossy(&got).into_owned()),
        Err(_) => None,
    }
}

#[test]
fn a_device_syncs_while_six_hundred_connections_trickle_their_bodies() {
    use tokio::io::AsyncWriteExt;
    let server = Server::start(Kind::Sled);
    let url = server.url();
    let addr: std::net::SocketAddr = server.addr.parse().unwrap();
    let t1 = enrolled(
        &server,
        &["add-technician", "T01", "--name", "Julie Moreau"],
    );
    t1.append(vec![technician("T01"), farm(1), visit("V1", "T01", 1)]);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();

    // 600 bodies trickling, 30 from each of 20 addresses (under the cap of 64 per address).
    let mut slow = runtime.block_on(async {
        let mut held = Vec::new();
        for a in 0..20u8 {
            for _ in 0..30 {
                let mut s = connect_from([127, 0, 1, a + 2], addr).await;
                s.write_all(SLOW).await.unwrap();
                held.push(s);
            }
        }
        held
    });
    assert_eq!(slow.len(), 600);

    // One address holding 64 connections: its 65th is closed at once, unanswered.
    let (mut capped, mut full) = runtime.block_on(async {
        let mut full = Vec::new();
        for _ in 0..64 {
            let mut s = connect_from([127, 0, 2, 1], addr).await;
            s.write_all(SLOW).await.unwrap();
            full.push(s);
        }
        (connect_from([127, 0, 2, 1], addr).await, full)
    });
    let answer = runtime.block_on(until_closed(&mut capped));
    assert_eq!(
        answer.as_deref(),
        Some(""),
        "the 65th connection of one address"
    );

    // Headers never finished: closed by hyper's header timer.
    let mut mute = runtime.block_on(async {
        let mut s = connect_from([127, 0, 3, 1], addr).await;
        s.write_all(b"POST /v1/sync HTTP/1.1\r\nHost: sy")
            .await
            .unwrap();
        s
    });

    // The real device syncs meanwhile, from its own address.
    let report = t1.sync(&url);
    assert_eq!(report.pushed, 3, "{report:?}");
    assert_eq!(report.waiting, 0);

    // Every trickling body is answered 408, saying why, and its connection closed.
    runtime.block_on(async {
        for (i, s) in slow.iter_mut().chain(full.iter_mut()).enumerate() {
            let answer = until_closed(s).await;
            let answer = answer.unwrap_or_else(|| panic!("connection {i} still open"));
            assert!(
                answer.starts_with("HTTP/1.1 408"),
                "connection {i}: {answer}"
            );
            assert!(
                answer.contains("came too slowly"),
                "connection {i}: {answer}"
            );
        }
    });
    let answer = runtime.block_on(until_closed(&mut mute));
    assert!(
        answer.is_some(),
        "a request whose headers never end is closed"
    );
}

/// `tournee --data DIR ARGS...` as a user runs it: its JSON on stdout, or the test fails.
fn tournee_cli(data: &std::path::Path, args: &[&str]) -> serde_json::Value {
    cli_common::json(&cli_common::tournee_on(data, args))
}

#[test]
fn a_copied_tablet_hands_its_refused_events_to_a_new_identity_and_nothing_is_lost() {
    let server = Server::start(Kind::Sled);
    let url = server.url();
    // The store copied to a second tablet; both record an act.
    let copy_dir_ = tempfile::tempdir().unwrap();
    let t1 = tablet_and_copy(&server, copy_dir_.path());
    let copy = Store::open(copy_dir_.path()).unwrap();
    t1.append(vec![insemination("A3", "V1", 3)]);
    copy.append(vec![
        insemination("A9", "V1", 9),
        visit("V2", "T01", 1),
        insemination("A10", "V2", 10),
    ])
    .unwrap();
    t1.sync(&url);
    let refused = t1.client(&url).sync_once(&copy).unwrap_err().to_string();
    assert!(refused.contains("forked chain"), "{refused}");
    drop(copy);

    // The way out: a new store, enrolled with a new token, adopts what the server refused.
    let fresh = tempfile::tempdir().unwrap();
    let token = server.token(&["add-technician", "T01", "--name", "Julie Moreau"]);
    tournee_cli(
        fresh.path(),
        &["enroll", "--server", &url, "--token", &token],
    );
    let from = copy_dir_.path().to_str().unwrap();
    let adopted = tournee_cli(fresh.path(), &["adopt", "--from", from]);
    // technician, farm, V1 were on the server already; A9, V2, A10 were refused.
    assert_eq!(adopted["already_held"], 3, "{adopted}");
    assert_eq!(adopted["adopted"], 3, "{adopted}");
    assert_eq!(adopted["pushed"], 3, "{adopted}");
    assert_eq!(adopted["waiting"], 0, "{adopted}");

    // The first tablet receives them; its own act is there once.
    t1.sync(&url);
    for act in ["A3", "A9", "A10"] {
        let id = tournee::domain::ActId::parse("a", act).unwrap();
        assert!(t1.store.act(&id).unwrap().is_some(), "{act}");
    }
    assert!(t1.store.visit(&vid("V2")).unwrap().is_some());

    // The copy is left as it was: its acts still read and export there.
    let exported = tournee_cli(copy_dir_.path(), &["export"]);
    let text = exported.to_string();
    assert!(
        text.contains("\"A9\"") && text.contains("\"A10\""),
        "{text}"
    );

    // Adopting again adds nothing: everything is held now.
    let again = tournee_cli(fresh.path(), &["adopt", "--from", from]);
    assert_eq!(again["adopted"], 0, "{again}");
    assert_eq!(again["already_held"], 6, "{again}");
}
