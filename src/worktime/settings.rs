//! The company's work-time settings: limits, counters, travel and counting method, each with
//! its statutory or agreement default, read from the `[worktime]` table of a TOML file.
//!
//! Not for the flat-rate values (`forfait` reads `[forfait_seconds]` and `[forfait_tiers]`
//! from the same file, if the company keeps one agreement file). A company agreement may only
//! tighten a legal limit: a setting less protective than the law is refused, with the rule it
//! would break (`../shared/reference/work-time-rules.md`). Derogations the law allows under
//! conditions (a 12 h day by agreement, L3121-19; a 46 h average, L713-13 Rural Code) are not
//! settings: they need more than a number, and are refused like any looser value.
//!
//! ```toml
//! [worktime]
//! method = "flat_rate"                # or "recorded"
//! daily_max_hours = 10                # at most 10 (Labour Code L3121-18)
//! daily_rest_hours = 11               # at least 11 (L3131-1)
//! weekly_max_hours = 48               # at most 48 (L3121-20)
//! average_max_hours = 44              # at most 44 (L3121-22; Rural Code L713-13)...
//! average_weeks = 12                  # ...over at most 12 consecutive weeks
//! break_after_hours = 6               # at most 6 (L3121-16)...
//! break_minutes = 20                  # ...a break of at least 20 min
//! annual_hours = 1607                 # at most 1,607 (CCN art. 58)
//! overtime_allowance_hours = 180      # at most 180 (CCN art. 53)
//! recovery_majoration_percent = 25    # at least 25 (CCN art. 49, 50)
//! average_speed_kmh = 50              # travel estimated from km
//! road_factor = 1.3                   # road km per straight-line km, when no km is recorded
//! count_trip_from_home = true         # home -> first farm is work time
//! count_trip_home = true              # last farm -> home is work time
//! alsace_moselle = false              # Good Friday and 26 December are holidays too
//! year_start = "01-01"                # the modulation year starts on this day (MM-DD)
//! round_from = "07:30"                # the round planner leaves home no earlier...
//! round_to = "19:00"                  # ...and is back by then (HH:MM)
//! ```

use chrono::{Datelike, NaiveDate};
use serde::de::IgnoredAny;
use serde::{Deserialize, Serialize};

use super::WorkTimeError;

/// How the day's total is counted (CCN art. 56): flat rates per act, or recorded real time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Method {
    /// Each act counts its flat-rate seconds (company grid, never below Annexe I).
    FlatRate,
    /// Time at a farm counts from recorded arrival to departure (flat rate where not recorded).
    Recorded,
}

/// The company's settings. Every field has the statutory or agreement default.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Settings {
    pub method: Method,
    pub daily_max_hours: f64,
    pub daily_rest_hours: f64,
    pub weekly_max_hours: f64,
    pub average_max_hours: f64,
    pub average_weeks: u32,
    pub break_after_hours: f64,
    pub break_minutes: f64,
    pub annual_hours: f64,
    pub overtime_allowance_hours: f64,
    pub recovery_majoration_percent: u32,
    pub average_speed_kmh: f64,
    pub road_factor: f64,
    /// Whether the trip from home to the first farm is work time. Default: yes, for an
    /// itinerant worker with no fixed place of work (CJEU C-266/14 Tyco, 10 September 2015);
    /// a company agreement may settle it otherwise (work-time-rules.md).
    pub count_trip_from_home: bool,
    /// Whether the trip from the last farm home is work time (same default and reason).
    pub count_trip_home: bool,
    pub alsace_moselle: bool,
    /// First day of the modulation year, `MM-DD`.
    pub year_start: String,
    /// The working day the round planner fits the visits in: out no earlier than
    /// `round_from`, back by `round_to` (`HH:MM`, local time).
    pub round_from: String,
    pub round_to: String,
}

impl Default for Settings {
    fn default() -> Settings {
        Settings {
            method: Method::FlatRate,
            daily_max_hours: 10.0,
            daily_rest_hours: 11.0,
            weekly_max_hours: 48.0,
            average_max_hours: 44.0,
            average_weeks: 12,
            break_after_hours: 6.0,
            break_minutes: 20.0,
            annual_hours: 1_607.0,
            overtime_allowance_hours: 180.0,
            recovery_majoration_percent: 25,
            average_speed_kmh: 50.0,
            road_factor: 1.3,
            count_trip_from_home: true,
            count_trip_home: true,
            alsace_moselle: false,
            year_start: "01-01".into(),
            round_from: "07:30".into(),
            round_to: "19:00".into(),
        }
    }
}

