//! The insemination record and its declaration to the national genetic information system.
//!
//! Every insemination is a regulated record (arrêté of 28 December 2006 on insemination in
//! cattle, sheep and goats, article 10): company and technician registration numbers, the
//! sire's national number and breed, the female's number (cattle; sheep and goats are
//! recorded per batch of doses), the dose reference (straw: breed, sire, collection centre,
//! collection date or batch), the date and the holding's EDE number. It is handed to the
//! farmer and must reach the national system within two weeks.
//!
//! This module builds complete records (naming the missing field otherwise), computes
//! deadlines, and writes the declaration files. Which records are waiting is the
//! declaration queue (`queue.rs`), a projection the log feeds. Not for reading the store:
//! the record of an act in the store, and the checks made before an insemination is
//! recorded, are `record`'s.

use chrono::{Duration, NaiveDate};
use serde::{Deserialize, Serialize};

use crate::domain::{
    Act, ActId, AnimalId, BullId, Company, DomainError, Ede, Family, Farm, InseminationRank,
    Species, Technician, TechnicianId, Visit, VisitId, paris_day,
};

/// Days from the insemination (or the correction) to the deadline of its declaration.
pub const DECLARATION_DAYS: i64 = 14;

/// Days before the deadline from which a declaration is shown as due soon.
pub const DUE_SOON_DAYS: i64 = 3;

/// A complete insemination record: every field article 10 asks for.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InseminationRecord {
    pub act: ActId,
    pub visit: VisitId,
    pub date: NaiveDate,
    pub company_name: String,
    pub company_approval: String,
    pub technician: TechnicianId,
    pub technician_name: String,
    pub technician_licence: String,
    pub ede: Ede,
    pub farm_name: String,
    pub species: Species,
    /// The females inseminated (one for cattle; for sheep and goats the numbers known, if any).
    pub females: Vec<AnimalId>,
    /// Females inseminated (= doses used).
    pub count: u32,
    pub sire: BullId,
    pub sire_name: String,
    pub breed: String,
    pub centre: String,
    pub batch: String,
    pub rank: Option<InseminationRank>,
}

fn missing(field: &str, expected: &str) -> DomainError {
    DomainError::invalid(field, "absent", expected)
}

impl InseminationRecord {
    /// Builds the record of an insemination, or names the first field it lacks.
    pub fn build(
        act: &Act,
        visit: &Visit,
        farm: &Farm,
        technician: &Technician,
        company: Option<&Company>,
    ) -> Result<InseminationRecord, DomainError> {
        if act.kind.family() != Family::Insemination {
            return Err(DomainError::invalid(
                "act.kind",
                act.kind.id(),
                "an insemination",
            ));
        }
        let company = company.ok_or_else(|| {
            missing(
                "company.approval",
                "the company's approval number (settings)",
            )
        })?;
        let licence = technician.licence.clone().ok_or_else(|| {
            missing(
                "technician.licence",
                "the technician's licence number (settings)",
            )
        })?;
        let sire = act
            .bull
            .clone()
            .ok_or_else(|| missing("act.bull", "the sire's national number"))?;
        let straw = act.straw.as_ref().ok_or_else(|| {
            missing(
                "act.straw",
                "the straw used (breed, collection centre, batch), from the tank",
            )
        })?;
        let centre = straw.centre.clone().ok_or_else(|| {
            missing(
                "act.straw.centre",
                "the collection centre's approval number printed on the straw",
            )
        })?;
        let batch = straw.batch.clone().ok_or_else(|| {
            missing(
                "act.straw.batch",
                "the collection date or batch printed on the straw",
            )
        })?;
        let species = act.kind.species().unwrap_or(Species::Bovine);
        if species == Species::Bovine && act.animals.len() != 1 {
            return Err(missing(
                "act.animals",
                "the inseminated cow's number (FR + 10 digits)",
            ));
        }
        if visit.farm != farm.ede {
            return Err(DomainError::invalid(
                "visit.farm",
                visit.farm.as_str(),
                &format!("the farm of the record ({})", farm.ede),
            ));
        }
        Ok(InseminationRecord {
            act: act.id.clone(),
            visit: visit.id.clone(),
            date: act.at.as_ref().map(paris_day).unwrap_or(visit.day),
            company_name: company.name.clone(),
            company_approval: company.approval.clone(),
            technician: technician.id.clone(),
            technician_name: technician.name.clone(),
            technician_licence: licence,
            ede: farm.ede.clone(),
            farm_name: farm.name.clone(),
            species,
            females: act.animals.clone(),
            count: act.count,
            sire,
            sire_name: straw.bull_name.clone(),
            breed: straw.breed.clone(),
            centre,
            batch,
            rank: act.rank,
        })
    }
}

