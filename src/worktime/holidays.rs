//! French public holidays, the movable ones computed from Easter, with the Alsace-Moselle
//! option (Good Friday, 26 December: local law, Labour Code L3134-13).
//!
//! Not for deciding who works on them, nor what a holiday worked is owed (`day` and the
//! year counters do that).

use chrono::{Datelike, Duration, NaiveDate};
use serde::Serialize;

/// A public holiday (Labour Code L3133-1, plus the two of Alsace-Moselle).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Holiday {
    NewYear,
    GoodFriday,
    EasterMonday,
    /// 1 May: the statutory rule applies (Labour Code L3133-4 to L3133-6).
    MayDay,
    VictoryInEurope,
    Ascension,
    WhitMonday,
    BastilleDay,
    Assumption,
    AllSaints,
    Armistice,
    Christmas,
    SaintStephen,
}

impl Holiday {
    pub fn label_fr(self) -> &'static str {
        match self {
            Holiday::NewYear => "Jour de l'an",
            Holiday::GoodFriday => "Vendredi saint",
            Holiday::EasterMonday => "Lundi de Pâques",
            Holiday::MayDay => "Fête du travail",
            Holiday::VictoryInEurope => "Victoire 1945",
            Holiday::Ascension => "Ascension",
            Holiday::WhitMonday => "Lundi de Pentecôte",
            Holiday::BastilleDay => "Fête nationale",
            Holiday::Assumption => "Assomption",
            Holiday::AllSaints => "Toussaint",
            Holiday::Armistice => "Armistice 1918",
            Holiday::Christmas => "Noël",
            Holiday::SaintStephen => "Saint-Étienne",
        }
    }

    pub fn label_en(self) -> &'static str {
        match self {
            Holiday::NewYear => "New Year's Day",
            Holiday::GoodFriday => "Good Friday",
            Holiday::EasterMonday => "Easter Monday",
            Holiday::MayDay => "Labour Day",
            Holiday::VictoryInEurope => "Victory in Europe Day",
            Holiday::Ascension => "Ascension Day",
            Holiday::WhitMonday => "Whit Monday",
            Holiday::BastilleDay => "Bastille Day",
            Holiday::Assumption => "Assumption Day",
            Holiday::AllSaints => "All Saints' Day",
            Holiday::Armistice => "Armistice Day",
            Holiday::Christmas => "Christmas Day",
            Holiday::SaintStephen => "Saint Stephen's Day",
        }
    }
}

/// Easter Sunday of a Gregorian year (the anonymous Gregorian computus, Meeus/Jones/Butcher).
pub fn easter(year: i32) -> Option<NaiveDate> {
    let y = year;
    let a = y.rem_euclid(19);
    let (b, c) = (y.div_euclid(100), y.rem_euclid(100));
    let (d, e) = (b.div_euclid(4), b.rem_euclid(4));
    let f = (b + 8).div_euclid(25);
    let g = (b - f + 1).div_euclid(3);
    let h = (19 * a + b - d - g + 15).rem_euclid(30);
    let (i, k) = (c.div_euclid(4), c.rem_euclid(4));
    let l = (32 + 2 * e + 2 * i - h - k).rem_euclid(7);
    let m = (a + 11 * h + 22 * l).div_euclid(451);
    let n = h + l - 7 * m + 114;
    NaiveDate::from_ymd_opt(y, (n / 31) as u32, (n % 31 + 1) as u32)
}

/// The public holidays of a year, in date order.
pub fn holidays(year: i32, alsace_moselle: bool) -> Vec<(NaiveDate, Holiday)> {
    let fixed = |m, d, h| NaiveDate::from_ymd_opt(year, m, d).map(|date| (date, h));
    let movable = |days: i64, h| easter(year).map(|e| (e + Duration::days(days), h));
    let mut out: Vec<(NaiveDate, Holiday)> = [
        fixed(1, 1, Holiday::NewYear),
        movable(-2, Holiday::GoodFriday).filter(|_| alsace_moselle),
        movable(1, Holiday::EasterMonday),
        fixed(5, 1, Holiday::MayDay),
        fixed(5, 8, Holiday::VictoryInEurope),
        movable(39, Holiday::Ascension),
        movable(50, Holiday::WhitMonday),
        fixed(7, 14, Holiday::BastilleDay),
        fixed(8, 15, Holiday::Assumption),
        fixed(11, 1, Holiday::AllSaints),
        fixed(11, 11, Holiday::Armistice),
        fixed(12, 25, Holiday::Christmas),
        fixed(12, 26, Holiday::SaintStephen).filter(|_| alsace_moselle),
    ]
    .into_iter()
    .flatten()
    .collect();
    // Ascension can fall on 1 May (2008) or 8 May: the day counts once, under its fixed
    // name (the sort is stable and fixed feasts come first), as `holiday_on` says.
    out.sort_by_key(|(d, _)| *d);
    out.dedup_by_key(|(d, _)| *d);
    out
}

