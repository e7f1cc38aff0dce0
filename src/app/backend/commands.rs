//! Carrying out the screens' commands: check, then append, on the worker thread.
//!
//! A command is checked whole before anything is written: the domain's own validation, the
//! visit and the technician it concerns, and for an insemination the known causes of wrong
//! declarations (`declare::check_insemination`), the doses in the tank, and the insemination
//! record it must make (`InseminationRecord`: a missing field is named and nothing is
//! recorded). Then the events go in one append, durable when it returns: only then is the
//! command answered "saved".

use super::Worker;
use crate::app::model::{Command, Outcome, Refusal};
use crate::app::prefs;
use crate::declare::CheckError;
use crate::domain::{
    Act, ActId, AnomalyKind, BullId, Confirmation, DomainError, Ede, Payload, Request,
    ReviewDecision, Straw, SupervisorId, Technician, TechnicianId, Urgency, VisitId, Week,
    check_text, supervision,
};
use crate::log::LogError;

impl From<LogError> for Refusal {
    fn from(e: LogError) -> Refusal {
        match e {
            LogError::Refused(d) => Refusal::Invalid(d),
            other => Refusal::Storage(other.to_string()),
        }
    }
}

impl From<DomainError> for Refusal {
    fn from(e: DomainError) -> Refusal {
        Refusal::Invalid(e)
    }
}

fn invalid(field: &str, value: &str, expected: &str) -> Refusal {
    Refusal::Invalid(DomainError::invalid(field, value, expected))
}

/// A reason as typed: trimmed, and checked like any text.
fn reason_text(field: &str, reason: &str) -> Result<String, Refusal> {
    let r = reason.trim();
    check_text(field, r, 1)?;
    Ok(r.to_owned())
}

/// The same confirmation, dated `at` (the backend's clock, not the screen's).
fn dated(c: Confirmation, at: crate::domain::Instant) -> Confirmation {
    match c {
        Confirmation::Signed {
            signer, strokes, ..
        } => Confirmation::Signed {
            at,
            signer,
            strokes,
        },
        Confirmation::InstructionsLeft { .. } => Confirmation::InstructionsLeft { at },
        Confirmation::ConfirmedLater { comment, .. } => {
            Confirmation::ConfirmedLater { at, comment }
        }
        Confirmation::Disputed { comment, .. } => Confirmation::Disputed { at, comment },
    }
}

impl Worker {
    /// Carries a command out and says how it went.
    pub(super) fn carry_out(&mut self, command: Command) -> Outcome {
        let result = match command {
            Command::LoadDemo => self.load_demo(),
            // Only a damaged store is recovered, before the worker exists.
            Command::RecoverStore => Err(Refusal::Storage(
                "the store is not damaged: nothing to recover".into(),
            )),
            Command::AddCall {
                farm,
                requested,
                urgency,
            } => self.add_call(farm, requested, urgency),
            Command::StartVisit(id) => self.start_visit(&id),
            Command::FinishVisit(id) => self.finish_visit(&id),
            Command::RecordAct { act, reason } => self.record_act(act, reason),
            Command::CorrectAct {
                act,
                replacement,
                reason,
            } => self.correct_act(&act, replacement, &reason),
            Command::NoteAnomaly { visit, kind, note } => self.note_anomaly(visit, kind, note),
            Command::Confirm {
                visit,
                confirmation,
            } => self.confirm(&visit, confirmation),
            Command::ReceiveDoses { straw, count } => self.receive_doses(straw, count),
            Command::CountStock {
                bull,
                counted,
                reason,
            } => self.count_stock(&bull, counted, &reason),
            Command::SaveTechnician(t) => self.save_technician(t),
            Command::SavePrefs(ui) => {
                self.prefs.ui = ui;
                self.save_prefs()
            }
            Command::SaveReaderChoice(choice) => {
                self.prefs.set_reader_choice(&choice);
                self.save_prefs()
            }
            Command::ReviewWeek {
                technician,
                week,
                decision,
            } => self.review_week(technician, week, decision),
            Command::Reassign { visits, to } => self.reassign(visits, to),
            Command::AnswerDispute { visit, note } => self.answer_dispute(visit, &note),
            Command::OrderRound(order) => self.order_round(order),
            Command::PlanRound => self.plan_round(),
            Command::CancelVisit { visit, reason } => self.cancel_visit(visit, &reason),
            Command::WriteAdvice { farm, year, text } => self.write_advice(farm, year, &text),
            Command::SaveYearReport { farm, year } => self.save_year_report(farm, year),
            Command::SetClosedHours { farm, closed } => self.set_closed_hours(farm, closed),
            // The worker's loop hands these to the sync thread before they could reach here.
            Command::Enroll { .. } | Command::SyncNow | Command::Adopt { .. } => Err(
                Refusal::Storage("enrolment, sync and adoption are the worker loop's".to_owned()),
            ),
        };
        match result {
            Ok(o) => o,
            Err(r) => Outcome::Refused(r),
        }
    }

