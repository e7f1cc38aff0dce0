//! Synthetic days around Montsûrs (Mayenne) for the tests and the benchmark: seeded, so the
//! same seed gives the same day. Not real data: farm places are drawn in a box of about
//! 28 km × 26 km (smaller for more than 25 farms), not taken from the land register.

use super::solve::Rng;
use super::{DayProgress, Done, Plan, Problem, Travel, VisitToPlan, Window};
use crate::domain::{Location, Urgency};

/// Montsûrs, the demo technician's home.
pub const MONTSURS: Location = Location {
    lat: 48.1357,
    lon: -0.5517,
};

/// A time of day in seconds.
pub const fn hm(h: u32, m: u32) -> u32 {
    h * 3_600 + m * 60
}

/// A farm at an offset (degrees) from Montsûrs, with its service time in minutes.
pub fn farm(id: &str, dlat: f64, dlon: f64, service_minutes: u32) -> VisitToPlan {
    VisitToPlan {
        id: id.into(),
        location: Location {
            lat: MONTSURS.lat + dlat,
            lon: MONTSURS.lon + dlon,
        },
        service_seconds: service_minutes * 60,
        window: None,
        closed: Vec::new(),
        urgency: Urgency::Normal,
    }
}

/// A day from Montsûrs back to Montsûrs, 07:30 to 19:00, 50 km/h, road factor 1.3.
pub fn day(visits: Vec<VisitToPlan>) -> Problem {
    Problem {
        start: MONTSURS,
        end: MONTSURS,
        day: Window {
            from: hm(7, 30),
            to: hm(19, 0),
        },
        travel: Travel::Road {
            speed_kmh: 50.0,
            road_factor: 1.3,
        },
        visits,
    }
}

/// `n` farms, 5 to 15 min each (one or two cows, a small lot); a third with a window of one to three hours between 08:00
/// and 16:30, a fifth closed during the evening milking (17:00–18:30), a sixth urgent.
pub fn random_day(seed: u64, n: usize) -> Problem {
    let mut g = Rng(seed);
    // A technician with more farms has them closer together: beyond 25, the box shrinks so
    // that the day still holds them.
    let side = (25.0 / n.max(25) as f64).sqrt();
    let visits = (0..n)
        .map(|i| {
            let mut v = farm(
                &format!("F{i:02}"),
                (g.unit() - 0.5) * 0.25 * side,
                (g.unit() - 0.5) * 0.35 * side,
                5 + g.below(11) as u32,
            );
            if g.below(3) == 0 {
                let from = hm(8, 0) + g.below(16) as u32 * 1_800;
                v.window = Some(Window {
                    from,
                    to: from + 3_600 * (1 + g.below(3) as u32),
                });
            }
            if g.below(5) == 0 {
                v.closed = vec![Window {
                    from: hm(17, 0),
                    to: hm(18, 30),
                }];
            }
            if g.below(6) == 0 {
                v.urgency = Urgency::Urgent;
            }
            v
        })
        .collect();
    day(visits)
}

/// The bench's re-planned day: the first three visits of `followed` done as planned, then
/// one new urgent call near the middle of the day with a 3 h window from now.
pub fn with_call(p: &mut Problem, followed: &Plan) -> DayProgress {
    let done: Vec<Done> = followed.stops[..3.min(followed.stops.len())]
        .iter()
        .map(|s| Done {
            id: s.id.clone(),
            arrived: s.arrival,
            left: s.departure,
        })
        .collect();
    let now = done.last().map_or(hm(10, 30), |d| d.left);
    let mut call = farm("call", 0.04, -0.06, 25);
    call.urgency = Urgency::Urgent;
    call.window = Some(Window {
        from: now,
        to: now + 3 * 3_600,
    });
    p.visits.push(call);
    DayProgress {
        done,
        pinned_first: None,
        now: Some(now),
    }
}
