//! Tournée: the field app of insemination technicians.
//!
//! The core (`domain`, `forfait`, `worktime`, `log`, `sync`, `tour`) is plain Rust: no UI,
//! HTTP or database types. The screens (`app`, feature `gui`) and the server (`server`,
//! feature `server`) are thin shells over it.

pub mod advice;
#[cfg(feature = "gui")]
pub mod app;
pub mod cli;
pub mod declare;
pub mod demo;
pub mod domain;
pub mod eid;
pub mod exchange;
pub mod forfait;
pub mod log;
pub mod pdf;
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