    fn saved() -> Result<Outcome, Refusal> {
        Ok(Outcome::Saved {
            forfait_seconds: None,
        })
    }

    fn me(&self) -> Result<TechnicianId, Refusal> {
        self.technician.clone().ok_or(Refusal::NoTechnician)
    }

    fn save_prefs(&self) -> Result<Outcome, Refusal> {
        prefs::save(&self.dir, &self.prefs)
            .map_err(|e| Refusal::Storage(format!("{}: {e}", prefs::path(&self.dir).display())))?;
        Self::saved()
    }

    fn load_demo(&mut self) -> Result<Outcome, Refusal> {
        if self.enrolled() {
            // Demo farms and acts would go to the cooperative's server as real ones.
            return Err(Refusal::Sync(
                crate::app::model::SyncProblem::AlreadyEnrolled,
            ));
        }
        crate::demo::load(&self.store, self.today())?;
        self.reload_rules();
        if self.technician.is_none() {
            self.technician = Some(TechnicianId::parse("technician", crate::demo::TECHNICIAN)?);
            self.prefs.technician = self.technician.as_ref().map(|t| t.to_string());
            self.save_prefs()?;
        }
        Self::saved()
    }

    /// A new visit id for today: numbered after the day's visits, with this device's id so
    /// two tablets never make the same one.
    fn new_visit_id(&self, technician: &TechnicianId) -> Result<VisitId, Refusal> {
        let day = self.today();
        let device = self.store.device().to_string();
        let device = device.get(..6).unwrap_or(&device);
        let mut n = self.store.visits_on(technician, day)?.len() + 1;
        loop {
            let id = VisitId::parse(
                "visit",
                &format!("V{}-{n:02}-{device}", day.format("%Y%m%d")),
            )?;
            if self.store.visit(&id)?.is_none() {
                return Ok(id);
            }
            n += 1;
        }
    }

    fn add_call(
        &mut self,
        farm: Ede,
        requested: Vec<Request>,
        urgency: Urgency,
    ) -> Result<Outcome, Refusal> {
        let technician = self.me()?;
        if self.store.farm(&farm)?.is_none() {
            return Err(invalid("farm", farm.as_str(), "a farm of the list"));
        }
        if requested.is_empty() {
            return Err(invalid(
                "requested",
                "nothing",
                "at least one act asked for",
            ));
        }
        let visit = crate::domain::Visit {
            id: self.new_visit_id(&technician)?,
            technician,
            farm,
            day: self.today(),
            requested,
            urgency,
            window: None,
            arrived: None,
            left: None,
            travel_km: None,
            note: None,
        };
        visit.validate("visit")?;
        self.store.append(vec![Payload::VisitRecorded(visit)])?;
        Self::saved()
    }

    fn visit(&self, id: &VisitId, field: &str) -> Result<crate::domain::Visit, Refusal> {
        self.store
            .visit(id)?
            .ok_or_else(|| invalid(field, id.as_str(), "a visit of your round"))
    }

    fn start_visit(&mut self, id: &VisitId) -> Result<Outcome, Refusal> {
        let mut visit = self.visit(id, "visit")?;
        if visit.arrived.is_none() {
            visit.arrived = Some(self.now());
            visit.validate("visit")?;
            self.store.append(vec![Payload::VisitRecorded(visit)])?;
        }
        Self::saved()
    }

    fn finish_visit(&mut self, id: &VisitId) -> Result<Outcome, Refusal> {
        let mut visit = self.visit(id, "visit")?;
        let now = self.now();
        visit.arrived.get_or_insert(now);
        visit.left = Some(now);
        visit.validate("visit")?;
        self.store.append(vec![Payload::VisitRecorded(visit)])?;
        Self::saved()
    }

    /// The first act id of the visit not taken (corrections take numbers too).
    fn new_act_id(&self, visit: &VisitId) -> Result<ActId, Refusal> {
        let mut n = self.store.act_history(visit)?.len();
        loop {
            let id = ActId::nth_of(visit, n);
            if self.store.act(&id)?.is_none() {
                return Ok(id);
            }
            n += 1;
        }
    }