/// What a declaration says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeclarationKind {
    /// The first declaration of an insemination.
    Initial,
    /// A declared record corrected: this act replaces `of`.
    Correction { of: ActId },
    /// A declared record withdrawn: the insemination did not take place as declared.
    Cancellation,
}

/// Where a declaration stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeclarationStatus {
    ToSend,
    Sent {
        batch: String,
    },
    Accepted {
        batch: String,
    },
    /// Refused by the national system: to correct and send again.
    Refused {
        batch: String,
        reason: String,
    },
    /// Corrected before it was ever sent: nothing to declare.
    Withdrawn,
}

impl DeclarationStatus {
    /// Whether the declaration still needs the technician or the office.
    pub fn is_open(&self) -> bool {
        matches!(
            self,
            DeclarationStatus::ToSend
                | DeclarationStatus::Sent { .. }
                | DeclarationStatus::Refused { .. }
        )
    }
}

/// One record in the declaration queue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Declaration {
    pub act: ActId,
    pub visit: VisitId,
    pub technician: Option<TechnicianId>,
    /// The day of the insemination.
    pub date: NaiveDate,
    /// The day the declaration became due to send (the insemination, or its correction).
    pub since: NaiveDate,
    pub kind: DeclarationKind,
    pub status: DeclarationStatus,
}

/// How near its deadline a declaration stands on a given day (not a visit's `domain::Urgency`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DueState {
    /// Sent or accepted, or withdrawn: nothing to do.
    Done,
    Pending,
    /// The deadline is within [`DUE_SOON_DAYS`] days.
    DueSoon,
    Late,
}

impl Declaration {
    /// The last day the declaration may reach the national system.
    pub fn deadline(&self) -> NaiveDate {
        deadline(self.since)
    }

    /// How near its deadline it stands on `today` (a Paris day). Sent records wait for the system, not for us.
    pub fn due_state(&self, today: NaiveDate) -> DueState {
        match self.status {
            DeclarationStatus::ToSend | DeclarationStatus::Refused { .. } => {
                let left = (self.deadline() - today).num_days();
                if left < 0 {
                    DueState::Late
                } else if left <= DUE_SOON_DAYS {
                    DueState::DueSoon
                } else {
                    DueState::Pending
                }
            }
            _ => DueState::Done,
        }
    }
}

/// The deadline of a declaration due since `since`: two weeks later, in calendar days (Paris),
/// so month ends and daylight-saving changes do not move it.
pub fn deadline(since: NaiveDate) -> NaiveDate {
    since + Duration::days(DECLARATION_DAYS)
}

/// The header of the declaration CSV (one line per record, `;`-separated as French
/// spreadsheets expect).
pub const CSV_HEADER: [&str; 17] = [
    "type",
    "acte",
    "corrige",
    "date",
    "entreprise_agrement",
    "technicien",
    "technicien_licence",
    "ede",
    "espece",
    "femelles",
    "nombre",
    "taureau",
    "nom_taureau",
    "race",
    "centre",
    "lot",
    "rang",
];

/// The CSV row of a declaration, from its record (`kind` says initial, correction or
/// cancellation), in the order of [`CSV_HEADER`].
pub fn csv_row(kind: &DeclarationKind, record: &InseminationRecord) -> [String; 17] {
    let (type_, of) = match kind {
        DeclarationKind::Initial => ("initiale", String::new()),
        DeclarationKind::Correction { of } => ("correction", of.to_string()),
        DeclarationKind::Cancellation => ("annulation", String::new()),
    };
    let females: Vec<&str> = record.females.iter().map(|a| a.as_str()).collect();
    let rank = match record.rank {
        Some(InseminationRank::First) => "IA1",
        Some(InseminationRank::Repeat) => "retour",
        None => "",
    };
    [
        type_.to_owned(),
        record.act.to_string(),
        of,
        record.date.format("%Y-%m-%d").to_string(),
        record.company_approval.clone(),
        record.technician.to_string(),
        record.technician_licence.clone(),
        record.ede.to_string(),
        record.species.id().to_owned(),
        females.join(" "),
        record.count.to_string(),
        record.sire.to_string(),
        record.sire_name.clone(),
        record.breed.clone(),
        record.centre.clone(),
        record.batch.clone(),
        rank.to_owned(),
    ]
}

