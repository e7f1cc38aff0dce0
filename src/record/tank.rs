//! Recording the tank: doses received, and a count that differs from what the tank should
//! hold.

use super::{RecordError, invalid, reason_text};
use crate::domain::{BullId, Payload, Straw, TechnicianId};
use crate::log::Store;

/// Records `count` doses of `straw` put into `technician`'s tank.
pub fn receive_doses(
    store: &Store,
    technician: &TechnicianId,
    straw: Straw,
    count: u32,
) -> Result<(), RecordError> {
    store.append(vec![Payload::DosesReceived {
        technician: technician.clone(),
        straw,
        count,
    }])?;
    Ok(())
}

/// Records that `counted` doses of `bull` are in `technician`'s tank, for `reason`: the
/// difference with what the tank should hold, which must not be nothing.
pub fn count_stock(
    store: &Store,
    technician: &TechnicianId,
    bull: &BullId,
    counted: u32,
    reason: &str,
) -> Result<(), RecordError> {
    let reason = reason_text("reason", reason)?;
    let left = store
        .stock(technician)?
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
    store.append(vec![Payload::StockCorrected {
        technician: technician.clone(),
        bull: bull.clone(),
        delta,
        reason,
    }])?;
    Ok(())
}
