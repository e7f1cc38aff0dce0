//! Instants and days.
//!
//! Instants are stored as UTC with the device's offset kept (an RFC 3339 string with offset);
//! days are computed in Europe/Paris, whatever the device's offset.

use chrono::{DateTime, FixedOffset, NaiveDate};
use chrono_tz::Europe::Paris;

/// A moment as the device saw it: UTC instant plus the offset the device was using.
pub type Instant = DateTime<FixedOffset>;

/// The calendar day of an instant in Europe/Paris.
pub fn paris_day(at: &Instant) -> NaiveDate {
    at.with_timezone(&Paris).date_naive()
}

/// The time of day of an instant in Europe/Paris.
pub fn paris_time(at: &Instant) -> chrono::NaiveTime {
    at.with_timezone(&Paris).time()
}

/// Now, with the local offset of Europe/Paris at this moment.
pub fn now() -> Instant {
    chrono::Utc::now().with_timezone(&Paris).fixed_offset()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn day_is_taken_in_paris_not_in_the_stored_offset() {
        // 23:30 UTC on 24 November is already 25 November in Paris (UTC+1).
        let at = DateTime::parse_from_rfc3339("2026-11-24T23:30:00+00:00").unwrap();
        assert_eq!(
            paris_day(&at),
            NaiveDate::from_ymd_opt(2026, 11, 25).unwrap()
        );
    }
}
