//! `tournee`: opens the app on the local store, or runs a headless subcommand.

use clap::Parser;

use tournee::cli::{self, Cli};

fn main() {
    let cli = Cli::parse();
    let result = match &cli.command {
        Some(command) => cli::run(&cli, command),
        None => open_app(&cli),
    };
    if let Err(e) = result {
        eprintln!("tournee: {e}");
        std::process::exit(e.exit_code());
    }
}

#[cfg(feature = "gui")]
fn open_app(cli: &Cli) -> Result<(), cli::CliError> {
    let dir = cli::data_dir(cli.data.as_deref())?;
    let mut config = tournee::app::AppConfig::for_dir(&dir);
    // The technician's stick reader, on a USB or Bluetooth serial port (or the port and speed
    // chosen in Settings, which the app applies over this search).
    config.reader = Some(tournee::eid::reader::ReaderConfig::default());
    tournee::app::run(config)
        .map_err(|e| cli::CliError::failure(format!("the app's window could not open: {e}")))
}

#[cfg(not(feature = "gui"))]
fn open_app(_cli: &Cli) -> Result<(), cli::CliError> {
    Err(cli::CliError::input(
        "this build has no app (feature gui): give a subcommand, see --help",
    ))
}
