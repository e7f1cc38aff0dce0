//! Identifiers and their validation: animals, farms (EDE), bulls, and our own record ids.
//!
//! Formats, and where they come from:
//! - **Cattle** (arrêté of 14 June 1995 on cattle identification; Regulation (EU) 2019/2035,
//!   annex II): `FR` + 10 digits, the first two being the département of birth, the last four
//!   (printed larger on the tag) the work number. French texts define no check key.
//! - **Sheep and goats** (arrêté of 19 December 2005 on sheep and goat identification): `FR` +
//!   the holding's 6-digit marking code + a 5-digit individual number (first digit: birth year).
//!   Electronic tags read as ISO 11784 numbers: 15 digits, the country's 3-digit code first
//!   (250 for France).
//! - **Other EU countries**: the 2-letter ISO 3166 country code and at most 12 characters
//!   (Regulation (EU) 2019/2035, annex II).
//! - **Farms** (numéro EDE, or numéro de cheptel): 8 characters: département (2 digits, `2A`
//!   or `2B` for Corsica; `97x` overseas), the commune's INSEE number within it, then an order
//!   number. Mainland: `53` + `130` + `001`; overseas: `971` + `05` + `001`.
//! - **Bulls**: French sires carry a cattle number (`FR` + 10 digits); foreign sires their
//!   country's number, or their 19-character international (Interbull) identifier: 3-letter
//!   breed, 3-letter country, sex, 12-character national number (e.g. `HOLUSAM000123456789`).
//!
//! Input is normalised before checking: spaces and dashes removed, letters upper-cased, so
//! `fr 53 1234 5678` and `FR5312345678` are the same cow.

use serde::{Deserialize, Serialize};
use std::fmt;

use super::DomainError;
use super::act::Species;

fn normalise(value: &str) -> String {
    // Every number read back from the store or the wire is already normal: copied, not
    // walked char by char through Unicode's upper case (a tenth of decoding an act).
    if value
        .bytes()
        .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
    {
        return value.to_owned();
    }
    value
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-' && *c != '.')
        .flat_map(char::to_uppercase)
        .collect()
}

