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
    /// Lists insemination records waiting to be declared, with their deadline (14 days).
    Declarations {
        /// Only the records not sent yet (to send, or refused).
        #[arg(long, conflicts_with = "late")]
        pending: bool,
        /// Only the records past their deadline and not sent.
        #[arg(long)]
        late: bool,
        /// Only this technician's records.
        #[arg(long)]
        technician: Option<String>,
        /// The day to judge deadlines on (YYYY-MM-DD; default: today in Europe/Paris).
        #[arg(long)]
        today: Option<NaiveDate>,
        #[arg(long, value_enum, default_value = "json")]
        format: Format,
    },
    /// Writes the farmer's certificate of a visit's inseminations as PDF (to FILE, or `-`
    /// for stdout).
    Certificate {
        visit: String,
        #[arg(long, default_value = "-")]
        out: PathBuf,
    },
}

/// Output formats of the listing subcommands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Json,
    Csv,
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
        Command::Declarations {
            pending,
            late,
            technician,
            today,
            format,
        } => {
            let technician = technician
                .as_deref()
                .map(|t| crate::domain::TechnicianId::parse("--technician", t))
                .transpose()
                .map_err(CliError::input)?;
            let today = today.unwrap_or_else(today_in_paris);
            let store = open_store(data)?;
            declarations(&store, technician.as_ref(), today, *pending, *late, *format)
        }
        Command::Certificate { visit, out } => {
            let visit = crate::domain::VisitId::parse("visit", visit).map_err(CliError::input)?;
            let store = open_store(data)?;
            if store.visit(&visit).map_err(log_error)?.is_none() {
                return Err(CliError::input(format!(
                    "visit: {visit:?} is not a visit of this store"
                )));
            }
            let mut records = Vec::new();
            for r in crate::declare::visit_records(&store, &visit).map_err(log_error)? {
                records.push(
                    r.map_err(|e| CliError::input(format!("the record is incomplete: {e}")))?,
                );
            }
            if records.is_empty() {
                return Err(CliError::input(format!(
                    "visit: {visit:?} has no insemination to certify"
                )));
            }
            let confirmation = store.confirmation(&visit).map_err(log_error)?;
            let pdf = crate::declare::certificate(&records, confirmation.as_ref()).to_bytes();
            if out == Path::new("-") {
                use std::io::Write;
                std::io::stdout()
                    .lock()
                    .write_all(&pdf)
                    .map_err(CliError::failure)
            } else {
                std::fs::write(out, pdf)
                    .map_err(|e| CliError::failure(format!("{}: {e}", out.display())))
            }
        }
    }
}

fn today_in_paris() -> NaiveDate {
    crate::domain::paris_day(&crate::domain::time::now())
}

/// `tournee declarations`: the queue as JSON (with each record, or the field it lacks), or
/// the records ready to send as the declaration CSV.
fn declarations(
    store: &Store,
    technician: Option<&crate::domain::TechnicianId>,
    today: NaiveDate,
    pending: bool,
    late: bool,
    format: Format,
) -> Result<(), CliError> {
    use crate::declare::{DeclarationStatus, Urgency};
    let mut rows = Vec::new();
    for d in store.open_declarations(technician).map_err(log_error)? {
        let urgency = d.urgency(today);
        let unsent = matches!(
            d.status,
            DeclarationStatus::ToSend | DeclarationStatus::Refused { .. }
        );
        if (pending && !unsent) || (late && urgency != Urgency::Late) {
            continue;
        }
        let record = match store.act(&d.act).map_err(log_error)? {
            Some(view) => crate::declare::record_of(store, &view.act).map_err(log_error)?,
            None => Err(crate::domain::DomainError::invalid(
                "act",
                d.act.as_str(),
                "an act of this store",
            )),
        };
        rows.push((d, urgency, record));
    }
    match format {
        Format::Json => {
            let items: Vec<serde_json::Value> = rows
                .iter()
                .map(|(d, urgency, record)| {
                    let mut v = serde_json::json!({
                        "act": d.act,
                        "visit": d.visit,
                        "technician": d.technician,
                        "date": d.date,
                        "deadline": d.deadline(),
                        "kind": d.kind,
                        "status": d.status,
                        "urgency": urgency,
                    });
                    match record {
                        Ok(r) => v["record"] = serde_json::json!(r),
                        Err(e) => v["missing"] = serde_json::json!(e.field),
                    }
                    v
                })
                .collect();
            print_json(&serde_json::json!({ "today": today, "declarations": items }))
        }
        Format::Csv => {
            let mut text = String::from(crate::declare::CSV_HEADER);
            text.push('\n');
            for (d, _, record) in &rows {
                if let Ok(r) = record {
                    text.push_str(&crate::declare::csv_line(&d.kind, r));
                    text.push('\n');
                }
            }
            print_text(&text)
        }
    }
}