/// The holiday on `day`, if any.
pub fn holiday_on(day: NaiveDate, alsace_moselle: bool) -> Option<Holiday> {
    let (m, d) = (day.month(), day.day());
    let fixed = match (m, d) {
        (1, 1) => Some(Holiday::NewYear),
        (5, 1) => Some(Holiday::MayDay),
        (5, 8) => Some(Holiday::VictoryInEurope),
        (7, 14) => Some(Holiday::BastilleDay),
        (8, 15) => Some(Holiday::Assumption),
        (11, 1) => Some(Holiday::AllSaints),
        (11, 11) => Some(Holiday::Armistice),
        (12, 25) => Some(Holiday::Christmas),
        (12, 26) if alsace_moselle => Some(Holiday::SaintStephen),
        _ => None,
    };
    // 1 May keeps its own rule even when Ascension falls on it.
    if fixed.is_some() {
        return fixed;
    }
    // Movable feasts fall from 20 March (Good Friday) to 14 June (Whit Monday).
    if !(3..=6).contains(&m) {
        return None;
    }
    let easter = easter(day.year())?;
    match (day - easter).num_days() {
        -2 if alsace_moselle => Some(Holiday::GoodFriday),
        1 => Some(Holiday::EasterMonday),
        39 => Some(Holiday::Ascension),
        50 => Some(Holiday::WhitMonday),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn easter_dates_match_the_calendar() {
        // Published Easter Sundays.
        assert_eq!(easter(2024), Some(d(2024, 3, 31)));
        assert_eq!(easter(2025), Some(d(2025, 4, 20)));
        // 2026: a = 12, b = 20, c = 26, h = 12, l = 2, m = 0; n = 128: April (128 / 31 = 4),
        // day 128 mod 31 + 1 = 5.
        assert_eq!(easter(2026), Some(d(2026, 4, 5)));
        assert_eq!(easter(2027), Some(d(2027, 3, 28)));
        assert_eq!(easter(2038), Some(d(2038, 4, 25))); // the latest possible date
        assert_eq!(easter(2285), Some(d(2285, 3, 22))); // the earliest possible date
    }

    #[test]
    fn holidays_of_2026() {
        // Easter 5 April 2026: Easter Monday 6 April, Ascension 5 April + 39 = 14 May,
        // Whit Monday 5 April + 50 = 25 May.
        assert_eq!(
            holiday_on(d(2026, 4, 6), false),
            Some(Holiday::EasterMonday)
        );
        assert_eq!(holiday_on(d(2026, 5, 14), false), Some(Holiday::Ascension));
        assert_eq!(holiday_on(d(2026, 5, 25), false), Some(Holiday::WhitMonday));
        assert_eq!(holiday_on(d(2026, 4, 5), false), None); // Easter Sunday is a Sunday
        assert_eq!(holiday_on(d(2026, 4, 3), false), None);
        assert_eq!(holiday_on(d(2026, 4, 3), true), Some(Holiday::GoodFriday));
        assert_eq!(holiday_on(d(2026, 12, 26), false), None);
        assert_eq!(
            holiday_on(d(2026, 12, 26), true),
            Some(Holiday::SaintStephen)
        );
        let all = holidays(2026, false);
        assert_eq!(all.len(), 11);
        for (day, h) in &all {
            assert_eq!(holiday_on(*day, false), Some(*h));
        }
        assert_eq!(holidays(2026, true).len(), 13);
    }

    #[test]
    fn holiday_on_agrees_with_the_list_every_day_of_a_decade() {
        for year in 2020..2040 {
            for alsace in [false, true] {
                let list = holidays(year, alsace);
                let mut day = d(year, 1, 1);
                while day.year() == year {
                    let listed = list.iter().find(|(d, _)| *d == day).map(|(_, h)| *h);
                    assert_eq!(holiday_on(day, alsace).is_some(), listed.is_some(), "{day}");
                    day += Duration::days(1);
                }
            }
        }
    }
}
