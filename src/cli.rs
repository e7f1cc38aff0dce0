//! The headless subcommands of `tournee`.
//!
//! Each subcommand reads its input, calls the core, and prints JSON (or CSV) on stdout.
//! Bad input ends with exit status 2 and one line on stderr naming the field and the value;
//! nothing is written and nothing goes to stdout. A failure of the machine (disk, store)
//! ends with exit status 1.

use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use clap::{Parser, Subcommand};
use serde::Serialize;

use crate::log::{LogError, Store};

/// `tournee`: with no subcommand, opens the app on the store.
#[derive(Debug, Parser)]
#[command(
    name = "tournee",
    version,
    about = "Tournée: the insemination technician's round, acts and work time"
)]
pub struct Cli {
    /// The store's folder (default: the user's data folder, e.g. ~/.local/share/tournee).
    #[arg(long, global = true, value_name = "DIR")]
    pub data: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Loads the demo week (one technician in Mayenne) into the store; loading it again adds
    /// nothing. Prints what was added.
    Demo {
        /// The demo's "today" (YYYY-MM-DD; default: today in Europe/Paris).
        #[arg(long)]
        today: Option<NaiveDate>,
    },
    /// Imports a tournee/v1 JSON file (or `-` for standard input). Prints what was added.
    Import { file: PathBuf },
    /// Writes everything the store holds as one tournee/v1 JSON document on stdout.
    Export,
    /// Checks the store's integrity and prints, per device, the events that verify.
    Check,
    /// Registers this device with the cooperative's server using a one-time token, and keeps
    /// the credentials in the store. Prints the account.
    Enroll {
        /// The server's address, e.g. https://sync.coop.example
        #[arg(long)]
        server: String,
        /// The one-time token the administrator printed.
        #[arg(long)]
        token: String,
    },
    /// Syncs once with the server: pushes what it lacks, pulls what changed. Prints what moved.
    Sync,
    /// Says whether everything is on the server, or how many events wait.
    SyncStatus,
}

/// Why a subcommand stopped.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// The input is wrong: exit status 2.
    #[error("{0}")]
    Input(String),
    /// The machine failed (disk, store): exit status 1.
    #[error("{0}")]
    Failure(String),
}

impl CliError {
    pub fn exit_code(&self) -> i32 {
        match self {
            CliError::Input(_) => 2,
            CliError::Failure(_) => 1,
        }
    }

    pub fn input(e: impl std::fmt::Display) -> CliError {
        CliError::Input(one_line(&e.to_string()))
    }

    pub fn failure(e: impl std::fmt::Display) -> CliError {
        CliError::Failure(one_line(&e.to_string()))
    }
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The store folder: `--data`, or the user's data folder.
pub fn data_dir(data: Option<&Path>) -> Result<PathBuf, CliError> {
    match data {
        Some(d) => Ok(d.to_path_buf()),
        None => dirs::data_dir().map(|d| d.join("tournee")).ok_or_else(|| {
            CliError::failure("no user data folder on this system: give --data DIR")
        }),
    }
}

/// Reads a file, or standard input for `-`.
pub fn read_input(path: &Path) -> Result<String, CliError> {
    if path == Path::new("-") {
        let mut s = String::new();
        std::io::Read::read_to_string(&mut std::io::stdin(), &mut s)
            .map_err(|e| CliError::input(format!("standard input: {e}")))?;
        Ok(s)
    } else {
        std::fs::read_to_string(path)
            .map_err(|e| CliError::input(format!("{}: {e}", path.display())))
    }
}

/// Prints a value as one JSON document on stdout.
pub fn print_json<T: serde::Serialize>(value: &T) -> Result<(), CliError> {
    let text = serde_json::to_string_pretty(value).map_err(CliError::failure)?;
    print_text(&(text + "\n"))
}

/// Writes text on stdout; a reader that went away (`| head`) is not an error.
pub fn print_text(text: &str) -> Result<(), CliError> {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(CliError::failure(e)),
        _ => Ok(()),
    }
}

