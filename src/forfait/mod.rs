//! The flat-rate engine: how many seconds of work time an act is worth, by Annexe I of the
//! collective agreement IDCC 7021 or by a company grid that may only raise it.
//!
//! Not for work-time accounting (days, weeks, limits: `worktime`) nor for recording acts
//! (`domain`, `log`): this module only turns (act kind, animals in the lot) into seconds, and
//! says where the figure comes from.
//!
//! # The two grids
//! - **Annexe I** (`assets/annexe-i.toml`, compiled in): the national minimums. Some rows are a
//!   flat value per animal (`ia_bovine`: 390 s), others marginal tiers over the animals of one
//!   lot, like tax brackets: a lot of 50 frozen-semen goats is worth
//!   20 × 150 s + 20 × 120 s + 10 × 90 s = 6,300 s. One row (`ia_ovine_fresh`) stops at a
//!   `max_lot` of 40 animals. Five act kinds (`gestation_blood_sample`, `sample_genotyping`,
//!   `sample_other`, `embryo_transfer`, `scoring`) have no national minimum.
//! - **A company grid** (TOML, the values of the company agreement, art. 56): for each act kind
//!   it names, its value replaces the Annexe I row. Format:
//!
//!   ```toml
//!   [forfait_seconds]            # a flat value: seconds per animal, whatever the lot
//!   ia_bovine = 420
//!   embryo_transfer = 1800       # no national minimum: any value from 1 s
//!
//!   [forfait_tiers]              # marginal tiers over the animals of one lot
//!   ia_caprine_frozen = [
//!     { from = 1,  to = 20, seconds = 160 },
//!     { from = 21, to = 40, seconds = 120 },
//!     { from = 41,          seconds = 90 },
//!   ]
//!   ```
//!
//!   Tiers start at animal 1 and follow each other without gap or overlap; the last one has no
//!   `to`: a company value covers every lot size, so a company that sets a value for
//!   `ia_ovine_fresh` also settles lots beyond Annexe I's 40 ewes. An act may appear in only
//!   one of the two tables. Values are whole seconds from 1 to 86,400. A `[worktime]` table
//!   is left to `worktime` (its settings), so one company-agreement file can hold both;
//!   any other key is refused.
//!
//! # What "never below Annexe I" means here
//! Article 98 forbids a company agreement less favourable than the national one. The time
//! credited for an act is the time of the whole lot, so the comparison is made lot by lot:
//! a company grid is refused when, **for some lot size n covered by Annexe I** (1 to its
//! `max_lot`, or to [`MAX_LOT`], the largest lot an act may record), the company's total for a
//! lot of n is lower than Annexe I's total for a lot of n. The error names the act, the first
//! such lot, the company's total and the minimum.
//!
//! We do not also compare animal rank by animal rank. A grid of 300 s for the first 5 goats
//! then 130 s is never worse than Annexe I for any lot (a lot of 20 gives 3,450 s against
//! 3,000 s, a lot of 40 gives 6,050 s against 5,400 s), though its 6th to 20th goats are each
//! worth less than Annexe I's 150 s: the rank-by-rank reading would refuse a grid that credits
//! every possible lot with more time, which is not what "less favourable" protects. A flat
//! value is compared as the lots it yields, which for a flat value under a flat minimum is the
//! plain comparison of the two values (a lot of 1 already shows it).

mod annexe;
mod company;
#[cfg(test)]
mod tests;

use serde::Serialize;

use crate::domain::ActKind;
pub use crate::domain::act::MAX_LOT;

pub use annexe::AnnexeRow;

/// The most seconds one animal may be worth in any grid: a day. Far above any real value, and
/// it keeps a lot's total within `u32` (5,000 animals × 86,400 s < 2³²).
pub const MAX_SECONDS_PER_ANIMAL: u32 = 86_400;

/// Why the engine refused a grid or an act.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ForfaitError {
    /// The company grid is not TOML.
    #[error("company grid, line {line}: not valid TOML: {message}")]
    Syntax { line: usize, message: String },
    /// A key or value of the company grid that is not acceptable.
    #[error("company grid: {key}: {value} is not valid: expected {expected}")]
    Invalid {
        key: String,
        value: String,
        expected: String,
    },
    /// A company value lower than Annexe I for some lot (IDCC 7021 art. 98).
    #[error(
        "company grid: {kind}: the company value gives {company} s for a lot of {lot}, below the Annexe I minimum of {minimum} s for that lot (IDCC 7021 art. 98: a company value may not be lower)"
    )]
    BelowMinimum {
        kind: ActKind,
        lot: u32,
        company: u32,
        minimum: u32,
    },
    /// A lot larger than Annexe I covers, with no company value.
    #[error(
        "{kind}: a lot of {count} animals is beyond Annexe I, which covers lots of at most {max_lot}: the company grid must give a value for this act"
    )]
    BeyondTable {
        kind: ActKind,
        count: u32,
        max_lot: u32,
    },
    /// An act with no national minimum, with no company value.
    #[error(
        "{kind}: Annexe I sets no national minimum for this act: the company grid must give it a value"
    )]
    NoValue { kind: ActKind },
    /// A lot of no animal, or more than an act may record.
    #[error(
        "{kind}: a count of {count} is not valid: expected a number of animals from 1 to {max}"
    )]
    Count { kind: ActKind, count: u32, max: u32 },
    /// The Annexe I table compiled into Tournée does not read: a build defect, not user input.
    #[error("the Annexe I table shipped with Tournée is damaged: {0}")]
    Annexe(String),
}

