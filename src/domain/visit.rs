//! Visits (one stop at a farm) and the farmer's confirmation of them.

use chrono::{NaiveDate, NaiveTime};
use serde::{Deserialize, Serialize};

use super::DomainError;
use super::act::ActKind;
use super::ids::{Ede, TechnicianId, VisitId};
use super::time::{Instant, paris_day};

/// How soon the farmer needs the technician.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Urgency {
    #[default]
    Normal,
    /// An animal in heat: inseminate within hours.
    Urgent,
}

/// What the farmer asked for when calling: a kind and how many animals.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Request {
    pub kind: ActKind,
    pub count: u32,
}

/// One stop at a farm. A mutable record: a newer version (latest clock) replaces it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Visit {
    pub id: VisitId,
    pub technician: TechnicianId,
    pub farm: Ede,
    /// The day of the round the visit belongs to (Europe/Paris).
    #[serde(with = "crate::domain::time::fast_serde::date")]
    pub day: NaiveDate,
    pub requested: Vec<Request>,
    pub urgency: Urgency,
    /// Arrival wanted between these local times, when the farmer said so.
    pub window: Option<(NaiveTime, NaiveTime)>,
    #[serde(default, with = "crate::domain::time::fast_serde::option_instant")]
    pub arrived: Option<Instant>,
    #[serde(default, with = "crate::domain::time::fast_serde::option_instant")]
    pub left: Option<Instant>,
    /// Road distance driven to reach this farm from the previous stop.
    pub travel_km: Option<f64>,
    pub note: Option<String>,
}

impl Visit {
    /// A visit planned on `day`: nothing asked, no window, nothing done yet.
    pub fn planned(id: VisitId, technician: TechnicianId, farm: Ede, day: NaiveDate) -> Visit {
        Visit {
            id,
            technician,
            farm,
            day,
            requested: Vec::new(),
            urgency: Urgency::Normal,
            window: None,
            arrived: None,
            left: None,
            travel_km: None,
            note: None,
        }
    }

    pub fn validate(&self, field: &str) -> Result<(), DomainError> {
        if let (Some(a), Some(l)) = (&self.arrived, &self.left)
            && l < a
        {
            return Err(DomainError::invalid(
                &format!("{field}.left"),
                &l.to_rfc3339(),
                &format!("a time after the arrival ({})", a.to_rfc3339()),
            ));
        }
        if let Some(a) = &self.arrived
            && paris_day(a) != self.day
        {
            return Err(DomainError::invalid(
                &format!("{field}.arrived"),
                &a.to_rfc3339(),
                &format!("a time on the visit's day ({})", self.day),
            ));
        }
        if let Some(km) = self.travel_km
            && !(km.is_finite() && (0.0..=2_000.0).contains(&km))
        {
            return Err(DomainError::invalid(
                &format!("{field}.travel_km"),
                &km.to_string(),
                "a distance in km from 0 to 2000",
            ));
        }
        if let Some((from, to)) = self.window
            && to < from
        {
            return Err(DomainError::invalid(
                &format!("{field}.window"),
                &format!("{from}-{to}"),
                "a window whose end is after its start",
            ));
        }
        for (i, r) in self.requested.iter().enumerate() {
            if r.count == 0 || r.count > super::act::MAX_LOT {
                return Err(DomainError::invalid(
                    &format!("{field}.requested[{i}].count"),
                    &r.count.to_string(),
                    &format!("a number of animals from 1 to {}", super::act::MAX_LOT),
                ));
            }
        }
        if let Some(n) = &self.note {
            super::check_text(&format!("{field}.note"), n, 0)?;
        }
        Ok(())
    }
}

/// When the farmer may expect the technician at a visit: a window of local times (Europe/Paris,
/// on the visit's day), in minutes after midnight so the event stays a few bytes, and whether
/// the technician has left the previous farm for this one. Its width is `tour::arrival`'s rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ArrivalWindow {
    pub from: u16,
    pub to: u16,
    pub on_the_way: bool,
}

/// Minutes in a day: a window ends at midnight at the latest.
pub const MINUTES_IN_DAY: u16 = 24 * 60;

impl ArrivalWindow {
    pub fn validate(&self, field: &str) -> Result<(), DomainError> {
        if self.to > MINUTES_IN_DAY || self.from > self.to {
            return Err(DomainError::invalid(
                field,
                &format!("{}-{}", self.from, self.to),
                &format!("a window of minutes after midnight, from <= to <= {MINUTES_IN_DAY}"),
            ));
        }
        Ok(())
    }
}

/// A pen stroke of the farmer's signature, in points normalised to the signing pad (0..1).
pub type Stroke = Vec<[f32; 2]>;

/// How the farmer confirmed (or did not confirm) a visit.
///
/// Stored through [`ConfirmationRepr`]: a signature's points are packed (`strokes.rs`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "ConfirmationRepr", into = "ConfirmationRepr")]
pub enum Confirmation {
    /// Signed on the tablet at the end of the visit; the strokes are sealed into the event.
    Signed {
        #[serde(with = "crate::domain::time::fast_serde::instant")]
        at: Instant,
        signer: String,
        strokes: Vec<Stroke>,
    },
    /// Farmer absent: instructions were left; the visit awaits confirmation.
    InstructionsLeft {
        #[serde(with = "crate::domain::time::fast_serde::instant")]
        at: Instant,
    },
    /// Confirmed later by the farmer (web page).
    ConfirmedLater {
        #[serde(with = "crate::domain::time::fast_serde::instant")]
        at: Instant,
        comment: Option<String>,
    },
    /// The farmer disputes the visit or one of its acts.
    Disputed {
        #[serde(with = "crate::domain::time::fast_serde::instant")]
        at: Instant,
        comment: String,
    },
}

