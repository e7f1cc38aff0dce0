//! Work-time scenarios with expected values computed by hand from `assets/annexe-i.toml` and
//! the defaults of `work-time-rules.md` (10 h a day, 11 h rest, 48 h a week, 44 h over 12
//! weeks, 20 min after 6 h, 1,607 h a year, 180 h of overtime, +25 %, 50 km/h).

use chrono::{NaiveDate, TimeZone};
use chrono_tz::Europe::Paris;

use super::*;
use crate::domain::{ActKind, Urgency};

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap()
}

/// A Paris wall-clock time on a day, as a device would record it.
fn at(day: NaiveDate, hm: &str) -> crate::domain::Instant {
    let t = chrono::NaiveTime::parse_from_str(hm, "%H:%M").unwrap();
    Paris
        .from_local_datetime(&day.and_time(t))
        .single()
        .unwrap()
        .fixed_offset()
}

fn tech() -> TechnicianId {
    TechnicianId::parse("t", "T01").unwrap()
}

/// Records of one technician, built day by day.
#[derive(Default)]
struct Book {
    visits: Vec<(Visit, Vec<Act>)>,
    declared: Vec<Declared>,
    farms: Vec<Farm>,
    home: Option<Location>,
}

impl Book {
    /// A visit on `day`: arrival and departure as Paris times (departure may be the next day
    /// with a leading `+`), km driven to reach it, and its acts (kind, animals).
    fn visit(
        &mut self,
        day: NaiveDate,
        farm: &str,
        times: Option<(&str, &str)>,
        km: Option<f64>,
        acts: &[(ActKind, u32)],
    ) -> &mut Book {
        let id = VisitId::parse(
            "v",
            &format!("V{}-{}", day.format("%Y%m%d"), self.visits.len()),
        )
        .unwrap();
        let (arrived, left) = match times {
            Some((a, l)) => {
                let left = match l.strip_prefix('+') {
                    Some(next) => at(day.succ_opt().unwrap(), next),
                    None => at(day, l),
                };
                (Some(at(day, a)), Some(left))
            }
            None => (None, None),
        };
        let visit = Visit {
            id: id.clone(),
            technician: tech(),
            farm: Ede::parse("farm", farm).unwrap(),
            day,
            requested: vec![],
            urgency: Urgency::Normal,
            window: None,
            arrived,
            left,
            travel_km: km,
            note: None,
        };
        let acts = acts
            .iter()
            .enumerate()
            .map(|(i, (kind, count))| Act {
                id: ActId::nth_of(&id, i),
                visit: id.clone(),
                kind: *kind,
                count: *count,
                animals: vec![],
                bull: None,
                straw: None,
                rank: None,
                result: None,
                at: arrived,
                note: None,
            })
            .collect();
        self.visits.push((visit, acts));
        self
    }

    fn declare(&mut self, day: NaiveDate, seconds: u32) -> &mut Book {
        self.declared.push(Declared {
            day,
            kind: OtherTimeKind::Stock,
            seconds,
            note: None,
        });
        self
    }

    fn report_with(
        &self,
        from: NaiveDate,
        to: NaiveDate,
        s: &Settings,
        grid: &Grid,
    ) -> Result<Report, WorkTimeError> {
        let worked: Vec<WorkedVisit<'_>> = self
            .visits
            .iter()
            .map(|(visit, acts)| WorkedVisit { visit, acts })
            .collect();
        let t = tech();
        let input = Input {
            technician: &t,
            home: self.home,
            farms: &self.farms,
            visits: &worked,
            declared: &self.declared,
        };
        report(&input, from, to, s, grid)
    }

    fn report(&self, from: NaiveDate, to: NaiveDate) -> Report {
        self.report_with(from, to, &Settings::default(), &Grid::annexe_i().unwrap())
            .unwrap()
    }

    fn day(&self, day: NaiveDate) -> DaySheet {
        self.report(day, day).days.remove(0)
    }
}

use ActKind::*;

