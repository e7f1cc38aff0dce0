//! Building the screens' views from the store, on the worker thread.
//!
//! Each function reads what one screen shows and nothing more, so a screen's refresh after a
//! command costs only its own queries. Not for deciding anything: values only.

use chrono::{Datelike, Duration};

use super::{Worker, round};
use crate::app::model::{
    ActRow, BullChoice, CallView, CorrectedAct, DayTime, FarmChoice, FarmView, FarmVisit,
    InseminationLine, MyTimeView, PregnancyLine, SettingsView, TankLine, TankView, TodayView,
    VisitRow, VisitView, straw_fits,
};
use crate::domain::{Act, Ede, Family, VisitId, VisitStatus};
use crate::log::{LogError, StockLine};

impl Worker {
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

    pub(super) fn today_view(&self) -> Result<TodayView, LogError> {
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
            });
        };
        let mut visits = Vec::new();
        for v in self.store.visits_on(technician, day)? {
            if self.store.cancellation(&v.id)?.is_none() {
                visits.push(v);
            }
        }
        let mut rows = Vec::with_capacity(visits.len());
        for v in round::order(&self.store, technician, day, visits)? {
            let farm = self.store.farm(&v.farm)?;
            let acts = self.store.acts_of(&v.id)?.len();
            let confirmation = self.store.confirmation(&v.id)?;
            rows.push(VisitRow::build(
                &v,
                farm.as_ref(),
                acts,
                confirmation.as_ref(),
            ));
        }
        Ok(TodayView {
            day: Some(day),
            visits: rows,
            store_empty: false,
            technician: self.store.technician(technician)?.map(|t| t.name),
        })
    }

    pub(super) fn visit_view(&self, id: &VisitId) -> Result<Option<VisitView>, LogError> {
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
            records: crate::declare::visit_records(&self.store, id)?,
        }))
    }

    pub(super) fn farm_view(&self, ede: &Ede) -> Result<Option<FarmView>, LogError> {
        let Some(farm) = self.store.farm(ede)? else {
            return Ok(None);
        };
        let stock = self.stock()?;
        let mut view = FarmView {
            farm,
            visits: Vec::new(),
            inseminations: Vec::new(),
            pregnancy_checks: Vec::new(),
            anomalies: Vec::new(),
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

    pub(super) fn tank_view(&self) -> Result<TankView, LogError> {
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

    pub(super) fn my_time_view(&self) -> MyTimeView {
        let Some(technician) = &self.technician else {
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
        let today = self.today();
        let monday = today - Duration::days(i64::from(today.weekday().num_days_from_monday()));
        match crate::worktime::report_from_store(
            &self.store,
            technician,
            monday,
            today,
            settings,
            grid,
        ) {
            Ok(report) => {
                let days: Vec<DayTime> = report
                    .days
                    .iter()
                    .map(|d| DayTime {
                        day: d.date,
                        acts: d.visits.iter().map(|v| v.acts.len()).sum(),
                        forfait_seconds: d.forfait_seconds,
                        travel_seconds: d.travel_seconds,
                        other_seconds: d.other_seconds,
                        total_seconds: d.total_seconds,
                        flags: d.flags.iter().map(|f| f.id()).collect(),
                    })
                    .collect();
                MyTimeView {
                    week_forfait_seconds: days.iter().map(|d| d.forfait_seconds).sum(),
                    week_total_seconds: days.iter().map(|d| d.total_seconds).sum(),
                    days,
                    error: None,
                }
            }
            Err(e) => MyTimeView {
                error: Some(e.to_string()),
                ..MyTimeView::default()
            },
        }
    }

    pub(super) fn call_view(&self) -> Result<CallView, LogError> {
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

    pub(super) fn settings_view(&self) -> Result<SettingsView, LogError> {
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
