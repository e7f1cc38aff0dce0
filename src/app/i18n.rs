//! Every word the technician reads: the translation catalogues (`assets/i18n/fr.toml`,
//! `assets/i18n/en.toml`) and the French or English way of writing dates, durations and numbers.
//!
//! French is the default and the reference; English is complete (a test checks both files have
//! exactly the same keys, and that every key the code asks for exists). Not for the CLI or the
//! exchange format, which speak English and JSON.
//!
//! Keys are dotted paths into the TOML tables (`today.title`). Code asks for a key with a
//! string literal through [`I18n::t`], [`I18n::tf`] (with `{name}` placeholders) or
//! [`I18n::tn`] (a count choosing `KEY.one` or `KEY.other`), so a test can find every key the
//! code uses by reading the source. Keys built at run time (one per act kind, for instance) go
//! through [`I18n::t_dyn`], and their own tests enumerate them.

use std::collections::BTreeMap;

use chrono::{Datelike, NaiveDate, NaiveTime, Timelike, Weekday};
use serde::{Deserialize, Serialize};

const FR: &str = include_str!("../../assets/i18n/fr.toml");
const EN: &str = include_str!("../../assets/i18n/en.toml");

/// The languages of the interface.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Lang {
    #[default]
    Fr,
    En,
}

impl Lang {
    pub const ALL: [Lang; 2] = [Lang::Fr, Lang::En];

    /// The language's own name, as a language menu shows it whatever the current language.
    pub fn native_name(self) -> &'static str {
        match self {
            Lang::Fr => "Français",
            Lang::En => "English",
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            Lang::Fr => "fr",
            Lang::En => "en",
        }
    }
}

/// A catalogue file that cannot be read.
#[derive(Debug, thiserror::Error)]
pub enum I18nError {
    #[error("{file}: not a valid TOML catalogue: {message}")]
    Syntax { file: String, message: String },
    #[error("{file}: key {key:?} is not text: expected a string or a table of strings")]
    NotText { file: String, key: String },
}

/// One language's strings, by dotted key.
#[derive(Debug, Clone, Default)]
pub struct Catalog {
    strings: BTreeMap<String, String>,
}

impl Catalog {
    /// Reads a catalogue: nested TOML tables of strings, flattened to dotted keys.
    pub fn parse(file: &str, text: &str) -> Result<Catalog, I18nError> {
        let table: toml::Table = text
            .parse()
            .map_err(|e: toml::de::Error| I18nError::Syntax {
                file: file.to_owned(),
                message: e.message().to_owned(),
            })?;
        let mut strings = BTreeMap::new();
        flatten(file, "", &table, &mut strings)?;
        Ok(Catalog { strings })
    }

    pub fn get(&self, key: &str) -> Option<&str> {
        self.strings.get(key).map(String::as_str)
    }

    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.strings.keys().map(String::as_str)
    }
}

fn flatten(
    file: &str,
    prefix: &str,
    table: &toml::Table,
    out: &mut BTreeMap<String, String>,
) -> Result<(), I18nError> {
    for (k, v) in table {
        let key = if prefix.is_empty() {
            k.clone()
        } else {
            format!("{prefix}.{k}")
        };
        match v {
            toml::Value::String(s) => {
                out.insert(key, s.clone());
            }
            toml::Value::Table(t) => flatten(file, &key, t, out)?,
            _ => {
                return Err(I18nError::NotText {
                    file: file.to_owned(),
                    key,
                });
            }
        }
    }
    Ok(())
}

/// The embedded catalogue of a language. The files are checked by the tests, so a failure
/// here is a build that skipped them: the app then shows keys rather than stopping.
pub fn catalog(lang: Lang) -> Catalog {
    let (file, text) = match lang {
        Lang::Fr => ("assets/i18n/fr.toml", FR),
        Lang::En => ("assets/i18n/en.toml", EN),
    };
    Catalog::parse(file, text).unwrap_or_default()
}

/// The interface's words and formats in the chosen language.
#[derive(Debug, Clone)]
pub struct I18n {
    lang: Lang,
    current: Catalog,
    /// French is the reference: a key missing from another language falls back to it.
    french: Catalog,
}

impl Default for I18n {
    fn default() -> Self {
        I18n::new(Lang::Fr)
    }
}

