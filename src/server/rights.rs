//! Who may write what, and who may read it: the server's rules, as pure functions over what
//! the server knows of visits, acts and farms.
//!
//! Writing: a technician writes their own acts, visits, stock and time; a supervisor writes
//! reviews and reassignments (and plans visits) for their team; a farmer writes confirmations
//! or disputes of their own farm's visits. Reading: every event is tagged with the technician
//! it is personal to, or the farm it is about (and whether the farmer may read it). A
//! technician reads their personal events and every event of the farms whose visits were ever
//! assigned to them (a replacement needs the herd's history); a supervisor reads what their
//! team reads; a farmer reads their farm's public events. Scope only grows, so a device never
//! has to forget what it received.

use std::collections::{BTreeSet, HashMap, HashSet};

use crate::domain::{ActId, Confirmation, Ede, Farm, Payload, TechnicianId, VisitId};
use crate::sync::Role;

/// What the server knows of a visit: its farm, and every technician it was assigned to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VisitFacts {
    pub farm: Ede,
    pub technicians: BTreeSet<TechnicianId>,
}

/// What the rules need to know, fetched before checking a batch and updated as it goes (a
/// batch may record a visit, then acts on it).
#[derive(Debug, Clone, Default)]
pub struct Facts {
    pub visits: HashMap<VisitId, VisitFacts>,
    pub acts: HashMap<ActId, VisitId>,
    /// Farms with at least one visit on the server.
    pub farms_with_visits: HashSet<Ede>,
    /// Farms in the scope of the writing account's technicians.
    pub granted: HashSet<Ede>,
}

/// Who may read an event.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tags {
    /// Personal to this technician (records, stock, time, reviews, round orders).
    pub technician: Option<TechnicianId>,
    /// About this farm.
    pub farm: Option<Ede>,
    /// The farm's farmer may read it.
    pub public: bool,
    /// Every technician and supervisor reads it (the company's record, from a supervisor).
    pub staff: bool,
}

/// What storing an event changes in the server's indexes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Effects {
    pub visits: Vec<(VisitId, Ede)>,
    pub assignments: Vec<(VisitId, TechnicianId)>,
    pub grants: Vec<(TechnicianId, Ede)>,
    pub acts: Vec<(ActId, VisitId)>,
}

/// The technicians whose scope an account reads (and on whose behalf it may write).
pub fn technicians_of(role: &Role) -> Vec<TechnicianId> {
    match role {
        Role::Technician { id, .. } => vec![id.clone()],
        Role::Supervisor { team, .. } => team.clone(),
        Role::Farmer { .. } => Vec::new(),
    }
}

/// Visits and acts a payload names, to fetch their facts before checking.
pub fn references(payload: &Payload, visits: &mut BTreeSet<VisitId>, acts: &mut BTreeSet<ActId>) {
    match payload {
        Payload::VisitRecorded(v) => {
            visits.insert(v.id.clone());
        }
        Payload::ActRecorded(a) => {
            visits.insert(a.visit.clone());
        }
        Payload::ActCorrected {
            act, replacement, ..
        } => {
            acts.insert(act.clone());
            if let Some(r) = replacement {
                visits.insert(r.visit.clone());
            }
        }
        Payload::DeclarationsSent { acts: ids, .. } => {
            acts.extend(ids.iter().cloned());
        }
        Payload::VisitConfirmed { visit, .. }
        | Payload::AnomalyNoted { visit, .. }
        | Payload::VisitReassigned { visit, .. }
        | Payload::VisitCancelled { visit, .. }
        | Payload::DisputeAnswered { visit, .. }
        | Payload::ArrivalExpected { visit, .. } => {
            visits.insert(visit.clone());
        }
        _ => {}
    }
}

/// The farm a payload is about without naming a visit, to fetch whether it is in scope.
pub fn farm_named(payload: &Payload) -> Option<&Ede> {
    match payload {
        Payload::FarmRecorded(f) => Some(&f.ede),
        Payload::AdviceWritten { farm, .. } | Payload::ClosedHoursRecorded { farm, .. } => {
            Some(farm)
        }
        _ => None,
    }
}

/// Advice to a farm: written by one of `who` (signed as them), about a farm in their scope,
/// and read by that farm's farmer (it goes in the yearly report).
fn advice_written(
    farm: &Ede,
    technician: &TechnicianId,
    who: &[TechnicianId],
    facts: &Facts,
) -> Verdict {
    own("technician", technician, who)?;
    if !facts.granted.contains(farm) {
        return Err(format!("farm {farm} is not in this account's scope"));
    }
    Ok((farm_tags(farm, true), Effects::default()))
}

/// A rule's answer on one event: who may read it and what it changes, or why it is refused.
type Verdict = Result<(Tags, Effects), String>;