/// Which grid a value comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Origin {
    /// Annexe I of IDCC 7021, the national minimum.
    AnnexeI,
    /// The company agreement's grid.
    Company,
}

/// A marginal tier: animals `from` to `to` (inclusive; no `to`: every animal from `from` on)
/// of one lot are each worth `seconds`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Tier {
    pub from: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub to: Option<u32>,
    pub seconds: u32,
}

/// The value of one act kind: tiers from animal 1, without gap (a flat value is one open tier).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Rate {
    pub origin: Origin,
    tiers: Vec<Tier>,
}

impl Rate {
    pub fn tiers(&self) -> &[Tier] {
        &self.tiers
    }

    /// The largest lot the rate covers; `None`: every lot.
    pub fn max_lot(&self) -> Option<u32> {
        self.tiers.last().and_then(|t| t.to)
    }

    /// What the `rank`-th animal of a lot is worth, if the rate covers it.
    pub fn per_animal(&self, rank: u32) -> Option<u32> {
        self.tiers
            .iter()
            .find(|t| t.from <= rank && t.to.is_none_or(|to| rank <= to))
            .map(|t| t.seconds)
    }

    /// A lot's total, `count` within the rate's cover (checked by the caller). Tier values are
    /// at most [`MAX_SECONDS_PER_ANIMAL`] and lots at most [`MAX_LOT`]: no overflow, and
    /// saturation guards the arithmetic all the same.
    fn total(&self, count: u32) -> u32 {
        let mut sum = 0u32;
        for t in &self.tiers {
            if count < t.from {
                break;
            }
            let end = t.to.map_or(count, |to| to.min(count));
            sum = sum.saturating_add((end - t.from + 1).saturating_mul(t.seconds));
        }
        sum
    }
}

/// How a lot's seconds were reached: one part per tier used.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Breakdown {
    pub kind: ActKind,
    pub count: u32,
    pub origin: Origin,
    pub parts: Vec<Part>,
    pub seconds: u32,
    /// Annexe I's total for the same lot, when it sets one: the floor a company value respects.
    pub annexe_i_seconds: Option<u32>,
}

/// The animals of a lot that fell in one tier.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Part {
    /// First and last rank of the lot's animals in this tier.
    pub from: u32,
    pub to: u32,
    pub animals: u32,
    pub seconds_each: u32,
    pub seconds: u32,
}

/// A grid of values, one per act kind that has one: Annexe I alone, or a company grid over it.
#[derive(Debug, Clone, PartialEq)]
pub struct Grid {
    /// Indexed by `ActKind as usize` (the order of `ActKind::ALL`).
    rates: Vec<Option<Rate>>,
    /// Annexe I's values, kept to show the floor beside a company value.
    minimums: Vec<Option<Rate>>,
    annexe: &'static [AnnexeRow],
}

impl Grid {
    /// The Annexe I grid, the national minimums. Fails only if the compiled-in table is damaged
    /// (a defect the tests catch before any release).
    pub fn annexe_i() -> Result<Grid, ForfaitError> {
        let annexe = annexe::table()?;
        let rates: Vec<Option<Rate>> = ActKind::ALL
            .iter()
            .map(|k| {
                annexe.iter().find(|r| r.kind == *k).map(|r| Rate {
                    origin: Origin::AnnexeI,
                    tiers: r.tiers.clone(),
                })
            })
            .collect();
        Ok(Grid {
            minimums: rates.clone(),
            rates,
            annexe,
        })
    }

    /// A company grid (TOML, see the module documentation) over Annexe I; refused when a value
    /// is below Annexe I for some lot, or when a key or value is not understood.
    pub fn company(toml_text: &str) -> Result<Grid, ForfaitError> {
        let mut grid = Grid::annexe_i()?;
        for (kind, rate) in company::parse(toml_text)? {
            if let Some(minimum) = &grid.minimums[kind as usize] {
                company::check_floor(kind, &rate, minimum)?;
            }
            grid.rates[kind as usize] = Some(rate);
        }
        Ok(grid)
    }

