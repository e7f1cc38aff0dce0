//! Sync benchmarks with the real server process on loopback:
//! - bytes on the wire per insemination (alone in a sync, and in a batch of 100);
//! - first full sync of one technician's year (`demo::year`), push and restore: bytes, and
//!   seconds of `tournee sync` as a process, start to exit;
//! - a typical day's incremental sync after the year before it, through a 2G line (`year`);
//! - what a day's push is made of, kind by kind, in bodies and in columns (`day`);
//! - server ingest rate with 200 devices pushing a week each at once, on sled and PostgreSQL.
//!
//! - what each zstd level makes of a year's push (`levels`).
//!
//! `cargo bench --bench sync --no-default-features --features server [-- wire|levels|day|year|ingest]`

#[path = "../tests/sync_common/mod.rs"]
mod common;

use std::sync::{Arc, Barrier};
use std::time::Instant;

use common::*;
use tournee::domain::{ActId, ActKind, Ede, TechnicianId, VisitId};
use tournee::exchange::Records;
use tournee::sync::protocol::{
    Endpoint, Envelope, Push, Pushed, SyncReply, SyncRequest, request_message,
};
use tournee::sync::{HttpTransport, SyncClient, Transport, wire};

fn wire_per_insemination() {
    let server = Server::start(Kind::Sled);
    let url = server.url();
    let tablet = Device::new();
    tablet.enroll(
        &url,
        &server.token(&["add-technician", "T01", "--name", "Julie Moreau"]),
    );
    let mut week = tournee::demo::week(day());
    let inseminations: Vec<_> = week
        .visits
        .iter()
        .flat_map(|v| v.acts.iter())
        .filter(|a| a.kind == ActKind::IaBovine)
        .cloned()
        .collect();
    for v in &mut week.visits {
        v.acts.clear();
        v.confirmation = None;
    }
    tablet.store.import(&week).unwrap();
    tablet.sync(&url);
    let push = |acts: &[tournee::domain::Act]| {
        for a in acts {
            tablet.append(vec![tournee::domain::Payload::ActRecorded(a.clone())]);
        }
        tablet.sync(&url)
    };
    let one = push(&inseminations[..1]);
    println!(
        "wire: one insemination alone in a sync: {} bytes sent, {} received, {} round trip",
        one.bytes_sent, one.bytes_received, one.round_trips
    );
    let rest = &inseminations[1..];
    let batch = push(rest);
    println!(
        "wire: {n} inseminations ({n} appends) in one sync: {} bytes sent = {:.1} bytes per insemination",
        batch.bytes_sent,
        batch.bytes_sent as f64 / rest.len() as f64,
        n = rest.len()
    );
}

/// The year up to a typical day (of the last 20 days with visits done, the one with the median
/// number of acts), and that day. The year's last day is a crowded one; a day's sync is
/// measured on the day a technician usually has.
fn split_typical_day(year: Records) -> (Records, Records) {
    let days = worked_days(&year);
    let mut recent: Vec<(usize, chrono::NaiveDate)> = days
        .iter()
        .rev()
        .take(20)
        .map(|(d, (_, acts))| (*acts, *d))
        .collect();
    recent.sort();
    let typical = recent[recent.len() / 2].1;
    split_at(year, typical)
}

/// Each day a visit was made: its visits and acts.
fn worked_days(year: &Records) -> std::collections::BTreeMap<chrono::NaiveDate, (usize, usize)> {
    let mut days: std::collections::BTreeMap<chrono::NaiveDate, (usize, usize)> =
        Default::default();
    for v in year.visits.iter().filter(|v| v.visit.arrived.is_some()) {
        let d = days.entry(v.visit.day).or_default();
        d.0 += 1;
        d.1 += v.acts.len();
    }
    days
}