fn personal(t: &TechnicianId) -> Tags {
    Tags {
        technician: Some(t.clone()),
        ..Tags::default()
    }
}

fn farm_tags(farm: &Ede, public: bool) -> Tags {
    Tags {
        farm: Some(farm.clone()),
        public,
        ..Tags::default()
    }
}

/// Read by its author's account only: what concerns nobody else (a technician's own copy of
/// the company's record, from an import).
fn author_only() -> Tags {
    Tags::default()
}

/// Whether every act is known and recorded at a visit of one of `who`.
fn acts_of(facts: &Facts, acts: &[ActId], who: &[TechnicianId]) -> Result<(), String> {
    for act in acts {
        let visit = facts
            .acts
            .get(act)
            .ok_or_else(|| format!("act {act} is unknown to the server"))?;
        facts.visit_of(visit, who)?;
    }
    Ok(())
}

impl Facts {
    fn visit(&self, id: &VisitId) -> Result<&VisitFacts, String> {
        self.visits
            .get(id)
            .ok_or_else(|| format!("visit {id} is unknown to the server"))
    }

    /// The visit, if one of `who` was ever assigned to it.
    fn visit_of(&self, id: &VisitId, who: &[TechnicianId]) -> Result<&VisitFacts, String> {
        let v = self.visit(id)?;
        if who.iter().any(|t| v.technicians.contains(t)) {
            Ok(v)
        } else {
            Err(format!("visit {id} was never assigned to {}", names(who)))
        }
    }

    /// Records what an accepted event changed, so the rest of the batch sees it.
    pub fn apply(&mut self, effects: &Effects) {
        for (visit, farm) in &effects.visits {
            self.visits.entry(visit.clone()).or_insert(VisitFacts {
                farm: farm.clone(),
                technicians: BTreeSet::new(),
            });
            self.farms_with_visits.insert(farm.clone());
        }
        for (visit, t) in &effects.assignments {
            if let Some(v) = self.visits.get_mut(visit) {
                v.technicians.insert(t.clone());
            }
        }
        for (_, farm) in &effects.grants {
            self.granted.insert(farm.clone());
        }
        for (act, visit) in &effects.acts {
            self.acts.insert(act.clone(), visit.clone());
        }
    }
}

