//! The headless subcommands of `tournee`.
//!
//! Each subcommand reads its input, calls the core, and prints JSON (or CSV) on stdout.
//! Bad input ends with exit status 2 and one line on stderr naming the field and the value;
//! nothing is written and nothing goes to stdout. A failure of the machine (disk, store)
//! ends with exit status 1.

use std::path::{Path, PathBuf};

use clap::{Parser, Subcommand};

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
pub enum Command {}

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
    println!("{text}");
    Ok(())
}

/// Runs a subcommand.
pub fn run(cli: &Cli, command: &Command) -> Result<(), CliError> {
    let _ = (cli, command);
    match *command {}
}
