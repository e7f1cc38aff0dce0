//! Events as the log stores them: identity (device, sequence), hybrid-logical clock, payload,
//! and the per-device hash chain that makes them tamper-evident.
//!
//! The hash of an event covers its identity, clock and payload and the hash of the device's
//! previous event, so a signature over one event's hash vouches for every event before it on
//! that device. Hashes are recomputed by whoever receives events, never trusted from the wire.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::domain::Payload;

/// A device (tablet, supervisor's laptop, server page): the first 16 bytes of the blake3
/// hash of its ed25519 public key, so an id cannot be claimed without the key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct DeviceId(pub [u8; 16]);

impl DeviceId {
    pub fn of_key(public_key: &[u8; 32]) -> DeviceId {
        let h = blake3::hash(public_key);
        let mut id = [0u8; 16];
        id.copy_from_slice(&h.as_bytes()[..16]);
        DeviceId(id)
    }

    /// Parses the 32 hexadecimal digits [`Display`](fmt::Display) writes.
    pub fn parse_hex(s: &str) -> Option<DeviceId> {
        if s.len() != 32 || !s.is_ascii() {
            return None;
        }
        let mut id = [0u8; 16];
        for (i, b) in id.iter_mut().enumerate() {
            *b = u8::from_str_radix(&s[2 * i..2 * i + 2], 16).ok()?;
        }
        Some(DeviceId(id))
    }
}

impl fmt::Display for DeviceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for b in self.0 {
            write!(f, "{b:02x}")?;
        }
        Ok(())
    }
}

/// An event's identity: the device that wrote it and its sequence number there (from 1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct EventId {
    pub device: DeviceId,
    pub seq: u64,
}

impl EventId {
    /// The storage key: device then big-endian sequence, so a device's events sort in order.
    pub fn key(&self) -> [u8; 24] {
        let mut k = [0u8; 24];
        k[..16].copy_from_slice(&self.device.0);
        k[16..].copy_from_slice(&self.seq.to_be_bytes());
        k
    }

    pub fn from_key(k: &[u8]) -> Option<EventId> {
        let device: [u8; 16] = k.get(..16)?.try_into().ok()?;
        let seq: [u8; 8] = k.get(16..24)?.try_into().ok()?;
        Some(EventId {
            device: DeviceId(device),
            seq: u64::from_be_bytes(seq),
        })
    }
}

impl fmt::Display for EventId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}#{}", self.device, self.seq)
    }
}

/// A hybrid-logical-clock timestamp: wall-clock milliseconds, and a counter that orders
/// events within the same millisecond or when the wall clock went backwards.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default, Serialize, Deserialize,
)]
pub struct Hlc {
    pub wall_ms: u64,
    pub logical: u32,
}

/// How far ahead of our own wall clock a peer's clock may pull ours: a tablet whose clock is
/// months off must not drag every later event into its future.
pub const MAX_DRIFT_MS: u64 = 5 * 60 * 1000;

impl Hlc {
    /// The next timestamp for a local event, after `self` (the last one issued).
    pub fn tick(self, now_ms: u64) -> Hlc {
        if now_ms > self.wall_ms {
            Hlc {
                wall_ms: now_ms,
                logical: 0,
            }
        } else {
            Hlc {
                wall_ms: self.wall_ms,
                logical: self.logical.saturating_add(1),
            }
        }
    }

    /// Our clock after seeing a peer's timestamp: never behind it, unless it is further
    /// ahead of our wall clock than [`MAX_DRIFT_MS`], in which case it is not followed.
    pub fn observe(self, remote: Hlc, now_ms: u64) -> Hlc {
        if remote.wall_ms > now_ms.saturating_add(MAX_DRIFT_MS) || remote <= self {
            return self;
        }
        remote
    }

    pub fn bytes(&self) -> [u8; 12] {
        let mut b = [0u8; 12];
        b[..8].copy_from_slice(&self.wall_ms.to_be_bytes());
        b[8..].copy_from_slice(&self.logical.to_be_bytes());
        b
    }
}

/// The total order of events across devices: clock, then device id to break ties. Mutable
/// records keep the value with the greatest stamp ("latest clock wins").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Stamp {
    pub clock: Hlc,
    pub device: DeviceId,
}

impl Stamp {
    pub fn bytes(&self) -> [u8; 28] {
        let mut b = [0u8; 28];
        b[..12].copy_from_slice(&self.clock.bytes());
        b[12..].copy_from_slice(&self.device.0);
        b
    }
}

/// One event of the log.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    pub id: EventId,
    pub clock: Hlc,
    pub payload: Payload,
}

impl Event {
    pub fn stamp(&self) -> Stamp {
        Stamp {
            clock: self.clock,
            device: self.id.device,
        }
    }

    /// The encoded body (clock and payload) that is stored and hashed.
    pub fn body(&self) -> Result<Vec<u8>, postcard::Error> {
        postcard::to_allocvec(&(&self.clock, &self.payload))
    }

