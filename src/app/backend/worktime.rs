//! The work-time views: the technician's "My time" and the supervisor's team, both from
//! `worktime::report_from_store` with the company's rules, so the tablet, the supervisor and
//! the statements show the same figures. Not for computing work time (`worktime`).

use std::collections::BTreeMap;

use chrono::{Datelike, Duration, NaiveDate};

use super::Worker;
use crate::app::model::{
    ActTime, ChartLimits, DayTime, DeclarationRow, DeclarationsView, MyTimeView, ReviewView,
    TeamMember, TeamRefusal, TeamView, TeamVisit, VisitTime, WeekTime, YearTime,
};
use crate::domain::{SupervisorId, TechnicianId, VisitStatus, Week};
use crate::forfait::Grid;
use crate::log::LogError;
use crate::sync::Role;
use crate::worktime::{Report, Settings};

/// Weeks a team member's chart shows, this one included.
pub const CHART_WEEKS: i64 = 12;
pub use crate::domain::supervision::REASSIGN_DAYS;

fn limits(s: &Settings) -> ChartLimits {
    ChartLimits {
        weekly_max_seconds: s.weekly_max_seconds(),
        average_max_seconds: s.average_max_seconds(),
        daily_max_seconds: s.daily_max_seconds(),
    }
}

fn monday_of(day: NaiveDate) -> NaiveDate {
    day - Duration::days(i64::from(day.weekday().num_days_from_monday()))
}

impl Worker {
    /// The supervisor this tablet is enrolled as, with the team.
    pub(super) fn supervisor(&self) -> Option<(SupervisorId, Vec<TechnicianId>)> {
        match crate::sync::credentials(&self.store).ok()??.role {
            Role::Supervisor { id, team } => Some((id, team)),
            _ => None,
        }
    }

    fn review_of(
        &self,
        technician: &TechnicianId,
        week: Week,
    ) -> Result<Option<ReviewView>, LogError> {
        Ok(self.store.review(technician, week)?.map(|r| ReviewView {
            supervisor: r.supervisor.to_string(),
            decision: r.decision,
        }))
    }

    /// The weeks of `report` from `from_monday` on, with their days' flags and reviews.
    fn weeks(
        &self,
        technician: &TechnicianId,
        report: &Report,
        from_monday: NaiveDate,
    ) -> Result<Vec<WeekTime>, LogError> {
        let mut out = Vec::new();
        for w in report.weeks.iter().filter(|w| w.monday >= from_monday) {
            let mut flags: Vec<&'static str> = w.flags.iter().map(|f| f.id()).collect();
            for d in report.days.iter().filter(|d| Week::of(d.date) == w.week) {
                for f in &d.flags {
                    if !flags.contains(&f.id()) {
                        flags.push(f.id());
                    }
                }
            }
            out.push(WeekTime {
                week: w.week,
                monday: w.monday,
                forfait_seconds: w.forfait_seconds,
                travel_seconds: w.travel_seconds,
                other_seconds: w.other_seconds,
                total_seconds: w.total_seconds,
                average_seconds: w.average_seconds,
                flags,
                review: self.review_of(technician, w.week)?,
            });
        }
        Ok(out)
    }

    pub(super) fn my_time_view(&self) -> MyTimeView {
        let Some(technician) = self.technician.clone() else {
            return MyTimeView::default();
        };
        let (grid, settings) = match &self.rules {
            Ok(r) => r,
            Err(e) => {
                return MyTimeView {
                    error: Some(e.clone()),
                    ..MyTimeView::default()
                };
            }
        };
        match self.my_time(&technician, grid, settings) {
            Ok(v) => v,
            Err(e) => MyTimeView {
                error: Some(e),
                ..MyTimeView::default()
            },
        }
    }

