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
        super::check_text(&format!("{field}.bull_name"), &self.bull_name, 1)?;
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