/// The declaration CSV of these declarations: the header, then one row each.
pub fn to_csv<'a>(
    declarations: impl IntoIterator<Item = (&'a DeclarationKind, &'a InseminationRecord)>,
) -> Result<String, csv::Error> {
    crate::csv_export::csv_text(
        crate::csv_export::Dialect::Semicolon,
        CSV_HEADER,
        declarations
            .into_iter()
            .map(|(kind, record)| csv_row(kind, record)),
    )
}

/// The farmer's certificate of a visit's inseminations, in French: every field of each
/// record (the breed named as the farmer reads it), and the farmer's signature when there is
/// one; dated the day of the visit. The same records and signature
/// give the same bytes, so the tablet and the server hand out the same document.
pub fn certificate(
    records: &[InseminationRecord],
    confirmation: Option<&crate::domain::Confirmation>,
) -> crate::pdf::Document {
    use crate::pdf::Writer;
    let day = records.first().map(|r| r.date).unwrap_or_default();
    let mut w = Writer::new("Certificat d'insémination", day);
    w.line("Certificat d'insémination artificielle", 16.0, true);
    w.line(
        "Arrêté du 28 décembre 2006, article 10 — document remis à l'éleveur",
        9.0,
        false,
    );
    w.rule();
    if let Some(first) = records.first() {
        let rows = [
            (
                "Entreprise de mise en place",
                format!(
                    "{} — agrément {}",
                    first.company_name, first.company_approval
                ),
            ),
            (
                "Inséminateur",
                format!(
                    "{} — licence {}",
                    first.technician_name, first.technician_licence
                ),
            ),
            (
                "Élevage",
                format!("{} — EDE {}", first.farm_name, first.ede),
            ),
            ("Date", first.date.format("%d/%m/%Y").to_string()),
        ];
        for (label, value) in &rows {
            w.columns(&[(0.0, label), (170.0, value)], 10.0, false);
        }
    }
    for (i, r) in records.iter().enumerate() {
        w.gap(8.0);
        w.line(
            &format!("Insémination {} (acte {})", i + 1, r.act),
            11.0,
            true,
        );
        let females = if r.females.is_empty() {
            format!("lot de {} femelles", r.count)
        } else {
            let numbers: Vec<&str> = r.females.iter().map(|a| a.as_str()).collect();
            if r.count as usize > numbers.len() {
                format!("{} (lot de {})", numbers.join(", "), r.count)
            } else {
                numbers.join(", ")
            }
        };
        let rank = match r.rank {
            Some(InseminationRank::First) => "première insémination",
            Some(InseminationRank::Repeat) => "insémination de retour",
            None => "—",
        };
        let rows = [
            ("Femelle(s)", females),
            ("Taureau", format!("{} — {}", r.sire, r.sire_name)),
            ("Race", crate::domain::breed::breed_label(&r.breed)),
            (
                "Dose (paillette)",
                format!("centre {} — lot {}", r.centre, r.batch),
            ),
            ("Rang", rank.to_owned()),
        ];
        for (label, value) in &rows {
            w.columns(&[(12.0, label), (170.0, value)], 10.0, false);
        }
    }
    w.gap(10.0);
    w.rule();
    match confirmation {
        Some(crate::domain::Confirmation::Signed {
            signer,
            strokes,
            at,
            ..
        }) => {
            w.line(
                &format!(
                    "Signé par {signer} le {}",
                    at.with_timezone(&chrono_tz::Europe::Paris)
                        .format("%d/%m/%Y à %H:%M")
                ),
                10.0,
                false,
            );
            w.strokes(strokes, 220.0, 70.0);
        }
        Some(crate::domain::Confirmation::InstructionsLeft { .. }) => {
            w.line(
                "Éleveur absent : consignes transmises, confirmation en attente.",
                10.0,
                false,
            );
        }
        Some(crate::domain::Confirmation::ConfirmedLater { .. }) => {
            w.line("Confirmé par l'éleveur après la visite.", 10.0, false);
        }
        Some(crate::domain::Confirmation::Disputed { comment, .. }) => {
            w.line(&format!("Contesté par l'éleveur : {comment}"), 10.0, false);
        }
        None => w.line("Signature de l'éleveur :", 10.0, false),
    }
    w.finish()
}

pub(crate) mod queue;
// The test fixtures (a company, technician, farm, visit, straw) serve `record`'s tests too.
#[cfg(test)]
pub(crate) mod tests;