    fn my_time(
        &self,
        technician: &TechnicianId,
        grid: &Grid,
        settings: &Settings,
    ) -> Result<MyTimeView, String> {
        let today = self.today();
        let monday = monday_of(today);
        let (year_start, _) = settings.modulation_year(today).map_err(|e| e.to_string())?;
        // The chart wants the year's weeks, at least the last twelve.
        let from = year_start.min(monday - Duration::weeks(CHART_WEEKS - 1));
        let report = crate::worktime::report_from_store(
            &self.store,
            technician,
            from,
            today,
            settings,
            grid,
        )
        .map_err(|e| e.to_string())?;
        let farms: BTreeMap<_, _> = self
            .store
            .farms()
            .map_err(|e| e.to_string())?
            .into_iter()
            .map(|f| (f.ede, f.name))
            .collect();
        let days: Vec<DayTime> = report
            .days
            .iter()
            .filter(|d| d.date >= monday)
            .map(|d| DayTime {
                day: d.date,
                acts: d.visits.iter().map(|v| v.acts.len()).sum(),
                forfait_seconds: d.forfait_seconds,
                travel_seconds: d.travel_seconds,
                other_seconds: d.other_seconds,
                total_seconds: d.total_seconds,
                flags: d.flags.iter().map(|f| f.id()).collect(),
                span: d.span.as_ref().map(|s| {
                    (
                        crate::domain::paris_time(&s.start),
                        crate::domain::paris_time(&s.end),
                    )
                }),
                visits: d
                    .visits
                    .iter()
                    .map(|v| VisitTime {
                        farm_name: farms
                            .get(&v.farm)
                            .cloned()
                            .unwrap_or_else(|| v.farm.to_string()),
                        counted_seconds: v.counted_seconds,
                        source: v.source.id(),
                        acts: v
                            .acts
                            .iter()
                            .map(|a| ActTime {
                                kind: a.kind,
                                count: a.count,
                                forfait_seconds: u64::from(a.seconds),
                            })
                            .collect(),
                    })
                    .collect(),
                travel: d
                    .travel
                    .iter()
                    .filter(|l| l.counted)
                    .map(|l| (l.km.unwrap_or(0.0), l.seconds))
                    .collect(),
                declared: d.declared.iter().map(|l| (l.kind, l.seconds)).collect(),
            })
            .collect();
        let weeks = self
            .weeks(technician, &report, from)
            .map_err(|e| e.to_string())?;
        let year = report.years.last().map(|y| YearTime {
            start: y.start,
            end: y.end,
            worked_seconds: y.worked_seconds,
            annual_ceiling_seconds: y.annual_ceiling_seconds,
            overtime_seconds: y.overtime_seconds,
            overtime_allowance_seconds: y.overtime_allowance_seconds,
            sunday_holiday_seconds: y.sunday_holiday_seconds,
            recovery_owed_seconds: y.recovery_owed_seconds,
        });
        Ok(MyTimeView {
            week_forfait_seconds: days.iter().map(|d| d.forfait_seconds).sum(),
            week_total_seconds: days.iter().map(|d| d.total_seconds).sum(),
            days,
            weeks,
            year,
            limits: limits(settings),
            error: None,
        })
    }

