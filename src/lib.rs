//! Tournée: the field app of insemination technicians.
//!
//! The core (`domain`, `record`, `forfait`, `worktime`, `declare`, `advice`, `tour`, `eid`,
//! `log`, `sync`, with `exchange`, `pdf` and `csv_export`) builds without the `gui` and
//! `server` features and has no UI, web-server or SQL types in its signatures; `record` holds
//! the rules checked before anything is appended, for the app and the server alike. It does rest on a few libraries: `log`
//! keeps events in an embedded sled database (files on the device; `LogError` converts
//! sled's errors), signs and hashes them (ed25519-dalek, blake3) and compresses them (zstd,
//! postcard); `sync` reaches the server over HTTP through a blocking `ureq` client, in
//! `sync/http.rs` only, behind the `Transport` trait; `eid` opens serial ports
//! (`serialport`); `tour` measures distances with `geo`; `pdf` writes PDF/A with krilla;
//! `csv_export` writes CSV with `csv`.
//! The screens (`app`, feature `gui`: egui/eframe) and the server (`server`, feature
//! `server`: axum on tokio, sled or PostgreSQL) are thin shells over it, as is `cli`, the
//! headless subcommands of the `tournee` binary (`main.rs`).

pub mod advice;
#[cfg(feature = "gui")]
pub mod app;
pub mod cli;
pub mod csv_export;
pub mod declare;
pub mod demo;
pub mod domain;
pub mod eid;
pub mod exchange;
pub mod forfait;
pub mod log;
pub mod pdf;
pub mod record;
#[cfg(feature = "server")]
pub mod server;
pub mod sync;
pub mod tour;
pub mod worktime;

/// Every program built on this library (the app, the server, the tests and benchmarks)
/// allocates with mimalloc: a store's projections are rebuilt in memory at each open, and
/// the system allocator made that a third slower.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;