    /// Decodes a body; bytes after the payload are refused, so a signed body holds nothing
    /// that nobody reads.
    pub fn from_body(id: EventId, body: &[u8]) -> Result<Event, postcard::Error> {
        let ((clock, payload), rest): ((Hlc, Payload), _) = postcard::take_from_bytes(body)?;
        if !rest.is_empty() {
            return Err(postcard::Error::DeserializeBadEncoding);
        }
        Ok(Event { id, clock, payload })
    }
}

pub type Hash = [u8; 32];

/// An ed25519 signature as bytes; serde has no impl for 64-byte arrays, so it goes as bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SignatureBytes(pub [u8; 64]);

impl Serialize for SignatureBytes {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_bytes(&self.0)
    }
}

impl<'de> Deserialize<'de> for SignatureBytes {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<SignatureBytes, D::Error> {
        struct Visitor;
        impl<'de> serde::de::Visitor<'de> for Visitor {
            type Value = SignatureBytes;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("64 bytes of signature")
            }
            fn visit_bytes<E: serde::de::Error>(self, v: &[u8]) -> Result<SignatureBytes, E> {
                <[u8; 64]>::try_from(v)
                    .map(SignatureBytes)
                    .map_err(|_| E::invalid_length(v.len(), &self))
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> Result<SignatureBytes, A::Error> {
                let mut out = [0u8; 64];
                for (i, b) in out.iter_mut().enumerate() {
                    *b = seq
                        .next_element()?
                        .ok_or_else(|| serde::de::Error::invalid_length(i, &self))?;
                }
                Ok(SignatureBytes(out))
            }
        }
        d.deserialize_bytes(Visitor)
    }
}

/// What vouches for a run of a peer's events: a signature over the chain hash of its last
/// event. The author's own signature when the device signed there; otherwise a server's
/// witness, for runs the server cut out of a longer chain (events outside the receiver's
/// scope are left out, so the author's signature further on cannot be checked through them).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Seal {
    Device(SignatureBytes),
    Witness {
        key: [u8; 32],
        signature: SignatureBytes,
    },
}

/// The message a server signs as witness of an event's chain hash.
pub fn witness_message(id: &EventId, hash: &Hash) -> Vec<u8> {
    let mut m = Vec::with_capacity(80);
    m.extend_from_slice(b"tournee/v1 witness");
    m.extend_from_slice(&id.key());
    m.extend_from_slice(hash);
    m
}

/// The hash before a device's first event.
pub fn genesis(device: DeviceId) -> Hash {
    let mut h = blake3::Hasher::new();
    h.update(b"tournee/v1 chain genesis");
    h.update(&device.0);
    *h.finalize().as_bytes()
}

/// The chain hash of an event from its encoded body and the previous event's hash.
pub fn chain_hash(prev: &Hash, id: &EventId, body: &[u8]) -> Hash {
    let mut h = blake3::Hasher::new();
    h.update(prev);
    h.update(&id.key());
    h.update(body);
    *h.finalize().as_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clock_ticks_forward_even_when_the_wall_clock_goes_back() {
        let a = Hlc::default().tick(1_000);
        assert_eq!(
            a,
            Hlc {
                wall_ms: 1_000,
                logical: 0
            }
        );
        let b = a.tick(900);
        assert_eq!(
            b,
            Hlc {
                wall_ms: 1_000,
                logical: 1
            }
        );
        assert!(b > a);
        assert_eq!(
            b.tick(1_001),
            Hlc {
                wall_ms: 1_001,
                logical: 0
            }
        );
    }

    #[test]
    fn a_clock_far_in_the_future_is_not_followed() {
        let ours = Hlc {
            wall_ms: 10_000,
            logical: 0,
        };
        let near = Hlc {
            wall_ms: 10_500,
            logical: 3,
        };
        assert_eq!(ours.observe(near, 10_000), near);
        let months_ahead = Hlc {
            wall_ms: 10_000 + 90 * 86_400_000,
            logical: 0,
        };
        assert_eq!(ours.observe(months_ahead, 10_000), ours);
    }

    #[test]
    fn event_keys_sort_by_device_then_sequence() {
        let d = DeviceId([7; 16]);
        let k1 = EventId { device: d, seq: 2 }.key();
        let k2 = EventId {
            device: d,
            seq: 256,
        }
        .key();
        assert!(k1 < k2);
        assert_eq!(
            EventId::from_key(&k2),
            Some(EventId {
                device: d,
                seq: 256
            })
        );
        assert_eq!(DeviceId::parse_hex(&d.to_string()), Some(d));
    }

    #[test]
    fn chain_hash_depends_on_previous_hash_identity_and_body() {
        let d = DeviceId([1; 16]);
        let id = EventId { device: d, seq: 1 };
        let h = chain_hash(&genesis(d), &id, b"body");
        assert_ne!(h, chain_hash(&genesis(d), &id, b"bodY"));
        assert_ne!(h, chain_hash(&[0; 32], &id, b"body"));
        assert_ne!(
            h,
            chain_hash(&genesis(d), &EventId { device: d, seq: 2 }, b"body")
        );
    }
}
