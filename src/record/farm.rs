//! Recording what belongs to a farm rather than to a visit: its closed hours (milking).

use super::{RecordError, invalid};
use crate::domain::{ClosedSpan, Ede, Payload};
use crate::log::Store;

/// Records `farm`'s closed hours, by start; the log's validation checks each span and their
/// overlap.
pub fn set_closed_hours(
    store: &Store,
    farm: Ede,
    mut closed: Vec<ClosedSpan>,
) -> Result<(), RecordError> {
    if store.farm(&farm)?.is_none() {
        return Err(invalid("farm", farm.as_str(), "a farm of this tablet"));
    }
    closed.sort();
    store.append(vec![Payload::ClosedHoursRecorded { farm, closed }])?;
    Ok(())
}
