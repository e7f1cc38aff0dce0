//! What needs more than one day: the daily rest since the previous working day, ISO weeks
//! with the 48 h limit and the 12-week average, and the modulation year's counters.
//!
//! Not for a day's own figures (`day`).

use chrono::{Datelike, Duration, NaiveDate};
use serde::Serialize;

use super::day::DaySheet;
use super::settings::Settings;
use super::{Flag, WorkTimeError};
use crate::domain::Week;

/// An ISO week's totals and flags.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WeekSheet {
    pub week: Week,
    pub monday: NaiveDate,
    pub forfait_seconds: u64,
    pub travel_seconds: u64,
    pub other_seconds: u64,
    pub total_seconds: u64,
    /// Average of this week and the ones before it over the company's window (12 weeks).
    pub average_seconds: u64,
    pub average_weeks: u32,
    pub flags: Vec<Flag>,
}

/// A modulation year's running counters, as of `as_of`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct YearCounters {
    pub start: NaiveDate,
    pub end: NaiveDate,
    pub as_of: NaiveDate,
    /// Work time from `start` to `as_of`.
    pub worked_seconds: u64,
    pub annual_ceiling_seconds: u64,
    /// The first day the running total went above the ceiling.
    pub ceiling_crossed_on: Option<NaiveDate>,
    /// Hours beyond the annual ceiling so far (CCN art. 58; Labour Code L3121-41).
    pub overtime_seconds: u64,
    pub overtime_allowance_seconds: u64,
    pub over_overtime_allowance: bool,
    /// Time worked on Sundays and holidays that owe recovery (1 May apart).
    pub sunday_holiday_seconds: u64,
    /// Recovery owed for them: the time plus the majoration.
    pub recovery_owed_seconds: u64,
    /// Time worked on 1 May (statutory indemnity).
    pub may_day_seconds: u64,
}

/// Sets `rest_before_seconds` and `short_daily_rest`: from the previous working day's end to
/// this day's start. A working day with no recorded end breaks the chain: nothing is known of
/// the rest that followed it.
pub(super) fn flag_rest(days: &mut [DaySheet], s: &Settings) {
    let mut last_end: Option<crate::domain::Instant> = None;
    for day in days.iter_mut() {
        if day.total_seconds == 0 && day.work_start.is_none() {
            continue;
        }
        if let (Some(end), Some(start)) = (last_end, day.work_start) {
            let rest = u64::try_from((start - end).num_seconds()).unwrap_or(0);
            day.rest_before_seconds = Some(rest);
            if rest < s.daily_rest_seconds() {
                day.flags.push(Flag::ShortDailyRest);
                day.flags.sort();
            }
        }
        last_end = day.work_end;
    }
}

fn monday_of(day: NaiveDate) -> NaiveDate {
    day - Duration::days(i64::from(day.weekday().num_days_from_monday()))
}

/// Weeks that have a day from `from` to `to`; `days` run from the history's start, one a day.
pub(super) fn weeks(
    days: &[DaySheet],
    from: NaiveDate,
    to: NaiveDate,
    s: &Settings,
) -> Vec<WeekSheet> {
    // Totals of every week the days touch, oldest first.
    let mut totals: Vec<(NaiveDate, [u64; 4])> = Vec::new();
    for d in days {
        let monday = monday_of(d.date);
        if totals.last().is_none_or(|(m, _)| *m != monday) {
            totals.push((monday, [0; 4]));
        }
        if let Some((_, t)) = totals.last_mut() {
            t[0] += d.forfait_seconds;
            t[1] += d.travel_seconds;
            t[2] += d.other_seconds;
            t[3] += d.total_seconds;
        }
    }
    let n = s.average_weeks.max(1) as usize;
    let mut out = Vec::new();
    for (i, (monday, [forfait, travel, other, total])) in totals.iter().enumerate() {
        if *monday + Duration::days(6) < from || *monday > to {
            continue;
        }
        // Weeks before the history's first are weeks with no work recorded: 0 h.
        let window: u64 = totals[i.saturating_sub(n - 1)..=i]
            .iter()
            .map(|(_, t)| t[3])
            .sum();
        let mut flags = Vec::new();
        if *total > s.weekly_max_seconds() {
            flags.push(Flag::OverWeeklyMax);
        }
        // Compared as sums, not rounded averages: above 44 h × 12 by one second is above.
        if window > s.average_max_seconds() * n as u64 {
            flags.push(Flag::Over12WeekAverage);
        }
        out.push(WeekSheet {
            week: Week::of(*monday),
            monday: *monday,
            forfait_seconds: *forfait,
            travel_seconds: *travel,
            other_seconds: *other,
            total_seconds: *total,
            average_seconds: window / n as u64,
            average_weeks: n as u32,
            flags,
        });
    }
    out
}

/// Counters of every modulation year that has a day from `from` to `to`.
pub(super) fn years(
    days: &[DaySheet],
    from: NaiveDate,
    to: NaiveDate,
    s: &Settings,
) -> Result<Vec<YearCounters>, WorkTimeError> {
    let mut out = Vec::new();
    let mut day = from;
    while day <= to {
        let (start, end) = s.modulation_year(day)?;
        let as_of = end.min(to);
        let ceiling = s.annual_seconds();
        let mut c = YearCounters {
            start,
            end,
            as_of,
            worked_seconds: 0,
            annual_ceiling_seconds: ceiling,
            ceiling_crossed_on: None,
            overtime_seconds: 0,
            overtime_allowance_seconds: s.overtime_allowance_seconds(),
            over_overtime_allowance: false,
            sunday_holiday_seconds: 0,
            recovery_owed_seconds: 0,
            may_day_seconds: 0,
        };
        for d in days.iter().filter(|d| (start..=as_of).contains(&d.date)) {
            c.worked_seconds += d.total_seconds;
            if c.ceiling_crossed_on.is_none() && c.worked_seconds > ceiling {
                c.ceiling_crossed_on = Some(d.date);
            }
            if d.recovery_owed_seconds > 0 {
                c.sunday_holiday_seconds += d.total_seconds;
                c.recovery_owed_seconds += d.recovery_owed_seconds;
            }
            c.may_day_seconds += d.may_day_seconds;
        }
        c.overtime_seconds = c.worked_seconds.saturating_sub(ceiling);
        c.over_overtime_allowance = c.overtime_seconds > c.overtime_allowance_seconds;
        out.push(c);
        day = match end.succ_opt() {
            Some(next) => next,
            None => break,
        };
    }
    Ok(out)
}