/// The issue's day, its shape exactly (25 visits, 89 acts, 14 signatures), from the demo year:
/// of the last 60 worked days, the one whose first 25 visits done hold the fewest acts above
/// 89 with 14 signatures; its other visits left out, its last acts beyond the 89th left out,
/// its signatures after the 14th left as farmers absent (instructions left); with the year
/// before it.
fn split_issue_day(year: Records) -> (Records, Records) {
    let days = worked_days(&year);
    let first_25 = |day: chrono::NaiveDate| -> Vec<&tournee::exchange::VisitRecords> {
        year.visits
            .iter()
            .filter(|v| v.visit.day == day && v.visit.arrived.is_some())
            .take(25)
            .collect()
    };
    let signed = |v: &&&tournee::exchange::VisitRecords| {
        matches!(
            v.confirmation,
            Some(tournee::domain::Confirmation::Signed { .. })
        )
    };
    let chosen = days
        .keys()
        .rev()
        .take(60)
        .filter_map(|d| {
            let visits = first_25(*d);
            let acts: usize = visits.iter().map(|v| v.acts.len()).sum();
            (visits.len() == 25 && acts >= 89 && visits.iter().filter(signed).count() >= 14)
                .then_some((acts - 89, *d))
        })
        .min()
        .map(|(_, d)| d)
        .expect("a demo day of 25 visits, 89 acts and 14 signatures");
    let keep: Vec<String> = first_25(chosen)
        .iter()
        .map(|v| v.visit.id.to_string())
        .collect();
    let (before, mut day) = split_at(year, chosen);
    day.visits
        .retain(|v| keep.contains(&v.visit.id.to_string()));
    let mut acts = day.visits.iter().map(|v| v.acts.len()).sum::<usize>();
    for v in day.visits.iter_mut().rev() {
        while acts > 89 && !v.acts.is_empty() {
            v.acts.pop();
            acts -= 1;
        }
    }
    let mut signed = 0;
    for v in &mut day.visits {
        let at = match &v.confirmation {
            Some(tournee::domain::Confirmation::Signed { at, .. }) => *at,
            _ => continue,
        };
        signed += 1;
        if signed > 14 {
            v.confirmation = Some(tournee::domain::Confirmation::InstructionsLeft { at });
        }
    }
    (before, day)
}

/// The visits of `day` apart, and those before it with everything else.
fn split_at(year: Records, typical: chrono::NaiveDate) -> (Records, Records) {
    let (day, rest): (Vec<_>, Vec<_>) = year
        .visits
        .into_iter()
        .filter(|v| v.visit.day <= typical)
        .partition(|v| v.visit.day == typical);
    (
        Records {
            technicians: year.technicians.clone(),
            farms: year.farms.clone(),
            company: year.company.clone(),
            visits: rest,
            advice: year.advice.clone(),
            closed_hours: year.closed_hours.clone(),
        },
        Records {
            technicians: year.technicians,
            farms: year.farms,
            company: year.company,
            visits: day,
            advice: vec![],
            closed_hours: vec![],
        },
    )
}

fn year_and_day() {
    let server = Server::start(Kind::Sled);
    let url = server.url();
    let enroll = |dir: &std::path::Path| {
        let store = tournee::log::Store::open(dir).unwrap();
        let token = server.token(&["add-technician", "T01", "--name", "Julie Moreau"]);
        SyncClient::new(HttpTransport::new(&url))
            .enroll(&store, &url, &token, "bench")
            .unwrap();
        store
    };
    let year = tournee::demo::year(day());
    let tablet = tempfile::tempdir().unwrap();
    let (events, summary) = {
        let store = enroll(tablet.path());
        let summary = store.import(&year).unwrap();
        (store.head(store.device()).unwrap().unwrap().0, summary)
    };
    let acts: usize = year.visits.iter().map(|v| v.acts.len()).sum();
    // End to end, as a technician meets it: the process starts, opens and checks the store,
    // syncs and exits.
    let (push, push_s) = sync_process(tablet.path());
    println!(
        "year: {} visits, {acts} acts, {events} events ({} new records); first sync (push, `tournee sync` from start to exit): {} bytes sent ({:.1} per event), {} received, {} round trips, {push_s:.2} s",
        year.visits.len(),
        summary.events(),
        push["bytes_sent"],
        push["bytes_sent"].as_f64().unwrap() / events as f64,
        push["bytes_received"],
        push["round_trips"]
    );
    let spare = tempfile::tempdir().unwrap();
    drop(enroll(spare.path()));
    let (pull, pull_s) = sync_process(spare.path());
    println!(
        "year: restore on a new tablet (pull, `tournee sync` from start to exit): {} bytes received, {} sent, {} round trips, {pull_s:.2} s ({} events)",
        pull["bytes_received"], pull["bytes_sent"], pull["round_trips"], pull["pulled"]
    );
}