    /// The team of the supervisor this tablet is enrolled as: each member's last weeks (the
    /// chart's twelve, the rows to review among them) and the coming days' visits.
    pub(super) fn team_view(&self) -> Result<TeamView, LogError> {
        let Some((supervisor, team)) = self.supervisor() else {
            return Ok(TeamView::default());
        };
        let today = self.today();
        let monday = monday_of(today);
        let first = monday - Duration::weeks(CHART_WEEKS - 1);
        let rules = self.rules.as_ref().ok();
        let farms: BTreeMap<_, _> = self
            .store
            .farms()?
            .into_iter()
            .map(|f| (f.ede, f.name))
            .collect();
        let mut members = Vec::new();
        for technician in &team {
            let name = self
                .store
                .technician(technician)?
                .map_or_else(|| technician.to_string(), |t| t.name);
            let (weeks, error) = match rules {
                None => (Vec::new(), self.rules.as_ref().err().cloned()),
                Some((grid, settings)) => match crate::worktime::report_from_store(
                    &self.store,
                    technician,
                    first,
                    today,
                    settings,
                    grid,
                ) {
                    Ok(report) => (self.weeks(technician, &report, first)?, None),
                    Err(e) => (Vec::new(), Some(e.to_string())),
                },
            };
            let mut days = Vec::new();
            for offset in 0..REASSIGN_DAYS {
                let day = today + Duration::days(offset);
                let mut visits = Vec::new();
                for v in self.store.visits_on(technician, day)? {
                    if self.store.cancellation(&v.id)?.is_some() {
                        continue;
                    }
                    let status = VisitStatus::of(&v, self.store.confirmation(&v.id)?.as_ref());
                    if status != VisitStatus::ToDo {
                        continue;
                    }
                    visits.push(TeamVisit {
                        farm_name: farms
                            .get(&v.farm)
                            .cloned()
                            .unwrap_or_else(|| v.farm.to_string()),
                        id: v.id,
                        status,
                    });
                }
                if !visits.is_empty() {
                    days.push((day, visits));
                }
            }
            members.push(TeamMember {
                technician: technician.clone(),
                name,
                weeks,
                days,
                error,
            });
        }
        Ok(TeamView {
            supervisor: Some(supervisor.to_string()),
            members,
            limits: rules.map(|(_, s)| limits(s)).unwrap_or_default(),
            fertility: self.team_fertility(&team)?,
            refused: self.team_refusals()?,
        })
    }
}

impl Worker {
    /// The team's tablets whose pushes the server refused, newest first, with their owner's
    /// name.
    fn team_refusals(&self) -> Result<Vec<TeamRefusal>, LogError> {
        let mut out = Vec::new();
        for r in super::sync::team_refusals(&self.store) {
            let name = self
                .store
                .technician(&r.technician)?
                .map_or_else(|| r.technician.to_string(), |t| t.name);
            out.push(TeamRefusal {
                name,
                label: r.label,
                device: r.device.to_string().chars().take(8).collect(),
                forked: r.status == 409,
                reason: r.reason,
                at: chrono::DateTime::from_timestamp_millis(r.at_ms as i64).unwrap_or_default(),
            });
        }
        Ok(out)
    }

    /// The open declarations of this tablet's technician, or of the team on a supervisor's.
    pub(super) fn declarations_view(&self) -> Result<DeclarationsView, LogError> {
        let team = self.supervisor().is_some();
        let today = self.today();
        let declarations = match (&self.technician, team) {
            (_, true) => self.store.open_declarations(None)?,
            (Some(t), false) => self.store.open_declarations(Some(t))?,
            (None, false) => Vec::new(),
        };
        let mut rows = Vec::with_capacity(declarations.len());
        for d in declarations {
            let act = self.store.act(&d.act)?.map(|a| a.act);
            let farm = match self.store.visit(&d.visit)? {
                Some(v) => Some(
                    self.store
                        .farm(&v.farm)?
                        .map_or_else(|| v.farm.to_string(), |f| f.name),
                ),
                None => None,
            };
            // Only a supervisor's list needs to say whose each record is.
            let technician = match d.technician.as_ref().filter(|_| team) {
                Some(t) => Some(
                    self.store
                        .technician(t)?
                        .map_or_else(|| t.to_string(), |t| t.name),
                ),
                None => None,
            };
            rows.push(DeclarationRow {
                due_state: d.due_state(today),
                farm_name: farm.unwrap_or_else(|| d.visit.to_string()),
                technician,
                animals: act.as_ref().map(|a| a.animals.clone()).unwrap_or_default(),
                count: act.as_ref().map_or(0, |a| a.count),
                bull_name: act
                    .as_ref()
                    .and_then(|a| a.straw.as_ref().map(|s| s.bull_name.clone())),
                declaration: d,
            });
        }
        Ok(DeclarationsView {
            today: Some(today),
            rows,
            team,
        })
    }
}
