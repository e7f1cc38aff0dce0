//! Farms and technicians: the mutable records of the domain (latest clock wins on merge).

use serde::{Deserialize, Serialize};

use super::DomainError;
use super::act::Species;
use super::ids::{Ede, TechnicianId};

/// A point on the map, in degrees (WGS 84).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Location {
    pub lat: f64,
    pub lon: f64,
}

impl Location {
    pub fn validate(&self, field: &str) -> Result<(), DomainError> {
        if !(self.lat.is_finite() && (-90.0..=90.0).contains(&self.lat)) {
            return Err(DomainError::invalid(
                &format!("{field}.lat"),
                &self.lat.to_string(),
                "a latitude in degrees from -90 to 90",
            ));
        }
        if !(self.lon.is_finite() && (-180.0..=180.0).contains(&self.lon)) {
            return Err(DomainError::invalid(
                &format!("{field}.lon"),
                &self.lon.to_string(),
                "a longitude in degrees from -180 to 180",
            ));
        }
        Ok(())
    }
}

/// A farm (holding), identified by its EDE number.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Farm {
    pub ede: Ede,
    pub name: String,
    /// The commune, as the technician calls it.
    pub village: Option<String>,
    pub location: Location,
    pub species: Vec<Species>,
    pub phone: Option<String>,
    /// Free text the technician wants to read before entering the barn.
    pub note: Option<String>,
}

impl Farm {
    pub fn validate(&self, field: &str) -> Result<(), DomainError> {
        super::check_name(&format!("{field}.name"), &self.name)?;
        if let Some(v) = &self.village
            && !v.is_empty()
        {
            super::check_name(&format!("{field}.village"), v)?;
        }
        if let Some(n) = &self.note {
            super::check_text(&format!("{field}.note"), n, 0)?;
        }
        if let Some(p) = &self.phone {
            super::check_text(&format!("{field}.phone"), p, 0)?;
        }
        self.location.validate(field)
    }
}

/// A technician: the person whose work time the log records.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Technician {
    pub id: TechnicianId,
    pub name: String,
    /// Where the technician's day starts and ends.
    pub home: Option<Location>,
    /// The technician's insemination licence number, printed on every insemination record
    /// (arrêté of 28 December 2006, article 10).
    pub licence: Option<String>,
}

impl Technician {
    pub fn validate(&self, field: &str) -> Result<(), DomainError> {
        super::check_name(&format!("{field}.name"), &self.name)?;
        if let Some(l) = &self.licence {
            check_code(&format!("{field}.licence"), l)?;
        }
        if let Some(home) = &self.home {
            home.validate(&format!("{field}.home"))?;
        }
        Ok(())
    }
}

/// A registration number as printed (licence, approval): 1 to 40 characters on one line.
pub fn check_code(field: &str, value: &str) -> Result<(), DomainError> {
    let n = value.trim().chars().count();
    if n == 0 || n > 40 || value.chars().any(char::is_control) {
        return Err(DomainError::invalid(
            field,
            value,
            "a registration number of 1 to 40 characters",
        ));
    }
    Ok(())
}

/// The insemination company the technicians work for (the cooperative).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Company {
    pub name: String,
    /// The company's approval number as an insemination operator, printed on every
    /// insemination record (arrêté of 28 December 2006, article 10).
    pub approval: String,
    /// The company agreement as TOML: its flat-rate grid (`[forfait_seconds]`,
    /// `[forfait_tiers]`) and work-time settings (`[worktime]`); `None`: Annexe I and the law.
    /// Checked by `worktime::company_rules` before it is recorded.
    pub agreement: Option<String>,
}

/// The longest company agreement text kept, in bytes.
pub const MAX_AGREEMENT: usize = 100_000;

impl Company {
    pub fn validate(&self, field: &str) -> Result<(), DomainError> {
        super::check_name(&format!("{field}.name"), &self.name)?;
        check_code(&format!("{field}.approval"), &self.approval)?;
        if let Some(a) = &self.agreement
            && a.len() > MAX_AGREEMENT
        {
            return Err(DomainError::invalid(
                &format!("{field}.agreement"),
                &format!("{} bytes", a.len()),
                &format!("an agreement of at most {MAX_AGREEMENT} bytes"),
            ));
        }
        Ok(())
    }
}

/// A span of hours a farm cannot receive the technician (milking), in minutes after midnight
/// (local time, Europe/Paris), so the event stays a few bytes. `from < to`, within the day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct ClosedSpan {
    pub from: u16,
    pub to: u16,
}

/// The most closed spans a farm has: morning and evening milking, and room for two more.
pub const MAX_CLOSED_SPANS: usize = 4;
/// The latest minute a closed span may end at (23:59): a span stays within its day.
pub const LAST_MINUTE: u16 = 24 * 60 - 1;

/// What a closed span that is refused was expected to be (the app says each in words).
pub const CLOSED_EXPECTED_ORDER: &str = "a span from HH:MM to a later HH:MM, within the day";
pub const CLOSED_EXPECTED_APART: &str = "spans that do not overlap";
pub const CLOSED_EXPECTED_FEW: &str = "at most 4 closed spans";
/// What a time of day that does not read was expected to be.
pub const EXPECTED_HHMM: &str = "a time of day as HH:MM, from 00:00 to 23:59";

