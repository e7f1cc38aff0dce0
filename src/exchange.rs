//! The exchange format `tournee/v1`: a JSON document of technicians, farms and visits with
//! their acts and confirmation, for `tournee import` and `tournee export`.
//!
//! The technician's aims for a farm's year to come (`advice`) travel too, so an export keeps
//! what the yearly report says.
//!
//! Not the storage or wire encoding (those are `log` and `sync`): this is the documented,
//! human-readable format other tools write and read. It is described in the README.
//!
//! ```json
//! {"format":"tournee/v1",
//!  "technicians":[{"id":"T01","name":"Julie Martin","home":{"lat":48.07,"lon":-0.77}}],
//!  "farms":[{"ede":"53130001","name":"GAEC du Bocage","village":"Laval","lat":48.07,"lon":-0.77}],
//!  "visits":[{"id":"V1","technician":"T01","farm":"53130001",
//!             "arrived":"2026-11-24T08:10:00+01:00","left":"2026-11-24T08:32:00+01:00",
//!             "travel_km":12.5,
//!             "acts":[{"kind":"ia_bovine","count":1,"animals":["FR5312345678"],"bull":"FR2912345678"}],
//!             "confirmation":{"kind":"signed","at":"2026-11-24T08:31:00+01:00","signer":"M. Leroy","strokes":[[[0.1,0.2],[0.3,0.4]]]}}]}
//! ```

use std::collections::BTreeSet;

use chrono::{Days, Months, NaiveDate, NaiveTime};
use serde::{Deserialize, Serialize};

use crate::domain::farm::{check_closed, hhmm, parse_hhmm};
use crate::domain::{
    Act, ActId, ActKind, AnimalId, BullId, ClosedSpan, Company, Confirmation, DomainError, Ede,
    Farm, InseminationRank, Instant, Location, Payload, PregnancyResult, Request, Species, Straw,
    Stroke, Technician, TechnicianId, Urgency, Visit, VisitId, paris_day,
};

pub const FORMAT: &str = "tournee/v1";