impl I18n {
    pub fn new(lang: Lang) -> I18n {
        let french = catalog(Lang::Fr);
        let current = if lang == Lang::Fr {
            french.clone()
        } else {
            catalog(lang)
        };
        I18n {
            lang,
            current,
            french,
        }
    }

    pub fn lang(&self) -> Lang {
        self.lang
    }

    pub fn set_lang(&mut self, lang: Lang) {
        if lang != self.lang {
            *self = I18n::new(lang);
        }
    }

    /// The text of a key; the key itself if no catalogue has it (visible, never a crash).
    pub fn t<'a>(&'a self, key: &'a str) -> &'a str {
        self.current
            .get(key)
            .or_else(|| self.french.get(key))
            .unwrap_or(key)
    }

    /// A key made at run time (`act_kind.ia_bovine`): tests enumerate these separately.
    pub fn t_dyn(&self, key: &str) -> String {
        self.t(key).to_owned()
    }

    /// The text of a key with its `{name}` placeholders filled.
    pub fn tf(&self, key: &str, args: &[(&str, &str)]) -> String {
        fill(self.t(key), args)
    }

    /// The text for a count: `KEY.one` or `KEY.other` by the language's rule, `{n}` filled.
    pub fn tn(&self, key: &str, n: u64) -> String {
        let form = if self.is_singular(n) { "one" } else { "other" };
        let full = format!("{key}.{form}");
        fill(self.t(&full), &[("n", &self.integer(n))])
    }

    /// French treats 0 and 1 as singular ("0 dose restante"), English only 1.
    fn is_singular(&self, n: u64) -> bool {
        match self.lang {
            Lang::Fr => n <= 1,
            Lang::En => n == 1,
        }
    }

    /// A whole number with the language's digit grouping: `1 607` (narrow no-break space) in
    /// French, `1,607` in English.
    pub fn integer(&self, n: u64) -> String {
        group(&n.to_string(), self.t("format.group_separator"))
    }

    /// A signed whole number (`-3`, `+12`): the sign is kept for stock corrections.
    pub fn signed(&self, n: i64) -> String {
        let body = self.integer(n.unsigned_abs());
        match n.signum() {
            -1 => format!("−{body}"),
            1 => format!("+{body}"),
            _ => body,
        }
    }

    /// A decimal number with `digits` decimals, trailing zeros dropped: `12,5` in French,
    /// `12.5` in English.
    pub fn decimal(&self, value: f64, digits: usize) -> String {
        if !value.is_finite() {
            return "—".to_owned();
        }
        let text = format!("{:.*}", digits, value.abs());
        let (whole, frac) = match text.split_once('.') {
            Some((w, f)) => (w, f.trim_end_matches('0')),
            None => (text.as_str(), ""),
        };
        let whole = group(whole, self.t("format.group_separator"));
        let sign = if value < 0.0 && (whole != "0" || !frac.is_empty()) {
            "−"
        } else {
            ""
        };
        if frac.is_empty() {
            format!("{sign}{whole}")
        } else {
            format!("{sign}{whole}{}{frac}", self.t("format.decimal_separator"))
        }
    }

    /// A road distance: `12,5 km`.
    pub fn km(&self, km: f64) -> String {
        self.tf("format.km", &[("value", &self.decimal(km, 1))])
    }

    /// A duration: `45 s`, `6 min 30 s`, `6 min`, `2 h 05 min`, `2 h`; nothing is `0 min`
    /// (a day's total, not a stopwatch: "0 s" reads as a glitch).
    pub fn duration(&self, seconds: u64) -> String {
        let (h, m, s) = (seconds / 3600, (seconds % 3600) / 60, seconds % 60);
        let (key, args) = match (h, m, s) {
            (0, 0, 0) => ("format.duration_m", vec![("m", "0".to_owned())]),
            (0, 0, s) => ("format.duration_s", vec![("s", s.to_string())]),
            (0, m, 0) => ("format.duration_m", vec![("m", m.to_string())]),
            (0, m, s) => (
                "format.duration_ms",
                vec![("m", m.to_string()), ("s", s.to_string())],
            ),
            (h, 0, _) => ("format.duration_h", vec![("h", self.integer(h))]),
            // Past an hour the seconds do not matter to anyone reading a day's time.
            (h, m, _) => (
                "format.duration_hm",
                vec![("h", self.integer(h)), ("m", format!("{m:02}"))],
            ),
        };
        let args: Vec<(&str, &str)> = args.iter().map(|(k, v)| (*k, v.as_str())).collect();
        self.tf(key, &args)
    }

