//! Follow-ups: the visits the past acts call for on a given day, for the app to propose.
//!
//! After an insemination a pregnancy check falls due (ultrasound from about 30 days, palpation
//! from about 45); a synchronisation protocol schedules its next steps on their days. This is a
//! pure function of the visits and acts the store projects; it writes nothing and plans
//! nothing (the round is `solve`'s job once the technician accepts a proposal).

use std::collections::BTreeMap;

use chrono::{Days, NaiveDate};
use serde::Serialize;

use crate::domain::{Act, ActId, ActKind, AnimalId, Ede, Family, Request, Species, Visit};

/// How the company checks pregnancies, and when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FollowUpSettings {
    /// Checks by palpation (cattle only) rather than ultrasound.
    pub palpation: bool,
    /// Days after the insemination an ultrasound check is reliable.
    pub ultrasound_from_days: u32,
    /// Days after the insemination a palpation is reliable.
    pub palpation_from_days: u32,
    /// Days a due check keeps being proposed before it is dropped from the list.
    pub offer_for_days: u32,
    /// Synchronisation protocols: the act that starts one, and its steps.
    pub protocols: Vec<Protocol>,
}

/// A synchronisation protocol: started by an act of kind `start`, with steps on set days.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Protocol {
    pub start: ActKind,
    /// (days after the start, the act of that step).
    pub steps: Vec<(u32, ActKind)>,
}

impl Default for FollowUpSettings {
    fn default() -> FollowUpSettings {
        FollowUpSettings {
            palpation: false,
            ultrasound_from_days: 30,
            palpation_from_days: 45,
            offer_for_days: 30,
            // Common field protocols: a progestagen spiral removed on day 7 with prostaglandin,
            // insemination 56 h later; an implant with prostaglandin on day 7 and removal on
            // day 9, insemination 48 h later; prostaglandin alone, insemination on day 3.
            protocols: vec![
                Protocol {
                    start: ActKind::SyncBovineSpiral,
                    steps: vec![
                        (7, ActKind::SyncBovineProstaglandin),
                        (9, ActKind::IaBovine),
                    ],
                },
                Protocol {
                    start: ActKind::SyncBovineImplant,
                    steps: vec![
                        (7, ActKind::SyncBovineProstaglandin),
                        (11, ActKind::IaBovine),
                    ],
                },
                Protocol {
                    start: ActKind::SyncBovineProstaglandin,
                    steps: vec![(3, ActKind::IaBovine)],
                },
            ],
        }
    }
}

/// Why a follow-up is due.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum FollowUpKind {
    PregnancyCheck,
    /// Step `step` (from 1) of the protocol started by the act.
    SynchronisationStep {
        step: u8,
    },
}

/// A follow-up due on the day asked for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FollowUp {
    pub farm: Ede,
    pub kind: FollowUpKind,
    /// The act to do.
    pub act: ActKind,
    /// The animals concerned, when the earlier act named them.
    pub animals: Vec<AnimalId>,
    pub count: u32,
    /// The act that calls for it.
    pub because_of: ActId,
    /// The first day it is due; the day asked for when it is a protocol step.
    pub due_from: NaiveDate,
}

/// An act with the farm and day of its visit.
struct Dated<'a> {
    act: &'a Act,
    farm: &'a Ede,
    day: NaiveDate,
}

