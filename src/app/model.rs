//! What screens read and what they ask for: view models (plain data, ready to draw, built off
//! the UI thread) and commands (a tap turned into an intention).
//!
//! Screens never touch storage: they render these views and push [`Command`]s; whoever owns
//! the store (the backend) carries the commands out and sends fresh views back. Not for
//! formatting: views hold values, screens write them in the user's language.

use chrono::{NaiveDate, NaiveTime};

use crate::domain::{
    Act, AnomalyKind, Confirmation, Ede, Farm, Request, Species, Straw, Urgency, Visit, VisitId,
    VisitStatus,
};

/// One visit as a row of today's round.
#[derive(Debug, Clone, PartialEq)]
pub struct VisitRow {
    pub id: VisitId,
    pub farm: Ede,
    pub farm_name: String,
    pub village: Option<String>,
    pub requested: Vec<Request>,
    pub urgency: Urgency,
    pub window: Option<(NaiveTime, NaiveTime)>,
    pub status: VisitStatus,
    /// Acts recorded so far (corrections applied).
    pub acts: usize,
}

impl VisitRow {
    pub fn build(
        visit: &Visit,
        farm: Option<&Farm>,
        acts: usize,
        confirmation: Option<&Confirmation>,
    ) -> VisitRow {
        VisitRow {
            id: visit.id.clone(),
            farm: visit.farm.clone(),
            farm_name: farm.map_or_else(|| visit.farm.to_string(), |f| f.name.clone()),
            village: farm.and_then(|f| f.village.clone()),
            requested: visit.requested.clone(),
            urgency: visit.urgency,
            window: visit.window,
            status: VisitStatus::of(visit, confirmation),
            acts,
        }
    }
}

/// Today's round, in round order.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct TodayView {
    pub day: Option<NaiveDate>,
    pub visits: Vec<VisitRow>,
    /// Whether the store holds nothing at all (first start: offer demo data).
    pub store_empty: bool,
}

/// A bull the technician can inseminate with: its straw as received, and the doses in the
/// tank.
#[derive(Debug, Clone, PartialEq)]
pub struct BullChoice {
    pub straw: Straw,
    /// Doses left in the tank.
    pub left: i64,
    /// Doses used so far (most used first in the list).
    pub used: u32,
}

/// One recorded act as the visit shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct ActRow {
    pub act: Act,
    pub bull_name: Option<String>,
    /// The act's flat-rate time, once `forfait` computes it.
    pub forfait_seconds: Option<u32>,
}

/// A visit being done.
#[derive(Debug, Clone, PartialEq)]
pub struct VisitView {
    pub row: VisitRow,
    pub species: Vec<Species>,
    pub farm_note: Option<String>,
    pub acts: Vec<ActRow>,
    pub bulls: Vec<BullChoice>,
    pub confirmation: Option<Confirmation>,
    pub anomalies: Vec<(AnomalyKind, String)>,
}

/// What a screen asks the backend to do.
#[derive(Debug, Clone, PartialEq)]
pub enum Command {
    /// Record an act at a visit (an insemination takes a dose from the tank). The act's id
    /// is the screen's proposal; the backend renumbers it if the number is taken.
    RecordAct(Act),
    /// The farmer's signature, or "farmer absent, instructions left".
    Confirm {
        visit: VisitId,
        confirmation: Confirmation,
    },
}
