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
    pub command: Option<CliCommand>,
}

#[derive(Debug, Subcommand)]
pub enum CliCommand {
    /// Loads the demo week (one technician in Mayenne) and the technician's tank into the
    /// store; loading it again adds nothing. Prints what was added.
    Demo {
        /// The demo's "today" (YYYY-MM-DD; default: today in Europe/Paris).
        #[arg(long)]
        today: Option<NaiveDate>,
        /// Loads instead a technician's whole year up to today (about 9,000 visits and 41,000
        /// acts, as the benchmarks use): to see the store's size and speed for yourself.
        #[arg(long)]
        year: bool,
    },
    /// Imports a tournee/v1 JSON file (or `-` for standard input). Prints what was added.
    Import { file: PathBuf },
    /// Writes everything the store holds as one tournee/v1 JSON document on stdout.
    Export,
    /// Checks the store's integrity on a copy of its files (the store itself is only read)
    /// and prints, per device, the events that verify, what is damaged and what to do.
    /// Exits with 1 when the store is damaged.
    Check,
    /// Builds a new store in NEWDIR from everything intact in a damaged one (which is only
    /// read), and prints what it kept and what it lost.
    Recover {
        /// The new store's folder (must not hold a store).
        #[arg(long, value_name = "NEWDIR")]
        to: PathBuf,
    },
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
    /// The way out for a copied tablet whose events the server refuses (a forked chain): run
    /// on a new store, enrolled with a new token, it syncs, records again as its own the
    /// copy's events the server does not hold, and syncs again. The copy is only read: its
    /// events stay readable and exportable there. Prints what was adopted and what moved.
    Adopt {
        /// The copied store's folder.
        #[arg(long, value_name = "DIR")]
        from: PathBuf,
    },
    /// Reads tag reader lines on standard input (as a stick reader sends them: Allflex,
    /// TIRIS, decimal, hexadecimal) and prints one JSON per line as it comes:
    /// `{"raw","country","national_id","animal","format"}` or `{"raw","error"}`.
    EidParse {
        /// The species the tags were read on (`bovine`, `caprine`, `ovine`): settles a French
        /// code beginning 00, which fits a cow and a sheep or goat of départements 01 to 09.
        #[arg(long, value_name = "SPECIES")]
        species: Option<String>,
    },
    /// Converts acts into flat-rate seconds by Annexe I of IDCC 7021, or by a company grid.
    /// Reads `{"acts":[{"kind":"ia_bovine","count":3}]}`; prints each act's seconds and the total.
    Forfait {
        /// The company grid (TOML: [forfait_seconds], [forfait_tiers]); default: Annexe I.
        #[arg(long, value_name = "FILE")]
        grid: Option<PathBuf>,
        /// The acts (JSON), or `-` for standard input.
        file: PathBuf,
    },
    /// Plans a round: reads a problem (JSON: start, end, day, speed_kmh, road_factor or a
    /// matrix, visits with windows), prints the order, arrivals, km, driving time, the windows
    /// missed and the visits that do not fit.
    Plan {
        /// The flat-rate grid pricing visits given by their acts (TOML); default: Annexe I.
        #[arg(long, value_name = "FILE")]
        grid: Option<PathBuf>,
        /// The problem (JSON), or `-` for standard input.
        file: PathBuf,
    },
    /// A technician's work time from the store: day sheets, weeks and year counters, with the
    /// legal limits checked (JSON), or one row a day for payroll (CSV).
    Worktime {
        /// The technician's id.
        #[arg(long, value_name = "ID")]
        technician: String,
        /// First day (YYYY-MM-DD).
        #[arg(long, value_name = "DATE")]
        from: String,
        /// Last day, included (YYYY-MM-DD).
        #[arg(long, value_name = "DATE")]
        to: String,
        /// The company grid (TOML); default: Annexe I.
        #[arg(long, value_name = "FILE")]
        grid: Option<PathBuf>,
        /// The company's work-time settings (TOML, a [worktime] table); default: the law's.
        #[arg(long, value_name = "FILE")]
        settings: Option<PathBuf>,
        /// `json` (default), `csv` (one row a day, for payroll) or `pdf` (the statement).
        #[arg(long, value_name = "FORMAT", default_value = "json")]
        format: String,
    },
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
    /// The herd's fertility figures (non-return at 56 and 90 days, conception at IA1, females
    /// served three times or more) of the services a selection chooses, with the same by bull
    /// and by month (JSON, CSV one row per group, or the farmer's yearly report as PDF).
    Fertility {
        /// Only this farm's services (EDE number).
        #[arg(long, value_name = "EDE")]
        farm: Option<String>,
        /// Only this technician's services.
        #[arg(long, value_name = "ID")]
        technician: Option<String>,
        /// Only this bull's services.
        #[arg(long, value_name = "BULL")]
        bull: Option<String>,
        /// First day of the period (YYYY-MM-DD): IA1 are chosen by their date.
        #[arg(long, value_name = "DATE")]
        from: String,
        /// Last day, included (YYYY-MM-DD).
        #[arg(long, value_name = "DATE")]
        to: String,
        /// The day the figures are judged on (YYYY-MM-DD; default: today in Europe/Paris).
        #[arg(long, value_name = "DATE")]
        today: Option<String>,
        /// `json` (default), `csv` or `pdf` (the farmer's yearly report: needs --farm).
        #[arg(long, value_name = "FORMAT", default_value = "json")]
        format: String,
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
    let text = if path == Path::new("-") {
        let mut s = String::new();
        std::io::Read::read_to_string(&mut std::io::stdin(), &mut s)
            .map_err(|e| CliError::input(format!("standard input: {e}")))?;
        s
    } else {
        std::fs::read_to_string(path)
            .map_err(|e| CliError::input(format!("{}: {e}", path.display())))?
    };
    // Spreadsheet tools and Windows editors start UTF-8 files with a byte-order mark.
    Ok(match text.strip_prefix('\u{feff}') {
        Some(rest) => rest.to_owned(),
        None => text,
    })
}

/// Prints a value as one JSON document on stdout.
pub fn print_json<T: serde::Serialize>(value: &T) -> Result<(), CliError> {
    let text = serde_json::to_string_pretty(value).map_err(CliError::failure)?;
    print_text(&(text + "\n"))
}

/// Writes text on stdout; a reader that went away (`| head`) is not an error.
pub fn print_text(text: &str) -> Result<(), CliError> {
    print_bytes(text.as_bytes())
}

/// Writes bytes on stdout; a reader that went away is not an error.
pub fn print_bytes(bytes: &[u8]) -> Result<(), CliError> {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    match out.write_all(bytes).and_then(|()| out.flush()) {
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
pub fn run(cli: &Cli, command: &CliCommand) -> Result<(), CliError> {
    let data = cli.data.as_deref();
    match command {
        CliCommand::Demo { today, year } => {
            let today =
                today.unwrap_or_else(|| crate::domain::paris_day(&crate::domain::time::now()));
            let store = open_store(data)?;
            if *year {
                let summary = store.import(&crate::demo::year(today)).map_err(log_error)?;
                return print_json(&summary);
            }
            // The same data the app's first start offers: the week and the tank.
            let summary = crate::demo::load(&store, today).map_err(log_error)?;
            print_json(&summary)
        }
        CliCommand::Import { file } => {
            let text = read_input(file)?;
            let store = open_store(data)?;
            let known_tech = |id: &_| store.technician(id).ok().flatten().is_some();
            let known_farm = |ede: &_| store.farm(ede).ok().flatten().is_some();
            let records = crate::exchange::parse(&text, &known_tech, &known_farm, today_in_paris())
                .map_err(CliError::input)?;
            let summary = store.import(&records).map_err(log_error)?;
            print_json(&summary)
        }
        CliCommand::Export => {
            // Read from a checked copy: an export never changes the store, damaged or not.
            let store = Store::inspect(&data_dir(data)?).map_err(log_error)?;
            let records = store.records().map_err(log_error)?;
            print_json(&crate::exchange::document(&records))
        }
        CliCommand::Check => {
            let (report, intact) = match Store::inspect(&data_dir(data)?) {
                Ok(store) => (store.report().clone(), true),
                Err(LogError::Damaged(report)) => (report, false),
                Err(e) => return Err(log_error(e)),
            };
            print_json(&serde_json::json!({
                "intact": intact,
                "chains": report.chains,
                "problems": report.problems,
                "advice": report.advice(),
            }))?;
            if intact {
                Ok(())
            } else {
                Err(CliError::failure(format!(
                    "the store is damaged: {report}. {}",
                    report.advice()
                )))
            }
        }
        CliCommand::Recover { to } => {
            let recovery = crate::log::recover(&data_dir(data)?, to).map_err(log_error)?;
            // The new store pulls everything again: what the server holds of what was lost
            // comes back with the next sync.
            let store = Store::open(to).map_err(log_error)?;
            crate::sync::forget_progress(&store).map_err(sync_error)?;
            print_json(&recovery)
        }
        CliCommand::Enroll { server, token } => {
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
        CliCommand::Sync => {
            let store = open_store(data)?;
            let credentials = crate::sync::credentials(&store)
                .map_err(sync_error)?
                .ok_or_else(|| sync_error(crate::sync::SyncError::NotEnrolled))?;
            let client =
                crate::sync::SyncClient::new(crate::sync::HttpTransport::new(&credentials.server));
            let report = client.sync_once(&store).map_err(sync_error)?;
            print_json(&report)
        }
        CliCommand::Adopt { from } => {
            let store = open_store(data)?;
            let credentials = crate::sync::credentials(&store)
                .map_err(sync_error)?
                .ok_or_else(|| sync_error(crate::sync::SyncError::NotEnrolled))?;
            // Read on a checked copy of its files: the copied store is never changed.
            let copy = Store::inspect(from).map_err(log_error)?;
            let client =
                crate::sync::SyncClient::new(crate::sync::HttpTransport::new(&credentials.server));
            // First what the server holds, so none of it is recorded twice.
            let before = client.sync_once(&store).map_err(sync_error)?;
            let adopted = store.adopt(&copy).map_err(log_error)?;
            let after = client.sync_once(&store).map_err(sync_error)?;
            print_json(&serde_json::json!({
                "from": from,
                "device_of_copy": copy.device().to_string(),
                "already_held": adopted.already_held,
                "adopted": adopted.adopted,
                "pulled": before.pulled + after.pulled,
                "pushed": after.pushed,
                "waiting": after.waiting,
            }))
        }
        CliCommand::SyncStatus => {
            let store = open_store(data)?;
            let status = crate::sync::status(&store).map_err(sync_error)?;
            print_json(&serde_json::json!({
                "enrolled": status.enrolled,
                "everything_on_server": status.everything_on_server(),
                "waiting_events": status.waiting_events,
                "waiting_acts": status.waiting_acts,
            }))
        }
        CliCommand::EidParse { species } => eid_parse(species.as_deref()),
        CliCommand::Forfait { grid, file } => forfait(grid.as_deref(), file),
        CliCommand::Plan { grid, file } => plan(grid.as_deref(), file),
        CliCommand::Worktime {
            technician,
            from,
            to,
            grid,
            settings,
            format,
        } => worktime(
            data,
            &WorktimeArgs {
                technician,
                from,
                to,
                grid: grid.as_deref(),
                settings: settings.as_deref(),
                format,
            },
        ),
        CliCommand::Declarations {
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
        CliCommand::Fertility {
            farm,
            technician,
            bull,
            from,
            to,
            today,
            format,
        } => fertility(
            data,
            &FertilityArgs {
                farm: farm.as_deref(),
                technician: technician.as_deref(),
                bull: bull.as_deref(),
                from,
                to,
                today: today.as_deref(),
                format,
            },
        ),
        CliCommand::Certificate { visit, out } => {
            let visit = crate::domain::VisitId::parse("visit", visit).map_err(CliError::input)?;
            let store = open_store(data)?;
            if store.visit(&visit).map_err(log_error)?.is_none() {
                return Err(CliError::input(format!(
                    "visit: {visit:?} is not a visit of this store"
                )));
            }
            let mut records = Vec::new();
            for r in crate::record::visit_records(&store, &visit).map_err(log_error)? {
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
                print_bytes(&pdf)
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
    use crate::declare::{DeclarationStatus, DueState};
    let mut rows = Vec::new();
    for d in store.open_declarations(technician).map_err(log_error)? {
        let urgency = d.due_state(today);
        let unsent = matches!(
            d.status,
            DeclarationStatus::ToSend | DeclarationStatus::Refused { .. }
        );
        if (pending && !unsent) || (late && urgency != DueState::Late) {
            continue;
        }
        let record = match store.act(&d.act).map_err(log_error)? {
            Some(view) => crate::record::record_of(store, &view.act).map_err(log_error)?,
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
            let ready = rows
                .iter()
                .filter_map(|(d, _, record)| Some((&d.kind, record.as_ref().ok()?)));
            print_text(&crate::declare::to_csv(ready).map_err(CliError::failure)?)
        }
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

/// `tournee plan`: a problem in, a round out.
fn plan(grid: Option<&Path>, file: &Path) -> Result<(), CliError> {
    let grid = load_grid(grid)?;
    let text = read_input(file)?;
    let question = crate::tour::json::parse(&text, &grid)
        .map_err(|e| CliError::input(format!("{}: {e}", file.display())))?;
    let plan = crate::tour::solve(
        &question.problem,
        &question.progress,
        &[],
        &crate::tour::Options::default(),
    )
    .map_err(|e| CliError::input(format!("{}: {e}", file.display())))?;
    print_json(&crate::tour::json::output(&plan))
}

/// The arguments of `tournee worktime`, as typed.
struct WorktimeArgs<'a> {
    technician: &'a str,
    from: &'a str,
    to: &'a str,
    grid: Option<&'a Path>,
    settings: Option<&'a Path>,
    format: &'a str,
}

/// A day typed on the command line.
fn day_arg(option: &str, value: &str) -> Result<NaiveDate, CliError> {
    NaiveDate::parse_from_str(value, "%Y-%m-%d").map_err(|_| {
        CliError::input(format!(
            "{option}: {value:?} is not valid: expected a date as YYYY-MM-DD"
        ))
    })
}

/// `tournee worktime`: reads the technician's records from the store and prints the report.
fn worktime(data: Option<&Path>, args: &WorktimeArgs<'_>) -> Result<(), CliError> {
    use crate::domain::TechnicianId;
    use crate::worktime::{self, FromStoreError, Settings, WorkTimeError};

    let id = TechnicianId::parse("--technician", args.technician).map_err(CliError::input)?;
    let (from, to) = (day_arg("--from", args.from)?, day_arg("--to", args.to)?);
    if !matches!(args.format, "json" | "csv" | "pdf") {
        return Err(CliError::input(format!(
            "--format: {:?} is not valid: expected json, csv or pdf",
            args.format
        )));
    }
    let store = open_store(data)?;
    let company = store.company().map_err(log_error)?;
    let (company_grid, company_settings) =
        worktime::company_rules(company.as_ref()).map_err(CliError::input)?;
    let grid = match args.grid {
        Some(_) => load_grid(args.grid)?,
        None => company_grid,
    };
    let settings = match args.settings {
        Some(p) => Settings::from_toml(&read_input(p)?)
            .map_err(|e| CliError::input(format!("{}: {e}", p.display())))?,
        None => company_settings,
    };
    let report = worktime::report_from_store(&store, &id, from, to, &settings, &grid).map_err(
        |e| match e {
            FromStoreError::WorkTime(e) if matches!(*e, WorkTimeError::Unpriced { .. }) && args.grid.is_none() => {
                CliError::input(format!(
                    "{e} (the company agreement in the store does not price it: give a grid with --grid FILE)"
                ))
            }
            FromStoreError::Store(e) => log_error(e),
            FromStoreError::UnknownTechnician(_) => {
                CliError::input(format!("--technician: {id:?} is not in the store"))
            }
            e => CliError::input(e),
        },
    )?;
    match args.format {
        "csv" => print_text(&worktime::to_csv(&report).map_err(CliError::failure)?),
        "pdf" => {
            let technician = store.technician(&id).map_err(log_error)?.ok_or_else(|| {
                CliError::input(format!("--technician: {id:?} is not in the store"))
            })?;
            let name = company.map(|c| c.name).unwrap_or_default();
            let review = |w: &worktime::WeekSheet| store.review(&id, w.week).ok().flatten();
            let pdf = worktime::statement::statement(&technician, &name, &report, &review);
            print_bytes(&pdf.to_bytes())
        }
        _ => print_json(&report),
    }
}

/// The arguments of `tournee fertility`, as typed.
struct FertilityArgs<'a> {
    farm: Option<&'a str>,
    technician: Option<&'a str>,
    bull: Option<&'a str>,
    from: &'a str,
    to: &'a str,
    today: Option<&'a str>,
    format: &'a str,
}

/// `tournee fertility`: the figures of a selection from the store.
fn fertility(data: Option<&Path>, args: &FertilityArgs<'_>) -> Result<(), CliError> {
    use crate::advice::{self, Selection};
    use crate::domain::{BullId, Ede, TechnicianId};

    let selection = Selection {
        farm: args
            .farm
            .map(|f| Ede::parse("--farm", f))
            .transpose()
            .map_err(CliError::input)?,
        technician: args
            .technician
            .map(|t| TechnicianId::parse("--technician", t))
            .transpose()
            .map_err(CliError::input)?,
        bull: args
            .bull
            .map(|b| BullId::parse("--bull", b))
            .transpose()
            .map_err(CliError::input)?,
    };
    let (from, to) = (day_arg("--from", args.from)?, day_arg("--to", args.to)?);
    if to < from {
        return Err(CliError::input(format!(
            "--to: {:?} is not valid: expected a day on or after --from ({from})",
            args.to
        )));
    }
    let today = match args.today {
        Some(t) => day_arg("--today", t)?,
        None => today_in_paris(),
    };
    if !matches!(args.format, "json" | "csv" | "pdf") {
        return Err(CliError::input(format!(
            "--format: {:?} is not valid: expected json, csv or pdf",
            args.format
        )));
    }
    if args.format == "pdf" && selection.farm.is_none() {
        return Err(CliError::input(
            "--farm: none given: the yearly report (--format pdf) is a farm's: give --farm EDE",
        ));
    }
    let store = open_store(data)?;
    let farm = match &selection.farm {
        Some(ede) => Some(store.farm(ede).map_err(log_error)?.ok_or_else(|| {
            CliError::input(format!(
                "--farm: {:?} is not a farm of this store",
                ede.as_str()
            ))
        })?),
        None => None,
    };
    let herd = advice::store::herd(&store, selection.farm.as_ref()).map_err(log_error)?;
    let report = advice::report(&herd, &selection, from, to, today);
    match (args.format, farm) {
        ("csv", _) => print_text(&advice::to_csv(&report).map_err(CliError::failure)?),
        ("pdf", Some(farm)) => {
            let pdf = advice::store::report_pdf(&store, &farm, &report).map_err(log_error)?;
            print_bytes(&pdf.to_bytes())
        }
        _ => print_json(&report),
    }
}

/// `tournee eid-parse`: reader lines in, one JSON per line out, as they come (a reader's port
/// can be read live: `tournee eid-parse < /dev/ttyUSB0`).
fn eid_parse(species: Option<&str>) -> Result<(), CliError> {
    use crate::domain::Species;
    use std::io::Read;
    let species = match species {
        None => None,
        Some("bovine") => Some(Species::Bovine),
        Some("caprine") => Some(Species::Caprine),
        Some("ovine") => Some(Species::Ovine),
        Some(other) => {
            return Err(CliError::input(format!(
                "--species: {other:?} is not one: expected bovine, caprine or ovine"
            )));
        }
    };
    let mut lines = crate::eid::LineSplitter::default();
    let mut stdin = std::io::stdin().lock();
    let mut buf = [0u8; 4096];
    loop {
        let n = match stdin.read(&mut buf) {
            Ok(0) => 0,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(CliError::failure(format!("standard input: {e}"))),
        };
        // The last line may lack its end: the end of input ends it.
        let chunk: &[u8] = if n == 0 { b"\n" } else { &buf[..n] };
        for raw in lines.push(chunk) {
            let json =
                serde_json::to_string(&eid_json(&raw, species)).map_err(CliError::failure)?;
            print_text(&(json + "\n"))?;
        }
        if n == 0 {
            return Ok(());
        }
    }
}

/// One line's answer, as `eid-parse` prints it.
pub fn eid_json(raw: &str, species: Option<crate::domain::Species>) -> serde_json::Value {
    use crate::eid::National;
    match crate::eid::parse_line(raw) {
        Err(e) => serde_json::json!({ "raw": raw, "error": e.to_string() }),
        Ok(tag) => {
            let reading = tag.animal(species);
            let mut v = serde_json::json!({
                "raw": raw,
                "country": format!("{:03}", tag.country),
                "national_id": match &reading.national {
                    National::One(id) => Some(id.as_str()),
                    _ => None,
                },
                "animal": reading.animal.as_ref().map(|a| a.as_str()),
                "format": tag.format.id(),
            });
            if let National::Ambiguous(c) = &reading.national {
                v["candidates"] = c.iter().map(|a| a.as_str()).collect();
            }
            v
        }
    }
}