/// Opens the store of `--data`: a refused value is the user's input, anything else a failure.
pub fn open_store(data: Option<&Path>) -> Result<Store, CliError> {
    Store::open(&data_dir(data)?).map_err(log_error)
}

/// A log error as the CLI reports it: refused input exits with 2, the rest with 1.
pub fn log_error(e: LogError) -> CliError {
    match e {
        LogError::Refused(_) => CliError::input(e),
        e => CliError::failure(e),
    }
}

/// A sync error as the CLI reports it: a refusal or a wrong state is the user's (2), the
/// network or the disk a failure (1).
pub fn sync_error(e: crate::sync::SyncError) -> CliError {
    use crate::sync::{SyncError, TransportError};
    match e {
        SyncError::NotEnrolled
        | SyncError::AlreadyEnrolled
        | SyncError::Transport(TransportError::Refused { .. }) => CliError::input(e),
        SyncError::Log(e) => log_error(e),
        e => CliError::failure(e),
    }
}

/// Runs a subcommand.
pub fn run(cli: &Cli, command: &Command) -> Result<(), CliError> {
    let data = cli.data.as_deref();
    match command {
        Command::Demo { today } => {
            let today =
                today.unwrap_or_else(|| crate::domain::paris_day(&crate::domain::time::now()));
            let store = open_store(data)?;
            let summary = store.import(&crate::demo::week(today)).map_err(log_error)?;
            print_json(&summary)
        }
        Command::Import { file } => {
            let text = read_input(file)?;
            let store = open_store(data)?;
            let known_tech = |id: &_| store.technician(id).ok().flatten().is_some();
            let known_farm = |ede: &_| store.farm(ede).ok().flatten().is_some();
            let records =
                crate::exchange::parse(&text, &known_tech, &known_farm).map_err(CliError::input)?;
            let summary = store.import(&records).map_err(log_error)?;
            print_json(&summary)
        }
        Command::Export => {
            let store = open_store(data)?;
            let records = store.records().map_err(log_error)?;
            print_json(&crate::exchange::document(&records))
        }
        Command::Check => {
            let store = open_store(data)?;
            #[derive(Serialize)]
            struct Chain {
                device: String,
                events: u64,
            }
            let report = crate::log::check(&store).map_err(log_error)?;
            let chains: Vec<Chain> = report
                .chains
                .iter()
                .map(|c| Chain {
                    device: c.device.to_string(),
                    events: c.events,
                })
                .collect();
            print_json(&serde_json::json!({"intact": report.is_intact(), "chains": chains}))
        }
        Command::Enroll { server, token } => {
            let store = open_store(data)?;
            let client = crate::sync::SyncClient::new(crate::sync::HttpTransport::new(server));
            let label = std::env::var("HOSTNAME").unwrap_or_else(|_| "tournee".into());
            let role = client
                .enroll(&store, server, token, &label)
                .map_err(sync_error)?;
            print_json(&serde_json::json!({
                "enrolled": true,
                "account": role.account_id(),
                "device": store.device().to_string(),
            }))
        }
        Command::Sync => {
            let store = open_store(data)?;
            let credentials = crate::sync::credentials(&store)
                .map_err(sync_error)?
                .ok_or_else(|| sync_error(crate::sync::SyncError::NotEnrolled))?;
            let client =
                crate::sync::SyncClient::new(crate::sync::HttpTransport::new(&credentials.server));
            let report = client.sync_once(&store).map_err(sync_error)?;
            print_json(&report)
        }
        Command::SyncStatus => {
            let store = open_store(data)?;
            let status = crate::sync::status(&store).map_err(sync_error)?;
            print_json(&serde_json::json!({
                "enrolled": status.enrolled,
                "everything_on_server": status.everything_on_server(),
                "waiting_events": status.waiting_events,
                "waiting_acts": status.waiting_acts,
            }))
        }
    }
}