/// A typical day's sync after the year before it, through a 2G line.
fn typical_day() {
    one_day("day", split_typical_day(tournee::demo::year(day())));
    one_day("issue's day", split_issue_day(tournee::demo::year(day())));
}

/// Syncs a year, then the day after it through a 2G line: what the day costs.
fn one_day(name: &str, (year, last_day): (Records, Records)) {
    let server = Server::start(Kind::Sled);
    let url = server.url();
    let tablet = tempfile::tempdir().unwrap();
    let store = tournee::log::Store::open(tablet.path()).unwrap();
    let token = server.token(&["add-technician", "T01", "--name", "Julie Moreau"]);
    let client = SyncClient::new(HttpTransport::new(&url));
    client.enroll(&store, &url, &token, "bench").unwrap();
    store.import(&year).unwrap();
    client.sync_once(&store).unwrap();
    let acts: usize = last_day.visits.iter().map(|v| v.acts.len()).sum();
    let signatures = last_day
        .visits
        .iter()
        .filter(|v| {
            matches!(
                v.confirmation,
                Some(tournee::domain::Confirmation::Signed { .. })
            )
        })
        .count();
    let s = store.import(&last_day).unwrap();
    // The day goes through a 2G line: the bytes are those of loopback, the time is the barn's.
    let line = common::throttle::Throttle::start(
        url.trim_start_matches("http://"),
        common::throttle::Line::TWO_G,
    );
    let t = Instant::now();
    let day_sync = SyncClient::new(HttpTransport::new(&line.url()))
        .sync_once(&store)
        .unwrap();
    println!(
        "{name}: {} visits, {acts} acts, {signatures} signatures, {} events; incremental sync: {} bytes sent, {} received, {} round trip(s), {:.2} s at 2G (40 kbit/s, 600 ms round trip)",
        last_day.visits.len(),
        s.events(),
        day_sync.bytes_sent,
        day_sync.bytes_received,
        day_sync.round_trips,
        t.elapsed().as_secs_f64()
    );
}

/// Runs `tournee --data DIR sync` and gives its report and the seconds from start to exit.
fn sync_process(dir: &std::path::Path) -> (serde_json::Value, f64) {
    let t = Instant::now();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_tournee"))
        .arg("--data")
        .arg(dir)
        .arg("sync")
        .output()
        .unwrap();
    let seconds = t.elapsed().as_secs_f64();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    (serde_json::from_slice(&out.stdout).unwrap(), seconds)
}

/// The demo week of technician `i`, with ids of its own (farms included).
fn week_of(i: usize) -> Records {
    let t = format!("T{i:03}");
    let mut r = tournee::demo::week(day());
    // the week itself, not the months of history the demo puts behind it
    let from = day() - chrono::Duration::days(7);
    r.visits.retain(|v| v.visit.day >= from);
    let mut farm_ids = std::collections::HashMap::new();
    for (k, f) in r.farms.iter_mut().enumerate() {
        let ede = Ede::parse("ede", &format!("53{i:03}{:03}", k + 1)).unwrap();
        farm_ids.insert(f.ede.clone(), ede.clone());
        f.ede = ede;
    }
    for tech in &mut r.technicians {
        tech.id = TechnicianId::parse("t", &t).unwrap();
    }
    for v in &mut r.visits {
        v.visit.id = VisitId::parse("v", &format!("{t}-{}", v.visit.id)).unwrap();
        v.visit.technician = TechnicianId::parse("t", &t).unwrap();
        v.visit.farm = farm_ids[&v.visit.farm].clone();
        for a in &mut v.acts {
            a.id = ActId::parse("a", &format!("{t}-{}", a.id)).unwrap();
            a.visit = v.visit.id.clone();
        }
    }
    r
}

