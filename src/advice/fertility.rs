//! The herd's fertility figures, by the definitions a technician and a farmer check by hand.
//!
//! Cattle only: goat and ewe lots carry no female numbers, so they have no per-female figure.
//! Everything is a pure function of dated acts ([`Dated`]); reading them from the store is
//! `store.rs`'s job, drawing them the app's and the PDF's.
//!
//! # Definitions
//! - A **service** is an `ia_bovine` act naming a female (one service per female named).
//!   Services of one female 0 to 3 days after the first service of a heat are the same heat:
//!   only that first one counts (a second dose 12 h later is not a return).
//! - **IA1**: a service recorded with rank `first`. The period `[from, to]` selects IA1 by
//!   their date.
//! - **NR56 / NR90** (non-return): among IA1 in the period with `date + 56 (90) days ≤ today`
//!   (`eligible`), those with no other service of the female 4 to 56 (90) days after
//!   (`non_returns`).
//! - **Conception at IA1**: among IA1 in the period, those followed by a pregnancy check of that
//!   female (`echo_bovine`, `gestation_palpation` or `gestation_blood_sample` naming one animal,
//!   result `pregnant` or `empty`; `doubtful` is ignored) 28 to 120 days after and before her
//!   next service (`checked`); the first such check decides (`pregnant`).
//! - **Three or more**: among females with a service in the period (`females`), those with at
//!   least 3 services in the period (`with_three_or_more`), whoever did them.
//! - Rates are `non_returns / eligible`, `pregnant / checked`, `with_three_or_more / females`,
//!   absent when the denominator is 0; every figure carries its counts.
//!
//! A selection (farm, technician, bull) chooses which services are looked at; what happened to
//! the female afterwards counts whoever did it (a return inseminated by a colleague, with
//! another bull, is still a return).

use std::collections::{BTreeMap, BTreeSet};

use chrono::{Datelike, Days, NaiveDate};
use serde::Serialize;

use crate::domain::{
    Act, ActKind, AnimalId, BullId, Ede, InseminationRank, PregnancyResult, TechnicianId,
};

/// Services this many days or fewer after the first of a heat belong to that heat.
pub const SAME_HEAT_DAYS: u64 = 3;
/// A return is a service this many days or more after the IA1 (after the same heat).
pub const RETURN_FROM_DAYS: u64 = SAME_HEAT_DAYS + 1;
/// The non-return horizons.
pub const NR56_DAYS: u64 = 56;
pub const NR90_DAYS: u64 = 90;
/// A pregnancy check tells about an IA1 from this many days after it...
pub const CHECK_FROM_DAYS: u64 = 28;
/// ... up to this many.
pub const CHECK_TO_DAYS: u64 = 120;
/// Services in the period that make a female one to watch.
pub const THREE_OR_MORE: usize = 3;

/// An act with the day it was done, the farm and the technician of its visit.
#[derive(Debug, Clone, PartialEq)]
pub struct Dated {
    pub day: NaiveDate,
    pub farm: Ede,
    pub technician: TechnicianId,
    pub act: Act,
}

/// Which services a figure looks at. `None` is "any".
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Selection {
    pub farm: Option<Ede>,
    pub technician: Option<TechnicianId>,
    pub bull: Option<BullId>,
}

/// One counted service of a female: an insemination, the first of its heat.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CountedInsemination {
    pub day: NaiveDate,
    pub farm: Ede,
    pub technician: TechnicianId,
    pub bull: Option<BullId>,
    /// The sire's name as printed on the straw, when it was recorded.
    pub bull_name: Option<String>,
    pub rank: Option<InseminationRank>,
}

impl CountedInsemination {
    fn is_first(&self) -> bool {
        self.rank == Some(InseminationRank::First)
    }

    fn selected(&self, s: &Selection) -> bool {
        s.farm.as_ref().is_none_or(|f| f == &self.farm)
            && s.technician.as_ref().is_none_or(|t| t == &self.technician)
            && s.bull
                .as_ref()
                .is_none_or(|b| Some(b) == self.bull.as_ref())
    }
}

