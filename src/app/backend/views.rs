//! Building the screens' views from the store, on the worker thread.
//!
//! [`Worker::screen_view`] is the one place a screen meets the function that builds its view
//! (the work-time ones are in `worktime.rs`). Each function reads what one screen shows and
//! nothing more, so a screen's refresh after a command costs only its own queries. Not for
//! deciding anything: values only.

use chrono::{Duration, NaiveDate};

use super::{Worker, round};
use crate::app::Screen;
use crate::app::model::{
    ActRow, BullChoice, CallView, CorrectedAct, Dispute, FarmChoice, FarmView, FarmVisit,
    HistoryLine, Improving, InseminationLine, NewCall, Placement, PregnancyLine, ProposedVisit,
    RestDay, RoundMap, RoundView, ScreenView, SettingsView, TankLine, TankView, TodayView,
    VisitRow, VisitView, straw_fits,
};
use crate::declare::DueState;
use crate::domain::{
    Act, Confirmation, DomainError, Ede, Family, Payload, TechnicianId, VisitId, VisitStatus,
};
use crate::log::{LogError, StockLine, VisitNote};

/// How far back Today looks for visits still awaiting the farmer or disputed.
const FOLLOW_DAYS: i64 = 45;

impl Worker {
    /// The view `screen` draws; `None` for a visit or a farm the store does not hold (the
    /// screen keeps saying it is loading).
    pub(super) fn screen_view(&self, screen: &Screen) -> Result<Option<ScreenView>, LogError> {
        Ok(Some(match screen {
            Screen::Today => ScreenView::Today(Box::new(self.today_view()?)),
            Screen::Call => ScreenView::Call(self.call_view()?),
            Screen::Visit(id) | Screen::Confirm(id) => match self.visit_view(id)? {
                Some(v) => ScreenView::Visit(Box::new(v)),
                None => return Ok(None),
            },
            Screen::Tank => ScreenView::Tank(self.tank_view()?),
            Screen::Farm(ede) => match self.farm_view(ede)? {
                Some(v) => ScreenView::Farm(Box::new(v)),
                None => return Ok(None),
            },
            Screen::MyTime => ScreenView::MyTime(self.my_time_view()),
            Screen::Declarations => ScreenView::Declarations(self.declarations_view()?),
            Screen::Team => ScreenView::Team(self.team_view()?),
            Screen::Settings => ScreenView::Settings(self.settings_view()?),
        }))
    }

    fn act_row(&self, act: Act, stock: &[StockLine]) -> ActRow {
        let bull_name = act.straw.as_ref().map(|s| s.bull_name.clone()).or_else(|| {
            let bull = act.bull.as_ref()?;
            stock
                .iter()
                .find(|l| &l.bull == bull)?
                .straw
                .as_ref()
                .map(|s| s.bull_name.clone())
        });
        ActRow {
            forfait_seconds: self
                .grid()
                .and_then(|g| g.seconds(act.kind, act.count).ok()),
            bull_name,
            act,
        }
    }

    fn stock(&self) -> Result<Vec<StockLine>, LogError> {
        match &self.technician {
            Some(t) => self.store.stock(t),
            None => Ok(Vec::new()),
        }
    }