/// Tuesday 3 March 2026: three farms, acts on flat values and on tiers, declared stock time.
fn tuesday() -> (Book, NaiveDate) {
    let day = d(2026, 3, 3);
    let mut b = Book::default();
    b.visit(
        day,
        "53130001",
        Some(("08:00", "08:20")),
        Some(10.0),
        &[(IaBovine, 2)],
    )
    .visit(
        day,
        "53130002",
        Some(("08:40", "10:10")),
        Some(12.0),
        &[(IaCaprineFrozen, 50)],
    )
    .visit(
        day,
        "53130003",
        Some(("10:30", "11:00")),
        Some(15.0),
        &[(EchoBovine, 5), (GestationPalpation, 2)],
    )
    .declare(day, 1_800);
    (b, day)
}

#[test]
fn tiers_across_a_day_under_the_flat_rate_method() {
    let (b, day) = tuesday();
    let s = b.day(day);
    // Acts: ia_bovine 2 × 390 = 780; ia_caprine_frozen 50 = 20 × 150 + 20 × 120 + 10 × 90
    // = 6,300; echo_bovine 5 × 180 = 900; gestation_palpation 2 × 150 = 300.
    // Flat rate: 780 + 6,300 + 900 + 300 = 8,280 s.
    assert_eq!(s.forfait_seconds, 8_280);
    // Travel: home -> farm 1, 10 km at 50 km/h = 720 s (km estimate); farm 1 -> 2 recorded
    // 08:20 -> 08:40 = 1,200 s; farm 2 -> 3 recorded 10:10 -> 10:30 = 1,200 s; the trip home
    // has no home location to estimate from: 0 s (missing). 720 + 1,200 + 1,200 = 3,120 s.
    assert_eq!(s.travel_seconds, 3_120);
    let sources: Vec<Source> = s.travel.iter().map(|l| l.source).collect();
    assert_eq!(
        sources,
        vec![
            Source::KmEstimate,
            Source::Recorded,
            Source::Recorded,
            Source::Missing
        ]
    );
    assert_eq!(s.other_seconds, 1_800);
    // Total: 8,280 + 3,120 + 1,800 = 13,200 s (3 h 40).
    assert_eq!(s.total_seconds, 13_200);
    assert!(s.flags.is_empty(), "{:?}", s.flags);
    // Span 08:00 -> 11:00 = 10,800 s; work starts 720 s before the first arrival: 07:48.
    assert_eq!(s.span.as_ref().unwrap().seconds, 10_800);
    assert_eq!(s.work_start, Some(at(day, "07:48")));
    assert_eq!(s.work_end, Some(at(day, "11:00")));
    // Every figure opens to what made it.
    assert_eq!(s.visits.len(), 3);
    assert_eq!(s.visits[1].acts[0].seconds, 6_300);
    assert_eq!(s.visits[1].source, Source::FlatRate);
    assert_eq!(s.visits[2].acts.len(), 2);
    assert_eq!(s.declared[0].source, Source::Declared);
}

#[test]
fn the_recorded_method_counts_time_at_farms() {
    let (b, day) = tuesday();
    let settings = Settings {
        method: Method::Recorded,
        ..Settings::default()
    };
    let r = b
        .report_with(day, day, &settings, &Grid::annexe_i().unwrap())
        .unwrap();
    let s = &r.days[0];
    // At farms: 08:00-08:20 + 08:40-10:10 + 10:30-11:00 = 1,200 + 5,400 + 1,800 = 8,400 s.
    // Total: 8,400 + travel 3,120 + other 1,800 = 13,320 s. The flat rate is still shown.
    assert_eq!(s.recorded_visit_seconds, 8_400);
    assert_eq!(s.total_seconds, 13_320);
    assert_eq!(s.forfait_seconds, 8_280);
    assert!(s.visits.iter().all(|v| v.source == Source::Recorded));
}

