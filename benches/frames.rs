//! Benchmark of the app's frames: CPU time per frame, headless (egui's layout of the whole
//! screen plus tessellation into triangles, what eframe does each frame before the GPU), for
//! Today, a visit and a farm history, on a store holding one technician's year; and cold
//! start: opening the app on that store to its first frame, and to the first frame showing
//! today's round.
//!
//! `cargo bench --bench frames`. The store holds `demo::year` (about 9,000 visits and 40,000
//! acts) and the demo tank; "today" is the year's last day, so Today lists a full day of done
//! visits.

use std::time::{Duration, Instant};

use chrono::NaiveDate;
use egui::{Context, Pos2, RawInput, Rect, vec2};
use tournee::app::{AppConfig, Screen, TourneeApp};
use tournee::demo;
use tournee::log::Store;

/// A 10-inch rugged tablet held upright, in logical pixels.
const SCREEN: [f32; 2] = [800.0, 1280.0];
const FRAMES: usize = 300;
const COLD_STARTS: usize = 10;

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn report(what: &str, mut times: Vec<Duration>) {
    times.sort();
    println!(
        "{what:<34} median {:>8.3} ms   p95 {:>8.3} ms   ({} runs)",
        ms(percentile(&times, 0.5)),
        ms(percentile(&times, 0.95)),
        times.len()
    );
}

/// Runs one frame as eframe would, up to the triangles handed to the GPU.
struct Frames {
    ctx: Context,
    time: f64,
}

impl Frames {
    fn new() -> Frames {
        Frames {
            ctx: Context::default(),
            time: 0.0,
        }
    }

    /// Returns the number of triangle vertices drawn (to show the frame draws the screen).
    fn frame(&mut self, app: &mut TourneeApp) -> usize {
        self.time += 1.0 / 60.0;
        let input = RawInput {
            screen_rect: Some(Rect::from_min_size(Pos2::ZERO, vec2(SCREEN[0], SCREEN[1]))),
            time: Some(self.time),
            ..RawInput::default()
        };
        let out = self.ctx.run_ui(input, |ui| app.ui(ui));
        let triangles = self.ctx.tessellate(out.shapes, out.pixels_per_point);
        triangles
            .iter()
            .map(|p| match &p.primitive {
                egui::epaint::Primitive::Mesh(m) => m.vertices.len(),
                egui::epaint::Primitive::Callback(_) => 0,
            })
            .sum()
    }

    /// Frames until the backend has answered everything and `ready` holds.
    fn settle(&mut self, app: &mut TourneeApp, ready: impl Fn(&TourneeApp) -> bool) {
        let start = Instant::now();
        loop {
            self.frame(app);
            if app.is_idle() && ready(app) {
                self.frame(app);
                return;
            }
            assert!(
                start.elapsed() < Duration::from_secs(120),
                "the backend never settled"
            );
            std::thread::sleep(Duration::from_micros(200));
        }
    }
}

fn config(dir: &std::path::Path, today: NaiveDate) -> AppConfig {
    let mut c = AppConfig::for_dir(dir);
    c.today = Some(today);
    c
}

fn main() {
    let today = NaiveDate::from_ymd_opt(2026, 11, 24).expect("a date");
    // The year up to today included: today's round is a full day.
    let year = demo::year(today.succ_opt().expect("a date"));
    let acts: usize = year.visits.iter().map(|v| v.acts.len()).sum();
    let dir = tempfile::tempdir().expect("a temporary folder");
    {
        let store = Store::open(dir.path()).expect("a store");
        let t = Instant::now();
        store.import(&year).expect("the demo year");
        store.append(demo::tank()).expect("the demo tank");
        println!(
            "store: {} visits, {acts} acts, imported in {:.1} s",
            year.visits.len(),
            t.elapsed().as_secs_f64()
        );
    }
    let todays: Vec<_> = year
        .visits
        .iter()
        .filter(|v| v.visit.day == today)
        .collect();
    let visit = todays
        .iter()
        .max_by_key(|v| v.acts.len())
        .expect("visits today")
        .visit
        .id
        .clone();
    let mut per_farm = std::collections::BTreeMap::new();
    for v in &year.visits {
        *per_farm.entry(v.visit.farm.clone()).or_insert(0usize) += 1;
    }
    let (farm, farm_visits) = per_farm
        .into_iter()
        .max_by_key(|(_, n)| *n)
        .expect("a farm");
    println!(
        "today: {} visits; visit {visit}: {} acts; farm {farm}: {farm_visits} visits",
        todays.len(),
        todays
            .iter()
            .find(|v| v.visit.id == visit)
            .map_or(0, |v| v.acts.len())
    );

    // Cold start: a new app (its backend opens the store, checking its integrity) and a new
    // egui context (fonts installed on the first frame).
    let mut first = Vec::new();
    let mut ready = Vec::new();
    let mut each = Vec::new();
    for _ in 0..COLD_STARTS {
        let mut frames = Frames::new();
        let t = Instant::now();
        let mut app = TourneeApp::new(config(dir.path(), today));
        frames.frame(&mut app);
        first.push(t.elapsed());
        frames.settle(&mut app, |a| {
            a.state
                .pages
                .today
                .view
                .as_ref()
                .is_some_and(|v| !v.visits.is_empty())
        });
        ready.push(t.elapsed());
        each.push(format!("{:.0}", ms(t.elapsed())));
        drop(app);
    }
    println!("cold starts, ms each: {}", each.join(" "));
    report("cold start to first frame", first);
    report("cold start to today's round shown", ready);
    // For comparison: what opening the store alone costs (its integrity check).
    let mut open = Vec::new();
    for _ in 0..COLD_STARTS {
        let t = Instant::now();
        let store = Store::open(dir.path()).expect("the store");
        open.push(t.elapsed());
        drop(store);
    }
    report("Store::open alone (integrity check)", open);

    let mut frames = Frames::new();
    let mut app = TourneeApp::new(config(dir.path(), today));
    frames.settle(&mut app, |a| a.state.pages.today.view.is_some());
    let screens = [
        ("frame: Today", Screen::Today),
        ("frame: a visit", Screen::Visit(visit.clone())),
        ("frame: a farm history", Screen::Farm(farm.clone())),
    ];
    for (name, screen) in screens {
        app.state.screen = screen.clone();
        frames.settle(&mut app, |a| match &screen {
            Screen::Visit(id) => a
                .state
                .pages
                .visit
                .view
                .as_ref()
                .is_some_and(|v| &v.row.id == id),
            Screen::Farm(ede) => a
                .state
                .pages
                .farm
                .view
                .as_ref()
                .is_some_and(|v| &v.farm.ede == ede),
            _ => a.state.pages.today.view.is_some(),
        });
        for _ in 0..30 {
            std::hint::black_box(frames.frame(&mut app));
        }
        let mut times = Vec::with_capacity(FRAMES);
        let mut vertices = 0;
        for _ in 0..FRAMES {
            let t = Instant::now();
            vertices = frames.frame(&mut app);
            times.push(t.elapsed());
        }
        report(&format!("{name} ({vertices} vertices)"), times);
    }
}
