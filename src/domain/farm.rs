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