/// The file: `[worktime]`, and the grid's tables left to `forfait`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    #[serde(default)]
    worktime: Settings,
    #[allow(dead_code)] // read by forfait::Grid::company
    forfait_seconds: Option<IgnoredAny>,
    #[allow(dead_code)] // read by forfait::Grid::company
    forfait_tiers: Option<IgnoredAny>,
}

fn seconds(hours: f64) -> u64 {
    // Checked finite and in range before use.
    (hours * 3_600.0).round() as u64
}

impl Settings {
    /// Reads the `[worktime]` table of a company file and checks it.
    pub fn from_toml(text: &str) -> Result<Settings, WorkTimeError> {
        let line = |span: Option<std::ops::Range<usize>>| {
            span.map_or(1, |s| {
                text.get(..s.start).map_or(0, |t| t.matches('\n').count()) + 1
            })
        };
        let de = toml::Deserializer::parse(text).map_err(|e| WorkTimeError::SettingsSyntax {
            line: line(e.span()),
            key: String::new(),
            message: e.message().trim().to_owned(),
        })?;
        let file: File =
            serde_path_to_error::deserialize(de).map_err(|e| WorkTimeError::SettingsSyntax {
                line: line(e.inner().span()),
                key: e.path().to_string(),
                message: e.inner().message().trim().to_owned(),
            })?;
        file.worktime.check()?;
        Ok(file.worktime)
    }

    /// Refuses values outside their range, and limits looser than the law.
    pub fn check(&self) -> Result<(), WorkTimeError> {
        fn within(
            key: &str,
            v: f64,
            lo: f64,
            hi: f64,
            expected: &str,
        ) -> Result<(), WorkTimeError> {
            if v.is_finite() && lo <= v && v <= hi {
                Ok(())
            } else {
                Err(WorkTimeError::Setting {
                    key: format!("worktime.{key}"),
                    value: v.to_string(),
                    expected: expected.to_owned(),
                })
            }
        }
        within(
            "daily_max_hours",
            self.daily_max_hours,
            1.0,
            10.0,
            "1 to 10 hours: more than 10 h a day is less protective than the Labour Code (L3121-18)",
        )?;
        within(
            "daily_rest_hours",
            self.daily_rest_hours,
            11.0,
            24.0,
            "11 to 24 hours: less than 11 h of daily rest is less protective than the Labour Code (L3131-1)",
        )?;
        within(
            "weekly_max_hours",
            self.weekly_max_hours,
            1.0,
            48.0,
            "1 to 48 hours: more than 48 h a week is less protective than the Labour Code (L3121-20)",
        )?;
        within(
            "average_max_hours",
            self.average_max_hours,
            1.0,
            44.0,
            "1 to 44 hours: more than 44 h on average is less protective than the Labour Code (L3121-22) and the Rural Code (L713-13)",
        )?;
        within(
            "average_weeks",
            f64::from(self.average_weeks),
            1.0,
            12.0,
            "1 to 12 weeks: averaging over more than 12 weeks is less protective than the Labour Code (L3121-22)",
        )?;
        within(
            "break_after_hours",
            self.break_after_hours,
            1.0,
            6.0,
            "1 to 6 hours: a break later than after 6 h of work is less protective than the Labour Code (L3121-16)",
        )?;
        within(
            "break_minutes",
            self.break_minutes,
            20.0,
            120.0,
            "20 to 120 minutes: a break shorter than 20 min is less protective than the Labour Code (L3121-16)",
        )?;
        within(
            "annual_hours",
            self.annual_hours,
            1.0,
            1_607.0,
            "1 to 1607 hours: a higher annual ceiling is less protective than the agreement (CCN art. 58)",
        )?;
        within(
            "overtime_allowance_hours",
            self.overtime_allowance_hours,
            0.0,
            180.0,
            "0 to 180 hours: a larger overtime allowance is less protective than the agreement (CCN art. 53)",
        )?;
        within(
            "recovery_majoration_percent",
            f64::from(self.recovery_majoration_percent),
            25.0,
            300.0,
            "25 to 300 %: less than 25 % is less protective than the agreement (CCN art. 49 and 50)",
        )?;
        within(
            "average_speed_kmh",
            self.average_speed_kmh,
            5.0,
            130.0,
            "an average road speed from 5 to 130 km/h",
        )?;
        within(
            "road_factor",
            self.road_factor,
            1.0,
            3.0,
            "a ratio of road to straight-line distance from 1 to 3",
        )?;
        self.year_start_date(2001)?; // a year with no 29 February: refuses "02-29"
        let (from, to) = self.round_day()?;
        if from >= to {
            return Err(WorkTimeError::Setting {
                key: "worktime.round_to".into(),
                value: self.round_to.clone(),
                expected: format!("a time after round_from ({})", self.round_from),
            });
        }
        Ok(())
    }

