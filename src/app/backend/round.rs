//! The order of a day's round as the Today screen lists it: the seam where round planning
//! (`tour`) plugs in.
//!
//! Until `tour` lands, the order is the one recorded in the log (`RoundOrdered`, by a planner
//! or by hand) when there is one, and otherwise the order the visits were planned in (their
//! ids: the demo and the calls number them in round order). Visits the recorded order does not
//! name (a call that came after planning) follow it, in the same fallback order. Not for
//! choosing an order: that is `tour`'s job, which will record it as `RoundOrdered`.

use chrono::NaiveDate;

use crate::domain::{TechnicianId, Visit};
use crate::log::{LogError, Store};

/// `visits` (a technician's visits of `day`) in round order.
pub fn order(
    store: &Store,
    technician: &TechnicianId,
    day: NaiveDate,
    mut visits: Vec<Visit>,
) -> Result<Vec<Visit>, LogError> {
    visits.sort_by(|a, b| a.id.cmp(&b.id));
    let Some(planned) = store.round_order(technician, day)? else {
        return Ok(visits);
    };
    let mut out = Vec::with_capacity(visits.len());
    for id in &planned {
        if let Some(i) = visits.iter().position(|v| &v.id == id) {
            out.push(visits.remove(i));
        }
    }
    out.extend(visits);
    Ok(out)
}