    /// Enough doses of the act's bull in the tank; `credit`: an act being replaced, whose
    /// doses go back into the tank in the same event.
    fn check_doses(
        &self,
        technician: &TechnicianId,
        act: &Act,
        credit: Option<&Act>,
    ) -> Result<(), Refusal> {
        let Some(bull) = &act.bull else {
            return Err(invalid(
                "act.bull",
                "absent",
                "the sire, chosen from the tank",
            ));
        };
        let stock = self.store.stock(technician)?;
        let mut left = stock
            .iter()
            .find(|l| &l.bull == bull)
            .map_or(0, |l| l.left());
        if let Some(old) = credit
            && old.bull.as_ref() == Some(bull)
        {
            left += i64::from(old.count);
        }
        if left <= 0 {
            return Err(invalid(
                "act.bull",
                bull.as_str(),
                "a sire with doses left in your tank",
            ));
        }
        if left < i64::from(act.count) {
            return Err(invalid(
                "act.count",
                &act.count.to_string(),
                &format!("at most {left} doses, what your tank holds of this sire"),
            ));
        }
        Ok(())
    }

    /// The insemination record the act makes, or the field it lacks.
    fn check_record(&self, act: &Act) -> Result<(), Refusal> {
        crate::declare::record_of(&self.store, act)??;
        Ok(())
    }

    fn record_act(&mut self, mut act: Act, reason: Option<String>) -> Result<Outcome, Refusal> {
        let technician = self.me()?;
        let visit = self.visit(&act.visit, "act.visit")?;
        let now = self.now();
        act.id = self.new_act_id(&visit.id)?;
        act.at = Some(now);
        let reason = match reason {
            Some(r) => Some(reason_text("reason", &r)?),
            None => None,
        };
        if let Some(r) = &reason {
            act.note = Some(match act.note.take() {
                Some(n) if !n.trim().is_empty() => format!("{n} — {r}"),
                _ => r.clone(),
            });
        }
        act.validate("act")?;
        if act.kind.uses_dose() {
            match crate::declare::check_insemination(
                &self.store,
                &technician,
                &act,
                self.today(),
                reason.as_deref(),
            ) {
                Ok(()) => {}
                Err(CheckError::Refused(e)) => return Err(Refusal::Invalid(e)),
                Err(CheckError::RecentlyInseminated { animal, on, .. }) => {
                    return Err(Refusal::RecentlyInseminated { animal, on });
                }
                Err(CheckError::Store(e)) => return Err(e.into()),
            }
            self.check_doses(&technician, &act, None)?;
            self.check_record(&act)?;
        }
        let mut payloads = Vec::with_capacity(2);
        if visit.arrived.is_none() {
            // Recording the first act is arriving: one tap less at the door.
            let mut v = visit;
            v.arrived = Some(now);
            v.validate("visit")?;
            payloads.push(Payload::VisitRecorded(v));
        }
        let forfait_seconds = self
            .grid()
            .and_then(|g| g.seconds(act.kind, act.count).ok());
        payloads.push(Payload::ActRecorded(act));
        self.store.append(payloads)?;
        Ok(Outcome::Saved { forfait_seconds })
    }

    fn correct_act(
        &mut self,
        id: &ActId,
        replacement: Option<Act>,
        reason: &str,
    ) -> Result<Outcome, Refusal> {
        let technician = self.me()?;
        let reason = reason_text("reason", reason)?;
        let old = self
            .store
            .act(id)?
            .ok_or_else(|| invalid("act", id.as_str(), "an act recorded at this visit"))?;
        if old.superseded.is_some() {
            return Err(invalid(
                "act",
                id.as_str(),
                "an act that is still current (this one was already corrected)",
            ));
        }
        let mut forfait_seconds = None;
        let replacement = match replacement {
            None => None,
            Some(mut r) => {
                r.id = self.new_act_id(&old.act.visit)?;
                r.visit = old.act.visit.clone();
                // The act happened when it happened: the correction changes what, not when.
                r.at = old.act.at.or_else(|| Some(self.now()));
                r.validate("act")?;
                if r.kind.uses_dose() {
                    self.check_doses(&technician, &r, Some(&old.act))?;
                    self.check_record(&r)?;
                }
                forfait_seconds = self.grid().and_then(|g| g.seconds(r.kind, r.count).ok());
                Some(r)
            }
        };
        self.store.append(vec![Payload::ActCorrected {
            act: id.clone(),
            replacement,
            reason,
        }])?;
        Ok(Outcome::Saved { forfait_seconds })
    }

