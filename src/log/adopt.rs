//! The way out for a copied store: a store copied to a second tablet carries the same device
//! identity, so once both record, the server refuses the copy's events as a forked chain. A
//! new store (its own identity, enrolled and synced) adopts the copy's events the server does
//! not hold: it records their payloads again as its own events, and the copy is left as it is,
//! readable and exportable.
//!
//! Not a merge of chains (the server keeps the first copy's chain as it is) nor a way to change
//! a store's identity in place: the events already signed stay signed by the key that wrote them.

use serde::Serialize;

use super::{LogError, Store};
use crate::domain::DomainError;

/// What an adoption took over.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Adopted {
    /// Events of the copy this store already held as they are (the server had them), or
    /// adopted before.
    pub already_held: u64,
    /// Events of the copy recorded again here, as this store's own.
    pub adopted: u64,
}

/// Events read from the copy at a time.
const PAGE: usize = 5_000;

impl Store {
    /// Records again, as this store's own events, every event of `copy`'s device that this
    /// store does not hold as it is, in the copy's order, in one append. This store should
    /// have pulled from the server first: what it holds of the copy's device is what the
    /// server holds, so nothing the server has is recorded twice.
    pub fn adopt(&self, copy: &Store) -> Result<Adopted, LogError> {
        let device = copy.device();
        if device == self.device() {
            return Err(LogError::Refused(DomainError::invalid(
                "--from",
                &copy.dir().display().to_string(),
                "the store of another device identity: a copy adopts nothing from itself (adopt into a new store, enrolled with a new token)",
            )));
        }
        let mut summary = Adopted::default();
        let mut payloads = Vec::new();
        // What an earlier adoption from the same device took: never recorded twice.
        let done_key = format!("adopted/{device}");
        let done = match self.setting(&done_key)? {
            Some(b) => u64::from_le_bytes(b.as_slice().try_into().map_err(|_| {
                LogError::Corrupt(format!("the setting {done_key} is not a sequence number"))
            })?),
            None => 0,
        };
        let mut after = 0;
        loop {
            let page = copy.events_after(device, after, PAGE)?;
            let Some(last) = page.last() else {
                break;
            };
            after = last.id.seq;
            for event in page {
                match self.event(event.id)? {
                    Some(held) if held == event => summary.already_held += 1,
                    _ if event.id.seq <= done => summary.already_held += 1,
                    _ => {
                        summary.adopted += 1;
                        payloads.push(event.payload);
                    }
                }
            }
        }
        if !payloads.is_empty() {
            self.append(payloads)?;
            // After the append: a crash between the two adopts again, it never loses.
            self.set_setting(&done_key, &after.to_le_bytes())?;
        }
        Ok(summary)
    }
}