#[test]
fn a_company_grid_changes_the_flat_rate() {
    let (b, day) = tuesday();
    let grid = Grid::company(
        "[forfait_tiers]\nia_caprine_frozen = [{ from = 1, to = 20, seconds = 160 }, { from = 21, to = 40, seconds = 120 }, { from = 41, seconds = 90 }]\n",
    )
    .unwrap();
    let r = b
        .report_with(day, day, &Settings::default(), &grid)
        .unwrap();
    // 50 goats: 20 × 160 + 20 × 120 + 10 × 90 = 6,500 instead of 6,300: 8,280 + 200 = 8,480.
    assert_eq!(r.days[0].forfait_seconds, 8_480);
    assert_eq!(
        r.days[0].visits[1].acts[0].origin,
        crate::forfait::Origin::Company
    );
    assert_eq!(
        r.days[0].visits[0].acts[0].origin,
        crate::forfait::Origin::AnnexeI
    );
}

#[test]
fn an_act_the_grid_cannot_price_stops_the_report_naming_it() {
    let day = d(2026, 3, 3);
    let mut b = Book::default();
    b.visit(day, "53130001", None, None, &[(IaBovine, 1), (Scoring, 3)]);
    let e = b
        .report_with(day, day, &Settings::default(), &Grid::annexe_i().unwrap())
        .unwrap_err();
    assert!(
        matches!(&e, WorkTimeError::Unpriced { act, .. } if act.as_str() == "V20260303-0.2"),
        "{e}"
    );
    assert!(e.to_string().contains("scoring"));
    // With a company value it is priced: 390 + 3 × 600 = 2,190 s.
    let grid = Grid::company("[forfait_seconds]\nscoring = 600\n").unwrap();
    let r = b
        .report_with(day, day, &Settings::default(), &grid)
        .unwrap();
    assert_eq!(r.days[0].forfait_seconds, 2_190);
}

#[test]
fn a_sunday_worked_owes_recovery() {
    // Sunday 8 March 2026 (1 January 2026 is a Thursday; 8 March is 66 days later, 66 = 9 × 7 + 3).
    let sunday = d(2026, 3, 8);
    let mut b = Book::default();
    b.visit(
        sunday,
        "53130001",
        Some(("10:00", "10:15")),
        Some(25.0),
        &[(IaBovine, 1)],
    );
    let s = b.day(sunday);
    // 390 s + 25 km at 50 km/h = 1,800 s: 2,190 s.
    assert_eq!(s.total_seconds, 2_190);
    assert_eq!(s.flags, vec![Flag::Sunday]);
    // Recovery: 2,190 × 1.25 = 2,737.5, rounded up: 2,738 s.
    assert_eq!(s.recovery_owed_seconds, 2_738);
    // A Sunday not worked has no flag.
    assert!(b.day(d(2026, 3, 15)).flags.is_empty());
}

#[test]
fn easter_monday_and_ascension_2026_are_public_holidays() {
    // Easter 2026 is 5 April: Easter Monday 6 April, Ascension 5 April + 39 days = 14 May.
    let (easter_monday, ascension) = (d(2026, 4, 6), d(2026, 5, 14));
    let mut b = Book::default();
    for day in [easter_monday, ascension, d(2026, 4, 5), d(2026, 4, 7)] {
        b.visit(
            day,
            "53130001",
            Some(("09:00", "09:10")),
            Some(5.0),
            &[(IaBovine, 1)],
        );
    }
    // Each day: 390 + 5 km at 50 km/h (360 s) = 750 s.
    let r = b.report(d(2026, 4, 5), d(2026, 5, 14));
    let by_date = |day: NaiveDate| r.days.iter().find(|s| s.date == day).unwrap();
    for day in [easter_monday, ascension] {
        let s = by_date(day);
        assert_eq!(s.total_seconds, 750);
        assert_eq!(s.flags, vec![Flag::PublicHoliday], "{day}");
        // 750 × 1.25 = 937.5 -> 938 s.
        assert_eq!(s.recovery_owed_seconds, 938);
    }
    assert_eq!(by_date(easter_monday).holiday, Some(Holiday::EasterMonday));
    assert_eq!(by_date(ascension).holiday, Some(Holiday::Ascension));
    // Easter Sunday is a Sunday, not a holiday; Tuesday 7 April is ordinary.
    assert_eq!(by_date(d(2026, 4, 5)).flags, vec![Flag::Sunday]);
    assert!(by_date(d(2026, 4, 7)).flags.is_empty());
    // The year: Easter Sunday, Easter Monday, Ascension owe recovery: 3 × 750 = 2,250 s
    // worked, 3 × 938 = 2,814 s owed.
    assert_eq!(r.years.len(), 1);
    assert_eq!(r.years[0].sunday_holiday_seconds, 2_250);
    assert_eq!(r.years[0].recovery_owed_seconds, 2_814);
}

