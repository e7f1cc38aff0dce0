//! Benchmark: the year work-time report of 50 technicians, about 2 million acts.
//!
//! Each technician is the demo year (`demo::year`: about 9,000 visits and 40,000 acts) ending
//! on a different day, so their calendars differ. Only the report is timed (and, apart, its
//! JSON), not the generation of the data. One thread: the figure is per core.
//!
//! Run: `cargo bench --bench worktime`

use std::time::{Duration, Instant};

use chrono::NaiveDate;
use tournee::forfait::Grid;
use tournee::worktime::{self, Input, Settings, WorkedVisit};

const TECHNICIANS: i64 = 50;

fn main() {
    // The demo records genotyping samples, which have no national minimum.
    let grid = match Grid::company("[forfait_seconds]\nsample_genotyping = 300\n") {
        Ok(g) => g,
        Err(e) => panic!("the benchmark's grid: {e}"),
    };
    let settings = Settings::default();
    let first_today = NaiveDate::from_ymd_opt(2026, 11, 24).unwrap_or_default();
    let (mut acts, mut visits, mut days) = (0usize, 0usize, 0usize);
    let (mut report_time, mut json_time, mut json_bytes) = (Duration::ZERO, Duration::ZERO, 0);
    let mut slowest = Duration::ZERO;
    for k in 0..TECHNICIANS {
        let today = first_today + chrono::Duration::days(k);
        let records = tournee::demo::year(today);
        let worked: Vec<WorkedVisit<'_>> = records
            .visits
            .iter()
            .map(|v| WorkedVisit {
                visit: &v.visit,
                acts: &v.acts,
            })
            .collect();
        let technician = &records.technicians[0];
        let input = Input {
            technician: &technician.id,
            home: technician.home,
            farms: &records.farms,
            visits: &worked,
            declared: &[],
        };
        let from = today - chrono::Duration::days(365);
        let to = today - chrono::Duration::days(1);

        let start = Instant::now();
        let report = match worktime::report(&input, from, to, &settings, &grid) {
            Ok(r) => r,
            Err(e) => panic!("technician {k}: {e}"),
        };
        let took = start.elapsed();
        report_time += took;
        slowest = slowest.max(took);

        let start = Instant::now();
        let json = serde_json::to_vec(&report).unwrap_or_default();
        json_time += start.elapsed();
        json_bytes += json.len();

        acts += records.visits.iter().map(|v| v.acts.len()).sum::<usize>();
        visits += records.visits.len();
        days += std::hint::black_box(report).days.len();
    }
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    println!("worktime: year report of {TECHNICIANS} technicians");
    println!("  input: {visits} visits, {acts} acts, {days} day sheets");
    println!(
        "  report: {:.0} ms in all, {:.1} ms per technician (slowest {:.1} ms), {:.2} M acts/s",
        ms(report_time),
        ms(report_time) / TECHNICIANS as f64,
        ms(slowest),
        acts as f64 / report_time.as_secs_f64() / 1e6,
    );
    println!(
        "  JSON: {:.0} ms in all, {:.1} MB",
        ms(json_time),
        json_bytes as f64 / 1e6
    );
}