    fn today_view(&self) -> Result<TodayView, LogError> {
        let day = self.today();
        let Some(technician) = &self.technician else {
            // An enrolled tablet is waiting for its data from the server, not for the demo.
            let store_empty = self.store.technicians()?.is_empty()
                && self.store.farms()?.is_empty()
                && !self.enrolled();
            return Ok(TodayView {
                day: Some(day),
                visits: Vec::new(),
                store_empty,
                technician: None,
                ..TodayView::default()
            });
        };
        let rules = self.rules.as_ref().ok().map(|(g, s)| (g, s));
        let planned = round::plan_day(&self.store, technician, day, rules, &self.plans)?;
        // What the server holds of this tablet's windows: they are what the farmer was told.
        let acknowledged = match crate::sync::client::status(&self.store) {
            Ok(s) if s.enrolled => self
                .store
                .head(self.store.device())?
                .map_or(0, |(seq, _)| seq)
                .saturating_sub(s.waiting_events),
            _ => 0,
        };
        let mut rows = Vec::with_capacity(planned.visits.len());
        for v in &planned.visits {
            let farm = self.store.farm(&v.farm)?;
            let acts = self.store.acts_of(&v.id)?.len();
            let confirmation = self.store.confirmation(&v.id)?;
            let mut row = VisitRow::build(v, farm.as_ref(), acts, confirmation.as_ref());
            row.told = crate::tour::arrival::told_in_store(&self.store, &v.id, acknowledged)?;
            if let Some(stop) = planned
                .plan
                .as_ref()
                .and_then(|p| p.stops.iter().find(|s| s.id == v.id.as_str()))
            {
                row.arrival =
                    chrono::NaiveTime::from_num_seconds_from_midnight_opt(stop.arrival, 0);
                row.late_seconds = stop.late_seconds;
            }
            rows.push(row);
        }
        // A planner's id that does not read back as a visit id would drop that visit from
        // the proposals without a word: the round is not shown, and the screen says why.
        let (round, round_failed) = match self.round_view(&planned, &rows) {
            Ok(r) => (r, None),
            Err(e) => {
                eprintln!("tournee: today's round not shown: {e}");
                (None, Some(e))
            }
        };
        let follow_ups = self.follow_ups(technician, day, &rows)?;
        let (awaiting, disputes) = self.to_follow(technician, day)?;
        let urgencies: Vec<DueState> = self
            .store
            .open_declarations(Some(technician))?
            .iter()
            .map(|d| d.due_state(day))
            .collect();
        Ok(TodayView {
            day: Some(day),
            visits: rows,
            store_empty: false,
            technician: self.store.technician(technician)?.map(|t| t.name),
            awaiting,
            disputes,
            declarations_late: urgencies.iter().filter(|u| **u == DueState::Late).count(),
            declarations_due_soon: urgencies
                .iter()
                .filter(|u| **u == DueState::DueSoon)
                .count(),
            round,
            round_failed,
            follow_ups,
            rest_day: self.rest_day(day)?,
        })
    }

    /// Whether `day` is a Sunday or a public holiday, and whether the store holds the demo.
    fn rest_day(&self, day: chrono::NaiveDate) -> Result<Option<RestDay>, LogError> {
        use chrono::Datelike;
        let alsace = self.rules.as_ref().is_ok_and(|(_, s)| s.alsace_moselle);
        let holiday = crate::worktime::holidays::holiday_on(day, alsace);
        if holiday.is_none() && day.weekday() != chrono::Weekday::Sun {
            return Ok(None);
        }
        Ok(Some(RestDay {
            holiday,
            demo: self.store.company()? == Some(crate::demo::company()),
        }))
    }

    /// The round's costs, map, new calls with their best places, and the follow-ups due; a
    /// planner's id that is not a visit id is refused by name.
    fn round_view(
        &self,
        planned: &round::Planned,
        rows: &[VisitRow],
    ) -> Result<Option<RoundView>, DomainError> {
        let (Some(plan), Some(day_round)) = (&planned.plan, &planned.round) else {
            return Ok(None);
        };
        let name_of = |id: &str| {
            rows.iter()
                .find(|r| r.id.as_str() == id)
                .map_or_else(|| id.to_owned(), |r| r.farm_name.clone())
        };
        let order = plan.order();
        let mut new_calls = Vec::with_capacity(planned.new_calls.len());
        for (visit, options) in &planned.new_calls {
            let mut placements = Vec::with_capacity(options.len());
            for o in options {
                let mut ids = order.clone();
                ids.insert(o.position.min(ids.len()), visit.as_str().to_owned());
                placements.push(Placement {
                    after: o.after.as_deref().map(name_of),
                    added_meters: o.added_meters,
                    added_drive_seconds: o.added_drive_seconds,
                    added_late_seconds: o.added_late_seconds,
                    fits_day: o.fits_day,
                    order: visit_ids(&ids)?,
                });
            }
            new_calls.push(NewCall {
                farm_name: name_of(visit.as_str()),
                visit: visit.clone(),
                options: placements,
            });
        }
        let location = |id: &str| {
            day_round
                .problem
                .visits
                .iter()
                .find(|v| v.id == id)
                .map(|v| v.location)
        };
        let map = RoundMap {
            home: (day_round.problem.start.lat, day_round.problem.start.lon),
            stops: plan
                .stops
                .iter()
                .filter_map(|s| location(&s.id).map(|l| (l.lat, l.lon, s.done)))
                .collect(),
        };
        Ok(Some(RoundView {
            km: plan.km(),
            drive_seconds: plan.drive_seconds,
            back_at: chrono::NaiveTime::from_num_seconds_from_midnight_opt(
                plan.back_at.min(crate::tour::DAY_SECONDS - 1),
                0,
            )
            .unwrap_or_default(),
            unplanned: visit_ids(&plan.unplanned)?,
            best: planned
                .best
                .as_ref()
                .map(|b| (b.km(), b.drive_seconds, b.late_seconds())),
            late_seconds: plan.late_seconds(),
            new_calls,
            map,
            improving: planned.improving.map(|_| {
                if day_round.recorded.is_some() {
                    Improving::Proposes
                } else {
                    Improving::Shows
                }
            }),
            improving_done: planned.improving.unwrap_or(0.0),
        }))
    }