/// A pregnancy check of one female with a result that tells (`pregnant` or `empty`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Check {
    pub day: NaiveDate,
    pub pregnant: bool,
}

/// One female's reproduction history: her counted services and telling checks, oldest first.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Female {
    pub services: Vec<CountedInsemination>,
    pub checks: Vec<Check>,
}

/// Every female's history, by number: built once, asked many figures.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Herd {
    pub females: BTreeMap<AnimalId, Female>,
}

fn is_check(kind: ActKind) -> bool {
    matches!(
        kind,
        ActKind::EchoBovine | ActKind::GestationPalpation | ActKind::GestationBloodSample
    )
}

fn days_between(a: NaiveDate, b: NaiveDate) -> i64 {
    (b - a).num_days()
}

impl Herd {
    /// Sorts the acts into females' histories, applying the same-heat rule.
    pub fn new(acts: &[Dated]) -> Herd {
        let mut raw: BTreeMap<AnimalId, (Vec<&Dated>, Vec<Check>)> = BTreeMap::new();
        for d in acts {
            if d.act.kind == ActKind::IaBovine {
                for animal in &d.act.animals {
                    raw.entry(animal.clone()).or_default().0.push(d);
                }
            } else if is_check(d.act.kind) && d.act.animals.len() == 1 {
                let pregnant = match d.act.result {
                    Some(PregnancyResult::Pregnant) => true,
                    Some(PregnancyResult::Empty) => false,
                    Some(PregnancyResult::Doubtful) | None => continue,
                };
                raw.entry(d.act.animals[0].clone())
                    .or_default()
                    .1
                    .push(Check {
                        day: d.day,
                        pregnant,
                    });
            }
        }
        let females = raw
            .into_iter()
            .map(|(animal, (mut doses, mut checks))| {
                // Stable: two doses of one day keep the order they were recorded in.
                doses.sort_by_key(|d| d.day);
                checks.sort_by_key(|c| c.day);
                let mut services: Vec<CountedInsemination> = Vec::new();
                for d in doses {
                    let same_heat = services
                        .last()
                        .is_some_and(|s| days_between(s.day, d.day) <= SAME_HEAT_DAYS as i64);
                    if !same_heat {
                        services.push(CountedInsemination {
                            day: d.day,
                            farm: d.farm.clone(),
                            technician: d.technician.clone(),
                            bull: d.act.bull.clone(),
                            bull_name: d.act.straw.as_ref().map(|s| s.bull_name.clone()),
                            rank: d.act.rank,
                        });
                    }
                }
                (animal, Female { services, checks })
            })
            .collect();
        Herd { females }
    }

    /// The figures of the services `selection` chooses in `[from, to]`, judged on `today`.
    pub fn figures(
        &self,
        selection: &Selection,
        from: NaiveDate,
        to: NaiveDate,
        today: NaiveDate,
    ) -> Figures {
        let mut f = Figures::default();
        for female in self.females.values() {
            let in_period = |s: &&CountedInsemination| s.day >= from && s.day <= to;
            let selected: Vec<usize> = female
                .services
                .iter()
                .enumerate()
                .filter(|(_, s)| in_period(s) && s.selected(selection))
                .map(|(i, _)| i)
                .collect();
            if selected.is_empty() {
                continue;
            }
            f.services += selected.len() as u32;
            f.three_or_more.females += 1;
            if female.services.iter().filter(in_period).count() >= THREE_OR_MORE {
                f.three_or_more.with_three_or_more += 1;
            }
            for &i in &selected {
                let ia1 = &female.services[i];
                if !ia1.is_first() {
                    continue;
                }
                f.first_services += 1;
                let next = female.services.get(i + 1).map(|s| s.day);
                for (horizon, nr) in [(NR56_DAYS, &mut f.nr56), (NR90_DAYS, &mut f.nr90)] {
                    if ia1.day.checked_add_days(Days::new(horizon)) > Some(today) {
                        continue;
                    }
                    nr.eligible += 1;
                    let returned = next.is_some_and(|n| {
                        let d = days_between(ia1.day, n);
                        d >= RETURN_FROM_DAYS as i64 && d <= horizon as i64
                    });
                    if !returned {
                        nr.non_returns += 1;
                    }
                }
                let decisive = female.checks.iter().find(|c| {
                    let d = days_between(ia1.day, c.day);
                    d >= CHECK_FROM_DAYS as i64
                        && d <= CHECK_TO_DAYS as i64
                        && next.is_none_or(|n| c.day < n)
                });
                if let Some(c) = decisive {
                    f.conception_first.checked += 1;
                    if c.pregnant {
                        f.conception_first.pregnant += 1;
                    }
                }
            }
        }
        f.fill_rates();
        f
    }

