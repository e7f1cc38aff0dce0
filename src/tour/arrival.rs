//! What the farmer is told of the technician's arrival: the window around a planned arrival
//! (its width is how reliable the rest of the round is), which windows the tablet records
//! (`Payload::ArrivalExpected`, only when one changes), and when a change is worth a message.
//!
//! The same functions run on the tablet and on the server, so both agree by construction: the
//! server sends a message when [`notice`] says so, and the tablet shows what the farmer was
//! told by folding the same rule over the windows the server acknowledged ([`told`]).
//! Not for sending messages (the server's outbox) nor for planning (`solve`).

use super::Plan;
use crate::domain::visit::MINUTES_IN_DAY;
use crate::domain::{ArrivalWindow, Visit, VisitId};

/// Window ends fall on these minutes: "10 h 10", never "10 h 13" (no false precision).
pub const STEP_MINUTES: u16 = 5;
/// Half the width of a window with nothing before it but the drive.
pub const BASE_HALF_MINUTES: u32 = 10;
/// Added to the half width for each visit still to be done before this one: a herd held up,
/// a cow harder to find, is what makes a round run late.
pub const PER_VISIT_HALF_MINUTES: u32 = 5;
/// Added to the half width per hour between now and the planned arrival (traffic, a new
/// urgent call placed before): one hour ahead is 3 more minutes each side.
pub const PER_HOUR_HALF_MINUTES: u32 = 3;
/// Once on the way, only the drive is left: half a window is this, plus a tenth of the drive.
pub const ON_THE_WAY_HALF_MINUTES: u32 = 5;
/// The widest half window: beyond an hour each side the farmer is better told "this
/// afternoon" by phone than a window.
pub const MAX_HALF_MINUTES: u32 = 60;
/// A window whose start or end moves more than this is told to the farmer again.
pub const MARGIN_MINUTES: u16 = 15;

/// The window around a planned arrival (`arrival`, seconds after midnight) for a visit with
/// `visits_before` visits still to be done before it, planned at `now` (seconds after
/// midnight). On the way, the window is the drive's alone. An arrival planned before `now`
/// (the round runs late, or was planned from the morning) is drawn around `now`: the farmer
/// can only be told a time still to come.
pub fn window(arrival: u32, visits_before: usize, now: u32, on_the_way: bool) -> ArrivalWindow {
    let arrival = arrival.max(now);
    let ahead_minutes = arrival.saturating_sub(now) / 60;
    let half = if on_the_way {
        ON_THE_WAY_HALF_MINUTES + ahead_minutes / 10
    } else {
        BASE_HALF_MINUTES
            + PER_VISIT_HALF_MINUTES * visits_before as u32
            + PER_HOUR_HALF_MINUTES * ahead_minutes / 60
    }
    .min(MAX_HALF_MINUTES);
    let at = arrival / 60;
    let step = u32::from(STEP_MINUTES);
    // Never a start already past: the farmer reads it as "any moment now".
    let from = (at.saturating_sub(half) / step * step).max(now / 60 / step * step);
    let to = (at + half).div_ceil(step) * step;
    let day = u32::from(MINUTES_IN_DAY);
    ArrivalWindow {
        from: from.min(day) as u16,
        to: to.min(day) as u16,
        on_the_way,
    }
}

/// A visit's window as planned now, with the planned arrival it is drawn around.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Expected {
    pub visit: VisitId,
    pub window: ArrivalWindow,
    /// Minutes after midnight.
    pub arrival: u16,
}

/// The window of every visit of `plan` not yet started, in the plan's order. `visits` says
/// which have begun (arrived) and which are done (left); the first visit not started is "on
/// the way" once a visit of the day is done and none is under way.
pub fn expected(plan: &Plan, visits: &[Visit], now: u32) -> Vec<Expected> {
    let find = |id: &str| visits.iter().find(|v| v.id.as_str() == id);
    let under_way = visits
        .iter()
        .any(|v| v.arrived.is_some() && v.left.is_none());
    let some_done = visits.iter().any(|v| v.left.is_some());
    let mut out = Vec::new();
    for stop in &plan.stops {
        let Some(v) = find(&stop.id) else { continue };
        if stop.done || v.arrived.is_some() {
            continue;
        }
        let on_the_way = out.is_empty() && some_done && !under_way;
        out.push(Expected {
            visit: v.id.clone(),
            window: window(stop.arrival, out.len(), now, on_the_way),
            arrival: (stop.arrival.max(now) / 60).min(u32::from(MINUTES_IN_DAY)) as u16,
        });
    }
    out
}

/// A recorded window is kept while it stays true to within this: a window that only narrows
/// as the day goes (fewer visits before it) or slides by a few minutes costs no event.
pub const RECORD_MINUTES: u16 = 10;