#[test]
fn a_holiday_on_a_sunday_counts_once_and_may_day_follows_the_statute() {
    // 1 November 2026 is a Sunday (304 days after Thursday 1 January; 304 = 43 × 7 + 3).
    // 1 May 2026 is a Friday (120 days after; 120 = 17 × 7 + 1).
    let (all_saints, may_day) = (d(2026, 11, 1), d(2026, 5, 1));
    let mut b = Book::default();
    for day in [all_saints, may_day] {
        b.visit(
            day,
            "53130001",
            Some(("09:00", "09:10")),
            Some(5.0),
            &[(IaBovine, 1)],
        );
    }
    let s = b.day(all_saints);
    assert_eq!(s.flags, vec![Flag::Sunday, Flag::PublicHoliday]);
    // Once: 750 × 1.25 = 938 s, not twice.
    assert_eq!(s.recovery_owed_seconds, 938);
    let s = b.day(may_day);
    assert_eq!(s.flags, vec![Flag::PublicHoliday]);
    assert_eq!(s.holiday, Some(Holiday::MayDay));
    assert_eq!((s.recovery_owed_seconds, s.may_day_seconds), (0, 750));
}

#[test]
fn alsace_moselle_adds_good_friday_and_saint_stephen() {
    let good_friday = d(2026, 4, 3);
    let mut b = Book::default();
    b.visit(
        good_friday,
        "53130001",
        Some(("09:00", "09:10")),
        Some(5.0),
        &[(IaBovine, 1)],
    );
    assert!(b.day(good_friday).flags.is_empty());
    let alsace = Settings {
        alsace_moselle: true,
        ..Settings::default()
    };
    let r = b
        .report_with(
            good_friday,
            good_friday,
            &alsace,
            &Grid::annexe_i().unwrap(),
        )
        .unwrap();
    assert_eq!(r.days[0].flags, vec![Flag::PublicHoliday]);
}

#[test]
fn a_short_rest_across_midnight_is_flagged() {
    let mut b = Book::default();
    // Tuesday 10 March: a late insemination, 21:00-23:40, 10 km from home (720 s).
    // Wednesday 11 March: first farm at 09:00, 10 km from home: work starts 08:48.
    // Rest 23:40 -> 08:48 = 9 h 08 = 32,880 s < 11 h (39,600 s).
    b.visit(
        d(2026, 3, 10),
        "53130001",
        Some(("21:00", "23:40")),
        Some(10.0),
        &[(IaBovine, 1)],
    )
    .visit(
        d(2026, 3, 11),
        "53130002",
        Some(("09:00", "09:20")),
        Some(10.0),
        &[(IaBovine, 1)],
    );
    // Thursday 12 March: a calving-season night, 22:30 until 00:45 on Friday (the visit
    // belongs to Thursday's round). Friday 13 March: first farm at 11:00, 12 km from home
    // (864 s): work starts 10:45:36. Rest 00:45 -> 10:45:36 = 36,036 s < 39,600 s.
    b.visit(
        d(2026, 3, 12),
        "53130003",
        Some(("22:30", "+00:45")),
        Some(10.0),
        &[(IaBovine, 1)],
    )
    .visit(
        d(2026, 3, 13),
        "53130001",
        Some(("11:00", "11:30")),
        Some(12.0),
        &[(IaBovine, 1)],
    )
    // Saturday 14 March at 08:00 (10 km: 07:48) after Friday ended 11:30: 20 h 18 of rest.
    .visit(
        d(2026, 3, 14),
        "53130002",
        Some(("08:00", "08:20")),
        Some(10.0),
        &[(IaBovine, 1)],
    );
    let r = b.report(d(2026, 3, 11), d(2026, 3, 14));
    let rest: Vec<(Option<u64>, bool)> = r
        .days
        .iter()
        .map(|s| {
            (
                s.rest_before_seconds,
                s.flags.contains(&Flag::ShortDailyRest),
            )
        })
        .collect();
    assert_eq!(
        rest,
        vec![
            (Some(32_880), true),
            // 11 March ends 09:20; 12 March starts 22:30 - 720 s = 22:18, a day later:
            // 24 h + 12 h 58 = 86,400 + 46,680 = 133,080 s.
            (Some(133_080), false),
            (Some(36_036), true),
            // 11:30 -> 07:48 next day = 20 h 18 = 73,080 s.
            (Some(73_080), false),
        ]
    );
    // The rest before 11 March looks at 10 March, before the period: history is read.
    assert_eq!(r.days[0].date, d(2026, 3, 11));
}