    fn note_anomaly(
        &mut self,
        visit: VisitId,
        kind: AnomalyKind,
        note: String,
    ) -> Result<Outcome, Refusal> {
        self.visit(&visit, "visit")?;
        let note = note.trim().to_owned();
        if kind == AnomalyKind::Other {
            check_text("note", &note, 1)?;
        }
        self.store
            .append(vec![Payload::AnomalyNoted { visit, kind, note }])?;
        Self::saved()
    }

    /// The supervisor this tablet is enrolled as, and the team: only a supervisor reviews
    /// weeks and moves visits (the server checks it again).
    fn as_supervisor(&self) -> Result<(SupervisorId, Vec<TechnicianId>), Refusal> {
        self.supervisor().ok_or_else(|| {
            invalid(
                "supervisor",
                "",
                "a tablet enrolled as a supervisor: only supervisors approve and reassign",
            )
        })
    }

    fn review_week(
        &mut self,
        technician: TechnicianId,
        week: Week,
        decision: ReviewDecision,
    ) -> Result<Outcome, Refusal> {
        let (supervisor, team) = self.as_supervisor()?;
        let decision = supervision::review(&team, &technician, week, decision)?;
        self.store.append(vec![Payload::WeekReviewed {
            technician,
            week,
            supervisor,
            decision,
        }])?;
        Self::saved()
    }

    fn reassign(&mut self, visits: Vec<VisitId>, to: TechnicianId) -> Result<Outcome, Refusal> {
        let (supervisor, team) = self.as_supervisor()?;
        supervision::of_team(&team, &to, "to")?;
        if visits.is_empty() {
            return Err(invalid("visits", "", "at least one visit to move"));
        }
        let mut payloads = Vec::with_capacity(visits.len());
        for id in visits {
            let visit = self.visit(&id, "visit")?;
            supervision::reassign(&team, &visit, &to)?;
            payloads.push(Payload::VisitReassigned {
                visit: id,
                to: to.clone(),
                supervisor: supervisor.clone(),
                reason: None,
            });
        }
        self.store.append(payloads)?;
        Self::saved()
    }

    /// Calls off a visit nothing was done at yet.
    fn cancel_visit(&mut self, id: VisitId, reason: &str) -> Result<Outcome, Refusal> {
        let visit = self.visit(&id, "visit")?;
        if visit.arrived.is_some() || !self.store.acts_of(&id)?.is_empty() {
            return Err(invalid("visit", id.as_str(), "a visit not started yet"));
        }
        if self.store.cancellation(&id)?.is_some() {
            return Err(invalid("visit", id.as_str(), "a visit not called off yet"));
        }
        let reason = reason_text("reason", reason)?;
        self.store
            .append(vec![Payload::VisitCancelled { visit: id, reason }])?;
        Self::saved()
    }

    /// Records a farm's closed hours, by start (the domain checks each span and their overlap).
    fn set_closed_hours(
        &mut self,
        farm: Ede,
        mut closed: Vec<crate::domain::ClosedSpan>,
    ) -> Result<Outcome, Refusal> {
        if self.store.farm(&farm)?.is_none() {
            return Err(invalid("farm", farm.as_str(), "a farm of this tablet"));
        }
        closed.sort();
        self.store
            .append(vec![Payload::ClosedHoursRecorded { farm, closed }])?;
        Self::saved()
    }

    /// Records today's round in `order`: every id a visit of today's round, each once.
    fn order_round(&mut self, order: Vec<VisitId>) -> Result<Outcome, Refusal> {
        let technician = self.me()?;
        let day = self.today();
        let today: Vec<VisitId> = self
            .store
            .visits_on(&technician, day)?
            .into_iter()
            .map(|v| v.id)
            .collect();
        for (i, id) in order.iter().enumerate() {
            if !today.contains(id) {
                return Err(invalid("order", id.as_str(), "a visit of today's round"));
            }
            if order[..i].contains(id) {
                return Err(invalid("order", id.as_str(), "each visit once"));
            }
        }
        self.store.append(vec![Payload::RoundOrdered {
            technician,
            day,
            order,
        }])?;
        Self::saved()
    }

