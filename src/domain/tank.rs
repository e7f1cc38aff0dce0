//! The technician's liquid-nitrogen tank: straws (doses of a sire's semen) received, used and
//! counted.
//!
//! A straw is identified once, when received, from what is printed on it (breed code, sire
//! number, collection-centre approval number, collection date or batch); every insemination
//! then refers to the sire, and the stock follows from the events (received − used ± corrected).

use serde::{Deserialize, Serialize};

use super::DomainError;
use super::ids::BullId;

/// What is printed on a straw, as the insemination record needs it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Straw {
    pub bull: BullId,
    /// The sire's name, as the technician and the farmer know it.
    pub bull_name: String,
    /// The breed code (cattle: 2 digits of the arrêté of 7 May 2018, e.g. `66` Prim'Holstein;
    /// goats and sheep: the breed's name or code).
    pub breed: String,
    /// The collection centre's approval number, when printed.
    pub centre: Option<String>,
    /// The collection date or batch, when printed.
    pub batch: Option<String>,
}

impl Straw {
    pub fn validate(&self, field: &str) -> Result<(), DomainError> {
        super::check_name(&format!("{field}.bull_name"), &self.bull_name)?;
        let breed = self.breed.trim();
        if breed.is_empty() || breed.chars().count() > 40 {
            return Err(DomainError::invalid(
                &format!("{field}.breed"),
                &self.breed,
                "a breed code (66 Prim'Holstein, 46 Montbéliarde, 56 Normande...) or name",
            ));
        }
        for (name, value) in [("centre", &self.centre), ("batch", &self.batch)] {
            if let Some(v) = value {
                super::check_text(&format!("{field}.{name}"), v, 1)?;
            }
        }
        Ok(())
    }
}

/// The most doses one delivery or correction may move: a full tank holds a few thousand.
pub const MAX_DOSES: u32 = 10_000;

/// What a straw's printed code gives, read once when the straw is received: the sire's number,
/// then (when printed) the breed code, the collection centre and the batch, separated by
/// spaces, e.g. `FR2934119912 66 FR35001 L9912`. The sire's name is not printed in the code:
/// the technician types it once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrintedCode {
    pub bull: BullId,
    pub breed: Option<String>,
    pub centre: Option<String>,
    pub batch: Option<String>,
}

impl PrintedCode {
    /// Reads a code as typed or pasted (spaces, tabs, `;`, `,` or `|` between the parts).
    pub fn parse(field: &str, text: &str) -> Result<PrintedCode, DomainError> {
        let parts: Vec<&str> = text
            .split(|c: char| c.is_whitespace() || matches!(c, ';' | ',' | '|'))
            .filter(|p| !p.is_empty())
            .collect();
        let expected = "a straw code: the sire's number, then its breed, collection centre and batch (FR2934119912 66 FR35001 L9912)";
        let Some((first, rest)) = parts.split_first() else {
            return Err(DomainError::invalid(field, text, expected));
        };
        if rest.len() > 3 {
            return Err(DomainError::invalid(field, text, expected));
        }
        let bull = BullId::parse(&format!("{field}.bull"), first)?;
        let part = |i: usize| rest.get(i).map(|s| (*s).to_owned());
        Ok(PrintedCode {
            bull,
            breed: part(0),
            centre: part(1),
            batch: part(2),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_a_printed_code_whole_or_in_part() {
        let c = PrintedCode::parse("code", "FR2934119912 66 FR35001 L9912").unwrap();
        assert_eq!(c.bull.as_str(), "FR2934119912");
        assert_eq!(c.breed.as_deref(), Some("66"));
        assert_eq!(c.centre.as_deref(), Some("FR35001"));
        assert_eq!(c.batch.as_deref(), Some("L9912"));
        let c = PrintedCode::parse("code", " fr2934119912;46 ").unwrap();
        assert_eq!(c.bull.as_str(), "FR2934119912");
        assert_eq!((c.breed.as_deref(), c.centre), (Some("46"), None));
    }

    #[test]
    fn refuses_a_code_without_a_sire_number_naming_the_field() {
        let e = PrintedCode::parse("code", "66 FR35001 L9912").unwrap_err();
        assert_eq!(e.field, "code.bull");
        let e = PrintedCode::parse("code", "").unwrap_err();
        assert_eq!(e.field, "code");
        let e = PrintedCode::parse("code", "FR2934119912 66 FR35001 L9912 extra").unwrap_err();
        assert_eq!(e.field, "code");
    }
}
