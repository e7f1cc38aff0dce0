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

/// Instants and days written as chrono writes them, read back without chrono's general
/// parser when they are in the one form it writes (`2026-11-24T08:30:00+01:00`,
/// `2026-11-24`); anything else goes to chrono as before. Every visit and act carries some,
/// and chrono's parser was a tenth of the work of opening a store. Same bytes either way.
pub mod fast_serde {
    use chrono::{DateTime, FixedOffset, NaiveDate, NaiveTime, TimeZone};
    use serde::{Deserializer, Serialize, Serializer};

    fn number(b: &[u8]) -> Option<u32> {
        b.iter().try_fold(0u32, |n, c| {
            c.is_ascii_digit().then(|| n * 10 + u32::from(c - b'0'))
        })
    }

    fn date_of(b: &[u8]) -> Option<NaiveDate> {
        if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
            return None;
        }
        let year = i32::try_from(number(&b[..4])?).ok()?;
        NaiveDate::from_ymd_opt(year, number(&b[5..7])?, number(&b[8..10])?)
    }

    /// `YYYY-MM-DDTHH:MM:SS±HH:MM`, or `None` for any other form.
    pub(crate) fn instant_of(s: &str) -> Option<DateTime<FixedOffset>> {
        let b = s.as_bytes();
        if b.len() != 25 || b[10] != b'T' || b[13] != b':' || b[16] != b':' || b[22] != b':' {
            return None;
        }
        let sign = match b[19] {
            b'+' => 1,
            b'-' => -1,
            _ => return None,
        };
        let date = date_of(&b[..10])?;
        let time = NaiveTime::from_hms_opt(
            number(&b[11..13])?,
            number(&b[14..16])?,
            number(&b[17..19])?,
        )?;
        let offset = i32::try_from(number(&b[20..22])? * 3600 + number(&b[23..25])? * 60).ok()?;
        FixedOffset::east_opt(sign * offset)?
            .from_local_datetime(&date.and_time(time))
            .single()
    }

    /// Reads the text in place (no copy of it): `fast` first, chrono's `FromStr` for any
    /// other form.
    struct Parse<T>(fn(&str) -> Option<T>);

    impl<T: std::str::FromStr> serde::de::Visitor<'_> for Parse<T>
    where
        T::Err: std::fmt::Display,
    {
        type Value = T;
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("a date or an instant as text")
        }
        fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<T, E> {
            match (self.0)(v) {
                Some(t) => Ok(t),
                None => v.parse().map_err(E::custom),
            }
        }
    }

    fn date_of_text(s: &str) -> Option<NaiveDate> {
        date_of(s.as_bytes())
    }

    pub mod instant {
        use super::*;
        pub fn serialize<S: Serializer>(
            v: &DateTime<FixedOffset>,
            s: S,
        ) -> Result<S::Ok, S::Error> {
            v.serialize(s)
        }
        pub fn deserialize<'de, D: Deserializer<'de>>(
            d: D,
        ) -> Result<DateTime<FixedOffset>, D::Error> {
            d.deserialize_str(Parse(instant_of))
        }
    }

    pub mod date {
        use super::*;
        pub fn serialize<S: Serializer>(v: &NaiveDate, s: S) -> Result<S::Ok, S::Error> {
            v.serialize(s)
        }
        pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<NaiveDate, D::Error> {
            d.deserialize_str(Parse(date_of_text))
        }
    }

    pub mod option_instant {
        use super::*;
        pub fn serialize<S: Serializer>(
            v: &Option<DateTime<FixedOffset>>,
            s: S,
        ) -> Result<S::Ok, S::Error> {
            v.serialize(s)
        }
        pub fn deserialize<'de, D: Deserializer<'de>>(
            d: D,
        ) -> Result<Option<DateTime<FixedOffset>>, D::Error> {
            // A visitor of the option itself, not a wrapper type: the sync's columns name a
            // value's place by the types it passes through, the same way both ways.
            struct Maybe;
            impl<'de> serde::de::Visitor<'de> for Maybe {
                type Value = Option<DateTime<FixedOffset>>;
                fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                    f.write_str("an instant or nothing")
                }
                fn visit_none<E: serde::de::Error>(self) -> Result<Self::Value, E> {
                    Ok(None)
                }
                fn visit_unit<E: serde::de::Error>(self) -> Result<Self::Value, E> {
                    Ok(None)
                }
                fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
                    super::instant::deserialize(d).map(Some)
                }
            }
            d.deserialize_option(Maybe)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The fast reading gives what chrono's own gives, for what chrono writes and for the
    /// forms it leaves to chrono (fractions, `Z`, a leap second, nonsense).
    #[test]
    fn instants_and_days_read_back_as_chrono_reads_them() {
        #[derive(serde::Serialize, serde::Deserialize, PartialEq, Debug)]
        struct Fast {
            #[serde(with = "fast_serde::instant")]
            at: Instant,
            #[serde(with = "fast_serde::option_instant")]
            left: Option<Instant>,
            #[serde(with = "fast_serde::date")]
            day: NaiveDate,
        }
        #[derive(serde::Serialize, serde::Deserialize, PartialEq, Debug)]
        struct Chrono {
            at: Instant,
            left: Option<Instant>,
            day: NaiveDate,
        }
        let mut n = 0;
        for secs in (1_600_000_000i64..1_900_000_000).step_by(7_654_321) {
            for offset in [0, 3600, 7200, -5 * 3600 - 1800, 13 * 3600 + 45 * 60] {
                for nanos in [0, 500_000_000, 123] {
                    let at = DateTime::from_timestamp(secs, nanos)
                        .unwrap()
                        .with_timezone(&FixedOffset::east_opt(offset).unwrap());
                    let c = Chrono {
                        at,
                        left: (nanos == 0).then_some(at),
                        day: at.date_naive(),
                    };
                    let bytes = postcard::to_allocvec(&c).unwrap();
                    let fast: Fast = postcard::from_bytes(&bytes).unwrap();
                    assert_eq!(postcard::to_allocvec(&fast).unwrap(), bytes);
                    assert_eq!((fast.at, fast.left, fast.day), (c.at, c.left, c.day));
                    n += 1;
                }
            }
        }
        assert!(n > 500);
        for text in [
            "2026-11-24T08:30:00Z",
            "2026-11-24T08:30:00.25+01:00",
            "2026-11-24T23:59:60+00:00",
            "2026-02-30T08:30:00+01:00",
            "2026-11-24T08:30:00+24:00",
            "2026-11-24 08:30:00+01:00",
            "2026-1a-24T08:30:00+01:00",
        ] {
            let fast = fast_serde::instant::deserialize(serde::de::value::StrDeserializer::<
                serde::de::value::Error,
            >::new(text));
            let chrono = text.parse::<Instant>();
            assert_eq!(fast.ok(), chrono.ok(), "{text}");
        }
        for text in [
            "2026-02-29",
            "2028-02-29",
            "2026-13-01",
            "26-11-24",
            "2026-11-24x",
        ] {
            let fast = fast_serde::date::deserialize(serde::de::value::StrDeserializer::<
                serde::de::value::Error,
            >::new(text));
            assert_eq!(fast.ok(), text.parse::<NaiveDate>().ok(), "{text}");
        }
    }

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
