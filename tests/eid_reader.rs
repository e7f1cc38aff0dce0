//! The reader thread against a pseudo-terminal standing for a stick reader: it finds the
//! reader, reads real frames written at 9600 baud (cut across reads as a UART delivers them),
//! says a reader lost in the middle of a lot, looks again, and reads on once it is back.

mod eid_common;

use std::sync::mpsc::Receiver;
use std::time::Duration;

use eid_common::{FakeReader, READER_NAME, goat};
use tournee::eid::reader::{self, ReaderConfig, ReaderEvent, Search};
use tournee::eid::{EidError, LineFormat};

/// The next event; a minute without one is a failure (no time is measured).
fn next(rx: &Receiver<ReaderEvent>, what: &str) -> ReaderEvent {
    rx.recv_timeout(Duration::from_secs(60))
        .unwrap_or_else(|_| panic!("{what}: nothing after a minute"))
}

fn read(rx: &Receiver<ReaderEvent>) -> tournee::eid::reader::ReadLine {
    match next(rx, "a read") {
        ReaderEvent::Read(line) => line,
        other => panic!("expected a read, got {other:?}"),
    }
}

#[test]
fn reads_frames_says_a_reader_lost_mid_lot_and_reconnects_by_itself() {
    let dir = tempfile::tempdir().unwrap();
    let config = ReaderConfig {
        search: Search::Folder(dir.path().to_path_buf()),
        retry: Duration::from_millis(50),
        ..ReaderConfig::default()
    };
    let (_handle, rx) = reader::start(config, Box::new(|| {})).unwrap();
    assert_eq!(next(&rx, "the search"), ReaderEvent::Searching);

    let mut stick = FakeReader::plug(dir.path());
    let (port, name) = match next(&rx, "the reader found") {
        ReaderEvent::Connected { port, name } => (port, name),
        other => panic!("expected the reader, got {other:?}"),
    };
    assert_eq!(name, READER_NAME);
    assert!(port.ends_with(READER_NAME), "{port}");

    // The frames of the manuals: Allflex line mode, TIRIS, an ISO 24631-6 STX frame, an
    // industrial tag, and noise.
    stick.send(b"LA 982 000001088420\r\n");
    stick.send(b"LA 00000 0 982 000001088420\r\n");
    stick.send(b"\x02250 053012300007\r\n");
    stick.send(b"LR 0006 0000000018514243\r\n");
    stick.send(b"#?!\r\n");
    let l = read(&rx);
    assert_eq!(l.raw, "LA 982 000001088420");
    let t = l.tag.unwrap();
    assert_eq!(
        (t.country, t.national, t.format),
        (982, 1_088_420, LineFormat::AllflexLine)
    );
    assert_eq!(read(&rx).tag.unwrap().format, LineFormat::Tiris);
    let t = read(&rx).tag.unwrap();
    assert_eq!(t.code(), "250053012300007");
    assert!(matches!(read(&rx).tag, Err(EidError::Industrial(_))));
    assert!(matches!(read(&rx).tag, Err(EidError::UnknownFormat(_))));

    // A lot: ten goats, then the reader goes in the middle of the eleventh frame.
    for n in 1..=10 {
        stick.send_allflex(250, goat(n));
    }
    stick.send(b"LA 250 0530");
    for n in 1..=10 {
        let t = read(&rx).tag.unwrap();
        assert_eq!((t.country, t.national), (250, goat(n)));
    }
    stick.unplug();
    match next(&rx, "the loss") {
        ReaderEvent::Lost { port: lost, .. } => assert_eq!(lost, port),
        other => panic!("expected the loss (the cut frame is no read), got {other:?}"),
    }
    assert_eq!(next(&rx, "the search again"), ReaderEvent::Searching);

    // Back: the same reader is found again, without anyone asking, and reads on.
    let mut stick = FakeReader::plug(dir.path());
    assert!(matches!(
        next(&rx, "the reader again"),
        ReaderEvent::Connected { .. }
    ));
    for n in 11..=15 {
        stick.send_allflex(250, goat(n));
    }
    for n in 11..=15 {
        assert_eq!(read(&rx).tag.unwrap().national, goat(n));
    }
}
