//! From a French electronic tag (country code 250) to the national number printed on the
//! animal's ear tags (`FR` and 10 digits for cattle, 11 for sheep and goats).
//!
//! The rule is public: the electronic identifier carries the animal's identification code,
//! the country as its ISO 3166 numeric code (250 for France) and the national code on 12
//! digits, "if the national identification code is less than 12 digits, the space between
//! the national identification code and the country code shall be completed with zeros"
//! (Council Regulation (EC) No 21/2004, Annex, section A, as amended by Commission Regulation
//! (EC) No 933/2008; the same in Commission Implementing Regulation (EU) 2021/520 for the
//! animals identified since). In France the chip of the official tag holds "for only
//! information the country code and the animal's national number" (official bovine
//! electronic tag, EdE of Saône-et-Loire, 2018), and the sheep and goat tag pairs carry the
//! same number on the conventional and the electronic tag (arrêté of 19 December 2005 on the
//! identification of sheep and goats; technical specifications, arrêté of 26 June 2012,
//! annex 2). So:
//!
//! - cattle: `250` + `00` + the 10 digits (`FR 53 1234 5678` ↔ `250 005312345678`);
//! - sheep and goats: `250` + `0` + the 11 digits (the 6-digit marking code and the 5-digit
//!   order number: `FR 530123 12345` ↔ `250 053012312345`).
//!
//! A code beginning `00` fits both shapes (a sheep of départements 01 to 09 begins with `0`):
//! only the species says which it is, and without it both are given, none chosen.
//! Other 250 codes (pets `250 26…`, horses `250 25…`) are no farm animal's national number.

use super::National;
use crate::domain::{AnimalId, Species};

/// France's ISO 3166 numeric code.
pub const COUNTRY: u16 = 250;

/// The national number a French tag's 12-digit national code gives, for `species` if known.
pub fn national_number(national: u64, species: Option<Species>) -> National {
    let code = format!("{national:012}");
    let cattle = code
        .strip_prefix("00")
        .and_then(|rest| fits(rest, Species::Bovine));
    let small = code
        .strip_prefix('0')
        .and_then(|rest| fits(rest, Species::Caprine));
    match species {
        Some(Species::Bovine) => cattle.map_or(National::NotNational, National::One),
        Some(Species::Caprine | Species::Ovine) => {
            small.map_or(National::NotNational, National::One)
        }
        Some(Species::Porcine) => National::NoRule,
        None => match (cattle, small) {
            (Some(c), Some(s)) => National::Ambiguous(vec![c, s]),
            (Some(one), None) | (None, Some(one)) => National::One(one),
            (None, None) => National::NotNational,
        },
    }
}

/// `FR` + digits, if it is a valid number of that species (a département first).
fn fits(digits: &str, species: Species) -> Option<AnimalId> {
    let id = AnimalId::parse("animal", &format!("FR{digits}")).ok()?;
    id.check_species("animal", species).ok()?;
    Some(id)
}
