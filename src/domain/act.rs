//! Species, act kinds and recorded acts.
//!
//! The act kind identifiers are stable: they are stored in the log, sent on the wire and used
//! as keys of the company grid. The first thirteen are the rows of Annexe I of IDCC 7021
//! (`assets/annexe-i.toml`); the others have no national minimum.

use serde::{Deserialize, Serialize};
use std::fmt;

use super::DomainError;
use super::ids::{ActId, AnimalId, BullId, VisitId};
use super::tank::Straw;
use super::time::Instant;

/// The species a technician works with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Species {
    Bovine,
    Caprine,
    Ovine,
    Porcine,
}

impl Species {
    pub fn id(self) -> &'static str {
        match self {
            Species::Bovine => "bovine",
            Species::Caprine => "caprine",
            Species::Ovine => "ovine",
            Species::Porcine => "porcine",
        }
    }
}

/// The family an act kind belongs to, as the certification groups the trade's acts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Family {
    Insemination,
    PregnancyCheck,
    Synchronisation,
    Sample,
    EmbryoTransfer,
    Scoring,
}

macro_rules! act_kinds {
    ($( $variant:ident = $id:literal, $species:ident, $family:ident, $annexe:literal; )*) => {
        /// What was done. Serialised as its stable identifier (`ia_bovine`, ...).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        pub enum ActKind {
            $( #[serde(rename = $id)] $variant, )*
        }

        impl ActKind {
            /// Every kind, Annexe I rows first, in the table's order.
            pub const ALL: &'static [ActKind] = &[ $( ActKind::$variant, )* ];

            /// The stable identifier.
            pub fn id(self) -> &'static str {
                match self { $( ActKind::$variant => $id, )* }
            }

            pub fn species(self) -> Option<Species> {
                match self { $( ActKind::$variant => species!($species), )* }
            }

            pub fn family(self) -> Family {
                match self { $( ActKind::$variant => Family::$family, )* }
            }

            /// Whether Annexe I sets a national minimum for this kind.
            pub fn in_annexe_i(self) -> bool {
                match self { $( ActKind::$variant => $annexe, )* }
            }
        }
    };
}

macro_rules! species {
    (any) => {
        None
    };
    ($s:ident) => {
        Some(Species::$s)
    };
}

act_kinds! {
    IaBovine = "ia_bovine", Bovine, Insemination, true;
    IaCaprineFrozen = "ia_caprine_frozen", Caprine, Insemination, true;
    IaCaprineFresh = "ia_caprine_fresh", Caprine, Insemination, true;
    IaOvineFrozen = "ia_ovine_frozen", Ovine, Insemination, true;
    IaOvineFresh = "ia_ovine_fresh", Ovine, Insemination, true;
    EchoBovine = "echo_bovine", Bovine, PregnancyCheck, true;
    EchoCaprine = "echo_caprine", Caprine, PregnancyCheck, true;
    EchoOvine = "echo_ovine", Ovine, PregnancyCheck, true;
    EchoPorcine = "echo_porcine", Porcine, PregnancyCheck, true;
    SyncBovineSpiral = "sync_bovine_spiral", Bovine, Synchronisation, true;
    SyncBovineProstaglandin = "sync_bovine_prostaglandin", Bovine, Synchronisation, true;
    SyncBovineImplant = "sync_bovine_implant", Bovine, Synchronisation, true;
    GestationPalpation = "gestation_palpation", Bovine, PregnancyCheck, true;
    GestationBloodSample = "gestation_blood_sample", any, PregnancyCheck, false;
    SampleGenotyping = "sample_genotyping", any, Sample, false;
    SampleOther = "sample_other", any, Sample, false;
    EmbryoTransfer = "embryo_transfer", Bovine, EmbryoTransfer, false;
    Scoring = "scoring", any, Scoring, false;
}

