//! The declaration queue: the projection that says which inseminations wait to reach the
//! national system, which batch carried them, and what the system answered. The rules of the
//! regulation live here (when a record is queued, corrected, cancelled, withdrawn, sent,
//! accepted or refused); the event log only hands it the events that concern it, in its
//! journaled tables, so a refused batch rolls back here as everywhere else.
//!
//! Not for building the record a farmer is handed or the files sent (see `mod.rs`), nor for
//! storing anything: like every projection it is rebuilt from the events at each open.

use chrono::NaiveDate;

use super::{Declaration, DeclarationKind, DeclarationStatus};
use crate::domain::{Act, ActId, DeclarationRefusal, DomainError, Family, TechnicianId, paris_day};
use crate::log::Stamp;
use crate::log::table::Keyed;

/// Every insemination's declaration and the batches that sent them.
#[derive(Default)]
pub(crate) struct DeclarationQueue {
    /// Every insemination's declaration, by act id.
    records: Keyed<Declaration>,
    /// The act ids of the declarations still open (to send, sent and unanswered, refused).
    open: Keyed<()>,
    /// The acts each batch sent, by batch name.
    batches: Keyed<Vec<ActId>>,
}

impl DeclarationQueue {
    pub fn begin(&mut self) {
        self.records.begin();
        self.open.begin();
        self.batches.begin();
    }

    pub fn commit(&mut self) {
        self.records.commit();
        self.open.commit();
        self.batches.commit();
    }

    pub fn rollback(&mut self) {
        self.records.rollback();
        self.open.rollback();
        self.batches.rollback();
    }

    /// Room for `n` more declarations.
    pub fn reserve(&mut self, n: usize) {
        self.records.reserve(n);
    }

    /// The declaration of an act, if it is an insemination's.
    pub fn get(&self, act: &ActId) -> Option<&Declaration> {
        self.records.get(act.as_str().as_bytes())
    }

    /// The declarations still open, in no particular order.
    pub fn open(&self) -> impl Iterator<Item = &Declaration> {
        self.open.keys().filter_map(|k| self.records.get(k))
    }

    fn write(&mut self, d: Declaration) {
        let k = d.act.as_str().as_bytes().to_vec();
        if d.status.is_open() {
            self.open.insert(k.clone(), ());
        } else {
            self.open.remove(&k);
        }
        self.records.insert(k, d);
    }

    /// Puts a new act in the queue if it is an insemination. `technician` and `day` are its
    /// visit's, when the visit is known; `corrects` is the declared record it replaces, if any.
    pub fn queue(
        &mut self,
        act: &Act,
        technician: Option<TechnicianId>,
        day: Option<NaiveDate>,
        stamp: Stamp,
        corrects: Option<&Declaration>,
    ) {
        if act.kind.family() != Family::Insemination {
            return;
        }
        let date = act
            .at
            .as_ref()
            .map(paris_day)
            .or(day)
            .unwrap_or_else(|| stamp_day(stamp));
        let (kind, since) = match corrects {
            Some(old)
                if matches!(
                    old.status,
                    DeclarationStatus::Accepted { .. } | DeclarationStatus::Sent { .. }
                ) =>
            {
                (
                    DeclarationKind::Correction {
                        of: old.act.clone(),
                    },
                    stamp_day(stamp),
                )
            }
            _ => (DeclarationKind::Initial, date),
        };
        self.write(Declaration {
            act: act.id.clone(),
            visit: act.visit.clone(),
            technician,
            date,
            since,
            kind,
            status: DeclarationStatus::ToSend,
        });
    }

    /// What a correction does to the declaration of the act it corrects: never declared, it
    /// is withdrawn; sent or accepted, it is corrected by the replacement, or cancelled.
    /// Returns the declaration as it stood before.
    pub fn correct(&mut self, act: &ActId, replaced: bool, stamp: Stamp) -> Option<Declaration> {
        let mut d = self.get(act)?.clone();
        let before = d.clone();
        let declared = matches!(
            d.status,
            DeclarationStatus::Sent { .. } | DeclarationStatus::Accepted { .. }
        );
        if !declared || replaced {
            d.status = DeclarationStatus::Withdrawn;
        } else {
            d.kind = DeclarationKind::Cancellation;
            d.status = DeclarationStatus::ToSend;
            d.since = stamp_day(stamp);
        }
        self.write(d);
        Some(before)
    }

    /// A batch of records sent. `strict` (an event recorded here) refuses a batch name used
    /// before and a record not waiting to be sent; from a peer, they are passed over.
    pub fn sent(&mut self, batch: &str, acts: &[ActId], strict: bool) -> Result<(), DomainError> {
        if self.batches.contains(batch.as_bytes()) {
            return refused_if(strict, "batch", batch, "a batch name not used before");
        }
        let mut sent = Vec::new();
        for (i, act) in acts.iter().enumerate() {
            match self.get(act).cloned() {
                Some(mut d)
                    if matches!(
                        d.status,
                        DeclarationStatus::ToSend | DeclarationStatus::Refused { .. }
                    ) =>
                {
                    d.status = DeclarationStatus::Sent {
                        batch: batch.to_owned(),
                    };
                    self.write(d);
                    sent.push(act.clone());
                }
                _ if strict => {
                    return Err(DomainError::invalid(
                        &format!("acts[{i}]"),
                        act.as_str(),
                        "an insemination record waiting to be sent",
                    ));
                }
                _ => {}
            }
        }
        self.batches.insert(batch.as_bytes().to_vec(), sent);
        Ok(())
    }

    /// The national system's answer to a batch: every record it carried accepted but those
    /// refused. `strict` refuses an answer to a batch never sent.
    pub fn acknowledged(
        &mut self,
        batch: &str,
        refused: &[DeclarationRefusal],
        strict: bool,
    ) -> Result<(), DomainError> {
        let Some(acts) = self.batches.get(batch.as_bytes()).cloned() else {
            return refused_if(strict, "batch", batch, "a batch of records already sent");
        };
        for act in acts {
            let Some(mut d) = self.get(&act).cloned() else {
                continue;
            };
            // A record corrected since it was sent keeps its new status.
            if d.status
                != (DeclarationStatus::Sent {
                    batch: batch.to_owned(),
                })
            {
                continue;
            }
            d.status = match refused.iter().find(|r| r.act == d.act) {
                Some(r) => DeclarationStatus::Refused {
                    batch: batch.to_owned(),
                    reason: r.reason.clone(),
                },
                None => DeclarationStatus::Accepted {
                    batch: batch.to_owned(),
                },
            };
            self.write(d);
        }
        Ok(())
    }
}

/// An event the queue cannot take: refused when recorded here (`strict`), passed over when
/// it comes from a peer (its device took it; ours may simply have seen it already).
fn refused_if(strict: bool, field: &str, value: &str, expected: &str) -> Result<(), DomainError> {
    if strict {
        Err(DomainError::invalid(field, value, expected))
    } else {
        Ok(())
    }
}

/// The Paris day of an event's clock, for when a correction puts a record back in the queue.
fn stamp_day(stamp: Stamp) -> NaiveDate {
    let secs = (stamp.clock.wall_ms / 1000) as i64;
    chrono::DateTime::from_timestamp(secs, 0)
        .map(|t| paris_day(&t.fixed_offset()))
        .unwrap_or_default()
}