#[test]
fn a_49_hour_week_is_over_the_weekly_max() {
    // ISO week 12 of 2026: Monday 16 to Sunday 22 March. Five days of 9 h 48 (35,280 s):
    // 5 × 35,280 = 176,400 s = 49 h > 48 h. Week 13: five days of 9 h 36 (34,560 s) = 48 h
    // exactly: not over.
    let mut b = Book::default();
    for i in 0..5 {
        b.declare(d(2026, 3, 16 + i), 35_280);
        b.declare(d(2026, 3, 23 + i), 34_560);
    }
    let r = b.report(d(2026, 3, 16), d(2026, 3, 29));
    assert_eq!(r.weeks.len(), 2);
    let w12 = &r.weeks[0];
    assert_eq!((w12.week.year, w12.week.week), (2026, 12));
    assert_eq!(w12.total_seconds, 176_400);
    assert_eq!(w12.other_seconds, 176_400);
    assert_eq!(w12.flags, vec![Flag::OverWeeklyMax]);
    assert_eq!(r.weeks[1].total_seconds, 172_800);
    assert!(!r.weeks[1].flags.contains(&Flag::OverWeeklyMax));
    // No day is over 10 h, but each is over 6 h with no break seen.
    assert_eq!(r.days[0].flags, vec![Flag::MissingBreak]);
}

#[test]
fn a_12_week_average_just_above_44_hours_is_flagged() {
    // Weeks 2 to 13 of 2026 (Mondays 5 January to 23 March), five days of 8 h 48 (31,680 s):
    // 44 h (158,400 s) a week. In week 13 one day has 12 s more.
    // 12-week sum: 12 × 158,400 + 12 = 1,900,812 s > 44 h × 12 = 1,900,800 s.
    // Average: 1,900,812 / 12 = 158,401 s (44 h 00 min 01 s).
    let build = |extra: u32| {
        let mut b = Book::default();
        let mut monday = d(2026, 1, 5);
        for _ in 0..12 {
            for i in 0..5 {
                b.declare(monday + Duration::days(i), 31_680);
            }
            monday += Duration::weeks(1);
        }
        b.declare(d(2026, 3, 27), extra);
        b
    };
    let r = build(12).report(d(2026, 3, 23), d(2026, 3, 29));
    let w13 = &r.weeks[0];
    assert_eq!(w13.total_seconds, 158_412);
    assert_eq!(w13.average_seconds, 158_401);
    assert_eq!(w13.flags, vec![Flag::Over12WeekAverage]);
    // Exactly 44 h on average is not above.
    let r = build(0).report(d(2026, 3, 23), d(2026, 3, 29));
    assert_eq!(r.weeks[0].average_seconds, 158_400);
    assert!(r.weeks[0].flags.is_empty());
}