/// Why a file was refused: where, and what is wrong there.
#[derive(Debug, thiserror::Error)]
pub enum ExchangeError {
    /// Not JSON, or a value of the wrong type or form; `path` locates it in the document.
    #[error("{path}: {message}")]
    Syntax { path: String, message: String },
    /// A value that is well-formed but not acceptable.
    #[error(transparent)]
    Invalid(#[from] DomainError),
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExchangeFile {
    pub format: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub company: Option<CompanyRecord>,
    #[serde(default)]
    pub technicians: Vec<TechnicianRecord>,
    #[serde(default)]
    pub farms: Vec<FarmRecord>,
    #[serde(default)]
    pub visits: Vec<VisitRecord>,
    /// The technician's aims for each farm's year to come (`Payload::AdviceWritten`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub advice: Vec<AdviceRecord>,
}

/// The aims a technician wrote with a farmer for the year after `year` (the yearly report's
/// last part): a file's record and the checked value alike, every field typed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AdviceRecord {
    pub farm: Ede,
    pub year: i32,
    pub technician: TechnicianId,
    pub text: String,
}

impl AdviceRecord {
    /// The event that records it.
    pub fn payload(&self) -> Payload {
        Payload::AdviceWritten {
            farm: self.farm.clone(),
            year: self.year,
            technician: self.technician.clone(),
            text: self.text.clone(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CompanyRecord {
    pub name: String,
    pub approval: String,
    /// The company agreement (TOML: grid and work-time settings).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agreement: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TechnicianRecord {
    pub id: TechnicianId,
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub home: Option<Location>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub licence: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FarmRecord {
    pub ede: Ede,
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub village: Option<String>,
    pub lat: f64,
    pub lon: f64,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub species: Vec<Species>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// Hours the farm cannot receive the technician (milking), `HH:MM` (`ClosedHoursRecorded`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub closed: Vec<ClosedRecord>,
}

/// A span of closed hours as people write it: `{"from": "17:00", "to": "18:30"}`, as in a
/// plan's input.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClosedRecord {
    pub from: String,
    pub to: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WindowRecord {
    pub from: NaiveTime,
    pub to: NaiveTime,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VisitRecord {
    pub id: VisitId,
    pub technician: TechnicianId,
    pub farm: Ede,
    /// The round's day; may be left out when `arrived` is given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub day: Option<NaiveDate>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub arrived: Option<Instant>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub left: Option<Instant>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub travel_km: Option<f64>,
    #[serde(default, skip_serializing_if = "is_normal")]
    pub urgency: Urgency,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub window: Option<WindowRecord>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub requested: Vec<Request>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    #[serde(default)]
    pub acts: Vec<ActRecord>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confirmation: Option<ConfirmationRecord>,
}

fn is_normal(u: &Urgency) -> bool {
    *u == Urgency::Normal
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ActRecord {
    /// Left out, the act is numbered after its visit (`V1.1`, `V1.2`, ...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<ActId>,
    pub kind: ActKind,
    pub count: u32,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub animals: Vec<AnimalId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bull: Option<BullId>,
    /// The straws used (the bull is the act's `bull`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub straw: Option<StrawRecord>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rank: Option<InseminationRank>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub result: Option<PregnancyResult>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub at: Option<Instant>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// What is printed on the straws used, but the bull (which is the act's).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StrawRecord {
    pub bull_name: String,
    pub breed: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub centre: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub batch: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum ConfirmationRecord {
    Signed {
        at: Instant,
        signer: String,
        strokes: Vec<Stroke>,
    },
    InstructionsLeft {
        at: Instant,
    },
    ConfirmedLater {
        at: Instant,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        comment: Option<String>,
    },
    Disputed {
        at: Instant,
        comment: String,
    },
}

impl From<ConfirmationRecord> for Confirmation {
    fn from(c: ConfirmationRecord) -> Confirmation {
        match c {
            ConfirmationRecord::Signed {
                at,
                signer,
                strokes,
            } => Confirmation::Signed {
                at,
                signer,
                // as the store will give them back, so a file imported twice is the same
                strokes: crate::domain::strokes::snap_all(&strokes),
            },
            ConfirmationRecord::InstructionsLeft { at } => Confirmation::InstructionsLeft { at },
            ConfirmationRecord::ConfirmedLater { at, comment } => {
                Confirmation::ConfirmedLater { at, comment }
            }
            ConfirmationRecord::Disputed { at, comment } => Confirmation::Disputed { at, comment },
        }
    }
}

impl From<Confirmation> for ConfirmationRecord {
    fn from(c: Confirmation) -> ConfirmationRecord {
        match c {
            Confirmation::Signed {
                at,
                signer,
                strokes,
            } => ConfirmationRecord::Signed {
                at,
                signer,
                strokes,
            },
            Confirmation::InstructionsLeft { at } => ConfirmationRecord::InstructionsLeft { at },
            Confirmation::ConfirmedLater { at, comment } => {
                ConfirmationRecord::ConfirmedLater { at, comment }
            }
            Confirmation::Disputed { at, comment } => ConfirmationRecord::Disputed { at, comment },
        }
    }
}

/// Everything a file says, checked and turned into domain values, in the order they must be
/// appended (people and places before the visits that name them).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Records {
    pub company: Option<Company>,
    pub technicians: Vec<Technician>,
    pub farms: Vec<Farm>,
    pub visits: Vec<VisitRecords>,
    pub advice: Vec<AdviceRecord>,
    /// Each listed farm's closed hours, when the file gives them (a farm without: not said,
    /// so an import leaves the store's as they are).
    pub closed_hours: Vec<(Ede, Vec<ClosedSpan>)>,
}

/// One visit with its acts and confirmation.
#[derive(Debug, Clone, PartialEq)]
pub struct VisitRecords {
    pub visit: Visit,
    pub acts: Vec<Act>,
    pub confirmation: Option<Confirmation>,
}

impl Records {
    /// The payloads that record all of this, in an order the log accepts.
    pub fn payloads(&self) -> Vec<Payload> {
        let mut out = Vec::new();
        out.extend(self.company.iter().cloned().map(Payload::CompanyRecorded));
        out.extend(
            self.technicians
                .iter()
                .cloned()
                .map(Payload::TechnicianRecorded),
        );
        out.extend(self.farms.iter().cloned().map(Payload::FarmRecorded));
        out.extend(
            self.closed_hours
                .iter()
                .map(|(farm, closed)| Payload::ClosedHoursRecorded {
                    farm: farm.clone(),
                    closed: closed.clone(),
                }),
        );
        for v in &self.visits {
            out.push(Payload::VisitRecorded(v.visit.clone()));
            out.extend(v.acts.iter().cloned().map(Payload::ActRecorded));
            if let Some(c) = &v.confirmation {
                out.push(Payload::VisitConfirmed {
                    visit: v.visit.id.clone(),
                    confirmation: c.clone(),
                });
            }
        }
        out.extend(self.advice.iter().map(AdviceRecord::payload));
        out
    }
}

/// How far back a visit may be dated, in months before today: records older than ten years
/// are past every retention period, and a year like 1900 is a typing or export error.
pub const MAX_MONTHS_BEFORE: u32 = 10 * 12;
/// How far ahead a visit may be planned, in months after today.
pub const MAX_MONTHS_AHEAD: u32 = 12;
/// The longest a visit lasts, arrival to departure, in seconds.
pub const MAX_VISIT_SECONDS: i64 = 24 * 3600;

/// Parses and checks a whole file. `known_technicians` and `known_farms` are those already in
/// the store, which the file's visits may name without repeating them; `today` is the store's
/// day (Europe/Paris), around which dates must fall. A UTF-8 byte-order mark at the start is
/// accepted (some spreadsheet tools write one).
pub fn parse(
    text: &str,
    known_technicians: &dyn Fn(&TechnicianId) -> bool,
    known_farms: &dyn Fn(&Ede) -> bool,
    today: NaiveDate,
) -> Result<Records, ExchangeError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let de = &mut serde_json::Deserializer::from_str(text);
    let file: ExchangeFile = serde_path_to_error::deserialize(de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        ExchangeError::Syntax {
            path: if path == "." { "file".into() } else { path },
            message: inner.to_string(),
        }
    })?;
    check(file, known_technicians, known_farms, today)
}

fn check(
    file: ExchangeFile,
    known_technicians: &dyn Fn(&TechnicianId) -> bool,
    known_farms: &dyn Fn(&Ede) -> bool,
    today: NaiveDate,
) -> Result<Records, ExchangeError> {
    let earliest = today
        .checked_sub_months(Months::new(MAX_MONTHS_BEFORE))
        .unwrap_or(NaiveDate::MIN);
    let latest = today
        .checked_add_months(Months::new(MAX_MONTHS_AHEAD))
        .unwrap_or(NaiveDate::MAX);
    if file.format != FORMAT {
        return Err(DomainError::invalid("format", &file.format, &format!("\"{FORMAT}\"")).into());
    }
    let mut records = Records::default();
    if let Some(c) = file.company {
        let company = Company {
            name: c.name,
            approval: c.approval,
            agreement: c.agreement,
        };
        company.validate("company")?;
        crate::worktime::company_rules(Some(&company)).map_err(|e| ExchangeError::Syntax {
            path: "company.agreement".to_owned(),
            message: e.to_string(),
        })?;
        records.company = Some(company);
    }
    let mut tech_ids = BTreeSet::new();
    for (i, t) in file.technicians.into_iter().enumerate() {
        let field = format!("technicians[{i}]");
        if !tech_ids.insert(t.id.clone()) {
            return Err(duplicate(&format!("{field}.id"), t.id.as_str()).into());
        }
        let tech = Technician {
            id: t.id,
            name: t.name,
            home: t.home,
            licence: t.licence,
        };
        tech.validate(&field)?;
        records.technicians.push(tech);
    }
    let mut farm_ids = BTreeSet::new();
    for (i, f) in file.farms.into_iter().enumerate() {
        let field = format!("farms[{i}]");
        if !farm_ids.insert(f.ede.clone()) {
            return Err(duplicate(&format!("{field}.ede"), f.ede.as_str()).into());
        }
        let farm = Farm {
            ede: f.ede,
            name: f.name,
            village: f.village,
            location: Location {
                lat: f.lat,
                lon: f.lon,
            },
            species: f.species,
            phone: f.phone,
            note: f.note,
        };
        farm.validate(&field)?;
        if !f.closed.is_empty() {
            let closed = f
                .closed
                .iter()
                .enumerate()
                .map(|(k, c)| {
                    let at = format!("{field}.closed[{k}]");
                    Ok(ClosedSpan {
                        from: parse_hhmm(&format!("{at}.from"), &c.from)?,
                        to: parse_hhmm(&format!("{at}.to"), &c.to)?,
                    })
                })
                .collect::<Result<Vec<_>, DomainError>>()?;
            check_closed(&format!("{field}.closed"), &closed)?;
            records.closed_hours.push((farm.ede.clone(), closed));
        }
        records.farms.push(farm);
    }
    // A visit and an advice name a technician and a farm the file lists or the store knows.
    let named = |field: &str, technician: &TechnicianId, farm: &Ede| {
        if !tech_ids.contains(technician) && !known_technicians(technician) {
            return Err(DomainError::invalid(
                &format!("{field}.technician"),
                technician.as_str(),
                "a technician listed in `technicians` or already known",
            ));
        }
        if !farm_ids.contains(farm) && !known_farms(farm) {
            return Err(DomainError::invalid(
                &format!("{field}.farm"),
                farm.as_str(),
                "a farm listed in `farms` or already known",
            ));
        }
        Ok(())
    };
    let mut visit_ids = BTreeSet::new();
    let mut act_ids = BTreeSet::new();
    for (i, v) in file.visits.into_iter().enumerate() {
        let field = format!("visits[{i}]");
        if !visit_ids.insert(v.id.clone()) {
            return Err(duplicate(&format!("{field}.id"), v.id.as_str()).into());
        }
        named(&field, &v.technician, &v.farm)?;
        let day = match (v.day, &v.arrived) {
            (Some(d), _) => d,
            (None, Some(a)) => paris_day(a),
            (None, None) => {
                return Err(DomainError::invalid(
                    &format!("{field}.day"),
                    "absent",
                    "a day (YYYY-MM-DD) when `arrived` is not given",
                )
                .into());
            }
        };
        if day < earliest || day > latest {
            let at = if v.day.is_some() { "day" } else { "arrived" };
            return Err(DomainError::invalid(
                &format!("{field}.{at}"),
                &day.to_string(),
                &format!(
                    "a day from {earliest} to {latest} (at most ten years before today, {today}, and a year after)"
                ),
            )
            .into());
        }
        let visit = Visit {
            id: v.id.clone(),
            technician: v.technician,
            farm: v.farm,
            day,
            requested: v.requested,
            urgency: v.urgency,
            window: v.window.map(|w| (w.from, w.to)),
            arrived: v.arrived,
            left: v.left,
            travel_km: v.travel_km,
            note: v.note,
        };
        visit.validate(&field)?;
        check_span(&visit, &field)?;
        let mut acts = Vec::with_capacity(v.acts.len());
        for (j, a) in v.acts.into_iter().enumerate() {
            let act_field = format!("{field}.acts[{j}]");
            let id = a.id.unwrap_or_else(|| ActId::nth_of(&v.id, j));
            if !act_ids.insert(id.clone()) {
                return Err(duplicate(&format!("{act_field}.id"), id.as_str()).into());
            }
            let straw = match (a.straw, &a.bull) {
                (None, _) => None,
                (Some(s), Some(bull)) => Some(Straw {
                    bull: bull.clone(),
                    bull_name: s.bull_name,
                    breed: s.breed,
                    centre: s.centre,
                    batch: s.batch,
                }),
                (Some(_), None) => {
                    return Err(DomainError::invalid(
                        &format!("{act_field}.bull"),
                        "absent",
                        "the bull whose straws are described in `straw`",
                    )
                    .into());
                }
            };
            let act = Act {
                id,
                visit: v.id.clone(),
                kind: a.kind,
                count: a.count,
                animals: a.animals,
                bull: a.bull,
                straw,
                rank: a.rank,
                result: a.result,
                at: a.at,
                note: a.note,
            };
            act.validate(&act_field)?;
            if let Some(at) = &act.at {
                check_act_time(&visit, at, &format!("{act_field}.at"))?;
            }
            acts.push(act);
        }
        let confirmation = v.confirmation.map(Confirmation::from);
        if let Some(c) = &confirmation {
            c.validate(&format!("{field}.confirmation"))?;
            let on = paris_day(c.at());
            if on < day || on > latest {
                return Err(DomainError::invalid(
                    &format!("{field}.confirmation.at"),
                    &c.at().to_rfc3339(),
                    &format!(
                        "a time from the visit's day ({day}) to {latest} (a year after today)"
                    ),
                )
                .into());
            }
        }
        records.visits.push(VisitRecords {
            visit,
            acts,
            confirmation,
        });
    }
    let mut advised = BTreeSet::new();
    for (i, a) in file.advice.into_iter().enumerate() {
        let field = format!("advice[{i}]");
        named(&field, &a.technician, &a.farm)?;
        if !advised.insert((a.farm.clone(), a.year)) {
            return Err(DomainError::invalid(
                &format!("{field}.year"),
                &a.year.to_string(),
                &format!("a year not already given for farm {} in this file", a.farm),
            )
            .into());
        }
        a.payload().validate().map_err(|mut e| {
            e.field = format!("{field}.{}", e.field);
            e
        })?;
        records.advice.push(a);
    }
    Ok(records)
}

/// A visit lasts less than a day, and its departure is on its day or the next.
fn check_span(visit: &Visit, field: &str) -> Result<(), DomainError> {
    if let (Some(a), Some(l)) = (&visit.arrived, &visit.left)
        && (*l - *a).num_seconds() > MAX_VISIT_SECONDS
    {
        return Err(DomainError::invalid(
            &format!("{field}.left"),
            &l.to_rfc3339(),
            &format!(
                "a departure at most 24 hours after the arrival ({}): a visit lasts less than a day",
                a.to_rfc3339()
            ),
        ));
    }
    if let Some(l) = &visit.left {
        let on = paris_day(l);
        if on < visit.day || on > visit.day + Days::new(1) {
            return Err(DomainError::invalid(
                &format!("{field}.left"),
                &l.to_rfc3339(),
                &format!("a time on the visit's day ({}) or the next", visit.day),
            ));
        }
    }
    Ok(())
}

/// An act is done during its visit: between arrival and departure when they are known, on the
/// visit's day otherwise.
fn check_act_time(visit: &Visit, at: &Instant, field: &str) -> Result<(), DomainError> {
    let inside = match (&visit.arrived, &visit.left) {
        (Some(a), Some(l)) => a <= at && at <= l,
        (Some(a), None) => a <= at && paris_day(at) == visit.day,
        (None, Some(l)) => at <= l && paris_day(at) == visit.day,
        (None, None) => paris_day(at) == visit.day,
    };
    if inside {
        return Ok(());
    }
    let span = match (&visit.arrived, &visit.left) {
        (Some(a), Some(l)) => format!(
            "a time within its visit, from its arrival ({}) to its departure ({})",
            a.to_rfc3339(),
            l.to_rfc3339()
        ),
        (Some(a), None) => format!(
            "a time within its visit, after its arrival ({}) on its day ({})",
            a.to_rfc3339(),
            visit.day
        ),
        (None, Some(l)) => format!(
            "a time within its visit, before its departure ({}) on its day ({})",
            l.to_rfc3339(),
            visit.day
        ),
        (None, None) => format!("a time on its visit's day ({})", visit.day),
    };
    Err(DomainError::invalid(field, &at.to_rfc3339(), &span))
}

fn duplicate(field: &str, value: &str) -> DomainError {
    DomainError::invalid(field, value, "an identifier not already used in this file")
}

/// Builds the exchange document of the given records (the inverse of [`parse`]).
pub fn document(records: &Records) -> ExchangeFile {
    ExchangeFile {
        format: FORMAT.to_owned(),
        company: records.company.as_ref().map(|c| CompanyRecord {
            name: c.name.clone(),
            approval: c.approval.clone(),
            agreement: c.agreement.clone(),
        }),
        technicians: records
            .technicians
            .iter()
            .map(|t| TechnicianRecord {
                id: t.id.clone(),
                name: t.name.clone(),
                home: t.home,
                licence: t.licence.clone(),
            })
            .collect(),
        farms: records
            .farms
            .iter()
            .map(|f| FarmRecord {
                ede: f.ede.clone(),
                name: f.name.clone(),
                village: f.village.clone(),
                lat: f.location.lat,
                lon: f.location.lon,
                species: f.species.clone(),
                phone: f.phone.clone(),
                note: f.note.clone(),
                closed: records
                    .closed_hours
                    .iter()
                    .find(|(e, _)| e == &f.ede)
                    .map(|(_, spans)| {
                        spans
                            .iter()
                            .map(|s| ClosedRecord {
                                from: hhmm(s.from),
                                to: hhmm(s.to),
                            })
                            .collect()
                    })
                    .unwrap_or_default(),
            })
            .collect(),
        visits: records
            .visits
            .iter()
            .map(|v| VisitRecord {
                id: v.visit.id.clone(),
                technician: v.visit.technician.clone(),
                farm: v.visit.farm.clone(),
                day: Some(v.visit.day),
                arrived: v.visit.arrived,
                left: v.visit.left,
                travel_km: v.visit.travel_km,
                urgency: v.visit.urgency,
                window: v.visit.window.map(|(from, to)| WindowRecord { from, to }),
                requested: v.visit.requested.clone(),
                note: v.visit.note.clone(),
                acts: v
                    .acts
                    .iter()
                    .map(|a| ActRecord {
                        id: Some(a.id.clone()),
                        kind: a.kind,
                        count: a.count,
                        animals: a.animals.clone(),
                        bull: a.bull.clone(),
                        straw: a.straw.as_ref().map(|s| StrawRecord {
                            bull_name: s.bull_name.clone(),
                            breed: s.breed.clone(),
                            centre: s.centre.clone(),
                            batch: s.batch.clone(),
                        }),
                        rank: a.rank,
                        result: a.result,
                        at: a.at,
                        note: a.note.clone(),
                    })
                    .collect(),
                confirmation: v.confirmation.clone().map(ConfirmationRecord::from),
            })
            .collect(),
        advice: records.advice.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = r#"{"format":"tournee/v1",
      "technicians":[{"id":"T01","name":"Julie Martin"}],
      "farms":[{"ede":"53130001","name":"GAEC du Bocage","lat":48.07,"lon":-0.77}],
      "visits":[{"id":"V1","technician":"T01","farm":"53130001",
        "arrived":"2026-11-24T08:10:00+01:00","left":"2026-11-24T08:32:00+01:00","travel_km":12.5,
        "acts":[{"kind":"ia_bovine","count":1,"animals":["FR5312345678"],"bull":"FR2912345678"},
                {"kind":"gestation_palpation","count":2,"result":"pregnant"}],
        "confirmation":{"kind":"instructions_left","at":"2026-11-24T08:31:00+01:00"}}]}"#;

    fn none<T>(_: &T) -> bool {
        false
    }

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 12, 6).unwrap()
    }

    fn refusal(text: &str) -> DomainError {
        match parse(text, &none, &none, today()) {
            Err(ExchangeError::Invalid(e)) => e,
            other => panic!("expected a refusal, got {other:?}"),
        }
    }

    #[test]
    fn an_act_outside_its_visit_is_refused() {
        let bad = SAMPLE.replace(
            "\"bull\":\"FR2912345678\"}",
            "\"bull\":\"FR2912345678\",\"at\":\"2031-11-24T08:20:00+01:00\"}",
        );
        let err = refusal(&bad);
        assert_eq!(err.field, "visits[0].acts[0].at");
        assert_eq!(err.value, "2031-11-24T08:20:00+01:00");
        assert!(
            err.expected
                .contains("from its arrival (2026-11-24T08:10:00+01:00)"),
            "{err}"
        );
        let inside = bad.replace("2031-11-24T08:20", "2026-11-24T08:20");
        assert!(parse(&inside, &none, &none, today()).is_ok());
    }

    #[test]
    fn a_visit_longer_than_a_day_is_refused() {
        let bad = SAMPLE.replace("\"left\":\"2026-11-24T08:32", "\"left\":\"2026-11-29T08:32");
        let err = refusal(&bad);
        assert_eq!(err.field, "visits[0].left");
        assert_eq!(err.value, "2026-11-29T08:32:00+01:00");
        assert!(err.expected.contains("at most 24 hours"), "{err}");
    }

    #[test]
    fn dates_far_from_today_are_refused() {
        let old = SAMPLE.replace("2026-11-24T", "1900-11-24T");
        let err = refusal(&old);
        assert_eq!(err.field, "visits[0].arrived");
        assert_eq!(err.value, "1900-11-24");
        assert!(
            err.expected.contains("a day from 2016-12-06 to 2027-12-06"),
            "{err}"
        );
        let ahead = SAMPLE.replace("2026-11-24T", "2028-11-24T");
        assert_eq!(refusal(&ahead).field, "visits[0].arrived");
        let planned = SAMPLE.replace("2026-11-24T", "2027-11-24T");
        assert!(parse(&planned, &none, &none, today()).is_ok());
    }

    #[test]
    fn a_byte_order_mark_is_accepted() {
        let with_bom = format!("\u{feff}{SAMPLE}");
        assert_eq!(
            parse(&with_bom, &none, &none, today()).unwrap(),
            parse(SAMPLE, &none, &none, today()).unwrap()
        );
    }

    #[test]
    fn names_with_direction_overrides_or_control_characters_are_refused() {
        let bad = SAMPLE.replace("GAEC du Bocage", "GAEC \\u202Eegacob");
        let err = refusal(&bad);
        assert_eq!(err.field, "farms[0].name");
        let bad = SAMPLE.replace("Julie Martin", "Julie\\u0000Martin");
        assert_eq!(refusal(&bad).field, "technicians[0].name");
    }

    #[test]
    fn an_impossible_animal_number_is_refused() {
        let bad = SAMPLE.replace("FR5312345678", "FR0000000000");
        let err = parse(&bad, &none, &none, today()).unwrap_err().to_string();
        assert!(err.starts_with("visits[0].acts[0].animals[0]"), "{err}");
        assert!(err.contains("FR0000000000"), "{err}");
    }

    #[test]
    fn parses_a_visit_with_acts_numbered_after_it() {
        let r = parse(SAMPLE, &none, &none, today()).unwrap();
        assert_eq!(r.visits.len(), 1);
        let v = &r.visits[0];
        assert_eq!(v.visit.day, NaiveDate::from_ymd_opt(2026, 11, 24).unwrap());
        assert_eq!(v.acts[1].id.as_str(), "V1.2");
        assert_eq!(v.acts[0].animals[0].as_str(), "FR5312345678");
        // technician + farm + visit + 2 acts + confirmation
        assert_eq!(r.payloads().len(), 6);
    }

    const ADVICE: &str = r#","advice":[{"farm":"53130001","year":2026,"technician":"T01","text":"Génisses à 15 mois"}]}"#;

    fn with_advice(advice: &str) -> String {
        let base = SAMPLE.strip_suffix('}').unwrap();
        format!("{base}{advice}")
    }

    #[test]
    fn advice_is_read_checked_and_written_back() {
        let r = parse(&with_advice(ADVICE), &none, &none, today()).unwrap();
        assert_eq!(
            r.advice,
            [AdviceRecord {
                farm: Ede::parse("farm", "53130001").unwrap(),
                year: 2026,
                technician: TechnicianId::parse("technician", "T01").unwrap(),
                text: "Génisses à 15 mois".into(),
            }]
        );
        assert_eq!(
            r.payloads().last(),
            Some(&Payload::AdviceWritten {
                farm: Ede::parse("farm", "53130001").unwrap(),
                year: 2026,
                technician: TechnicianId::parse("technician", "T01").unwrap(),
                text: "Génisses à 15 mois".into(),
            })
        );
        let text = serde_json::to_string(&document(&r)).unwrap();
        assert!(
            text.contains(r#""advice":[{"farm":"53130001","year":2026"#),
            "{text}"
        );
        assert_eq!(parse(&text, &none, &none, today()).unwrap(), r);
        // a file without advice writes none
        let plain =
            serde_json::to_string(&document(&parse(SAMPLE, &none, &none, today()).unwrap()))
                .unwrap();
        assert!(!plain.contains("advice"), "{plain}");
    }

    #[test]
    fn advice_for_an_unknown_farm_a_year_twice_or_out_of_range_is_refused() {
        let err = refusal(&with_advice(&ADVICE.replace("53130001", "53130002")));
        assert_eq!(
            (err.field.as_str(), err.value.as_str()),
            ("advice[0].farm", "53130002")
        );
        let twice = ADVICE.replace(
            "}]}",
            r#"},{"farm":"53130001","year":2026,"technician":"T01","text":"autre"}]}"#,
        );
        let err = refusal(&with_advice(&twice));
        assert_eq!(
            (err.field.as_str(), err.value.as_str()),
            ("advice[1].year", "2026")
        );
        let err = refusal(&with_advice(&ADVICE.replace("2026", "1900")));
        assert_eq!(
            (err.field.as_str(), err.value.as_str()),
            ("advice[0].year", "1900")
        );
        assert!(err.expected.contains("2000 to 2100"), "{err}");
        let err = refusal(&with_advice(&ADVICE.replace("Génisses à 15 mois", "")));
        assert_eq!(err.field, "advice[0].text");
        let err = refusal(&with_advice(&ADVICE.replace("\"T01\"", "\"T09\"")));
        assert_eq!(
            (err.field.as_str(), err.value.as_str()),
            ("advice[0].technician", "T09")
        );
    }

    #[test]
    fn document_of_parsed_records_parses_back_to_the_same_records() {
        let r = parse(SAMPLE, &none, &none, today()).unwrap();
        let text = serde_json::to_string(&document(&r)).unwrap();
        assert_eq!(parse(&text, &none, &none, today()).unwrap(), r);
    }

    #[test]
    fn malformed_animal_number_is_refused_with_its_path() {
        let bad = SAMPLE.replace("FR5312345678", "FR53");
        let err = parse(&bad, &none, &none, today()).unwrap_err().to_string();
        assert!(err.starts_with("visits[0].acts[0].animals[0]"), "{err}");
        assert!(err.contains("FR53"), "{err}");
    }

    #[test]
    fn unknown_field_and_bad_json_are_located() {
        let bad = SAMPLE.replace("\"travel_km\"", "\"travel_miles\"");
        let err = parse(&bad, &none, &none, today()).unwrap_err().to_string();
        assert!(err.contains("travel_miles"), "{err}");
        let err = parse("{\"format\":", &none, &none, today())
            .unwrap_err()
            .to_string();
        assert!(err.contains("line 1"), "{err}");
    }

    #[test]
    fn visit_naming_an_unknown_farm_is_refused_unless_known_to_the_store() {
        let bad = SAMPLE.replace("\"farm\":\"53130001\"", "\"farm\":\"53130002\"");
        let err = parse(&bad, &none, &none, today()).unwrap_err().to_string();
        assert!(err.starts_with("visits[0].farm"), "{err}");
        assert!(parse(&bad, &none, &|e: &Ede| e.as_str() == "53130002", today()).is_ok());
    }

    #[test]
    fn left_before_arrival_and_zero_count_are_refused() {
        let bad = SAMPLE.replace("08:32:00", "08:00:00");
        assert!(
            parse(&bad, &none, &none, today())
                .unwrap_err()
                .to_string()
                .starts_with("visits[0].left")
        );
        let bad = SAMPLE.replace("\"count\":2", "\"count\":0");
        assert!(
            parse(&bad, &none, &none, today())
                .unwrap_err()
                .to_string()
                .starts_with("visits[0].acts[1].count")
        );
    }

    #[test]
    fn wrong_format_is_refused() {
        let bad = SAMPLE.replace("tournee/v1", "tournee/v9");
        assert!(
            parse(&bad, &none, &none, today())
                .unwrap_err()
                .to_string()
                .starts_with("format")
        );
    }

    fn with_closed(closed: &str) -> String {
        SAMPLE.replace(
            r#""lat":48.07,"lon":-0.77}"#,
            &format!(r#""lat":48.07,"lon":-0.77,"closed":{closed}}}"#),
        )
    }

    #[test]
    fn closed_hours_are_read_checked_and_written_back() {
        let r = parse(
            &with_closed(r#"[{"from":"06:30","to":"08:00"},{"from":"17:00","to":"18:30"}]"#),
            &none,
            &none,
            today(),
        )
        .unwrap();
        let ede = Ede::parse("farm", "53130001").unwrap();
        let spans = vec![
            ClosedSpan { from: 390, to: 480 },
            ClosedSpan {
                from: 1020,
                to: 1110,
            },
        ];
        assert_eq!(r.closed_hours, [(ede.clone(), spans.clone())]);
        // after the farm it names, before the visits
        let payloads = r.payloads();
        assert!(
            matches!(payloads[1], Payload::FarmRecorded(_)),
            "{payloads:?}"
        );
        assert_eq!(
            payloads[2],
            Payload::ClosedHoursRecorded {
                farm: ede,
                closed: spans
            }
        );
        let text = serde_json::to_string(&document(&r)).unwrap();
        assert!(
            text.contains(
                r#""closed":[{"from":"06:30","to":"08:00"},{"from":"17:00","to":"18:30"}]"#
            ),
            "{text}"
        );
        assert_eq!(parse(&text, &none, &none, today()).unwrap(), r);
        let plain = parse(SAMPLE, &none, &none, today()).unwrap();
        assert!(plain.closed_hours.is_empty());
    }

    #[test]
    fn bad_closed_hours_are_refused_with_their_path() {
        let err = refusal(&with_closed(r#"[{"from":"18:30","to":"17:00"}]"#));
        assert_eq!(
            (err.field.as_str(), err.value.as_str()),
            ("farms[0].closed[0]", "18:30–17:00")
        );
        let err = refusal(&with_closed(
            r#"[{"from":"17:00","to":"18:30"},{"from":"18:00","to":"19:00"}]"#,
        ));
        assert_eq!(err.field, "farms[0].closed[1]");
        let err = refusal(&with_closed(r#"[{"from":"25:00","to":"26:00"}]"#));
        assert_eq!(
            (err.field.as_str(), err.value.as_str()),
            ("farms[0].closed[0].from", "25:00")
        );
    }
}