    /// A day as people say it: `mardi 24 novembre` / `Tuesday 24 November`.
    pub fn date_long(&self, day: NaiveDate) -> String {
        self.tf(
            "format.date_long",
            &[
                ("weekday", &self.weekday(day.weekday())),
                ("day", &day.day().to_string()),
                ("month", &self.month(day.month())),
            ],
        )
    }

    /// A day in a list: `24/11/2026` in French, `24 Nov 2026` style left to the catalogue.
    pub fn date_short(&self, day: NaiveDate) -> String {
        self.tf(
            "format.date_short",
            &[
                ("day", &format!("{:02}", day.day())),
                ("month", &format!("{:02}", day.month())),
                ("year", &day.year().to_string()),
            ],
        )
    }

    /// A time of day: `08:05` / `08:05` (both use 24 hours; the catalogue may differ).
    pub fn time(&self, t: NaiveTime) -> String {
        self.tf(
            "format.time",
            &[
                ("h", &format!("{:02}", t.hour())),
                ("m", &format!("{:02}", t.minute())),
            ],
        )
    }

    pub fn weekday(&self, day: Weekday) -> String {
        let key = match day {
            Weekday::Mon => "weekday.mon",
            Weekday::Tue => "weekday.tue",
            Weekday::Wed => "weekday.wed",
            Weekday::Thu => "weekday.thu",
            Weekday::Fri => "weekday.fri",
            Weekday::Sat => "weekday.sat",
            Weekday::Sun => "weekday.sun",
        };
        self.t(key).to_owned()
    }

    pub fn month(&self, month: u32) -> String {
        let key = match month {
            1 => "month.1",
            2 => "month.2",
            3 => "month.3",
            4 => "month.4",
            5 => "month.5",
            6 => "month.6",
            7 => "month.7",
            8 => "month.8",
            9 => "month.9",
            10 => "month.10",
            11 => "month.11",
            _ => "month.12",
        };
        self.t(key).to_owned()
    }
}

/// Replaces each `{name}` by its value; unknown placeholders stay as they are.
fn fill(template: &str, args: &[(&str, &str)]) -> String {
    let mut out = template.to_owned();
    for (name, value) in args {
        out = out.replace(&format!("{{{name}}}"), value);
    }
    out
}

