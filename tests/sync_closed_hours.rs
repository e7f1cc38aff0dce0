//! A farm's closed hours (milking) through the real server, on sled and on PostgreSQL: set on
//! the technician's tablet, read by the supervisor's and by the farmer's; changed by the
//! supervisor, the change reaches the technician; a technician whose round never went to the
//! farm may not set them.

#![cfg(feature = "server")]

mod sync_common;

use sync_common::*;
use tournee::domain::{ClosedSpan, Payload};
use tournee::sync::{SyncError, TransportError};

fn closed(farm: u32, spans: &[(u16, u16)]) -> Payload {
    Payload::ClosedHoursRecorded {
        farm: ede(farm),
        closed: spans
            .iter()
            .map(|&(from, to)| ClosedSpan { from, to })
            .collect(),
    }
}

fn spans(of: &Device, farm: u32) -> Vec<(u16, u16)> {
    of.store
        .closed_hours(&ede(farm))
        .unwrap()
        .iter()
        .map(|s| (s.from, s.to))
        .collect()
}

fn closed_hours_travel(kind: Kind) {
    let server = Server::start(kind);
    let url = server.url();
    let (t1, t2, sup) = team(&server);
    let evening = (17 * 60, 18 * 60 + 30);
    let morning = (6 * 60 + 30, 8 * 60);
    t1.append(vec![technician("T01"), farm(1), visit("V1", "T01", 1)]);
    t1.append(vec![closed(1, &[evening])]);
    t1.sync(&url);

    sup.sync(&url);
    assert_eq!(spans(&sup, 1), [evening]);
    let farmer = enrolled(&server, &["add-farmer", "--farm", &ede(1).to_string()]);
    farmer.sync(&url);
    assert_eq!(spans(&farmer, 1), [evening]);

    // The supervisor adds the morning milking: the technician's tablet gets the newer hours.
    sup.append(vec![closed(1, &[morning, evening])]);
    sup.sync(&url);
    t1.sync(&url);
    assert_eq!(spans(&t1, 1), [morning, evening]);

    // T02 never had a visit at farm 1: the farm and its hours are not T02's to change.
    t2.append(vec![technician("T02"), farm(1), closed(1, &[])]);
    match t2.client(&url).sync_once(&t2.store) {
        Err(SyncError::Transport(TransportError::Refused { status, reason, .. })) => {
            assert_eq!(status, 403, "{reason}");
            assert!(reason.contains("not in this account's scope"), "{reason}");
        }
        Err(other) => panic!("T02's hours were not refused but failed: {other}"),
        Ok(_) => panic!("T02's hours were accepted"),
    }
    sup.sync(&url);
    assert_eq!(spans(&sup, 1), [morning, evening]);
}

#[test]
fn closed_hours_travel_through_a_sled_server() {
    closed_hours_travel(Kind::Sled);
}

#[test]
fn closed_hours_travel_through_a_postgres_server() {
    closed_hours_travel(Kind::Postgres);
}