impl ActKind {
    /// Parses a stable identifier; the error lists what is accepted.
    pub fn parse(field: &str, value: &str) -> Result<ActKind, DomainError> {
        ActKind::ALL
            .iter()
            .copied()
            .find(|k| k.id() == value)
            .ok_or_else(|| DomainError::invalid(field, value, "an act kind such as ia_bovine, echo_bovine, gestation_palpation (see the act kind list)"))
    }

    /// Whether the act uses a dose of semen from the tank.
    pub fn uses_dose(self) -> bool {
        self.family() == Family::Insemination
    }
}

impl fmt::Display for ActKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

/// First insemination of a heat cycle or a repeat after a return to heat.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InseminationRank {
    First,
    Repeat,
}

/// The outcome of a pregnancy check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PregnancyResult {
    Pregnant,
    Empty,
    Doubtful,
}

/// One recorded act: one kind, done on `count` animals of one lot at one visit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Act {
    pub id: ActId,
    pub visit: VisitId,
    pub kind: ActKind,
    /// Animals handled in this act (a lot of goats counts as many).
    pub count: u32,
    /// The animals' numbers, when known (always for a cattle insemination).
    pub animals: Vec<AnimalId>,
    /// The sire whose semen was used, for inseminations.
    pub bull: Option<BullId>,
    /// The straws used, as printed on them (the dose reference of the insemination record).
    pub straw: Option<Straw>,
    pub rank: Option<InseminationRank>,
    pub result: Option<PregnancyResult>,
    /// When the act was done, if recorded.
    #[serde(default, with = "crate::domain::time::fast_serde::option_instant")]
    pub at: Option<Instant>,
    pub note: Option<String>,
}

/// The largest lot one act may cover: far above any real lot, low enough to catch a typo.
pub const MAX_LOT: u32 = 5_000;

impl Act {
    /// An act on `count` animals with nothing else recorded (no numbers, bull, time, note).
    pub fn new(id: ActId, visit: VisitId, kind: ActKind, count: u32) -> Act {
        Act {
            id,
            visit,
            kind,
            count,
            animals: Vec::new(),
            bull: None,
            straw: None,
            rank: None,
            result: None,
            at: None,
            note: None,
        }
    }

    /// Checks the act's own consistency; `field` prefixes the names in errors
    /// (e.g. `visits[2].acts[0]`).
    pub fn validate(&self, field: &str) -> Result<(), DomainError> {
        if self.count == 0 || self.count > MAX_LOT {
            return Err(DomainError::invalid(
                &format!("{field}.count"),
                &self.count.to_string(),
                &format!("a number of animals from 1 to {MAX_LOT}"),
            ));
        }
        if self.animals.len() > self.count as usize {
            return Err(DomainError::invalid(
                &format!("{field}.animals"),
                &format!("{} numbers", self.animals.len()),
                &format!("at most `count` ({}) animal numbers", self.count),
            ));
        }
        if let Some(species) = self.kind.species() {
            for (i, animal) in self.animals.iter().enumerate() {
                animal.check_species(&format!("{field}.animals[{i}]"), species)?;
            }
        }
        if self.bull.is_some() && !self.kind.uses_dose() {
            return Err(DomainError::invalid(
                &format!("{field}.bull"),
                self.bull.as_ref().map(|b| b.as_str()).unwrap_or_default(),
                &format!("no bull: a {} act uses no dose", self.kind),
            ));
        }
        if let Some(straw) = &self.straw {
            straw.validate(&format!("{field}.straw"))?;
            if self.bull.as_ref() != Some(&straw.bull) {
                return Err(DomainError::invalid(
                    &format!("{field}.straw.bull"),
                    straw.bull.as_str(),
                    "the act's bull: a straw of the sire that was used",
                ));
            }
        }
        if self.result.is_some() && self.kind.family() != Family::PregnancyCheck {
            return Err(DomainError::invalid(
                &format!("{field}.result"),
                "a pregnancy result",
                &format!("no result: {} is not a pregnancy check", self.kind),
            ));
        }
        if let Some(note) = &self.note {
            super::check_text(&format!("{field}.note"), note, 0)?;
        }
        Ok(())
    }
}