    /// Follow-ups due today (pregnancy checks, synchronisation steps) at farms not in the
    /// round yet.
    fn follow_ups(
        &self,
        technician: &TechnicianId,
        day: NaiveDate,
        rows: &[VisitRow],
    ) -> Result<Vec<ProposedVisit>, LogError> {
        let settings = crate::tour::FollowUpSettings::default();
        let due = crate::tour::due_follow_ups_in_store(&self.store, technician, day, &settings)?;
        let mut out = Vec::new();
        for (farm, requested) in crate::tour::proposed_visits(&due) {
            if rows.iter().any(|r| r.farm == farm) {
                continue;
            }
            let reason = if requested
                .iter()
                .any(|r| r.kind.family() == Family::PregnancyCheck)
            {
                "pregnancy_check"
            } else {
                "synchronisation_step"
            };
            let farm_name = self
                .store
                .farm(&farm)?
                .map_or_else(|| farm.to_string(), |f| f.name);
            out.push(ProposedVisit {
                farm,
                farm_name,
                requested,
                reason,
            });
        }
        Ok(out)
    }

    /// The technician's visits of the last weeks still awaiting the farmer's confirmation,
    /// and those the farmer disputes, newest first.
    #[allow(clippy::type_complexity)]
    fn to_follow(
        &self,
        technician: &TechnicianId,
        today: NaiveDate,
    ) -> Result<(Vec<(NaiveDate, VisitRow)>, Vec<Dispute>), LogError> {
        let mut awaiting = Vec::new();
        let mut disputes = Vec::new();
        let from = today - Duration::days(FOLLOW_DAYS);
        let mut visits = self.store.visits_between(technician, from, today)?;
        visits.sort_by(|a, b| (b.day, &b.id).cmp(&(a.day, &a.id)));
        for v in visits {
            let Some(confirmation) = self.store.confirmation(&v.id)? else {
                continue;
            };
            let status = VisitStatus::of(&v, Some(&confirmation));
            if !matches!(
                status,
                VisitStatus::AwaitingConfirmation | VisitStatus::Disputed
            ) || self.store.cancellation(&v.id)?.is_some()
            {
                continue;
            }
            let farm = self.store.farm(&v.farm)?;
            let acts = self.store.acts_of(&v.id)?.len();
            let row = VisitRow::build(&v, farm.as_ref(), acts, Some(&confirmation));
            match confirmation {
                Confirmation::Disputed { comment, .. } => {
                    let answered = self
                        .store
                        .visit_notes(&v.id)?
                        .iter()
                        .any(|n| matches!(n, VisitNote::DisputeAnswer { .. }));
                    disputes.push(Dispute {
                        day: v.day,
                        row,
                        comment,
                        answered,
                    });
                }
                _ => awaiting.push((v.day, row)),
            }
        }
        Ok((awaiting, disputes))
    }