fn ingest(kind: Kind, devices: usize) {
    // 200 tablets come from 200 addresses: the cap on connections per address is not what is
    // measured here.
    let server = Server::start_with(kind, &["--max-connections-per-address", "0"]);
    let url = server.url();
    let mut frames = Vec::new();
    let mut total = 0u64;
    for i in 0..devices {
        let d = Device::new();
        d.enroll(
            &url,
            &server.token(&["add-technician", &format!("T{i:03}"), "--name", "Tech"]),
        );
        d.store.import(&week_of(i)).unwrap();
        let events = d.store.bodies_after(d.store.device(), 0, 100_000).unwrap();
        let last = events.len() as u64;
        total += events.len() as u64;
        let request = SyncRequest {
            push: Some(Push {
                after: 0,
                events: Pushed::Plain(events),
                signature: tournee::log::SignatureBytes(d.store.sign_own(last).unwrap()),
            }),
            pull: None,
        };
        let body = postcard::to_allocvec(&request).unwrap();
        let issued_ms = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_millis() as u64;
        let nonce = (i as u128).to_le_bytes();
        let signature = d
            .store
            .sign_request(&request_message(Endpoint::Sync, issued_ms, &nonce, &body))
            .unwrap();
        let envelope = Envelope {
            device: d.store.device(),
            issued_ms,
            nonce,
            signature: tournee::log::SignatureBytes(signature),
            body,
        };
        frames.push(wire::encode(&envelope).unwrap());
    }
    let barrier = Arc::new(Barrier::new(devices + 1));
    let threads: Vec<_> = frames
        .into_iter()
        .map(|frame| {
            let (barrier, url) = (barrier.clone(), url.clone());
            std::thread::spawn(move || {
                let http = HttpTransport::new(&url);
                barrier.wait();
                let reply = http.post(Endpoint::Sync, frame).unwrap();
                let reply: SyncReply = wire::decode(&reply.frame).unwrap();
                reply.head
            })
        })
        .collect();
    // for a profiler: the pushes start now (the set-up before is not what is measured)
    eprintln!("ingest: {devices} devices ready");
    barrier.wait();
    let t = Instant::now();
    let stored: u64 = threads.into_iter().map(|t| t.join().unwrap()).sum();
    let s = t.elapsed().as_secs_f64();
    assert_eq!(stored, total);
    println!(
        "ingest ({kind:?}): {devices} devices pushing a week each at once: {total} events in {s:.2} s = {:.0} events/s",
        total as f64 / s
    );
}

/// What each zstd level makes of a year's push (the bodies, in batches as the client sends
/// them): the measurement behind `wire::LEVEL`.
fn levels() {
    let dir = tempfile::tempdir().unwrap();
    let store = tournee::log::Store::open(dir.path()).unwrap();
    store.import(&tournee::demo::year(day())).unwrap();
    let bodies = store.bodies_after(store.device(), 0, usize::MAX).unwrap();
    let batches: Vec<Vec<u8>> = bodies
        .chunks(5_000)
        .map(|b| postcard::to_allocvec(&b.to_vec()).unwrap())
        .collect();
    let raw: usize = batches.iter().map(Vec::len).sum();
    println!(
        "levels: a year's bodies, {} events, {raw} bytes in {} batches",
        bodies.len(),
        batches.len()
    );
    let mut kinds: std::collections::BTreeMap<&str, (usize, Vec<u8>)> = Default::default();
    for (i, b) in bodies.iter().enumerate() {
        let id = tournee::log::EventId {
            device: store.device(),
            seq: i as u64 + 1,
        };
        let e = tournee::log::Event::from_body(id, b).unwrap();
        if let tournee::domain::Payload::VisitConfirmed {
            confirmation: tournee::domain::Confirmation::Signed { strokes, .. },
            ..
        } = &e.payload
        {
            let k = kinds.entry("strokes").or_default();
            k.0 += 1;
            k.1.extend_from_slice(&tournee::domain::strokes::pack(strokes));
        }
        let k = kinds.entry(e.payload.name()).or_default();
        k.0 += 1;
        k.1.extend_from_slice(b);
    }
    for (name, (n, bytes)) in &kinds {
        println!(
            "levels: {name}: {n} events, {} bytes, {} at zstd 9",
            bytes.len(),
            zstd::bulk::compress(bytes, 9).unwrap().len()
        );
    }
    for level in [3, 9, 19] {
        let t = Instant::now();
        let packed: usize = bodies
            .chunks(5_000)
            .map(|b| {
                zstd::bulk::compress(&tournee::sync::columns::lay_out(b).unwrap(), level)
                    .unwrap()
                    .len()
            })
            .sum();
        println!(
            "levels: columns, zstd {level:>2}: {packed} bytes, {:.0} ms",
            t.elapsed().as_secs_f64() * 1000.0
        );
    }
    for level in [1, 3, 6, 9, 12, 15, 19] {
        let t = Instant::now();
        let packed: usize = batches
            .iter()
            .map(|b| zstd::bulk::compress(b, level).unwrap().len())
            .sum();
        println!(
            "levels: zstd {level:>2}: {packed} bytes, {:.0} ms",
            t.elapsed().as_secs_f64() * 1000.0
        );
    }
}