    /// The round planner's working day, in seconds since midnight.
    pub fn round_day(&self) -> Result<(u32, u32), WorkTimeError> {
        let time = |key: &str, v: &str| {
            chrono::NaiveTime::parse_from_str(v, "%H:%M")
                .map(|t| chrono::Timelike::num_seconds_from_midnight(&t))
                .map_err(|_| WorkTimeError::Setting {
                    key: format!("worktime.{key}"),
                    value: v.to_owned(),
                    expected: "a time of day as HH:MM".into(),
                })
        };
        Ok((
            time("round_from", &self.round_from)?,
            time("round_to", &self.round_to)?,
        ))
    }

    /// The first day of the modulation year that starts in `year`.
    fn year_start_date(&self, year: i32) -> Result<NaiveDate, WorkTimeError> {
        let refused = || WorkTimeError::Setting {
            key: "worktime.year_start".into(),
            value: self.year_start.clone(),
            expected: "a day of the year as MM-DD, such as 01-01 or 06-01 (not 02-29)".into(),
        };
        let (m, d) = self.year_start.split_once('-').ok_or_else(refused)?;
        let (m, d): (u32, u32) = (
            m.parse().map_err(|_| refused())?,
            d.parse().map_err(|_| refused())?,
        );
        if (m, d) == (2, 29) || m > 12 || self.year_start.len() != 5 {
            return Err(refused());
        }
        NaiveDate::from_ymd_opt(year, m, d).ok_or_else(refused)
    }

    /// The modulation year holding `day`: its first and last days.
    pub fn modulation_year(&self, day: NaiveDate) -> Result<(NaiveDate, NaiveDate), WorkTimeError> {
        let this = self.year_start_date(day.year())?;
        let start = if this <= day {
            this
        } else {
            self.year_start_date(day.year() - 1)?
        };
        let next = self.year_start_date(start.year() + 1)?;
        Ok((start, next.pred_opt().unwrap_or(next)))
    }

    pub fn daily_max_seconds(&self) -> u64 {
        seconds(self.daily_max_hours)
    }
    pub fn daily_rest_seconds(&self) -> u64 {
        seconds(self.daily_rest_hours)
    }
    pub fn weekly_max_seconds(&self) -> u64 {
        seconds(self.weekly_max_hours)
    }
    pub fn average_max_seconds(&self) -> u64 {
        seconds(self.average_max_hours)
    }
    pub fn break_after_seconds(&self) -> u64 {
        seconds(self.break_after_hours)
    }
    pub fn break_seconds(&self) -> u64 {
        seconds(self.break_minutes / 60.0)
    }
    pub fn annual_seconds(&self) -> u64 {
        seconds(self.annual_hours)
    }
    pub fn overtime_allowance_seconds(&self) -> u64 {
        seconds(self.overtime_allowance_hours)
    }

    /// Seconds to drive `km` at the average speed.
    pub fn drive_seconds(&self, km: f64) -> u64 {
        (km / self.average_speed_kmh * 3_600.0).round() as u64
    }

    /// Recovery owed for `worked` seconds on a Sunday or holiday: the time itself plus the
    /// majoration, rounded up to the second in the technician's favour.
    pub fn recovery_seconds(&self, worked: u64) -> u64 {
        (worked * u64::from(100 + self.recovery_majoration_percent)).div_ceil(100)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_the_statutory_and_agreement_values() {
        let s = Settings::from_toml("").unwrap();
        assert_eq!(s, Settings::default());
        assert_eq!(s.daily_max_seconds(), 36_000); // 10 h
        assert_eq!(s.daily_rest_seconds(), 39_600); // 11 h
        assert_eq!(s.weekly_max_seconds(), 172_800); // 48 h
        assert_eq!(s.average_max_seconds(), 158_400); // 44 h
        assert_eq!(s.break_after_seconds(), 21_600); // 6 h
        assert_eq!(s.break_seconds(), 1_200); // 20 min
        assert_eq!(s.annual_seconds(), 5_785_200); // 1,607 h
        assert_eq!(s.overtime_allowance_seconds(), 648_000); // 180 h
        // 4 h on a Sunday at +25 %: 14,400 × 1.25 = 18,000 s.
        assert_eq!(s.recovery_seconds(14_400), 18_000);
        // 1 s at +25 % is 1.25 s, rounded up to 2.
        assert_eq!(s.recovery_seconds(1), 2);
        // 25 km at 50 km/h: 30 min.
        assert_eq!(s.drive_seconds(25.0), 1_800);
    }

    #[test]
    fn tighter_values_are_accepted() {
        let s = Settings::from_toml(
            "[worktime]\nmethod = \"recorded\"\ndaily_max_hours = 9.5\nweekly_max_hours = 46\nrecovery_majoration_percent = 50\ncount_trip_home = false\nyear_start = \"06-01\"\n[forfait_seconds]\nia_bovine = 400\n",
        )
        .unwrap();
        assert_eq!(s.method, Method::Recorded);
        assert_eq!(s.daily_max_seconds(), 34_200); // 9 h 30
        assert!(!s.count_trip_home && s.count_trip_from_home);
        let d = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).unwrap();
        assert_eq!(
            s.modulation_year(d(2026, 3, 2)).unwrap(),
            (d(2025, 6, 1), d(2026, 5, 31))
        );
        assert_eq!(
            s.modulation_year(d(2026, 6, 1)).unwrap(),
            (d(2026, 6, 1), d(2027, 5, 31))
        );
    }

