//! The one chain walk: how a run of a device's events is checked before anyone stores it, on
//! the tablet (`Store::merge_run`) and on the server (a push), so both ends accept exactly the
//! same chains.
//!
//! A run is consecutive events of one device from a known chain hash: every payload must be
//! valid, every hash follows from the one before, an event the receiver already holds must hash
//! the same (else the chain forked), and a seal over the last hash vouches for the whole run.

use ed25519_dalek::{Signature, VerifyingKey};

use super::event::{DeviceId, Event, EventId, Hash, Seal, chain_hash, witness_message};
use crate::domain::DomainError;

/// Why a run is refused.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ChainError {
    #[error("sequence numbers start at 1")]
    StartsAtZero,
    #[error("event {seq} ({kind}): {error}")]
    Invalid {
        seq: u64,
        kind: &'static str,
        error: DomainError,
    },
    #[error("event {0} does not decode")]
    Encoding(u64),
    #[error("event {0} differs from the one stored (a forked chain)")]
    Fork(u64),
    #[error("the signature does not match the chain")]
    Signature,
    #[error("the witness is not a server this store trusts")]
    UntrustedWitness,
    #[error("the server's witness does not match the chain")]
    Witness,
    #[error("the device's public key is invalid")]
    Key,
}

/// One event of a run, checked and chained.
#[derive(Debug, Clone)]
pub struct Chained {
    pub event: Event,
    /// Its body, as hashed and stored.
    pub body: Vec<u8>,
    /// The chain hash after it.
    pub hash: Hash,
    /// The receiver already held it (with the same hash).
    pub known: bool,
}

/// A run that passed [`walk`].
#[derive(Debug, Clone)]
pub struct Walked {
    pub events: Vec<Chained>,
    /// The chain hash after the last event (the one a seal must vouch for).
    pub head: Hash,
}

impl Walked {
    /// The events the receiver did not hold yet.
    pub fn fresh(&self) -> impl Iterator<Item = &Chained> {
        self.events.iter().filter(|c| !c.known)
    }
}

/// Walks the events of `device` numbered from `first`, given by their bodies as the author
/// hashed them, which must start right after the chain hash `prev`. `known` gives the hash the
/// receiver holds for a sequence number, if any. Bodies are hashed as they came and decoded
/// once: nobody re-encodes an event, so what was signed is what is stored.
pub fn walk<E: From<ChainError>>(
    device: DeviceId,
    prev: Hash,
    first: u64,
    bodies: Vec<Vec<u8>>,
    mut known: impl FnMut(u64) -> Result<Option<Hash>, E>,
) -> Result<Walked, E> {
    if first == 0 && !bodies.is_empty() {
        return Err(ChainError::StartsAtZero.into());
    }
    let mut hash = prev;
    let mut out = Vec::with_capacity(bodies.len());
    for (seq, body) in (first..).zip(bodies) {
        let id = EventId { device, seq };
        let event = Event::from_body(id, &body).map_err(|_| ChainError::Encoding(seq))?;
        event
            .payload
            .validate()
            .map_err(|error| ChainError::Invalid {
                seq,
                kind: event.payload.name(),
                error,
            })?;
        hash = chain_hash(&hash, &id, &body);
        let held = known(seq)?;
        if held.is_some_and(|h| h != hash) {
            return Err(ChainError::Fork(seq).into());
        }
        out.push(Chained {
            event,
            body,
            hash,
            known: held.is_some(),
        });
    }
    Ok(Walked {
        events: out,
        head: hash,
    })
}

/// Checks that `seal` vouches for `hash`, the chain hash after event `last` of a device whose
/// public key is `public_key`: its own signature, or the witness of a server in `trusted`.
pub fn verify_seal(
    public_key: &[u8; 32],
    last: EventId,
    hash: &Hash,
    seal: &Seal,
    trusted: &[[u8; 32]],
) -> Result<(), ChainError> {
    match seal {
        Seal::Device(signature) => VerifyingKey::from_bytes(public_key)
            .map_err(|_| ChainError::Key)?
            .verify_strict(hash, &Signature::from_bytes(&signature.0))
            .map_err(|_| ChainError::Signature),
        Seal::Witness { key, signature } => {
            if !trusted.contains(key) {
                return Err(ChainError::UntrustedWitness);
            }
            VerifyingKey::from_bytes(key)
                .map_err(|_| ChainError::Witness)?
                .verify_strict(
                    &witness_message(&last, hash),
                    &Signature::from_bytes(&signature.0),
                )
                .map_err(|_| ChainError::Witness)
        }
    }
}
