//! Benchmark of the event log: durable append latency (one act per append), throughput of
//! batched appends, importing one technician's year, and opening a store that holds it.
//!
//! `cargo bench --bench log`. Every append is flushed and fsynced before it returns.

use std::time::{Duration, Instant};

use chrono::NaiveDate;
use tournee::demo;
use tournee::domain::{Act, ActId, Payload};
use tournee::log::Store;

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn main() {
    let today = NaiveDate::from_ymd_opt(2026, 11, 24).expect("a date");
    let week = demo::week(today);
    // Acts to re-record under fresh ids, on visits the week already holds.
    let template: Vec<Act> = week
        .visits
        .iter()
        .flat_map(|v| v.acts.iter().cloned())
        .collect();
    let fresh = |n: usize| -> Act {
        let mut a = template[n % template.len()].clone();
        a.id = ActId::parse("act", &format!("bench-{n}")).expect("an id");
        a
    };

    // 1. One act per append.
    let dir = tempfile::tempdir().expect("a temporary folder");
    let store = Store::open(dir.path()).expect("a store");
    store.import(&week).expect("the demo week");
    let n = 2_000;
    let mut times = Vec::with_capacity(n);
    for i in 0..n {
        let p = vec![Payload::ActRecorded(fresh(i))];
        let t = Instant::now();
        store.append(p).expect("append");
        times.push(t.elapsed());
    }
    times.sort();
    println!(
        "durable append, 1 act:      p50 {:.3} ms   p99 {:.3} ms   max {:.3} ms   ({n} appends)",
        ms(percentile(&times, 0.5)),
        ms(percentile(&times, 0.99)),
        ms(times[n - 1])
    );

    // 2. Batches of 100 acts.
    let batches = 100;
    let t = Instant::now();
    for b in 0..batches {
        let p = (0..100)
            .map(|k| Payload::ActRecorded(fresh(n + b * 100 + k)))
            .collect();
        store.append(p).expect("append");
    }
    let secs = t.elapsed().as_secs_f64();
    println!(
        "durable append, batches of 100: {:.0} acts/s ({batches} batches in {secs:.2} s)",
        (batches * 100) as f64 / secs
    );
    drop(store);

    // 3. Import one technician's year, then open the store holding it.
    let year = demo::year(today);

    year_figures("demo year", &year);
    // 4. The same year with signatures drawn by real hands: every point jittered, each
    // farmer's own, so they compress like real pen strokes do (hardly).
    year_figures("year, noisy signatures", &noisy(year));
}

/// Imports a year into a new store, then opens it five times: time, size.
fn year_figures(name: &str, year: &tournee::exchange::Records) {
    let acts: usize = year.visits.iter().map(|v| v.acts.len()).sum();
    let dir = tempfile::tempdir().expect("a temporary folder");
    let store = Store::open(dir.path()).expect("a store");
    let t = Instant::now();
    let summary = store.import(year).expect("the year");
    println!(
        "{name}: import ({} visits, {acts} acts, {} events): {:.2} s",
        year.visits.len(),
        summary.events(),
        t.elapsed().as_secs_f64()
    );
    drop(store);
    let mut opens = Vec::new();
    for _ in 0..5 {
        let t = Instant::now();
        let store = Store::open(dir.path()).expect("the year's store");
        opens.push(t.elapsed());
        drop(store);
    }
    opens.sort();
    println!(
        "{name}: open + full integrity check: median {:.0} ms (min {:.0}, max {:.0})",
        ms(opens[2]),
        ms(opens[0]),
        ms(opens[4])
    );
    // After a crash there is no clean-close mark: the store is checked on a copy first.
    let head = dir.path().join("head");
    let clean = std::fs::read(&head).expect("the head file");
    let mut crashed = clean.clone();
    crashed[24] = 0; // "not closed cleanly", as a killed process leaves it
    let sum = blake3_of(&crashed[..57]);
    crashed[57..].copy_from_slice(&sum[..16]);
    std::fs::write(&head, &crashed).expect("the head file");
    let t = Instant::now();
    let store = Store::open(dir.path()).expect("the year's store");
    let after_crash = t.elapsed();
    drop(store);
    println!(
        "{name}: open after a crash (checked on a copy first): {:.0} ms",
        ms(after_crash)
    );
    let size: u64 = walk_size(dir.path());
    println!("{name}: store size on disk: {:.1} MB", size as f64 / 1e6);
}

fn blake3_of(bytes: &[u8]) -> [u8; 32] {
    *blake3::hash(bytes).as_bytes()
}

/// The year with each signature's points moved by up to half a percent of the pad, as a
/// hand does: nothing repeats from one signature to the next.
fn noisy(mut year: tournee::exchange::Records) -> tournee::exchange::Records {
    let mut seed = 0x9E37_79B9_7F4A_7C15u64;
    let mut jitter = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        ((seed >> 11) as f64 / (1u64 << 53) as f64 - 0.5) as f32 * 0.01
    };
    for v in &mut year.visits {
        if let Some(tournee::domain::Confirmation::Signed { strokes, .. }) = &mut v.confirmation {
            for stroke in strokes.iter_mut() {
                for p in stroke.iter_mut() {
                    p[0] = (p[0] + jitter()).clamp(0.0, 1.0);
                    p[1] = (p[1] + jitter()).clamp(0.0, 1.0);
                }
            }
        }
    }
    year
}

fn walk_size(p: &std::path::Path) -> u64 {
    let mut total = 0;
    if let Ok(entries) = std::fs::read_dir(p) {
        for e in entries.flatten() {
            let path = e.path();
            if path.is_dir() {
                total += walk_size(&path);
            } else if let Ok(m) = e.metadata() {
                total += m.len();
            }
        }
    }
    total
}