    fn refused_key(text: &str) -> String {
        match Settings::from_toml(text) {
            Err(WorkTimeError::Setting { key, .. }) => key,
            Err(WorkTimeError::SettingsSyntax { key, .. }) => key,
            other => panic!("expected a refusal, got {other:?}"),
        }
    }

    #[test]
    fn refuses_settings_less_protective_than_the_law() {
        for (text, key) in [
            ("daily_max_hours = 10.5", "worktime.daily_max_hours"),
            ("daily_rest_hours = 10", "worktime.daily_rest_hours"),
            ("weekly_max_hours = 50", "worktime.weekly_max_hours"),
            ("average_max_hours = 46", "worktime.average_max_hours"),
            ("average_weeks = 16", "worktime.average_weeks"),
            ("break_after_hours = 7", "worktime.break_after_hours"),
            ("break_minutes = 15", "worktime.break_minutes"),
            ("annual_hours = 1700", "worktime.annual_hours"),
            (
                "overtime_allowance_hours = 220",
                "worktime.overtime_allowance_hours",
            ),
            (
                "recovery_majoration_percent = 20",
                "worktime.recovery_majoration_percent",
            ),
            ("average_speed_kmh = 0", "worktime.average_speed_kmh"),
            ("year_start = \"02-29\"", "worktime.year_start"),
            ("year_start = \"13-01\"", "worktime.year_start"),
            ("year_start = \"1-1\"", "worktime.year_start"),
        ] {
            assert_eq!(refused_key(&format!("[worktime]\n{text}\n")), key, "{text}");
        }
        let e = Settings::from_toml("[worktime]\ndaily_max_hours = 12\n")
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("daily_max_hours") && e.contains("12") && e.contains("L3121-18"),
            "{e}"
        );
    }

    #[test]
    fn the_round_planners_working_day_reads_and_is_checked() {
        // 07:30 = 7 × 3600 + 30 × 60 = 27,000 s; 19:00 = 68,400 s.
        assert_eq!(Settings::default().round_day().unwrap(), (27_000, 68_400));
        let s = Settings::from_toml("[worktime]\nround_from = \"06:45\"\nround_to = \"17:15\"\n")
            .unwrap();
        assert_eq!(s.round_day().unwrap(), (24_300, 62_100));
        assert_eq!(
            refused_key("[worktime]\nround_from = \"7h30\"\n"),
            "worktime.round_from"
        );
        assert_eq!(
            refused_key("[worktime]\nround_from = \"19:30\"\n"),
            "worktime.round_to"
        );
    }

    #[test]
    fn refuses_unknown_keys_and_wrong_types_naming_the_key() {
        assert_eq!(
            refused_key("[worktime]\ndaily_max = 9\n"),
            "worktime.daily_max"
        );
        assert_eq!(
            refused_key("[worktime]\ncount_trip_home = 1\n"),
            "worktime.count_trip_home"
        );
        assert_eq!(
            refused_key("[worktime]\nmethod = \"real\"\n"),
            "worktime.method"
        );
        assert_eq!(
            refused_key("[worktime]\nrecovery_majoration_percent = -5\n"),
            "worktime.recovery_majoration_percent"
        );
        assert_eq!(refused_key("[worktimes]\n"), "worktimes");
        let e = Settings::from_toml("[worktime]\n\ndaily_max_hours = \"ten\"\n").unwrap_err();
        assert!(
            matches!(e, WorkTimeError::SettingsSyntax { line: 3, .. }),
            "{e:?}"
        );
        let e = Settings::from_toml("[worktime]\ndaily_max = 9\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("daily_max"), "{e}");
    }
}