fn main() {
    let only: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .collect();
    let want = |name: &str| only.is_empty() || only.iter().any(|o| o == name);
    if want("wire") {
        wire_per_insemination();
    }
    if want("levels") {
        levels();
    }
    if want("day") {
        day_anatomy();
    }
    if want("year") {
        year_and_day();
        typical_day();
    }
    if want("ingest") || want("ingest-sled") {
        ingest(Kind::Sled, 200);
    }
    if want("ingest") || want("ingest-postgres") {
        ingest(Kind::Postgres, 200);
    }
}

/// What a day's push is made of: each kind of event alone, packed against the history the
/// push uses as dictionary.
fn day_anatomy() {
    let dir = tempfile::tempdir().unwrap();
    let store = tournee::log::Store::open(dir.path()).unwrap();
    let (year, last_day) = split_typical_day(tournee::demo::year(day()));
    store.import(&year).unwrap();
    let before = store.head(store.device()).unwrap().unwrap().0;
    store.import(&last_day).unwrap();
    let all = store.bodies_after(store.device(), 0, usize::MAX).unwrap();
    let from = before as usize;
    let history = &all[from.saturating_sub(1_000)..from];
    let dict = history.concat();
    let bodies = &all[from..];
    let pack = |b: &[Vec<u8>]| {
        zstd::bulk::Compressor::with_dictionary(19, &dict)
            .unwrap()
            .compress(&postcard::to_allocvec(&b.to_vec()).unwrap())
            .unwrap()
            .len()
    };
    println!(
        "day: {} events, {} raw bytes, {} packed",
        bodies.len(),
        bodies.iter().map(Vec::len).sum::<usize>(),
        pack(bodies)
    );
    println!(
        "day: in columns against the same history: {} bytes",
        tournee::sync::columns::pack(history, bodies, 19)
            .unwrap()
            .len()
    );
    let mut kinds: std::collections::BTreeMap<&str, Vec<Vec<u8>>> = Default::default();
    for (i, b) in bodies.iter().enumerate() {
        let id = tournee::log::EventId {
            device: store.device(),
            seq: (from + i) as u64 + 1,
        };
        let e = tournee::log::Event::from_body(id, b).unwrap();
        if std::env::var("DUMP").is_ok() {
            println!("{} {:?}", b.len(), e);
        }
        kinds.entry(e.payload.name()).or_default().push(b.clone());
    }
    for (name, b) in &kinds {
        println!(
            "day: {name}: {} events, {} raw, {} packed alone, {} in columns alone",
            b.len(),
            b.iter().map(Vec::len).sum::<usize>(),
            pack(b),
            tournee::sync::columns::pack(history, b, 19).unwrap().len()
        );
    }
}