    /// Who did what on a visit, from its events: the technician each device writes for is
    /// not in the event, so the history names the technician a record or a reassignment
    /// names, the supervisor who moved it, and the farmer's answers.
    fn visit_history(&self, id: &VisitId) -> Result<Vec<HistoryLine>, LogError> {
        let mut out = Vec::new();
        let mut planned = false;
        let name = |t: &TechnicianId| -> Result<String, LogError> {
            Ok(self
                .store
                .technician(t)?
                .map_or_else(|| t.to_string(), |t| t.name))
        };
        for e in self.store.visit_history(id)? {
            let at = chrono::DateTime::from_timestamp_millis(e.clock.wall_ms as i64)
                .unwrap_or_default()
                .fixed_offset();
            let (what, args) = match &e.payload {
                Payload::VisitRecorded(v) if !planned => {
                    planned = true;
                    (
                        "history.planned",
                        vec![("technician", name(&v.technician)?)],
                    )
                }
                Payload::VisitReassigned { to, supervisor, .. } => (
                    "history.reassigned",
                    vec![
                        ("technician", name(to)?),
                        ("supervisor", supervisor.to_string()),
                    ],
                ),
                Payload::ActRecorded(a) => (
                    "history.act",
                    vec![
                        ("act", a.kind.id().to_owned()),
                        ("count", a.count.to_string()),
                    ],
                ),
                Payload::ActCorrected { reason, .. } => {
                    ("history.corrected", vec![("reason", reason.clone())])
                }
                Payload::VisitConfirmed { confirmation, .. } => match confirmation {
                    Confirmation::Signed { signer, .. } => {
                        ("history.signed", vec![("signer", signer.clone())])
                    }
                    Confirmation::InstructionsLeft { .. } => ("history.instructions_left", vec![]),
                    Confirmation::ConfirmedLater { .. } => ("history.confirmed_later", vec![]),
                    Confirmation::Disputed { comment, .. } => {
                        ("history.disputed", vec![("comment", comment.clone())])
                    }
                },
                Payload::DisputeAnswered { note, .. } => {
                    ("history.answered", vec![("note", note.clone())])
                }
                Payload::VisitCancelled { reason, .. } => {
                    ("history.cancelled", vec![("reason", reason.clone())])
                }
                _ => continue,
            };
            out.push(HistoryLine { at, what, args });
        }
        Ok(out)
    }

    fn visit_view(&self, id: &VisitId) -> Result<Option<VisitView>, LogError> {
        let Some(visit) = self.store.visit(id)? else {
            return Ok(None);
        };
        let farm = self.store.farm(&visit.farm)?;
        let stock = self.stock()?;
        let mut acts = Vec::new();
        let mut corrected = Vec::new();
        for a in self.store.act_history(id)? {
            let row = self.act_row(a.act, &stock);
            match a.superseded {
                None => acts.push(row),
                Some(s) => corrected.push(CorrectedAct {
                    row,
                    reason: s.reason,
                    replaced_by: s.by,
                }),
            }
        }
        let mut bulls: Vec<BullChoice> = stock
            .iter()
            .filter_map(|l| {
                Some(BullChoice {
                    straw: l.straw.clone()?,
                    left: l.left(),
                    used: u32::try_from(l.used).unwrap_or(u32::MAX),
                })
            })
            .collect();
        // The farm's species' straws first, most used first (the bulls of the day's work are
        // under the thumb), empty ones last.
        let species = farm
            .as_ref()
            .and_then(|f| f.species.first().copied())
            .unwrap_or(crate::domain::Species::Bovine);
        bulls.sort_by(|a, b| {
            let fits = |c: &BullChoice| !straw_fits(&c.straw.breed, species);
            (a.left <= 0)
                .cmp(&(b.left <= 0))
                .then(fits(a).cmp(&fits(b)))
                .then(b.used.cmp(&a.used))
                .then(a.straw.bull_name.cmp(&b.straw.bull_name))
        });
        let confirmation = self.store.confirmation(id)?;
        let row = VisitRow::build(&visit, farm.as_ref(), acts.len(), confirmation.as_ref());
        Ok(Some(VisitView {
            row,
            species: farm.as_ref().map(|f| f.species.clone()).unwrap_or_default(),
            farm_note: farm.and_then(|f| f.note),
            acts,
            corrected,
            bulls,
            confirmation,
            anomalies: self.store.anomalies(id)?,
            records: crate::record::visit_records(&self.store, id)?,
            answers: self
                .store
                .visit_notes(id)?
                .into_iter()
                .filter_map(|n| match n {
                    VisitNote::DisputeAnswer { note } => Some(note),
                    VisitNote::Anomaly { .. } => None,
                })
                .collect(),
            history: self.visit_history(id)?,
        }))
    }