fn names(who: &[TechnicianId]) -> String {
    match who {
        [one] => format!("technician {one}"),
        _ => format!(
            "the team ({})",
            who.iter()
                .map(|t| t.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

/// Whether `role` may write `payload`; if so, the event's tags and what it changes.
pub fn check(role: &Role, facts: &Facts, payload: &Payload) -> Verdict {
    match role {
        Role::Technician { id, .. } => check_technician(id, facts, payload),
        Role::Supervisor { id, team } => check_supervisor(id, team, facts, payload),
        Role::Farmer { farm } => check_farmer(farm, facts, payload),
    }
}

fn own(field: &str, t: &TechnicianId, me: &[TechnicianId]) -> Result<(), String> {
    if me.contains(t) {
        Ok(())
    } else {
        Err(format!("{field} is {t}, not {}", names(me)))
    }
}

/// A visit recorded (new, or updated) by one of `me`.
fn visit_recorded(v: &crate::domain::Visit, me: &[TechnicianId], facts: &Facts) -> Verdict {
    own("visit.technician", &v.technician, me)?;
    let mut effects = Effects::default();
    match facts.visits.get(&v.id) {
        Some(known) => {
            facts.visit_of(&v.id, me)?;
            if known.farm != v.farm {
                return Err(format!(
                    "visit {} is at farm {}, not {}",
                    v.id, known.farm, v.farm
                ));
            }
        }
        None => effects.visits.push((v.id.clone(), v.farm.clone())),
    }
    effects
        .assignments
        .push((v.id.clone(), v.technician.clone()));
    effects.grants.push((v.technician.clone(), v.farm.clone()));
    Ok((farm_tags(&v.farm, true), effects))
}

fn farm_recorded(ede: &Ede, facts: &Facts) -> Verdict {
    if facts.farms_with_visits.contains(ede) && !facts.granted.contains(ede) {
        return Err(format!("farm {ede} is not in this account's scope"));
    }
    Ok((farm_tags(ede, true), Effects::default()))
}

fn check_technician(me: &TechnicianId, facts: &Facts, payload: &Payload) -> Verdict {
    let me = std::slice::from_ref(me);
    let on_visit = |visit: &VisitId, public: bool| -> Verdict {
        let v = facts.visit_of(visit, me)?;
        Ok((farm_tags(&v.farm, public), Effects::default()))
    };
    match payload {
        Payload::TechnicianRecorded(t) => {
            own("technician.id", &t.id, me)?;
            Ok((personal(&t.id), Effects::default()))
        }
        // The farm's milking hours are part of its record: the same rule.
        Payload::FarmRecorded(Farm { ede, .. })
        | Payload::ClosedHoursRecorded { farm: ede, .. } => farm_recorded(ede, facts),
        Payload::VisitRecorded(v) => visit_recorded(v, me, facts),
        Payload::ActRecorded(a) => {
            let (tags, mut effects) = on_visit(&a.visit, true)?;
            effects.acts.push((a.id.clone(), a.visit.clone()));
            Ok((tags, effects))
        }
        Payload::ActCorrected {
            act, replacement, ..
        } => {
            let visit = facts
                .acts
                .get(act)
                .ok_or_else(|| format!("act {act} is unknown to the server"))?;
            let (tags, mut effects) = on_visit(visit, true)?;
            if let Some(r) = replacement {
                on_visit(&r.visit, true)?;
                effects.acts.push((r.id.clone(), r.visit.clone()));
            }
            Ok((tags, effects))
        }
        Payload::VisitConfirmed {
            visit,
            confirmation,
        } => match confirmation {
            Confirmation::Signed { .. } | Confirmation::InstructionsLeft { .. } => {
                on_visit(visit, true)
            }
            _ => Err("a later confirmation or a dispute is the farmer's to write".into()),
        },
        Payload::AnomalyNoted { visit, .. } => on_visit(visit, false),
        // The arrival window is the farmer's to read, and only that farm's.
        Payload::VisitCancelled { visit, .. }
        | Payload::DisputeAnswered { visit, .. }
        | Payload::ArrivalExpected { visit, .. } => on_visit(visit, true),
        Payload::DosesReceived { technician, .. }
        | Payload::StockCorrected { technician, .. }
        | Payload::TimeDeclared { technician, .. }
        | Payload::RoundOrdered { technician, .. } => {
            own("technician", technician, me)?;
            Ok((personal(technician), Effects::default()))
        }
        Payload::WeekReviewed { .. } | Payload::VisitReassigned { .. } => {
            Err("only a supervisor writes this".into())
        }
        // A technician's tablet may hold the company's record from an import: kept for the
        // technician and whoever reads their time (their supervisor, who reviews it with the
        // same grid); other technicians' figures do not change.
        Payload::CompanyRecorded(_) => Ok((personal(&me[0]), Effects::default())),
        Payload::DeclarationsSent { acts, .. } => {
            acts_of(facts, acts, me)?;
            Ok((personal(&me[0]), Effects::default()))
        }
        Payload::DeclarationsAcknowledged { .. } => Ok((personal(&me[0]), Effects::default())),
        Payload::AdviceWritten {
            farm, technician, ..
        } => advice_written(farm, technician, me, facts),
    }
}

fn check_supervisor(
    me: &crate::domain::SupervisorId,
    team: &[TechnicianId],
    facts: &Facts,
    payload: &Payload,
) -> Verdict {
    let signed_as_me = |supervisor: &crate::domain::SupervisorId| {
        if supervisor == me {
            Ok(())
        } else {
            Err(format!("supervisor is {supervisor}, not {me}"))
        }
    };
    match payload {
        Payload::WeekReviewed {
            technician,
            supervisor,
            ..
        } => {
            signed_as_me(supervisor)?;
            own("technician", technician, team)?;
            Ok((personal(technician), Effects::default()))
        }
        Payload::VisitReassigned {
            visit,
            to,
            supervisor,
            ..
        } => {
            signed_as_me(supervisor)?;
            own("to", to, team)?;
            let v = facts.visit_of(visit, team)?;
            let effects = Effects {
                assignments: vec![(visit.clone(), to.clone())],
                grants: vec![(to.clone(), v.farm.clone())],
                ..Effects::default()
            };
            Ok((farm_tags(&v.farm, false), effects))
        }
        Payload::VisitRecorded(v) => visit_recorded(v, team, facts),
        Payload::VisitCancelled { visit, .. } | Payload::DisputeAnswered { visit, .. } => {
            let v = facts.visit_of(visit, team)?;
            Ok((farm_tags(&v.farm, true), Effects::default()))
        }
        Payload::RoundOrdered { technician, .. } => {
            own("technician", technician, team)?;
            Ok((personal(technician), Effects::default()))
        }
        Payload::TechnicianRecorded(t) => {
            own("technician.id", &t.id, team)?;
            Ok((personal(&t.id), Effects::default()))
        }
        Payload::FarmRecorded(Farm { ede, .. })
        | Payload::ClosedHoursRecorded { farm: ede, .. } => farm_recorded(ede, facts),
        Payload::CompanyRecorded(_) => Ok((
            Tags {
                staff: true,
                ..Tags::default()
            },
            Effects::default(),
        )),
        // Declarations sent from the office for the team: kept with the supervisor's account.
        Payload::DeclarationsSent { acts, .. } => {
            acts_of(facts, acts, team)?;
            Ok((author_only(), Effects::default()))
        }
        Payload::DeclarationsAcknowledged { .. } => Ok((author_only(), Effects::default())),
        Payload::AdviceWritten {
            farm, technician, ..
        } => advice_written(farm, technician, team, facts),
        _ => Err("a supervisor does not write acts, stock or time".into()),
    }
}

fn check_farmer(farm: &Ede, facts: &Facts, payload: &Payload) -> Verdict {
    match payload {
        Payload::VisitConfirmed {
            visit,
            confirmation: Confirmation::ConfirmedLater { .. } | Confirmation::Disputed { .. },
        } => {
            let v = facts.visit(visit)?;
            if &v.farm != farm {
                return Err(format!("visit {visit} is not at farm {farm}"));
            }
            Ok((farm_tags(farm, true), Effects::default()))
        }
        _ => Err("a farmer writes only confirmations or disputes of their visits".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::SupervisorId;

    fn t(id: &str) -> TechnicianId {
        TechnicianId::parse("t", id).unwrap()
    }

    fn ede(e: &str) -> Ede {
        Ede::parse("ede", e).unwrap()
    }

    fn advice(farm: &str, by: &str) -> Payload {
        Payload::AdviceWritten {
            farm: ede(farm),
            year: 2026,
            technician: t(by),
            text: "Détecter les chaleurs".into(),
        }
    }

    fn facts() -> Facts {
        Facts {
            granted: [ede("53161001")].into_iter().collect(),
            ..Facts::default()
        }
    }

    #[test]
    fn advice_is_written_for_a_farm_in_scope_and_read_by_its_farmer() {
        let technician = Role::Technician {
            id: t("T01"),
            name: "Julie Moreau".into(),
        };
        let (tags, effects) = check(&technician, &facts(), &advice("53161001", "T01")).unwrap();
        assert_eq!(tags, farm_tags(&ede("53161001"), true));
        assert_eq!(effects, Effects::default());
        let supervisor = Role::Supervisor {
            id: SupervisorId::parse("s", "S01").unwrap(),
            team: vec![t("T01")],
        };
        assert!(check(&supervisor, &facts(), &advice("53161001", "T01")).is_ok());
    }

    #[test]
    fn advice_is_refused_out_of_scope_signed_as_another_or_from_a_farmer() {
        let technician = Role::Technician {
            id: t("T01"),
            name: "Julie Moreau".into(),
        };
        let err = check(&technician, &facts(), &advice("53161002", "T01")).unwrap_err();
        assert!(err.contains("not in this account's scope"), "{err}");
        let err = check(&technician, &facts(), &advice("53161001", "T02")).unwrap_err();
        assert!(err.contains("T02"), "{err}");
        let farmer = Role::Farmer {
            farm: ede("53161001"),
        };
        assert!(check(&farmer, &facts(), &advice("53161001", "T01")).is_err());
    }

    #[test]
    fn the_farm_of_advice_is_fetched_before_checking() {
        assert_eq!(
            farm_named(&advice("53161001", "T01")),
            Some(&ede("53161001"))
        );
    }

    fn closed_hours(farm: &str) -> Payload {
        Payload::ClosedHoursRecorded {
            farm: ede(farm),
            closed: vec![crate::domain::ClosedSpan {
                from: 17 * 60,
                to: 18 * 60 + 30,
            }],
        }
    }

    #[test]
    fn closed_hours_are_set_as_the_farm_is_edited_and_read_by_its_farmer() {
        let technician = Role::Technician {
            id: t("T01"),
            name: "Julie Moreau".into(),
        };
        let supervisor = Role::Supervisor {
            id: SupervisorId::parse("s", "S01").unwrap(),
            team: vec![t("T01")],
        };
        // Another's farm: it has visits on the server, none of this account's.
        let facts = Facts {
            farms_with_visits: [ede("53161001"), ede("53161002")].into_iter().collect(),
            ..facts()
        };
        assert_eq!(
            farm_named(&closed_hours("53161002")),
            Some(&ede("53161002"))
        );
        for role in [&technician, &supervisor] {
            let (tags, effects) = check(role, &facts, &closed_hours("53161001")).unwrap();
            assert_eq!(tags, farm_tags(&ede("53161001"), true));
            assert_eq!(effects, Effects::default());
            let err = check(role, &facts, &closed_hours("53161002")).unwrap_err();
            assert!(err.contains("not in this account's scope"), "{err}");
        }
        let farmer = Role::Farmer {
            farm: ede("53161001"),
        };
        assert!(check(&farmer, &facts, &closed_hours("53161001")).is_err());
    }
}
