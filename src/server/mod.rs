//! The cooperative's sync server (feature `server`): accounts and enrolment, the sync service
//! (push checks, rights, scope), its storage (sled or PostgreSQL) and its HTTP face.
//!
//! Layout: `service.rs` decides (authentication, chains, rights via `rights.rs`, runs and
//! witnesses); `backend.rs` is the storage trait, with `sled_store.rs` and `postgres.rs`;
//! `http.rs` is axum; `farmer/` the farmer's web pages; `supervisor/` the supervisor's office
//! (`/bureau`); `web/` what both pages share (sessions, forms, answers); `notices.rs` what farmers are told of arrivals, and the outbox. The binary `tournee-server` wires them (src/bin/tournee-server.rs).

pub mod backend;
pub mod farmer;
pub mod http;
pub mod listen;
pub mod local;
pub mod notices;
pub mod office;
pub mod postgres;
pub mod rights;
pub mod service;
pub mod sled_store;
pub mod supervisor;
pub mod web;

pub use backend::{Backend, BackendError};
pub use service::{ApiError, Service};
pub use sled_store::SledBackend;

use std::path::Path;

use ed25519_dalek::SigningKey;

/// Loads the server's witness key from `path`, or creates it (readable by the owner only).
///
/// This is the server's own key, not a credential of any account: it signs witnesses of
/// chain hashes, which devices check. Account tokens are stored only as hashes, and devices
/// authenticate with their own keys, of which the server keeps only the public half.
pub fn witness_key(path: &Path) -> Result<SigningKey, BackendError> {
    match std::fs::read(path) {
        Ok(bytes) => {
            let secret: [u8; 32] = bytes.as_slice().try_into().map_err(|_| {
                BackendError::Corrupt(format!("{}: not a 32-byte key", path.display()))
            })?;
            Ok(SigningKey::from_bytes(&secret))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let key = SigningKey::generate(&mut rand_core::OsRng);
            if let Some(dir) = path.parent() {
                std::fs::create_dir_all(dir)?;
            }
            let tmp = path.with_extension("tmp");
            {
                use std::io::Write;
                let mut opts = std::fs::OpenOptions::new();
                opts.write(true).create(true).truncate(true);
                #[cfg(unix)]
                std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
                let mut f = opts.open(&tmp)?;
                f.write_all(&key.to_bytes())?;
                f.sync_all()?;
            }
            std::fs::rename(&tmp, path)?;
            Ok(key)
        }
        Err(e) => Err(BackendError::Storage(format!("{}: {e}", path.display()))),
    }
}