/// A confirmation as events hold it. The variants keep their places: events are encoded by
/// position and a stored event must decode forever. Signatures written before the points were
/// packed stay `SignedFloats`; every new one is `Signed`, its points packed.
#[derive(Serialize, Deserialize)]
enum ConfirmationRepr {
    SignedFloats {
        #[serde(with = "crate::domain::time::fast_serde::instant")]
        at: Instant,
        signer: String,
        strokes: Vec<Stroke>,
    },
    InstructionsLeft {
        #[serde(with = "crate::domain::time::fast_serde::instant")]
        at: Instant,
    },
    ConfirmedLater {
        #[serde(with = "crate::domain::time::fast_serde::instant")]
        at: Instant,
        comment: Option<String>,
    },
    Disputed {
        #[serde(with = "crate::domain::time::fast_serde::instant")]
        at: Instant,
        comment: String,
    },
    Signed {
        #[serde(with = "crate::domain::time::fast_serde::instant")]
        at: Instant,
        signer: String,
        /// `strokes::pack` (postcard writes a `u8` as one byte).
        strokes: super::strokes::Packed,
    },
}

impl TryFrom<ConfirmationRepr> for Confirmation {
    type Error = super::strokes::StrokesError;

    fn try_from(r: ConfirmationRepr) -> Result<Confirmation, Self::Error> {
        Ok(match r {
            ConfirmationRepr::SignedFloats {
                at,
                signer,
                strokes,
            } => Confirmation::Signed {
                at,
                signer,
                strokes,
            },
            ConfirmationRepr::Signed {
                at,
                signer,
                strokes,
            } => Confirmation::Signed {
                at,
                signer,
                strokes: super::strokes::unpack(&strokes.0)?,
            },
            ConfirmationRepr::InstructionsLeft { at } => Confirmation::InstructionsLeft { at },
            ConfirmationRepr::ConfirmedLater { at, comment } => {
                Confirmation::ConfirmedLater { at, comment }
            }
            ConfirmationRepr::Disputed { at, comment } => Confirmation::Disputed { at, comment },
        })
    }
}

impl From<Confirmation> for ConfirmationRepr {
    fn from(c: Confirmation) -> ConfirmationRepr {
        match c {
            Confirmation::Signed {
                at,
                signer,
                strokes,
            } => ConfirmationRepr::Signed {
                at,
                signer,
                strokes: super::strokes::Packed(super::strokes::pack(&strokes)),
            },
            Confirmation::InstructionsLeft { at } => ConfirmationRepr::InstructionsLeft { at },
            Confirmation::ConfirmedLater { at, comment } => {
                ConfirmationRepr::ConfirmedLater { at, comment }
            }
            Confirmation::Disputed { at, comment } => ConfirmationRepr::Disputed { at, comment },
        }
    }
}

impl Confirmation {
    pub fn at(&self) -> &Instant {
        match self {
            Confirmation::Signed { at, .. }
            | Confirmation::InstructionsLeft { at }
            | Confirmation::ConfirmedLater { at, .. }
            | Confirmation::Disputed { at, .. } => at,
        }
    }

    /// Whether the farmer has agreed to the visit.
    pub fn is_confirmed(&self) -> bool {
        matches!(
            self,
            Confirmation::Signed { .. } | Confirmation::ConfirmedLater { .. }
        )
    }

    pub fn validate(&self, field: &str) -> Result<(), DomainError> {
        match self {
            Confirmation::Signed {
                signer, strokes, ..
            } => {
                super::check_name(&format!("{field}.signer"), signer)?;
                let points: usize = strokes.iter().map(Vec::len).sum();
                if points == 0 || points > 20_000 {
                    return Err(DomainError::invalid(
                        &format!("{field}.strokes"),
                        &format!("{points} points"),
                        "a signature of 1 to 20000 points",
                    ));
                }
                if strokes
                    .iter()
                    .flatten()
                    .flatten()
                    .any(|c| !c.is_finite() || !(0.0..=1.0).contains(c))
                {
                    return Err(DomainError::invalid(
                        &format!("{field}.strokes"),
                        "a point outside the pad",
                        "points with coordinates from 0 to 1",
                    ));
                }
                Ok(())
            }
            Confirmation::InstructionsLeft { .. } => Ok(()),
            Confirmation::ConfirmedLater { comment, .. } => match comment {
                Some(c) => super::check_text(&format!("{field}.comment"), c, 0),
                None => Ok(()),
            },
            Confirmation::Disputed { comment, .. } => {
                super::check_text(&format!("{field}.comment"), comment, 1)
            }
        }
    }
}

/// Where a visit stands, as the technician's list shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VisitStatus {
    ToDo,
    InProgress,
    Done,
    AwaitingConfirmation,
    Confirmed,
    Disputed,
}

impl VisitStatus {
    pub fn of(visit: &Visit, confirmation: Option<&Confirmation>) -> VisitStatus {
        match confirmation {
            Some(Confirmation::Disputed { .. }) => VisitStatus::Disputed,
            Some(c) if c.is_confirmed() => VisitStatus::Confirmed,
            Some(_) => VisitStatus::AwaitingConfirmation,
            None => match (&visit.arrived, &visit.left) {
                (None, _) => VisitStatus::ToDo,
                (Some(_), None) => VisitStatus::InProgress,
                (Some(_), Some(_)) => VisitStatus::Done,
            },
        }
    }
}

/// Something the certification asks the technician to report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AnomalyKind {
    /// The animal was not restrained, or the site not prepared.
    RestraintNotReady,
    SanitaryIssue,
    EquipmentFault,
    Other,
}