impl ClosedSpan {
    /// The span as people write it: `17:00–18:30`.
    pub fn text(&self) -> String {
        format!("{}–{}", hhmm(self.from), hhmm(self.to))
    }
}

/// Reads a time of day typed as `HH:MM` (or `H:MM`, or the French `17h30`) in minutes after
/// midnight, up to 23:59.
pub fn parse_hhmm(field: &str, text: &str) -> Result<u16, DomainError> {
    let bad = || DomainError::invalid(field, text, EXPECTED_HHMM);
    let t = text.trim();
    let (h, m) = t.split_once([':', 'h', 'H']).ok_or_else(bad)?;
    let digits = |p: &str, max: u16| -> Option<u16> {
        if p.is_empty() || p.len() > 2 || !p.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        p.parse().ok().filter(|v| *v <= max)
    };
    let h = digits(h, 23).ok_or_else(bad)?;
    let m = if m.is_empty() { Some(0) } else { digits(m, 59) }.ok_or_else(bad)?;
    if m >= 60 {
        return Err(bad());
    }
    Ok(h * 60 + m)
}

/// A time of day in minutes after midnight, as `HH:MM`.
pub fn hhmm(minutes: u16) -> String {
    format!("{:02}:{:02}", minutes / 60, minutes % 60)
}

/// Checks a farm's closed hours: each span `from < to` within the day, none overlapping
/// another (touching is fine: milking, then cleaning), at most [`MAX_CLOSED_SPANS`].
pub fn check_closed(field: &str, spans: &[ClosedSpan]) -> Result<(), DomainError> {
    if spans.len() > MAX_CLOSED_SPANS {
        return Err(DomainError::invalid(
            field,
            &spans.len().to_string(),
            CLOSED_EXPECTED_FEW,
        ));
    }
    for (i, s) in spans.iter().enumerate() {
        if s.from >= s.to || s.to > LAST_MINUTE {
            return Err(DomainError::invalid(
                &format!("{field}[{i}]"),
                &s.text(),
                CLOSED_EXPECTED_ORDER,
            ));
        }
    }
    for (i, s) in spans.iter().enumerate() {
        if let Some(other) = spans[..i].iter().find(|o| o.from < s.to && s.from < o.to) {
            return Err(DomainError::invalid(
                &format!("{field}[{i}]"),
                &s.text(),
                &format!("{CLOSED_EXPECTED_APART} (it overlaps {})", other.text()),
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn span(from: &str, to: &str) -> ClosedSpan {
        ClosedSpan {
            from: parse_hhmm("from", from).unwrap(),
            to: parse_hhmm("to", to).unwrap(),
        }
    }

    #[test]
    fn times_of_day_are_read_as_people_type_them() {
        assert_eq!(parse_hhmm("from", "17:00"), Ok(17 * 60));
        assert_eq!(parse_hhmm("from", " 6:30 "), Ok(6 * 60 + 30));
        assert_eq!(parse_hhmm("from", "17h30"), Ok(17 * 60 + 30));
        assert_eq!(parse_hhmm("from", "7h"), Ok(7 * 60));
        for bad in ["", "17", "24:00", "17:60", "-1:00", "17:5x", "1700"] {
            let e = parse_hhmm("closed[0].from", bad).unwrap_err();
            assert_eq!(
                (e.field.as_str(), e.value.as_str()),
                ("closed[0].from", bad)
            );
        }
        assert_eq!(hhmm(17 * 60 + 5), "17:05");
    }

    #[test]
    fn closed_hours_are_ordered_spans_within_the_day_apart_and_few() {
        let ok = [
            span("06:30", "08:00"),
            span("17:00", "18:30"),
            span("18:30", "19:00"),
        ];
        assert_eq!(check_closed("closed", &ok), Ok(()));
        assert_eq!(check_closed("closed", &[]), Ok(()));
        let e =
            check_closed("closed", &[span("06:30", "08:00"), span("18:30", "17:00")]).unwrap_err();
        assert_eq!(
            (e.field.as_str(), e.value.as_str(), e.expected.as_str()),
            ("closed[1]", "18:30–17:00", CLOSED_EXPECTED_ORDER)
        );
        let e = check_closed("closed", &[span("17:00", "17:00")]).unwrap_err();
        assert_eq!(e.expected, CLOSED_EXPECTED_ORDER);
        let late = ClosedSpan {
            from: 23 * 60,
            to: 24 * 60,
        };
        assert_eq!(
            check_closed("closed", &[late]).unwrap_err().expected,
            CLOSED_EXPECTED_ORDER
        );
        let e =
            check_closed("closed", &[span("17:00", "18:30"), span("18:00", "19:00")]).unwrap_err();
        assert_eq!(
            (e.field.as_str(), e.value.as_str(), e.expected.as_str()),
            (
                "closed[1]",
                "18:00–19:00",
                "spans that do not overlap (it overlaps 17:00–18:30)"
            )
        );
        let five: Vec<_> = (0..5u16)
            .map(|i| ClosedSpan {
                from: i * 120,
                to: i * 120 + 60,
            })
            .collect();
        let e = check_closed("closed", &five).unwrap_err();
        assert_eq!(
            (e.value.as_str(), e.expected.as_str()),
            ("5", CLOSED_EXPECTED_FEW)
        );
    }
}