/// The follow-ups due on `day`, from the visits and the current (corrections applied) acts of
/// the days before. Sorted by farm, then act, then the act that calls for it.
pub fn due_follow_ups(
    day: NaiveDate,
    visits: &[Visit],
    acts: &[Act],
    settings: &FollowUpSettings,
) -> Vec<FollowUp> {
    let by_id: BTreeMap<_, _> = visits.iter().map(|v| (&v.id, v)).collect();
    let dated: Vec<Dated> = acts
        .iter()
        .filter_map(|a| {
            let v = by_id.get(&a.visit)?;
            let d = a.at.as_ref().map_or(v.day, crate::domain::paris_day);
            (d <= day).then_some(Dated {
                act: a,
                farm: &v.farm,
                day: d,
            })
        })
        .collect();
    let mut out = Vec::new();
    for ins in dated
        .iter()
        .filter(|d| d.act.kind.family() == Family::Insemination)
    {
        if let Some(f) = pregnancy_check(day, ins, &dated, settings) {
            out.push(f);
        }
    }
    for start in &dated {
        out.extend(protocol_steps(day, start, &dated, settings));
    }
    out.sort_by(|a, b| {
        (&a.farm, a.act, &a.because_of, a.due_from).cmp(&(
            &b.farm,
            b.act,
            &b.because_of,
            b.due_from,
        ))
    });
    out
}

/// The check an insemination calls for on `day`, if still due.
fn pregnancy_check(
    day: NaiveDate,
    ins: &Dated,
    all: &[Dated],
    s: &FollowUpSettings,
) -> Option<FollowUp> {
    let species = ins.act.kind.species()?;
    let palpation = s.palpation && species == Species::Bovine;
    let (kind, after) = if palpation {
        (ActKind::GestationPalpation, s.palpation_from_days)
    } else {
        (ultrasound_of(species), s.ultrasound_from_days)
    };
    let due_from = ins.day.checked_add_days(Days::new(u64::from(after)))?;
    let until = due_from.checked_add_days(Days::new(u64::from(s.offer_for_days)))?;
    if day < due_from || day > until {
        return None;
    }
    let same_animals = |other: &Act| shares_animals(ins.act, other);
    let later =
        |d: &&Dated| d.farm == ins.farm && d.day > ins.day && d.act.kind.species() == Some(species);
    // A later insemination of the same animal means this one failed: the next one counts.
    if all
        .iter()
        .filter(later)
        .any(|d| d.act.kind.family() == Family::Insemination && same_animals(d.act))
    {
        return None;
    }
    let checks: Vec<&Dated> = all
        .iter()
        .filter(later)
        .filter(|d| d.act.kind.family() == Family::PregnancyCheck)
        .collect();
    let mut animals = ins.act.animals.clone();
    if animals.is_empty() {
        // A lot without numbers: any later check of the species on the farm settles it.
        if !checks.is_empty() {
            return None;
        }
    } else {
        animals.retain(|a| {
            !checks
                .iter()
                .any(|c| c.act.animals.contains(a) || c.act.animals.is_empty())
        });
        if animals.is_empty() {
            return None;
        }
    }
    let count = if animals.is_empty() {
        ins.act.count
    } else {
        animals.len() as u32
    };
    Some(FollowUp {
        farm: ins.farm.clone(),
        kind: FollowUpKind::PregnancyCheck,
        act: kind,
        animals,
        count,
        because_of: ins.act.id.clone(),
        due_from,
    })
}

fn ultrasound_of(species: Species) -> ActKind {
    match species {
        Species::Bovine => ActKind::EchoBovine,
        Species::Caprine => ActKind::EchoCaprine,
        Species::Ovine => ActKind::EchoOvine,
        Species::Porcine => ActKind::EchoPorcine,
    }
}

/// Whether two acts concern the same animals: some number in common, or no numbers on
/// either (a lot, which can only be told apart by farm and day).
fn shares_animals(a: &Act, b: &Act) -> bool {
    if a.animals.is_empty() || b.animals.is_empty() {
        return a.animals.is_empty() && b.animals.is_empty();
    }
    a.animals.iter().any(|x| b.animals.contains(x))
}