/// Inserts `sep` every three digits from the right of a string of digits.
fn group(digits: &str, sep: &str) -> String {
    let n = digits.chars().count();
    let mut out = String::with_capacity(digits.len() + n / 3 * sep.len());
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (n - i).is_multiple_of(3) {
            out.push_str(sep);
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;
    use std::path::Path;

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn both_catalogues_parse_and_have_exactly_the_same_keys() {
        let fr = Catalog::parse("fr.toml", FR).unwrap();
        let en = Catalog::parse("en.toml", EN).unwrap();
        let fr_keys: BTreeSet<&str> = fr.keys().collect();
        let en_keys: BTreeSet<&str> = en.keys().collect();
        let only_fr: Vec<_> = fr_keys.difference(&en_keys).collect();
        let only_en: Vec<_> = en_keys.difference(&fr_keys).collect();
        assert!(only_fr.is_empty(), "keys missing from en.toml: {only_fr:?}");
        assert!(only_en.is_empty(), "keys missing from fr.toml: {only_en:?}");
        assert!(fr_keys.len() > 50, "{} keys", fr_keys.len());
    }

    #[test]
    fn no_translation_is_empty_and_placeholders_match_between_languages() {
        let fr = Catalog::parse("fr.toml", FR).unwrap();
        let en = Catalog::parse("en.toml", EN).unwrap();
        for key in fr.keys() {
            let (f, e) = (fr.get(key).unwrap(), en.get(key).unwrap_or(""));
            assert!(
                !f.trim().is_empty() || key == "format.group_separator",
                "{key} empty in fr"
            );
            assert!(
                !e.trim().is_empty() || key == "format.group_separator",
                "{key} empty in en"
            );
            assert_eq!(placeholders(f), placeholders(e), "placeholders of {key}");
        }
    }

    fn placeholders(s: &str) -> BTreeSet<String> {
        let mut out = BTreeSet::new();
        let mut rest = s;
        while let Some(start) = rest.find('{') {
            let Some(len) = rest[start..].find('}') else {
                break;
            };
            out.insert(rest[start + 1..start + len].to_owned());
            rest = &rest[start + len..];
        }
        out
    }

    /// Every `t("…")`, `tf("…")` and `tn("…")` in `src/app`, with the file it is in.
    fn keys_used_in_code() -> Vec<(String, String)> {
        let mut files = Vec::new();
        let mut dirs = vec![Path::new(env!("CARGO_MANIFEST_DIR")).join("src/app")];
        while let Some(dir) = dirs.pop() {
            for entry in std::fs::read_dir(&dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    dirs.push(path);
                } else if path.extension().is_some_and(|e| e == "rs")
                    // This file's own keys (formats) are proven by the format tests below,
                    // and its tests quote the call patterns themselves.
                    && !path.ends_with("app/i18n.rs")
                {
                    files.push(path);
                }
            }
        }
        let mut keys = Vec::new();
        for file in files {
            let text = std::fs::read_to_string(&file).unwrap();
            for (call, suffixes) in [
                (".t(", &[""][..]),
                (".tf(", &[""][..]),
                (".tn(", &[".one", ".other"][..]),
            ] {
                let mut rest = text.as_str();
                while let Some(at) = rest.find(call) {
                    rest = &rest[at + call.len()..];
                    let arg = rest.trim_start();
                    // Calls with a variable argument are the enumerated ones (t_dyn) or
                    // helpers passing a key through: only literals are checked here.
                    let Some(lit) = arg.strip_prefix('"') else {
                        continue;
                    };
                    let Some(end) = lit.find('"') else { continue };
                    for s in suffixes {
                        keys.push((format!("{}{s}", &lit[..end]), file.display().to_string()));
                    }
                }
            }
        }
        keys
    }

    #[test]
    fn every_key_used_in_the_code_exists_in_french() {
        let fr = Catalog::parse("fr.toml", FR).unwrap();
        let used = keys_used_in_code();
        assert!(used.len() > 50, "found only {} uses", used.len());
        let missing: Vec<_> = used.iter().filter(|(k, _)| fr.get(k).is_none()).collect();
        assert!(
            missing.is_empty(),
            "keys used but not in fr.toml: {missing:?}"
        );
    }

    #[test]
    fn every_act_kind_has_a_name_and_a_count_form_in_both_languages() {
        for lang in Lang::ALL {
            let c = catalog(lang);
            for kind in crate::domain::ActKind::ALL {
                for key in [
                    format!("act_kind.{}", kind.id()),
                    format!("act_count.{}.one", kind.id()),
                    format!("act_count.{}.other", kind.id()),
                ] {
                    assert!(c.get(&key).is_some(), "{key} missing in {}", lang.code());
                }
            }
        }
    }

    #[test]
    fn every_key_made_at_run_time_exists_in_both_languages() {
        use crate::domain::Species;
        use crate::worktime::Flag;
        let mut keys: Vec<String> = crate::domain::ActKind::ALL
            .iter()
            .map(|k| format!("kind_choice.{}", k.id()))
            .collect();
        for s in [
            Species::Bovine,
            Species::Caprine,
            Species::Ovine,
            Species::Porcine,
        ] {
            keys.push(format!("species.{}", s.id()));
        }
        for f in [
            Flag::OverDailyMax,
            Flag::ShortDailyRest,
            Flag::OverWeeklyMax,
            Flag::Over12WeekAverage,
            Flag::MissingBreak,
            Flag::Sunday,
            Flag::PublicHoliday,
        ] {
            keys.push(format!("flag.{}", f.id()));
        }
        for s in [
            "to_do",
            "in_progress",
            "done",
            "awaiting_confirmation",
            "confirmed",
            "disputed",
        ] {
            keys.push(format!("status.{s}"));
        }
        for s in [
            "flat_rate",
            "recorded",
            "km_estimate",
            "distance_estimate",
            "declared",
            "missing",
        ] {
            keys.push(format!("source.{s}"));
        }
        for k in ["stock", "admin", "meeting", "training", "other"] {
            keys.push(format!("other_time.{k}"));
        }
        for k in [
            "planned",
            "reassigned",
            "act",
            "corrected",
            "signed",
            "instructions_left",
            "confirmed_later",
            "disputed",
            "answered",
            "cancelled",
        ] {
            keys.push(format!("history.{k}"));
        }
        for k in ["pregnancy_check", "synchronisation_step"] {
            keys.push(format!("follow_up.{k}"));
        }
        // Passed through the farm screen's "show more" helper.
        for k in ["more_inseminations", "more_checks", "more_visits"] {
            keys.push(format!("farm.{k}"));
        }
        for lang in Lang::ALL {
            let c = catalog(lang);
            for key in &keys {
                assert!(c.get(key).is_some(), "{key} missing in {}", lang.code());
            }
        }
    }

    #[test]
    fn french_dates_durations_and_numbers() {
        let i = I18n::new(Lang::Fr);
        // 24 November 2026 is a Tuesday.
        assert_eq!(i.date_long(day(2026, 11, 24)), "mardi 24 novembre");
        assert_eq!(i.date_long(day(2026, 3, 1)), "dimanche 1 mars");
        assert_eq!(i.date_short(day(2026, 3, 1)), "01/03/2026");
        assert_eq!(i.duration(6 * 60 + 30), "6 min 30 s");
        assert_eq!(i.duration(45), "45 s");
        assert_eq!(i.duration(0), "0 min");
        assert_eq!(i.duration(6 * 60), "6 min");
        assert_eq!(i.duration(2 * 3600 + 5 * 60 + 12), "2 h 05 min");
        assert_eq!(i.duration(3 * 3600), "3 h");
        assert_eq!(i.km(12.5), "12,5 km");
        assert_eq!(i.km(12.0), "12 km");
        assert_eq!(i.decimal(1607.25, 2), "1\u{202f}607,25");
        assert_eq!(i.integer(1_607), "1\u{202f}607");
        assert_eq!(i.integer(999), "999");
        assert_eq!(i.signed(-3), "−3");
        assert_eq!(i.time(NaiveTime::from_hms_opt(8, 5, 0).unwrap()), "08:05");
    }

    #[test]
    fn english_dates_durations_and_numbers() {
        let i = I18n::new(Lang::En);
        assert_eq!(i.date_long(day(2026, 11, 24)), "Tuesday 24 November");
        assert_eq!(i.duration(6 * 60 + 30), "6 min 30 s");
        assert_eq!(i.duration(0), "0 min");
        assert_eq!(i.km(12.5), "12.5 km");
        assert_eq!(i.integer(1_607), "1,607");
    }

    #[test]
    fn counts_take_the_plural_rule_of_the_language() {
        let fr = I18n::new(Lang::Fr);
        let en = I18n::new(Lang::En);
        assert_eq!(fr.tn("act_count.ia_bovine", 2), "2 IA");
        assert_eq!(fr.tn("act_count.echo_bovine", 1), "1 constat écho");
        assert_eq!(fr.tn("act_count.echo_bovine", 0), "0 constat écho");
        assert_eq!(en.tn("act_count.echo_bovine", 0), "0 ultrasound checks");
        assert_eq!(en.tn("act_count.echo_bovine", 1), "1 ultrasound check");
    }

    #[test]
    fn a_missing_key_shows_itself_and_placeholders_fill() {
        let i = I18n::new(Lang::En);
        assert_eq!(i.t("no.such.key"), "no.such.key");
        assert_eq!(fill("{a} and {b}", &[("a", "x"), ("b", "y")]), "x and y");
        assert_eq!(group("1234567", ","), "1,234,567");
    }

    #[test]
    fn a_bad_catalogue_is_refused_with_the_key() {
        let err = Catalog::parse("x.toml", "a = 3").unwrap_err();
        assert!(err.to_string().contains("\"a\""), "{err}");
        assert!(Catalog::parse("x.toml", "a = ").is_err());
    }
}
