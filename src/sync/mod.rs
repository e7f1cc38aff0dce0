//! Sync between devices and the cooperative's server: the protocol's messages (`protocol`),
//! their encoding on the wire (`wire`), and the device's client (`client`, with an HTTP
//! transport in `http`).
//!
//! The server (feature `server`) speaks the same messages; both ends share this module, so
//! they agree by construction. Not for storage (`log`) nor for who may read or write what
//! (the server decides; the device trusts only signatures and the server's witness).

pub mod client;
pub mod columns;
pub mod http;
pub mod protocol;
pub mod wire;

pub use client::{
    Credentials, Progress, Reply, SyncClient, SyncReport, SyncStatus, Transport, TransportError,
    credentials, forget_progress, progress, status,
};
pub use http::HttpTransport;
pub use protocol::{Cursor, Endpoint, Role};
pub use wire::WireError;

use crate::log::LogError;

/// Why sync stopped. Each round trip already done is saved: calling again resumes.
#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    #[error("this device is not enrolled: run `tournee enroll --server URL --token TOKEN`")]
    NotEnrolled,
    #[error("this device is already enrolled")]
    AlreadyEnrolled,
    #[error(transparent)]
    Transport(#[from] TransportError),
    #[error(transparent)]
    Wire(#[from] WireError),
    #[error(transparent)]
    Log(#[from] LogError),
    #[error("the server's answer makes no sense: {0}")]
    Protocol(String),
    #[error("saved sync state does not decode: {0}")]
    Corrupt(String),
    /// The store lacks some of this device's own events the server never received (lost to
    /// damage, see `recover`): the chain cannot go on past them, so the events after them can
    /// only reach the server recorded again by another store (`adopt`).
    #[error(
        "events {} to {} of this tablet are missing from its store and the server never received them: the {} events recorded after them cannot be sent on this chain. Enrol a new store and adopt them: `tournee --data NEW adopt --from THIS`",
        .0.from, .0.to, .0.held_after
    )]
    Gap(crate::log::Gap),
}