    /// Records the arrival windows of today's round that changed since they were last
    /// recorded (`tour::arrival`), on an enrolled tablet only: a farmer hears of them only
    /// through the server. Called after every command and sync that may move the round;
    /// `true` when something was recorded (and waits to be sent).
    pub(super) fn record_arrivals(&mut self) -> Result<bool, LogError> {
        if !matches!(crate::sync::client::credentials(&self.store), Ok(Some(_))) {
            return Ok(false);
        }
        let (Some(technician), Ok((grid, settings))) = (self.technician.clone(), &self.rules)
        else {
            return Ok(false);
        };
        // A farmer is told of today's visit only: not of a day the tablet was set to (tests,
        // screenshots, benchmarks).
        let day = self.today();
        if day != crate::domain::paris_day(&crate::domain::time::now()) {
            return Ok(false);
        }
        let planned = super::round::plan_day(
            &self.store,
            &technician,
            day,
            Some((grid, settings)),
            &self.plans,
        )?;
        let Some(plan) = &planned.plan else {
            return Ok(false);
        };
        let now = {
            use chrono::Timelike;
            crate::domain::paris_time(&self.now()).num_seconds_from_midnight()
        };
        let payloads = crate::tour::arrival::to_record(&self.store, plan, &planned.visits, now)?;
        if payloads.is_empty() {
            return Ok(false);
        }
        self.store.append(payloads)?;
        Ok(true)
    }

    /// Records today's round as the planner orders it, from the order so far.
    fn plan_round(&mut self) -> Result<Outcome, Refusal> {
        let technician = self.me()?;
        let day = self.today();
        let (grid, settings) = self
            .rules
            .as_ref()
            .map_err(|e| invalid("company", e, "the company's rules, to price the visits"))?;
        let Some(round) =
            crate::tour::day::day_round(&self.store, &technician, day, grid, settings)?
        else {
            return Err(invalid("order", "", "a round with visits to plan"));
        };
        let plan = self
            .plans
            .best(&round)
            .map_err(|e| invalid("order", &e.to_string(), "a round the planner can order"))?;
        // The planner's ids are the round's visit ids: one that does not read back is refused
        // by name rather than left out of the recorded order.
        let order = plan
            .order()
            .iter()
            .map(|id| VisitId::parse("visit", id).map_err(Refusal::Invalid))
            .collect::<Result<_, _>>()?;
        self.order_round(order)
    }

    fn answer_dispute(&mut self, visit: VisitId, note: &str) -> Result<Outcome, Refusal> {
        self.visit(&visit, "visit")?;
        if !matches!(
            self.store.confirmation(&visit)?,
            Some(Confirmation::Disputed { .. })
        ) {
            return Err(invalid(
                "visit",
                visit.as_str(),
                "a visit the farmer disputes",
            ));
        }
        let note = reason_text("note", note)?;
        self.store
            .append(vec![Payload::DisputeAnswered { visit, note }])?;
        Self::saved()
    }

    fn confirm(&mut self, id: &VisitId, confirmation: Confirmation) -> Result<Outcome, Refusal> {
        let mut visit = self.visit(id, "visit")?;
        let now = self.now();
        let mut payloads = Vec::with_capacity(2);
        if visit.left.is_none() {
            visit.arrived.get_or_insert(now);
            visit.left = Some(now);
            visit.validate("visit")?;
            payloads.push(Payload::VisitRecorded(visit));
        }
        payloads.push(Payload::VisitConfirmed {
            visit: id.clone(),
            confirmation: dated(confirmation, now),
        });
        self.store.append(payloads)?;
        Self::saved()
    }

    fn receive_doses(&mut self, straw: Straw, count: u32) -> Result<Outcome, Refusal> {
        let technician = self.me()?;
        self.store.append(vec![Payload::DosesReceived {
            technician,
            straw,
            count,
        }])?;
        Self::saved()
    }

    fn count_stock(
        &mut self,
        bull: &BullId,
        counted: u32,
        reason: &str,
    ) -> Result<Outcome, Refusal> {
        let technician = self.me()?;
        let reason = reason_text("reason", reason)?;
        let left = self
            .store
            .stock(&technician)?
            .iter()
            .find(|l| &l.bull == bull)
            .map(|l| l.left())
            .ok_or_else(|| invalid("bull", bull.as_str(), "a sire of your tank"))?;
        let delta = i64::from(counted) - left;
        if delta == 0 {
            return Err(invalid(
                "counted",
                &counted.to_string(),
                "a count different from the tank's",
            ));
        }
        let delta = i32::try_from(delta)
            .map_err(|_| invalid("counted", &counted.to_string(), "a count the tank can hold"))?;
        self.store.append(vec![Payload::StockCorrected {
            technician,
            bull: bull.clone(),
            delta,
            reason,
        }])?;
        Self::saved()
    }

    fn save_technician(&mut self, t: Technician) -> Result<Outcome, Refusal> {
        t.validate("technician")?;
        let id = t.id.clone();
        self.store.append(vec![Payload::TechnicianRecorded(t)])?;
        self.technician = Some(id.clone());
        self.prefs.technician = Some(id.to_string());
        self.save_prefs()
    }
}
