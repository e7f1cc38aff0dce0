//! The messages devices and the server exchange, as plain Rust values (encoded by `wire`).
//!
//! Two calls: `enroll` (a one-time token and the device's public key, once) and `sync` (push
//! this device's events the server lacks, then pull what changed in the account's scope, in
//! one round trip). Every request is signed by the device key (see [`Envelope`]). Not for
//! moving bytes (see `wire` and the client's transport) nor for deciding scope or rights (the
//! server's).

use serde::{Deserialize, Serialize};

use crate::domain::{Ede, SupervisorId, TechnicianId};
use crate::log::{DeviceId, Hash, Seal, SignatureBytes};

/// The calls of the protocol.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Endpoint {
    Enroll,
    Sync,
    /// A supervisor asks which of the team's devices the server refused pushes of.
    Refusals,
}

impl Endpoint {
    /// The path the server serves the call on.
    pub fn path(self) -> &'static str {
        match self {
            Endpoint::Enroll => "/v1/enroll",
            Endpoint::Sync => "/v1/sync",
            Endpoint::Refusals => "/v1/refusals",
        }
    }
}

/// A request, signed by the device key: the server checks the signature against the key it
/// registered at enrolment (for `enroll`, against the key the request carries), the time
/// against its own clock, and the nonce against the requests it saw recently.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Envelope {
    pub device: DeviceId,
    /// The device's idea of the server's clock (it keeps the offset it last saw).
    pub issued_ms: u64,
    pub nonce: [u8; 16],
    pub signature: SignatureBytes,
    /// The encoded request ([`EnrollRequest`] or [`SyncRequest`]).
    pub body: Vec<u8>,
}

/// What the device key signs: the call, the time, the nonce and the body, so no part of a
/// request can be moved to another.
pub fn request_message(
    endpoint: Endpoint,
    issued_ms: u64,
    nonce: &[u8; 16],
    body: &[u8],
) -> Vec<u8> {
    let mut m = Vec::with_capacity(64 + body.len());
    m.extend_from_slice(b"tournee/v1 request ");
    m.extend_from_slice(endpoint.path().as_bytes());
    m.push(0);
    m.extend_from_slice(&issued_ms.to_be_bytes());
    m.extend_from_slice(nonce);
    m.extend_from_slice(blake3::hash(body).as_bytes());
    m
}

/// How far the request's time may be from the server's clock.
pub const MAX_CLOCK_SKEW_MS: u64 = 10 * 60 * 1000;

/// A supervisor's question: the refused pushes of the team (the body says nothing more; the
/// account is the device's).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefusalsRequest;

/// A push the server refused (a forked chain, an event the account may not write), as it
/// records it for the technician's supervisor: the last one of each device.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefusedPush {
    pub technician: TechnicianId,
    pub device: DeviceId,
    /// What the device called itself at enrolment.
    pub label: String,
    /// 409 (a forked chain) or 403 (not the account's to write).
    pub status: u16,
    pub reason: String,
    /// When, Unix milliseconds.
    pub at_ms: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefusalsReply {
    pub refused: Vec<RefusedPush>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EnrollRequest {
    /// The one-time token the cooperative's administrator printed.
    pub token: String,
    pub public_key: [u8; 32],
    /// What the device calls itself (host name), for the administrator's list.
    pub label: String,
}

/// Who an account is, and so what it may read and write.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Role {
    Technician {
        id: TechnicianId,
        name: String,
    },
    Supervisor {
        id: SupervisorId,
        team: Vec<TechnicianId>,
    },
    Farmer {
        farm: Ede,
    },
}

impl Role {
    /// The account's id on the server: role and identifier.
    pub fn account_id(&self) -> String {
        match self {
            Role::Technician { id, .. } => format!("technician:{id}"),
            Role::Supervisor { id, .. } => format!("supervisor:{id}"),
            Role::Farmer { farm } => format!("farmer:{farm}"),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EnrollReply {
    pub role: Role,
    /// The key whose witness seals runs of events the server cut out of longer chains.
    pub server_key: [u8; 32],
}

/// One round trip: push first (when the device has events the server lacks), then pull.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SyncRequest {
    pub push: Option<Push>,
    pub pull: Option<Pull>,
}

/// This device's events `after + 1 ..`, and its signature over the last one's chain hash.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Push {
    pub after: u64,
    pub events: Pushed,
    pub signature: SignatureBytes,
}

/// The pushed events: their bodies exactly as the device hashed and stored them (clock and
/// payload, see `log::Event::body`), laid out in columns (see `columns`), which rebuild
/// them byte for byte. Bodies, not decoded events: what the device signed is what the server
/// checks and keeps, byte for byte.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Pushed {
    /// In columns (the frame's compression applies).
    Plain(#[serde(with = "super::columns::laid_out")] Vec<Vec<u8>>),
    /// In columns compressed by zstd against this device's `history` events up to `after`,
    /// which the server holds (it acknowledged them): their columns are the dictionary,
    /// their names and numbers known. A day's events look like the days before.
    Packed { history: u32, bytes: Vec<u8> },
}

/// The most acknowledged events a push may take as its history (the server reads them all).
pub const PUSH_HISTORY: u32 = 4_000;

/// How many acknowledged events serve as history for a push of `events`. A day's push takes
/// the most: about three weeks, so most farmers' last signature is in it (a signature goes as
/// its difference from the signer's last). A year's batches take a quarter of it: learning a
/// history costs both ends time on every batch, and a batch teaches the next one anyway.
pub fn push_history(events: usize) -> u32 {
    if events <= 1_000 {
        PUSH_HISTORY
    } else {
        PUSH_HISTORY / 4
    }
}

/// What changed in the account's scope since `cursor`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Pull {
    pub cursor: Cursor,
    /// The most events wanted in the answer (the server may send a little more: a farm's
    /// history handed over comes in one piece).
    pub limit: u32,
    /// Include this device's own events: a store rebuilt by `recover` takes back what it
    /// lost. Otherwise they are left out: the device wrote them.
    pub own: bool,
}

/// A position in the server's stream of events: opaque to devices, ordered.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
pub struct Cursor {
    pub tx: u64,
    pub pos: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SyncReply {
    /// The last event of this device the server holds, after the push.
    pub head: u64,
    pub push: Option<PushOutcome>,
    pub pull: Option<PullReply>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum PushOutcome {
    /// Stored (`new` were not there yet): the server holds everything up to `head`.
    Stored { new: u32 },
    /// The push did not start right after the server's head: send again from `head + 1`.
    Resume,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PullReply {
    pub runs: Vec<Run>,
    pub cursor: Cursor,
    /// More is waiting: pull again from `cursor`.
    pub more: bool,
}

/// Consecutive events of one device, from `first`, as the device merges them
/// ([`crate::log::Store::merge_run`]): their bodies as the author hashed them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Run {
    /// The author device's public key (its id is derived from it).
    pub key: [u8; 32],
    pub first: u64,
    /// The chain hash before `first` (none from the first event).
    pub prev: Option<Hash>,
    #[serde(with = "super::columns::laid_out")]
    pub bodies: Vec<Vec<u8>>,
    pub seal: Seal,
}

impl Run {
    pub fn device(&self) -> DeviceId {
        DeviceId::of_key(&self.key)
    }
}