    /// The figures bull by bull: one group per bull the selection's services in the period
    /// used (the selection narrowed to that bull), by bull number.
    pub fn by_bull(
        &self,
        selection: &Selection,
        from: NaiveDate,
        to: NaiveDate,
        today: NaiveDate,
    ) -> Vec<(BullId, Figures)> {
        let bulls: BTreeSet<&BullId> = self
            .females
            .values()
            .flat_map(|f| &f.services)
            .filter(|s| s.day >= from && s.day <= to && s.selected(selection))
            .filter_map(|s| s.bull.as_ref())
            .collect();
        bulls
            .into_iter()
            .map(|b| {
                let one = Selection {
                    bull: Some(b.clone()),
                    ..selection.clone()
                };
                (b.clone(), self.figures(&one, from, to, today))
            })
            .collect()
    }

    /// The name a bull's straws print, if any service recorded it.
    pub fn bull_name(&self, bull: &BullId) -> Option<&str> {
        self.females
            .values()
            .flat_map(|f| &f.services)
            .filter(|s| s.bull.as_ref() == Some(bull))
            .find_map(|s| s.bull_name.as_deref())
    }

    /// The figures month by month: each month of `[from, to]` as its own period.
    pub fn by_month(
        &self,
        selection: &Selection,
        from: NaiveDate,
        to: NaiveDate,
        today: NaiveDate,
    ) -> Vec<(NaiveDate, Figures)> {
        let mut out = Vec::new();
        let mut month = from.with_day(1).unwrap_or(from);
        while month <= to {
            let next = month.checked_add_months(chrono::Months::new(1));
            let last = next.and_then(|n| n.pred_opt()).unwrap_or(to);
            let figures = self.figures(selection, month.max(from), last.min(to), today);
            out.push((month, figures));
            match next {
                Some(n) => month = n,
                None => break,
            }
        }
        out
    }
}

/// A non-return rate with its counts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct NonReturn {
    pub eligible: u32,
    pub non_returns: u32,
    pub rate: Option<f64>,
}

/// Conception at IA1 with its counts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Conception {
    pub checked: u32,
    pub pregnant: u32,
    pub rate: Option<f64>,
}

/// Females served three times or more, with the counts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct ThreeOrMore {
    pub females: u32,
    pub with_three_or_more: u32,
    pub rate: Option<f64>,
}

/// The figures of one group of services.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Figures {
    /// Counted services (same-heat doses once) the selection chose in the period.
    pub services: u32,
    /// Of them, IA1.
    pub first_services: u32,
    pub nr56: NonReturn,
    pub nr90: NonReturn,
    pub conception_first: Conception,
    pub three_or_more: ThreeOrMore,
}

/// `part / whole`, absent when there is nothing to divide.
pub fn rate(part: u32, whole: u32) -> Option<f64> {
    (whole > 0).then(|| f64::from(part) / f64::from(whole))
}

impl Figures {
    fn fill_rates(&mut self) {
        self.nr56.rate = rate(self.nr56.non_returns, self.nr56.eligible);
        self.nr90.rate = rate(self.nr90.non_returns, self.nr90.eligible);
        self.conception_first.rate = rate(
            self.conception_first.pregnant,
            self.conception_first.checked,
        );
        self.three_or_more.rate = rate(
            self.three_or_more.with_three_or_more,
            self.three_or_more.females,
        );
    }
}
