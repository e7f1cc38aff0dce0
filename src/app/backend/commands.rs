//! Carrying out the screens' commands on the worker thread: each becomes a call on the
//! core's `record` (check, then append: nothing is written when a rule refuses, and the
//! events are durable when it returns), and only then is the command answered "saved".
//!
//! What stays here is the tablet's own: which technician or supervisor this tablet is, its
//! settings file, the demo, the planner's order and the arrival windows sent to farmers.

use super::Worker;
use crate::app::model::{Command, Outcome, Refusal};
use crate::app::prefs;
use crate::domain::{
    Act, ActId, DomainError, Ede, Request, ReviewDecision, SupervisorId, Technician, TechnicianId,
    Urgency, VisitId, Week,
};
use crate::log::LogError;
use crate::record::{self, RecordError};

impl From<LogError> for Refusal {
    fn from(e: LogError) -> Refusal {
        RecordError::from(e).into()
    }
}

impl From<DomainError> for Refusal {
    fn from(e: DomainError) -> Refusal {
        Refusal::Invalid(e)
    }
}

impl From<RecordError> for Refusal {
    fn from(e: RecordError) -> Refusal {
        match e {
            RecordError::Invalid(d) => Refusal::Invalid(d),
            RecordError::RecentlyInseminated { animal, on, .. } => {
                Refusal::RecentlyInseminated { animal, on }
            }
            RecordError::Store(e) => Refusal::Storage(e.to_string()),
        }
    }
}

fn invalid(field: &str, value: &str, expected: &str) -> Refusal {
    Refusal::Invalid(DomainError::invalid(field, value, expected))
}

/// "Saved", once `recorded` went through.
fn saved(recorded: Result<(), RecordError>) -> Result<Outcome, Refusal> {
    recorded?;
    Worker::saved()
}

impl Worker {
    /// Carries a command out and says how it went.
    pub(super) fn carry_out(&mut self, command: Command) -> Outcome {
        let store = &self.store;
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
            Command::StartVisit(id) => saved(record::start_visit(store, &id, self.now())),
            Command::FinishVisit(id) => saved(record::finish_visit(store, &id, self.now())),
            Command::RecordAct { act, reason } => self.record_act(act, reason),
            Command::CorrectAct {
                act,
                replacement,
                reason,
            } => self.correct_act(&act, replacement, &reason),
            Command::NoteAnomaly { visit, kind, note } => {
                saved(record::note_anomaly(store, visit, kind, &note))
            }
            Command::Confirm {
                visit,
                confirmation,
            } => saved(record::confirm_visit(
                store,
                &visit,
                confirmation,
                self.now(),
            )),
            Command::ReceiveDoses { straw, count } => self
                .me()
                .and_then(|t| saved(record::receive_doses(store, &t, straw, count))),
            Command::CountStock {
                bull,
                counted,
                reason,
            } => self
                .me()
                .and_then(|t| saved(record::count_stock(store, &t, &bull, counted, &reason))),
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
            Command::AnswerDispute { visit, note } => {
                saved(record::answer_dispute(store, visit, &note))
            }
            Command::OrderRound(order) => self.order_round(order),
            Command::PlanRound => self.plan_round(),
            Command::CancelVisit { visit, reason } => {
                saved(record::cancel_visit(store, &visit, &reason))
            }
            Command::WriteAdvice { farm, year, text } => self.write_advice(farm, year, &text),
            Command::SaveYearReport { farm, year } => self.save_year_report(farm, year),
            Command::SetClosedHours { farm, closed } => {
                saved(record::set_closed_hours(store, farm, closed))
            }
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

    fn add_call(
        &mut self,
        farm: Ede,
        requested: Vec<Request>,
        urgency: Urgency,
    ) -> Result<Outcome, Refusal> {
        let technician = self.me()?;
        record::new_visit(
            &self.store,
            &technician,
            farm,
            requested,
            urgency,
            self.now(),
        )?;
        Self::saved()
    }

    fn record_act(&mut self, act: Act, reason: Option<String>) -> Result<Outcome, Refusal> {
        let technician = self.me()?;
        let act = record::record_act(&self.store, &technician, act, reason.as_deref(), self.now())?;
        Ok(Outcome::Saved {
            forfait_seconds: self.forfait_seconds(&act),
        })
    }

    fn correct_act(
        &mut self,
        id: &ActId,
        replacement: Option<Act>,
        reason: &str,
    ) -> Result<Outcome, Refusal> {
        let technician = self.me()?;
        let replacement = record::correct_act(
            &self.store,
            &technician,
            id,
            replacement,
            reason,
            self.now(),
        )?;
        Ok(Outcome::Saved {
            forfait_seconds: replacement.and_then(|r| self.forfait_seconds(&r)),
        })
    }

    /// The act's flat-rate time, when the company's grid prices it.
    fn forfait_seconds(&self, act: &Act) -> Option<u32> {
        self.grid()
            .and_then(|g| g.seconds(act.kind, act.count).ok())
    }

    /// The supervisor this tablet is enrolled as, and the team: only a supervisor reviews
    /// weeks and moves visits (the server checks it again).
    fn as_supervisor(&self) -> Result<(SupervisorId, Vec<TechnicianId>), Refusal> {
        self.supervisor().ok_or_else(|| {
            Refusal::Invalid(DomainError::invalid(
                "supervisor",
                "",
                "a tablet enrolled as a supervisor: only supervisors approve and reassign",
            ))
        })
    }

    fn review_week(
        &mut self,
        technician: TechnicianId,
        week: Week,
        decision: ReviewDecision,
    ) -> Result<Outcome, Refusal> {
        let (supervisor, team) = self.as_supervisor()?;
        record::review_week(&self.store, &supervisor, &team, &technician, week, decision)?;
        Self::saved()
    }

    fn reassign(&mut self, visits: Vec<VisitId>, to: TechnicianId) -> Result<Outcome, Refusal> {
        let (supervisor, team) = self.as_supervisor()?;
        record::reassign(&self.store, &supervisor, &team, &visits, &to)?;
        Self::saved()
    }

    /// Records today's round in `order`: every id a visit of today's round, each once.
    fn order_round(&mut self, order: Vec<VisitId>) -> Result<Outcome, Refusal> {
        let technician = self.me()?;
        record::order_round(&self.store, &technician, order, self.now())?;
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

    fn save_technician(&mut self, t: Technician) -> Result<Outcome, Refusal> {
        let id = t.id.clone();
        record::record_technician(&self.store, t)?;
        self.technician = Some(id.clone());
        self.prefs.technician = Some(id.to_string());
        self.save_prefs()
    }
}