#[test]
fn a_year_crossing_1607_hours() {
    // 8 h (28,800 s) declared every day from 1 January 2026. 1,607 h = 5,785,200 s.
    // After 200 days: 5,760,000 s (below); day 201 (20 July: 31 + 28 + 31 + 30 + 31 + 30 = 181
    // days to 30 June, + 20) brings 5,788,800 s: crossed, 3,600 s (1 h) of overtime.
    let mut b = Book::default();
    let mut day = d(2026, 1, 1);
    while day.year() == 2026 {
        b.declare(day, 28_800);
        day += Duration::days(1);
    }
    let y = &b.report(d(2026, 7, 19), d(2026, 7, 19)).years[0];
    assert_eq!(
        (y.start, y.end, y.as_of),
        (d(2026, 1, 1), d(2026, 12, 31), d(2026, 7, 19))
    );
    assert_eq!(y.worked_seconds, 5_760_000);
    assert_eq!((y.ceiling_crossed_on, y.overtime_seconds), (None, 0));
    let y = &b.report(d(2026, 7, 20), d(2026, 7, 20)).years[0];
    assert_eq!(y.worked_seconds, 5_788_800);
    assert_eq!(y.ceiling_crossed_on, Some(d(2026, 7, 20)));
    assert_eq!(y.overtime_seconds, 3_600);
    assert!(!y.over_overtime_allowance);
    // Sundays to 19 July: 4 January + 7k, k = 0..28: 29. Holidays other than 1 May, none on
    // a Sunday: 1 January, 6 April, 8 May, 14 May, 25 May, 14 July: 6. 35 days × 28,800 =
    // 1,008,000 s worked, owing 1,260,000 s (+25 %). 1 May: 28,800 s apart.
    assert_eq!(y.sunday_holiday_seconds, 1_008_000);
    assert_eq!(y.recovery_owed_seconds, 1_260_000);
    assert_eq!(y.may_day_seconds, 28_800);
    // The whole year: 365 × 28,800 = 10,512,000 s; overtime 10,512,000 - 5,785,200 =
    // 4,726,800 s (1,313 h) > 180 h (648,000 s).
    let y = &b.report(d(2026, 12, 31), d(2026, 12, 31)).years[0];
    assert_eq!(y.worked_seconds, 10_512_000);
    assert_eq!(y.overtime_seconds, 4_726_800);
    assert!(y.over_overtime_allowance);
}

#[test]
fn a_period_across_two_modulation_years_has_two_counters() {
    let mut b = Book::default();
    b.declare(d(2026, 12, 31), 3_600)
        .declare(d(2027, 1, 1), 7_200);
    // ISO week 53 of 2026 runs from Monday 28 December 2026 to Sunday 3 January 2027.
    let r = b.report(d(2026, 12, 31), d(2027, 1, 1));
    assert_eq!(r.years.len(), 2);
    assert_eq!(
        (r.years[0].worked_seconds, r.years[1].worked_seconds),
        (3_600, 7_200)
    );
    assert_eq!(r.weeks.len(), 1);
    assert_eq!((r.weeks[0].week.year, r.weeks[0].week.week), (2026, 53));
    assert_eq!(r.weeks[0].total_seconds, 10_800);
}

fn located_book(day: NaiveDate) -> Book {
    let place = |lat: f64| Location { lat, lon: -0.7 };
    let farm = |ede: &str, lat: f64| Farm {
        ede: Ede::parse("ede", ede).unwrap(),
        name: "GAEC".into(),
        village: None,
        location: place(lat),
        species: vec![],
        phone: None,
        note: None,
    };
    let mut b = Book {
        home: Some(place(48.0)),
        farms: vec![farm("53130001", 48.1), farm("53130002", 48.2)],
        ..Book::default()
    };
    b.visit(
        day,
        "53130001",
        Some(("08:00", "08:30")),
        None,
        &[(IaBovine, 1)],
    )
    .visit(
        day,
        "53130002",
        Some(("09:00", "09:30")),
        None,
        &[(IaBovine, 1)],
    );
    b
}