    /// The value the grid uses for an act kind, if any.
    pub fn rate(&self, kind: ActKind) -> Option<&Rate> {
        self.rates.get(kind as usize).and_then(Option::as_ref)
    }

    /// Annexe I's value for an act kind, if it sets one.
    pub fn minimum(&self, kind: ActKind) -> Option<&Rate> {
        self.minimums.get(kind as usize).and_then(Option::as_ref)
    }

    /// Annexe I's row for an act kind (labels and conditions), if it has one.
    pub fn annexe_row(&self, kind: ActKind) -> Option<&'static AnnexeRow> {
        self.annexe.iter().find(|r| r.kind == kind)
    }

    /// The rate that prices a lot of `count`, or why there is none.
    fn rate_for(&self, kind: ActKind, count: u32) -> Result<&Rate, ForfaitError> {
        if count == 0 || count > MAX_LOT {
            return Err(ForfaitError::Count {
                kind,
                count,
                max: MAX_LOT,
            });
        }
        let rate = self.rate(kind).ok_or(ForfaitError::NoValue { kind })?;
        match rate.max_lot() {
            Some(max_lot) if count > max_lot => Err(ForfaitError::BeyondTable {
                kind,
                count,
                max_lot,
            }),
            _ => Ok(rate),
        }
    }

    /// The flat-rate seconds of one act: `count` animals of one lot.
    pub fn seconds(&self, kind: ActKind, count: u32) -> Result<u32, ForfaitError> {
        Ok(self.rate_for(kind, count)?.total(count))
    }

    /// The same figure as [`Grid::seconds`], with the tiers that made it and the Annexe I floor.
    pub fn breakdown(&self, kind: ActKind, count: u32) -> Result<Breakdown, ForfaitError> {
        let rate = self.rate_for(kind, count)?;
        let parts: Vec<Part> = rate
            .tiers
            .iter()
            .take_while(|t| t.from <= count)
            .map(|t| {
                let to = t.to.map_or(count, |to| to.min(count));
                let animals = to - t.from + 1;
                Part {
                    from: t.from,
                    to,
                    animals,
                    seconds_each: t.seconds,
                    seconds: animals.saturating_mul(t.seconds),
                }
            })
            .collect();
        let annexe_i_seconds = self
            .minimum(kind)
            .filter(|m| m.max_lot().is_none_or(|max| count <= max))
            .map(|m| m.total(count));
        Ok(Breakdown {
            kind,
            count,
            origin: rate.origin,
            seconds: parts.iter().fold(0u32, |s, p| s.saturating_add(p.seconds)),
            parts,
            annexe_i_seconds,
        })
    }
}

/// Checks tiers read from a grid: from animal 1, contiguous, each `to` after its `from`, values
/// from 1 to [`MAX_SECONDS_PER_ANIMAL`], only the last one open. `open_end`: the last one
/// must be open (a company value covers every lot). `key` names the tiers in errors.
fn check_tiers(key: &str, tiers: &[Tier], open_end: bool) -> Result<(), ForfaitError> {
    let invalid = |field: String, value: String, expected: String| ForfaitError::Invalid {
        key: field,
        value,
        expected,
    };
    if tiers.is_empty() {
        return Err(invalid(
            key.to_owned(),
            "[]".into(),
            "at least one tier".into(),
        ));
    }
    let mut next_from = 1u32;
    for (i, t) in tiers.iter().enumerate() {
        let at = format!("{key}[{i}]");
        if t.from != next_from {
            return Err(invalid(
                format!("{at}.from"),
                t.from.to_string(),
                format!(
                    "{next_from}: tiers start at animal 1 and follow each other without gap or overlap"
                ),
            ));
        }
        if t.seconds == 0 || t.seconds > MAX_SECONDS_PER_ANIMAL {
            return Err(invalid(
                format!("{at}.seconds"),
                t.seconds.to_string(),
                format!("seconds per animal from 1 to {MAX_SECONDS_PER_ANIMAL}"),
            ));
        }
        let last = i + 1 == tiers.len();
        match t.to {
            None if !last => {
                return Err(invalid(
                    format!("{at}.to"),
                    "(none)".into(),
                    "a `to`: only the last tier may be open".into(),
                ));
            }
            Some(to) if last && open_end => {
                return Err(invalid(
                    format!("{at}.to"),
                    to.to_string(),
                    "no `to` on the last tier: a company value covers every lot size".into(),
                ));
            }
            Some(to) if to < t.from || to > MAX_LOT => {
                return Err(invalid(
                    format!("{at}.to"),
                    to.to_string(),
                    format!("an animal rank from {} to {MAX_LOT}", t.from),
                ));
            }
            Some(to) => next_from = to + 1,
            None => {}
        }
    }
    Ok(())
}
