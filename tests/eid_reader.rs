//! The reader thread against a pseudo-terminal standing for a stick reader: it finds the
//! reader, reads real frames written at 9600 baud (cut across reads as a UART delivers them),
//! says a reader lost in the middle of a lot, looks again, and reads on once it is back; beside
//! another serial device it keeps the port whose lines read as tags; told another port and
//! speed, it reopens with them.

mod eid_common;

use std::sync::mpsc::Receiver;
use std::time::Duration;

use eid_common::{FakeReader, GPS_NAME, NMEA, READER_NAME, goat};
use tournee::eid::reader::{self, ReaderChoice, ReaderConfig, ReaderEvent, Search};
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

/// The automatic search in `dir`, looking again every 50 ms.
fn search_in(dir: &std::path::Path) -> ReaderConfig {
    ReaderConfig {
        search: Search::Folder(dir.to_path_buf()),
        retry: Duration::from_millis(50),
        ..ReaderConfig::default()
    }
}

#[test]
fn reads_frames_says_a_reader_lost_mid_lot_and_reconnects_by_itself() {
    let dir = tempfile::tempdir().unwrap();
    let config = search_in(dir.path());
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

#[test]
fn beside_another_device_keeps_the_port_that_reads_tags_and_reopens_as_told() {
    let dir = tempfile::tempdir().unwrap();
    let auto = search_in(dir.path());
    // A GPS on a USB adapter (listed first) and the reader, both there from the start.
    let mut gps = FakeReader::plug_as(dir.path(), GPS_NAME, 9600);
    let mut stick = FakeReader::plug(dir.path());
    let (mut handle, rx) = reader::start(auto.clone(), Box::new(|| {})).unwrap();
    match next(&rx, "both ports listened to") {
        ReaderEvent::Listening { ports } => {
            let names: Vec<String> = ports
                .iter()
                .map(|p| {
                    let name = std::path::Path::new(p).file_name().unwrap();
                    name.to_string_lossy().into_owned()
                })
                .collect();
            assert_eq!(names, [GPS_NAME, READER_NAME]);
        }
        other => panic!("expected the two ports listened to, got {other:?}"),
    }

    // The GPS talks first: its sentences are no tags and choose nothing.
    gps.send(NMEA);
    gps.send(NMEA);
    stick.send_allflex(250, goat(1));
    match next(&rx, "the reader kept") {
        ReaderEvent::Connected { port, name } => {
            assert_eq!(name, READER_NAME);
            assert_eq!(port, stick.path().to_string_lossy());
        }
        other => panic!("expected the reader kept, got {other:?}"),
    }
    // The line that chose the port is the first read, not lost.
    assert_eq!(read(&rx).tag.unwrap().national, goat(1));
    assert_eq!(stick.speed(), 9600);
    gps.send(NMEA);
    stick.send_allflex(250, goat(2));
    let l = read(&rx);
    assert_eq!(
        l.raw,
        format!("LA 250 {:012}", goat(2)),
        "the GPS is no longer read"
    );

    // Told the reader's port alone at 57600 baud: it reopens it at that speed, no loss said.
    let chosen = ReaderChoice {
        port: Some(stick.path().to_path_buf()),
        baud: 57_600,
    };
    let mut stick = stick.at(57_600);
    let generation = handle.reconfigure(auto.chosen(&chosen));
    assert_eq!(
        next(&rx, "the new configuration taken"),
        ReaderEvent::Reconfigured { generation }
    );
    match next(&rx, "the chosen port open") {
        ReaderEvent::Connected { port, .. } => {
            assert_eq!(port, stick.path().to_string_lossy())
        }
        other => panic!("expected the chosen port, got {other:?}"),
    }
    assert_eq!(stick.speed(), 57_600);
    for n in 3..=5 {
        stick.send_allflex(250, goat(n));
    }
    for n in 3..=5 {
        assert_eq!(read(&rx).tag.unwrap().national, goat(n));
    }

    // Back to automatic at 9600: both ports are listened to again.
    let mut stick = stick.at(9600);
    let generation = handle.reconfigure(auto.chosen(&ReaderChoice::default()));
    assert_eq!(generation, 2);
    assert_eq!(
        next(&rx, "automatic again"),
        ReaderEvent::Reconfigured { generation }
    );
    assert!(matches!(
        next(&rx, "both ports again"),
        ReaderEvent::Listening { .. }
    ));
    stick.send_allflex(250, goat(6));
    assert!(matches!(
        next(&rx, "the reader kept again"),
        ReaderEvent::Connected { .. }
    ));
    assert_eq!(read(&rx).tag.unwrap().national, goat(6));
    assert_eq!(stick.speed(), 9600);
}

#[test]
fn a_reader_plugged_beside_a_lone_other_device_is_still_found() {
    let dir = tempfile::tempdir().unwrap();
    // Only the GPS at first: it is opened and read, its lines said as no tags.
    let mut gps = FakeReader::plug_as(dir.path(), GPS_NAME, 9600);
    let (_handle, rx) = reader::start(search_in(dir.path()), Box::new(|| {})).unwrap();
    match next(&rx, "the GPS opened") {
        ReaderEvent::Connected { name, .. } => assert_eq!(name, GPS_NAME),
        other => panic!("expected the only port opened, got {other:?}"),
    }
    gps.send(NMEA);
    assert!(matches!(read(&rx).tag, Err(EidError::UnknownFormat(_))));

    // The reader plugged in: both are listened to, and the reader kept on its first tag.
    let mut stick = FakeReader::plug(dir.path());
    assert!(matches!(
        next(&rx, "both ports listened to"),
        ReaderEvent::Listening { ports } if ports.len() == 2
    ));
    gps.send(NMEA);
    stick.send_allflex(250, goat(1));
    match next(&rx, "the reader kept") {
        ReaderEvent::Connected { name, .. } => assert_eq!(name, READER_NAME),
        other => panic!("expected the reader kept, got {other:?}"),
    }
    assert_eq!(read(&rx).tag.unwrap().national, goat(1));
    gps.send(NMEA);
    stick.send_allflex(250, goat(2));
    assert_eq!(read(&rx).tag.unwrap().national, goat(2));
}