#[test]
fn company_settings_change_the_home_trip_rule() {
    // Home at 48.0° N, farms at 48.1° and 48.2° on the same meridian. On a sphere of
    // 6,371.0088 km, 0.1° is 11.1195 km; × 1.3 road factor = 14.455 -> 14.5 km; at 50 km/h
    // 1,044 s. 0.2°: 22.2390 km × 1.3 = 28.911 -> 28.9 km -> 2,080.8 -> 2,081 s.
    let day = d(2026, 3, 3);
    let b = located_book(day);
    let s = b.day(day);
    // Home -> farm 1: 1,044 s (distance estimate); farm 1 -> 2 recorded 08:30 -> 09:00 =
    // 1,800 s; farm 2 -> home: 2,081 s. 1,044 + 1,800 + 2,081 = 4,925 s.
    let legs: Vec<(Option<f64>, u64, Source, bool)> = s
        .travel
        .iter()
        .map(|l| (l.km, l.seconds, l.source, l.counted))
        .collect();
    assert_eq!(
        legs,
        vec![
            (Some(14.5), 1_044, Source::DistanceEstimate, true),
            (Some(14.5), 1_800, Source::Recorded, true),
            (Some(28.9), 2_081, Source::DistanceEstimate, true),
        ]
    );
    assert_eq!(s.travel_seconds, 4_925);
    // 2 × 390 + 4,925 = 5,705 s.
    assert_eq!(s.total_seconds, 5_705);
    // Work from 08:00 - 1,044 s = 07:42:36 to 09:30 + 2,081 s = 10:04:41.
    assert_eq!(
        s.work_start,
        Some(at(day, "08:00") - Duration::seconds(1_044))
    );
    assert_eq!(
        s.work_end,
        Some(at(day, "09:30") + Duration::seconds(2_081))
    );

    let no_home_trips = Settings {
        count_trip_from_home: false,
        count_trip_home: false,
        ..Settings::default()
    };
    let r = b
        .report_with(day, day, &no_home_trips, &Grid::annexe_i().unwrap())
        .unwrap();
    let s = &r.days[0];
    // Only farm 1 -> 2 counts: 1,800 s; total 780 + 1,800 = 2,580 s. The home legs are still
    // listed, marked not counted.
    assert_eq!(s.travel_seconds, 1_800);
    assert_eq!(s.total_seconds, 2_580);
    assert_eq!(s.travel.iter().filter(|l| !l.counted).count(), 2);
    assert_eq!(
        (s.work_start, s.work_end),
        (Some(at(day, "08:00")), Some(at(day, "09:30")))
    );
}

#[test]
fn a_long_gap_between_farms_is_a_pause_not_travel() {
    // 100 goats at each farm: 20 × 150 + 20 × 120 + 60 × 90 = 3,000 + 2,400 + 5,400 = 10,800 s.
    // Farm 1 08:00-12:00, 10 km from home (720 s). Farm 2 at 13:30, 20 km on (1,440 s).
    // The gap, 5,400 s, is at least the drive + 20 min (1,440 + 1,200 = 2,640): a pause of
    // 5,400 - 1,440 = 3,960 s; the leg counts 1,440 s.
    let day = d(2026, 3, 3);
    let build = |second_arrival: &str| {
        let mut b = Book::default();
        b.visit(
            day,
            "53130001",
            Some(("08:00", "12:00")),
            Some(10.0),
            &[(IaCaprineFrozen, 100)],
        )
        .visit(
            day,
            "53130002",
            Some((second_arrival, "16:00")),
            Some(20.0),
            &[(IaCaprineFrozen, 100)],
        );
        b
    };
    let s = build("13:30").day(day);
    assert_eq!(s.travel[1].pause_seconds, 3_960);
    assert_eq!(
        (s.travel[1].seconds, s.travel[1].source),
        (1_440, Source::KmEstimate)
    );
    // Total: 21,600 + 720 + 1,440 = 23,760 s (6 h 36): above 6 h, with a break seen.
    assert_eq!(s.total_seconds, 23_760);
    assert_eq!(s.longest_pause_seconds, 3_960);
    assert!(s.flags.is_empty(), "{:?}", s.flags);
    // Arriving at 12:40, the 2,400 s gap is under 2,640 s: all travel, no pause, and the day
    // (21,600 + 720 + 2,400 = 24,720 s) misses its break.
    let s = build("12:40").day(day);
    assert_eq!(
        (s.travel[1].seconds, s.travel[1].source),
        (2_400, Source::Recorded)
    );
    assert_eq!(s.total_seconds, 24_720);
    assert_eq!(s.flags, vec![Flag::MissingBreak]);
}

