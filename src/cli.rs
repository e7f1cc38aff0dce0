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
    /// Converts acts into flat-rate seconds by Annexe I of IDCC 7021, or by a company grid.
    /// Reads `{"acts":[{"kind":"ia_bovine","count":3}]}`; prints each act's seconds and the total.
    Forfait {
        /// The company grid (TOML: [forfait_seconds], [forfait_tiers]); default: Annexe I.
        #[arg(long, value_name = "FILE")]
        grid: Option<PathBuf>,
        /// The acts (JSON), or `-` for standard input.
        file: PathBuf,
    },
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
        Command::Forfait { grid, file } => forfait(grid.as_deref(), file),
    }
}

/// The flat-rate grid of `--grid FILE`, or Annexe I.
pub fn load_grid(path: Option<&Path>) -> Result<crate::forfait::Grid, CliError> {
    use crate::forfait::{ForfaitError, Grid};
    let grid = match path {
        Some(p) => {
            Grid::company(&read_input(p)?).map_err(|e| (e.clone(), format!("{}: {e}", p.display())))
        }
        None => Grid::annexe_i().map_err(|e| (e.clone(), e.to_string())),
    };
    grid.map_err(|(e, text)| match e {
        ForfaitError::Annexe(_) => CliError::failure(text),
        _ => CliError::input(text),
    })
}

/// `tournee forfait`: acts in, seconds out.
fn forfait(grid: Option<&Path>, file: &Path) -> Result<(), CliError> {
    use crate::domain::ActKind;

    #[derive(serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Input {
        acts: Vec<Lot>,
    }
    #[derive(serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Lot {
        kind: ActKind,
        count: u32,
    }
    #[derive(Serialize)]
    struct Priced {
        kind: ActKind,
        count: u32,
        seconds: u32,
    }
    #[derive(Serialize)]
    struct Output {
        acts: Vec<Priced>,
        total_seconds: u64,
    }

    let grid = load_grid(grid)?;
    let text = read_input(file)?;
    let mut de = serde_json::Deserializer::from_str(&text);
    let input: Input = serde_path_to_error::deserialize(&mut de)
        .map_err(|e| CliError::input(format!("{}: {}: {}", file.display(), e.path(), e.inner())))?;
    de.end()
        .map_err(|e| CliError::input(format!("{}: {e}", file.display())))?;
    let mut acts = Vec::with_capacity(input.acts.len());
    for (i, lot) in input.acts.iter().enumerate() {
        let seconds = grid
            .seconds(lot.kind, lot.count)
            .map_err(|e| CliError::input(format!("{}: acts[{i}]: {e}", file.display())))?;
        acts.push(Priced {
            kind: lot.kind,
            count: lot.count,
            seconds,
        });
    }
    let total_seconds = acts.iter().map(|a| u64::from(a.seconds)).sum();
    print_json(&Output {
        acts,
        total_seconds,
    })
}