/// The windows to record: a visit's first, one that changes "on the way", one whose planned
/// arrival left the window recorded, or whose ends moved by [`RECORD_MINUTES`] or more.
pub fn changed(
    expected: Vec<Expected>,
    last: impl Fn(&VisitId) -> Option<ArrivalWindow>,
) -> Vec<(VisitId, ArrivalWindow)> {
    expected
        .into_iter()
        .filter(|e| match last(&e.visit) {
            None => true,
            Some(l) => {
                l.on_the_way != e.window.on_the_way
                    || !(l.from..=l.to).contains(&e.arrival)
                    || l.from.abs_diff(e.window.from) >= RECORD_MINUTES
                    || l.to.abs_diff(e.window.to) >= RECORD_MINUTES
            }
        })
        .map(|e| (e.visit, e.window))
        .collect()
}

/// The events to record after planning: the windows of `plan` that [`changed`] from those
/// the store holds (nothing when the round keeps to them, so a re-plan costs no bytes).
pub fn to_record(
    store: &crate::log::Store,
    plan: &Plan,
    visits: &[Visit],
    now: u32,
) -> Result<Vec<crate::domain::Payload>, crate::log::LogError> {
    let mut last = std::collections::HashMap::new();
    for v in visits {
        if let Some((_, w)) = store.arrivals(&v.id)?.last() {
            last.insert(v.id.clone(), *w);
        }
    }
    Ok(
        changed(expected(plan, visits, now), |v| last.get(v).copied())
            .into_iter()
            .map(|(visit, window)| crate::domain::Payload::ArrivalExpected { visit, window })
            .collect(),
    )
}

/// What the farmer was told of `visit`, as far as this device knows the server received it:
/// the windows of other devices came from the server, this device's count up to the last
/// event the server acknowledged (`acknowledged`).
pub fn told_in_store(
    store: &crate::log::Store,
    visit: &VisitId,
    acknowledged: u64,
) -> Result<Option<ArrivalWindow>, crate::log::LogError> {
    let me = store.device();
    let windows = store.arrivals(visit)?;
    Ok(told(windows.iter().filter_map(|(id, w)| {
        (id.device != me || id.seq <= acknowledged).then_some(w)
    })))
}

/// A message worth sending the farmer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Notice {
    /// The first window of the visit, or one moved by more than [`MARGIN_MINUTES`].
    Window(ArrivalWindow),
    /// The technician left the previous farm for this one.
    OnTheWay(ArrivalWindow),
}

impl Notice {
    pub fn window(&self) -> ArrivalWindow {
        match self {
            Notice::Window(w) | Notice::OnTheWay(w) => *w,
        }
    }
}

/// Whether `next` is worth a message, after the farmer was last told `told`.
pub fn notice(told: Option<&ArrivalWindow>, next: &ArrivalWindow) -> Option<Notice> {
    let Some(told) = told else {
        return Some(if next.on_the_way {
            Notice::OnTheWay(*next)
        } else {
            Notice::Window(*next)
        });
    };
    if next.on_the_way && !told.on_the_way {
        return Some(Notice::OnTheWay(*next));
    }
    let moved = told.from.abs_diff(next.from) > MARGIN_MINUTES
        || told.to.abs_diff(next.to) > MARGIN_MINUTES;
    moved.then_some(Notice::Window(*next))
}

/// What the farmer was last told, after the server received `windows` in this order: the
/// same fold of [`notice`] the server makes.
pub fn told<'a>(windows: impl IntoIterator<Item = &'a ArrivalWindow>) -> Option<ArrivalWindow> {
    let mut last: Option<ArrivalWindow> = None;
    for w in windows {
        if let Some(n) = notice(last.as_ref(), w) {
            last = Some(n.window());
        }
    }
    last
}

/// "10 h 10": minutes after midnight the French way.
pub fn clock(minutes: u16) -> String {
    format!("{} h {:02}", minutes / 60, minutes % 60)
}

/// "entre 10 h 10 et 10 h 40".
pub fn between(w: &ArrivalWindow) -> String {
    format!("entre {} et {}", clock(w.from), clock(w.to))
}