#[test]
fn more_than_ten_hours_in_a_day_is_flagged() {
    let mut b = Book::default();
    // 10 h exactly (36,000 s) is the limit, one second more is over.
    b.declare(d(2026, 3, 3), 36_000)
        .declare(d(2026, 3, 4), 36_001);
    let r = b.report(d(2026, 3, 3), d(2026, 3, 4));
    assert!(!r.days[0].flags.contains(&Flag::OverDailyMax));
    assert!(r.days[1].flags.contains(&Flag::OverDailyMax));
}

#[test]
fn refuses_a_backwards_period() {
    let b = Book::default();
    let e = b
        .report_with(
            d(2026, 3, 4),
            d(2026, 3, 3),
            &Settings::default(),
            &Grid::annexe_i().unwrap(),
        )
        .unwrap_err();
    assert!(matches!(e, WorkTimeError::Period { .. }));
}

#[test]
fn the_payroll_csv_has_one_row_a_day() {
    let (b, day) = tuesday();
    let r = b.report(day, d(2026, 3, 4));
    let csv = to_csv(&r).unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines.len(), 3);
    assert!(lines[0].starts_with("technician,date,weekday,method,forfait_seconds"));
    // 13,200 s = 3.67 h (3 h 40).
    assert_eq!(
        lines[1],
        "T01,2026-03-03,Tue,flat_rate,8280,3120,1800,13200,3.67,,0,0"
    );
    assert_eq!(lines[2], "T01,2026-03-04,Wed,flat_rate,0,0,0,0,0.00,,0,0");
}

#[test]
fn the_report_serialises_with_the_documented_names() {
    let (b, day) = tuesday();
    let mut book = b;
    book.declare(d(2026, 3, 8), 3_600);
    let json = serde_json::to_value(book.report(day, d(2026, 3, 8))).unwrap();
    let first = &json["days"][0];
    for key in [
        "date",
        "forfait_seconds",
        "travel_seconds",
        "other_seconds",
        "total_seconds",
        "flags",
    ] {
        assert!(first.get(key).is_some(), "{key}");
    }
    assert_eq!(json["days"][5]["flags"], serde_json::json!(["sunday"]));
    assert_eq!(first["travel"][0]["source"], "km_estimate");
    assert_eq!(first["travel"][0]["from"], "home");
    assert!(json["weeks"].is_array() && json["years"].is_array());
}

#[test]
fn the_demo_week_reports_with_a_company_grid() {
    // The demo records sample_genotyping acts, which have no national minimum.
    let records = crate::demo::week(d(2026, 11, 24));
    let grid = Grid::company("[forfait_seconds]\nsample_genotyping = 300\n").unwrap();
    let worked: Vec<WorkedVisit<'_>> = records
        .visits
        .iter()
        .map(|v| WorkedVisit {
            visit: &v.visit,
            acts: &v.acts,
        })
        .collect();
    let t = &records.technicians[0];
    let input = Input {
        technician: &t.id,
        home: t.home,
        farms: &records.farms,
        visits: &worked,
        declared: &[],
    };
    let r = report(
        &input,
        d(2026, 11, 17),
        d(2026, 11, 24),
        &Settings::default(),
        &grid,
    )
    .unwrap();
    assert_eq!(r.days.len(), 8);
    // Each day's total is its parts; the visits' flat rate adds up to the day's.
    for s in &r.days {
        assert_eq!(
            s.total_seconds,
            s.forfait_seconds + s.travel_seconds + s.other_seconds
        );
        let acts: u64 = s
            .visits
            .iter()
            .flat_map(|v| &v.acts)
            .map(|a| u64::from(a.seconds))
            .sum();
        assert_eq!(acts, s.forfait_seconds);
    }
    // Weekdays before today were worked; today is only planned.
    assert!(r.days[0].total_seconds > 0);
    assert_eq!(r.days[7].total_seconds, 0);
}