    fn farm_view(&self, ede: &Ede) -> Result<Option<FarmView>, LogError> {
        let Some(farm) = self.store.farm(ede)? else {
            return Ok(None);
        };
        let stock = self.stock()?;
        let mut view = FarmView {
            closed: self.store.closed_hours(ede)?,
            farm,
            visits: Vec::new(),
            inseminations: Vec::new(),
            pregnancy_checks: Vec::new(),
            anomalies: Vec::new(),
            fertility: self.farm_fertility(ede)?,
        };
        let mut visits = self.store.visits_of_farm(ede)?;
        visits.sort_by(|a, b| (b.day, &b.id).cmp(&(a.day, &a.id)));
        for v in visits {
            if self.store.cancellation(&v.id)?.is_some() {
                continue;
            }
            let acts: Vec<ActRow> = self
                .store
                .acts_of(&v.id)?
                .into_iter()
                .map(|a| self.act_row(a, &stock))
                .collect();
            for row in &acts {
                let a = &row.act;
                match a.kind.family() {
                    Family::Insemination => view.inseminations.push(InseminationLine {
                        day: v.day,
                        animals: a.animals.clone(),
                        count: a.count,
                        bull: a.bull.clone(),
                        bull_name: row.bull_name.clone(),
                        rank: a.rank,
                    }),
                    Family::PregnancyCheck => view.pregnancy_checks.push(PregnancyLine {
                        day: v.day,
                        animals: a.animals.clone(),
                        count: a.count,
                        kind: a.kind,
                        result: a.result,
                    }),
                    _ => {}
                }
            }
            let anomalies = self.store.anomalies(&v.id)?;
            for (kind, note) in &anomalies {
                view.anomalies.push((v.day, *kind, note.clone()));
            }
            let confirmation = self.store.confirmation(&v.id)?;
            view.visits.push(FarmVisit {
                status: VisitStatus::of(&v, confirmation.as_ref()),
                id: v.id,
                day: v.day,
                acts,
                anomalies,
            });
        }
        Ok(Some(view))
    }

    fn tank_view(&self) -> Result<TankView, LogError> {
        let mut lines: Vec<TankLine> = self
            .stock()?
            .into_iter()
            .map(|l| TankLine {
                left: l.left(),
                bull: l.bull,
                straw: l.straw,
                received: l.received,
                used: l.used,
                corrected: l.corrected,
            })
            .collect();
        lines.sort_by(|a, b| {
            let name = |l: &TankLine| l.straw.as_ref().map(|s| s.bull_name.to_lowercase());
            name(a).cmp(&name(b)).then(a.bull.cmp(&b.bull))
        });
        Ok(TankView { lines })
    }

    fn call_view(&self) -> Result<CallView, LogError> {
        let mut farms: Vec<FarmChoice> = self
            .store
            .farms()?
            .into_iter()
            .map(|f| FarmChoice {
                ede: f.ede,
                name: f.name,
                village: f.village,
                species: f.species,
            })
            .collect();
        farms.sort_by_key(|a| a.name.to_lowercase());
        Ok(CallView { farms })
    }

    fn settings_view(&self) -> Result<SettingsView, LogError> {
        let technician = match &self.technician {
            Some(t) => self.store.technician(t)?,
            None => None,
        };
        Ok(SettingsView {
            technician,
            company: self.store.company()?.map(|c| c.name),
            data_dir: self.dir.display().to_string(),
        })
    }
}

/// The planner's ids as visit ids (they are the round's visit ids), or the first that is not.
fn visit_ids(ids: &[String]) -> Result<Vec<VisitId>, DomainError> {
    ids.iter().map(|i| VisitId::parse("visit", i)).collect()
}

#[cfg(test)]
mod tests {
    use super::visit_ids;

    #[test]
    fn a_planner_id_that_is_not_a_visit_id_is_named_not_dropped() {
        let ids = ["V1".to_owned(), "V 2/..".to_owned(), "V3".to_owned()];
        let e = visit_ids(&ids).unwrap_err();
        assert_eq!((e.field.as_str(), e.value.as_str()), ("visit", "V 2/.."));
        let good = ["V1".to_owned(), "V3".to_owned()];
        let read: Vec<String> = visit_ids(&good)
            .unwrap()
            .iter()
            .map(|v| v.to_string())
            .collect();
        assert_eq!(read, good);
    }
}