/// The steps of the protocol `start` begins that fall on `day` and are not done yet.
fn protocol_steps(
    day: NaiveDate,
    start: &Dated,
    all: &[Dated],
    s: &FollowUpSettings,
) -> Vec<FollowUp> {
    let Some(protocol) = s.protocols.iter().find(|p| p.start == start.act.kind) else {
        return Vec::new();
    };
    // An act that is itself a step of a protocol started earlier starts nothing.
    let is_step = all.iter().any(|d| {
        d.farm == start.farm
            && d.day < start.day
            && !std::ptr::eq(d.act, start.act)
            && shares_animals(d.act, start.act)
            && s.protocols.iter().any(|p| {
                p.start == d.act.kind
                    && p.steps.iter().any(|(days, kind)| {
                        *kind == start.act.kind
                            && d.day.checked_add_days(Days::new(u64::from(*days)))
                                == Some(start.day)
                    })
            })
    });
    if is_step {
        return Vec::new();
    }
    let mut out = Vec::new();
    for (i, (days, kind)) in protocol.steps.iter().enumerate() {
        if start.day.checked_add_days(Days::new(u64::from(*days))) != Some(day) {
            continue;
        }
        let done = all.iter().any(|d| {
            d.farm == start.farm
                && d.day == day
                && d.act.kind == *kind
                && shares_animals(d.act, start.act)
        });
        if done {
            continue;
        }
        out.push(FollowUp {
            farm: start.farm.clone(),
            kind: FollowUpKind::SynchronisationStep {
                step: u8::try_from(i + 1).unwrap_or(u8::MAX),
            },
            act: *kind,
            animals: start.act.animals.clone(),
            count: start.act.count,
            because_of: start.act.id.clone(),
            due_from: day,
        });
    }
    out
}

/// The follow-ups of a day as proposed visits: per farm, what to ask for (one request per act
/// kind, animals summed), ready for [`super::service_seconds`].
pub fn proposed_visits(follow_ups: &[FollowUp]) -> Vec<(Ede, Vec<Request>)> {
    let mut farms: BTreeMap<&Ede, BTreeMap<ActKind, u32>> = BTreeMap::new();
    for f in follow_ups {
        *farms.entry(&f.farm).or_default().entry(f.act).or_default() += f.count;
    }
    farms
        .into_iter()
        .map(|(farm, kinds)| {
            let requests = kinds
                .into_iter()
                .map(|(kind, count)| Request {
                    kind,
                    count: count.min(crate::domain::act::MAX_LOT),
                })
                .collect();
            (farm.clone(), requests)
        })
        .collect()
}

/// The follow-ups due on `day` for the farms `technician` visited in the days that can still
/// call for one, read from the store: the farms' visits by anyone (a check another
/// technician did settles it), cancelled visits left out, corrections applied.
pub fn due_follow_ups_in_store(
    store: &crate::log::Store,
    technician: &crate::domain::TechnicianId,
    day: NaiveDate,
    settings: &FollowUpSettings,
) -> Result<Vec<FollowUp>, crate::log::LogError> {
    let longest_step = settings
        .protocols
        .iter()
        .flat_map(|p| p.steps.iter().map(|(d, _)| *d))
        .max()
        .unwrap_or(0);
    let lookback = settings
        .ultrasound_from_days
        .max(settings.palpation_from_days)
        .saturating_add(settings.offer_for_days)
        .max(longest_step);
    let from = day
        .checked_sub_days(Days::new(u64::from(lookback)))
        .unwrap_or(NaiveDate::MIN);
    let mut farms: Vec<Ede> = store
        .visits_between(technician, from, day)?
        .into_iter()
        .map(|v| v.farm)
        .collect();
    farms.sort();
    farms.dedup();
    let (mut visits, mut acts) = (Vec::new(), Vec::new());
    for farm in &farms {
        for v in store.visits_of_farm(farm)? {
            if v.day < from || v.day > day || store.cancellation(&v.id)?.is_some() {
                continue;
            }
            acts.extend(store.acts_of(&v.id)?);
            visits.push(v);
        }
    }
    Ok(due_follow_ups(day, &visits, &acts, settings))
}