fn all_digits(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

/// Whether two digits can start a French animal number: the département of birth (Corsica is
/// 20 in animal numbers, overseas 97), never 00 or 96, 98, 99.
fn is_departement(s: &str) -> bool {
    matches!(s.parse::<u8>(), Ok(1..=95 | 97))
}

/// A number made only of zeros identifies no animal: it is what a blank form or a scanner
/// misread gives.
fn all_zeros(s: &str) -> bool {
    s.bytes().all(|b| b == b'0')
}

fn is_country(s: &str) -> bool {
    s.len() == 2 && s.bytes().all(|b| b.is_ascii_uppercase())
}

macro_rules! string_id {
    ($(#[$doc:meta])* $name:ident, $human:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(String);

        impl $name {
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl From<$name> for String {
            fn from(id: $name) -> String {
                id.0
            }
        }

        impl TryFrom<String> for $name {
            type Error = DomainError;
            fn try_from(value: String) -> Result<Self, DomainError> {
                $name::parse($human, &value)
            }
        }

        impl std::str::FromStr for $name {
            type Err = DomainError;
            fn from_str(value: &str) -> Result<Self, DomainError> {
                $name::parse($human, value)
            }
        }
    };
}

string_id!(
    /// An animal's official number, normalised (`FR5312345678`).
    AnimalId,
    "animal number"
);
string_id!(
    /// A farm's holding number (numéro EDE), 8 characters.
    Ede,
    "EDE number"
);
string_id!(
    /// A sire's number: national (`FR` + 10 digits) or international (19 characters).
    BullId,
    "bull number"
);
string_id!(
    /// Our own identifier of a technician (their staff number, e.g. `T042`).
    TechnicianId,
    "technician id"
);
string_id!(
    /// Our own identifier of a supervisor (technician coordinator), e.g. `S01`.
    SupervisorId,
    "supervisor id"
);
string_id!(
    /// Our own identifier of a visit.
    VisitId,
    "visit id"
);
string_id!(
    /// Our own identifier of an act.
    ActId,
    "act id"
);

impl AnimalId {
    /// Accepts a French cattle, sheep or goat number, another EU country's number, or a
    /// 15-digit electronic (ISO 11784) number.
    pub fn parse(field: &str, value: &str) -> Result<AnimalId, DomainError> {
        let v = normalise(value);
        let expected = "an animal number: FR + 10 digits for cattle (FR5312345678), FR + 11 digits for sheep and goats (both starting with a département, 01 to 95 or 97), or the 15 digits of an electronic tag (not all zeros)";
        let ok = if let Some(rest) = v.strip_prefix("FR") {
            all_digits(rest) && (rest.len() == 10 || rest.len() == 11) && is_departement(&rest[..2])
        } else if all_digits(&v) {
            v.len() == 15 && !all_zeros(&v[..3]) && !all_zeros(&v[3..])
        } else {
            v.len() > 2
                && is_country(&v[..2])
                && v.len() <= 14
                && v[2..].bytes().all(|b| b.is_ascii_alphanumeric())
                && !all_zeros(&v[2..])
        };
        if ok {
            Ok(AnimalId(v))
        } else {
            Err(DomainError::invalid(field, value, expected))
        }
    }

    /// Checks the number has the form its species uses in France.
    pub fn check_species(&self, field: &str, species: Species) -> Result<(), DomainError> {
        let Some(rest) = self.0.strip_prefix("FR") else {
            return Ok(());
        };
        let (len, expected) = match species {
            Species::Bovine => (10, "a cattle number: FR + 10 digits (FR5312345678)"),
            Species::Caprine | Species::Ovine => (
                11,
                "a sheep or goat number: FR + 6-digit marking code + 5-digit number (FR53012312345)",
            ),
            Species::Porcine => return Ok(()),
        };
        if rest.len() == len {
            Ok(())
        } else {
            Err(DomainError::invalid(field, &self.0, expected))
        }
    }

    /// The work number printed large on a cattle tag: the last four digits.
    pub fn work_number(&self) -> &str {
        let n = self.0.len();
        &self.0[n.saturating_sub(4)..]
    }
}

impl Ede {
    pub fn parse(field: &str, value: &str) -> Result<Ede, DomainError> {
        let v = normalise(value);
        let expected = "a holding (EDE) number of 8 characters: département, commune, order number (53130001; 2A004001 in Corsica)";
        if v.len() != 8 || !v.is_ascii() {
            return Err(DomainError::invalid(field, value, expected));
        }
        let (dept, rest) = if v.starts_with("97") {
            v.split_at(3)
        } else {
            v.split_at(2)
        };
        let dept_ok = match dept {
            "2A" | "2B" => true,
            d if d.len() == 3 => matches!(d, "971" | "972" | "973" | "974" | "975" | "976"),
            d => all_digits(d) && d != "00" && d != "20" && d <= "95",
        };
        if dept_ok && all_digits(rest) {
            Ok(Ede(v))
        } else {
            Err(DomainError::invalid(field, value, expected))
        }
    }

    /// The département the holding is in (`53`, `2A`, `971`).
    pub fn departement(&self) -> &str {
        if self.0.starts_with("97") {
            &self.0[..3]
        } else {
            &self.0[..2]
        }
    }
}

impl BullId {
    pub fn parse(field: &str, value: &str) -> Result<BullId, DomainError> {
        let v = normalise(value);
        let expected = "a bull number: FR + 10 digits (FR2912345678), another country's code + up to 12 characters, or a 19-character international number (HOLUSAM000123456789)";
        let ok = if let Some(rest) = v.strip_prefix("FR")
            && all_digits(rest)
        {
            rest.len() == 10
        } else if v.len() == 19 {
            v[..3].bytes().all(|b| b.is_ascii_uppercase())
                && v[3..6].bytes().all(|b| b.is_ascii_uppercase())
                && matches!(&v[6..7], "M" | "F")
                && v[7..].bytes().all(|b| b.is_ascii_alphanumeric())
        } else {
            v.len() > 2
                && v.len() <= 14
                && v.is_ascii()
                && is_country(&v[..2])
                && v != "FR"
                && !v.starts_with("FR")
                && v[2..].bytes().all(|b| b.is_ascii_alphanumeric())
        };
        if ok {
            Ok(BullId(v))
        } else {
            Err(DomainError::invalid(field, value, expected))
        }
    }
}

/// Our own record identifiers: 1 to 64 letters, digits, `-`, `_` or `.`, case kept.
fn parse_record_id(field: &str, value: &str) -> Result<String, DomainError> {
    let ok = !value.is_empty()
        && value.len() <= 64
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'));
    if ok {
        Ok(value.to_owned())
    } else {
        Err(DomainError::invalid(
            field,
            value,
            "an identifier of 1 to 64 letters, digits, '-', '_' or '.'",
        ))
    }
}

impl TechnicianId {
    pub fn parse(field: &str, value: &str) -> Result<TechnicianId, DomainError> {
        parse_record_id(field, value).map(TechnicianId)
    }
}

impl SupervisorId {
    pub fn parse(field: &str, value: &str) -> Result<SupervisorId, DomainError> {
        parse_record_id(field, value).map(SupervisorId)
    }
}

impl VisitId {
    pub fn parse(field: &str, value: &str) -> Result<VisitId, DomainError> {
        parse_record_id(field, value).map(VisitId)
    }
}

impl ActId {
    pub fn parse(field: &str, value: &str) -> Result<ActId, DomainError> {
        parse_record_id(field, value).map(ActId)
    }

    /// The id of the `index`-th act of a visit, for acts that came without an id of their own.
    pub fn nth_of(visit: &VisitId, index: usize) -> ActId {
        ActId(format!("{}.{}", visit.as_str(), index + 1))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalising_keeps_a_normal_number_and_mends_a_typed_one() {
        assert_eq!(normalise("FR5312345678"), "FR5312345678");
        assert_eq!(normalise("fr 53-1234.5678"), "FR5312345678");
        assert_eq!(normalise("HOLUSAM000123456789"), "HOLUSAM000123456789");
        assert_eq!(normalise("holusam 000123456789"), "HOLUSAM000123456789");
        assert_eq!(normalise("ßx"), "SSX");
        assert_eq!(normalise(""), "");
    }

    #[test]
    fn accepts_cattle_number_with_spaces_and_normalises_it() {
        let id = AnimalId::parse("animal", "fr 53 1234 5678").unwrap();
        assert_eq!(id.as_str(), "FR5312345678");
        assert_eq!(id.work_number(), "5678");
        assert!(id.check_species("animal", Species::Bovine).is_ok());
    }

    #[test]
    fn refuses_cattle_number_with_nine_digits_naming_the_field() {
        let err = AnimalId::parse("acts[0].animals[1]", "FR531234567").unwrap_err();
        assert_eq!(err.field, "acts[0].animals[1]");
        assert_eq!(err.value, "FR531234567");
        assert!(err.to_string().contains("FR + 10 digits"), "{err}");
    }

    #[test]
    fn refuses_animal_numbers_no_animal_can_carry() {
        for bad in [
            "FR0000000000",
            "FR0012345678",
            "FR9912345678",
            "FR96012312345",
            "000000000000000",
            "250000000000000",
            "DE0000000000",
        ] {
            let err = AnimalId::parse("animals[0]", bad).unwrap_err();
            assert_eq!(err.value, bad);
            assert!(err.expected.contains("01 to 95 or 97"), "{err}");
        }
        assert!(AnimalId::parse("a", "FR2012345678").is_ok());
        assert!(AnimalId::parse("a", "FR9712345678").is_ok());
    }

    #[test]
    fn sheep_number_is_refused_for_a_cow() {
        let id = AnimalId::parse("a", "FR53012312345").unwrap();
        assert!(id.check_species("a", Species::Ovine).is_ok());
        assert!(id.check_species("a", Species::Bovine).is_err());
    }

    #[test]
    fn accepts_electronic_and_foreign_numbers() {
        assert!(AnimalId::parse("a", "250153012312345").is_ok());
        assert!(AnimalId::parse("a", "DE0123456789").is_ok());
        assert!(AnimalId::parse("a", "25015301231234").is_err());
        assert!(AnimalId::parse("a", "").is_err());
        assert!(AnimalId::parse("a", "FRANCE").is_err());
    }

    #[test]
    fn ede_accepts_mainland_corsica_and_overseas() {
        assert_eq!(Ede::parse("ede", "53 130 001").unwrap().departement(), "53");
        assert_eq!(Ede::parse("ede", "2a004001").unwrap().departement(), "2A");
        assert_eq!(Ede::parse("ede", "97105001").unwrap().departement(), "971");
    }

    #[test]
    fn ede_refuses_wrong_length_and_unknown_departements() {
        for bad in [
            "5313000",
            "531300011",
            "20004001",
            "00130001",
            "96130001",
            "97705001",
            "5313000X",
            "2C004001",
        ] {
            let err = Ede::parse("farm", bad).unwrap_err();
            assert_eq!(err.value, bad);
        }
    }

    #[test]
    fn bull_numbers_national_foreign_and_international() {
        assert!(BullId::parse("bull", "FR2912345678").is_ok());
        assert!(BullId::parse("bull", "HOLUSAM000123456789").is_ok());
        assert!(BullId::parse("bull", "NL123456789").is_ok());
        assert!(BullId::parse("bull", "FR29123").is_err());
        assert!(BullId::parse("bull", "HOLUSAX000123456789").is_err());
        assert!(BullId::parse("bull", "12").is_err());
    }

    #[test]
    fn record_ids_refuse_spaces_and_empty() {
        assert!(VisitId::parse("id", "v-2026-11-24.3").is_ok());
        assert!(VisitId::parse("id", "").is_err());
        assert!(VisitId::parse("id", "a b").is_err());
        assert!(VisitId::parse("id", &"x".repeat(65)).is_err());
    }

    #[test]
    fn ids_deserialise_through_validation() {
        let ok: Result<Ede, _> = serde_json::from_str("\"53130001\"");
        assert!(ok.is_ok());
        let bad: Result<Ede, _> = serde_json::from_str("\"5313\"");
        assert!(bad.unwrap_err().to_string().contains("EDE"));
    }
}
