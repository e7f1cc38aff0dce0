//! What the server promises against hostile clients, with the real `tournee-server` process:
//! a captured signed request replayed after a kill -9 and a restart is refused (sled and
//! PostgreSQL).

#![cfg(feature = "server")]

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