/// The text sent to the farmer (French, short enough for one SMS).
pub fn message(farm: &str, notice: &Notice) -> String {
    match notice {
        Notice::Window(w) => format!(
            "Tournée : passage de l'inséminateur à {farm} aujourd'hui {}.",
            between(w)
        ),
        Notice::OnTheWay(w) => format!(
            "Tournée : l'inséminateur a quitté l'élevage précédent, arrivée à {farm} {}.",
            between(w)
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const H: u32 = 3_600;

    fn w(from: u16, to: u16) -> ArrivalWindow {
        ArrivalWindow {
            from,
            to,
            on_the_way: false,
        }
    }

    #[test]
    fn a_window_widens_with_the_visits_before_it_and_the_hours_ahead() {
        // 10:25, planned at 8:00 with two visits before: 10 + 2 x 5 + 3 x 145 / 60 = 27 min.
        let a = window(10 * H + 25 * 60, 2, 8 * H, false);
        assert_eq!((a.from, a.to), (9 * 60 + 55, 10 * 60 + 55));
        // The next visit of the round, nothing before it, 25 minutes ahead: 11 min each side.
        let b = window(10 * H + 25 * 60, 0, 10 * H, false);
        assert_eq!((b.from, b.to), (10 * 60 + 10, 10 * 60 + 40));
        assert!(b.to - b.from < a.to - a.from);
        // On the way, a 30-minute drive: 5 + 3 = 8 min each side, ends on 5 minutes.
        let c = window(10 * H + 25 * 60, 0, 9 * H + 55 * 60, true);
        assert_eq!(
            (c.from, c.to, c.on_the_way),
            (10 * 60 + 15, 10 * 60 + 35, true)
        );
        // Just left, a 3-minute drive: the window does not start before now.
        let e = window(9 * H + 43 * 60, 0, 9 * H + 40 * 60, true);
        assert_eq!((e.from, e.to), (9 * 60 + 40, 9 * 60 + 50));
        // Never wider than an hour each side, never past midnight.
        let d = window(23 * H + 50 * 60, 30, 0, false);
        assert_eq!((d.from, d.to), (22 * 60 + 50, MINUTES_IN_DAY));
        // Planned at 9:00 and not there at 14:02 (the round planned from the morning, or
        // late): drawn around now, with one visit before it 15 min each side, 14:00-14:20.
        let f = window(9 * H, 1, 14 * H + 2 * 60, false);
        assert_eq!((f.from, f.to), (14 * 60, 14 * 60 + 20));
        for x in [a, b, c, d, e, f] {
            assert_eq!(x.from % STEP_MINUTES, 0);
            assert_eq!(x.to % STEP_MINUTES, 0);
            x.validate("window").unwrap();
        }
    }

    #[test]
    fn the_farmer_is_told_the_first_window_a_move_beyond_the_margin_and_the_departure() {
        let first = w(600, 640);
        assert_eq!(notice(None, &first), Some(Notice::Window(first)));
        assert_eq!(notice(Some(&first), &w(610, 650)), None, "10 minutes: kept");
        let later = w(600 + MARGIN_MINUTES + 5, 640 + MARGIN_MINUTES + 5);
        assert_eq!(notice(Some(&first), &later), Some(Notice::Window(later)));
        let going = ArrivalWindow {
            on_the_way: true,
            ..w(605, 625)
        };
        assert_eq!(notice(Some(&first), &going), Some(Notice::OnTheWay(going)));
        assert_eq!(notice(Some(&going), &going), None, "told once");
        // Small moves add up only against what was told, not against the last window.
        let drift = [first, w(610, 650), w(620, 660)];
        assert_eq!(told(&drift), Some(w(620, 660)));
        assert_eq!(told(&drift[..2]), Some(first));
        assert_eq!(told(&[]), None);
    }

    #[test]
    fn a_window_is_recorded_again_only_when_it_stops_being_true() {
        let v = VisitId::parse("visit", "V1").unwrap();
        let recorded = w(600, 640);
        let again = |window: ArrivalWindow, arrival: u16| {
            !changed(
                vec![Expected {
                    visit: v.clone(),
                    window,
                    arrival,
                }],
                |_| Some(recorded),
            )
            .is_empty()
        };
        assert!(!again(w(605, 635), 620), "narrower, arrival inside: kept");
        assert!(!again(w(605, 645), 625), "slid by 5 minutes: kept");
        assert!(again(w(610, 650), 630), "an end moved by 10 minutes");
        assert!(again(w(600, 640), 645), "the arrival left the window");
        let going = ArrivalWindow {
            on_the_way: true,
            ..recorded
        };
        assert!(again(going, 620), "on the way");
        assert_eq!(
            changed(
                vec![Expected {
                    visit: v.clone(),
                    window: recorded,
                    arrival: 620
                }],
                |_| None
            ),
            vec![(v, recorded)],
            "the first window"
        );
    }

    #[test]
    fn a_window_is_a_few_bytes_on_the_wire() {
        // Variant, the visit's id (length and 12 bytes), two minutes as varints, a flag.
        let p = crate::domain::Payload::ArrivalExpected {
            visit: VisitId::parse("visit", "V20261207-01").unwrap(),
            window: w(10 * 60 + 10, 10 * 60 + 40),
        };
        assert_eq!(postcard::to_allocvec(&p).unwrap().len(), 1 + 13 + 2 + 2 + 1);
    }

    #[test]
    fn messages_say_the_window_the_french_way() {
        let n = Notice::Window(w(9 * 60 + 5, 10 * 60 + 40));
        assert_eq!(
            message("GAEC du Bocage", &n),
            "Tournée : passage de l'inséminateur à GAEC du Bocage aujourd'hui entre 9 h 05 et \
             10 h 40."
        );
        assert!(message("X", &n).chars().count() <= 160);
    }
}
