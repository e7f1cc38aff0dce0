//! `tournee-server`: the cooperative's sync server, and its administration commands.
//!
//! `tournee-server --data DIR --listen ADDR` serves on sled in DIR; with `--database-url
//! postgres://...` it stores in PostgreSQL instead (DIR then only holds the witness key).
//! `add-technician`, `add-supervisor` and `add-farmer` create an account (or find it) and print
//! a one-time enrolment token; `add-farmer --link URL` prints the farmer's one-time login link
//! to the web page (`/eleveur`, src/server/farmer/), `add-supervisor --link URL` the
//! supervisor's to the office (`/bureau`, src/server/supervisor/).

use std::path::PathBuf;
use std::sync::Arc;

use clap::{Parser, Subcommand};

use chrono::NaiveDate;
use tournee::domain::{ActId, DeclarationRefusal, Ede, SupervisorId, TechnicianId};
use tournee::server::office::{Admin, AdminOutput, AdminRequest, ExportFormat};
use tournee::server::{self, Backend, Service, SledBackend};
use tournee::sync::Role;

#[derive(Debug, Parser)]
#[command(name = "tournee-server", version, about = "Tournée's sync server")]
struct Args {
    /// The server's folder: the witness key, and the sled store unless --database-url.
    #[arg(long, global = true, value_name = "DIR")]
    data: Option<PathBuf>,
    /// Store in PostgreSQL (postgres://user@host/db) instead of sled.
    #[arg(long, global = true, value_name = "URL")]
    database_url: Option<String>,
    /// The PostgreSQL schema (created if absent).
    #[arg(long, global = true, default_value = "tournee")]
    schema: String,
    /// Address to serve on (e.g. 127.0.0.1:8080; port 0 picks a free one, printed on start).
    #[arg(long, value_name = "ADDR")]
    listen: Option<String>,
    /// Connections one client address may hold at once; 0: no limit (behind a reverse proxy,
    /// where every client comes from the proxy's address: limit there).
    #[arg(long, value_name = "N", default_value_t = 64)]
    max_connections_per_address: usize,
    /// The cooperative's SMS or e-mail gateway: arrival notices for farmers who opted in are
    /// POSTed there as JSON (`id`, `to`, `text`, with `Idempotency-Key`). Without it, nothing
    /// is sent (the farmer's page still shows the window).
    #[arg(long, value_name = "URL")]
    sms_gateway: Option<String>,
    #[command(subcommand)]
    command: Option<ServerCommand>,
}

// The subcommands' names are what administrators type: add-technician, add-supervisor...
#[allow(clippy::enum_variant_names)]
#[derive(Debug, Subcommand)]
enum ServerCommand {
    /// Creates a technician's account and prints a one-time enrolment token.
    AddTechnician {
        id: String,
        #[arg(long)]
        name: String,
    },
    /// Creates a supervisor's account for a team and prints a one-time enrolment token, or
    /// with --link the one-time link to the office's web page.
    AddSupervisor {
        id: String,
        /// The team's technician ids, comma-separated.
        #[arg(long, value_delimiter = ',', required = true)]
        team: Vec<String>,
        /// The server's public address (https://sync.coop.example): print the login link.
        #[arg(long, value_name = "URL")]
        link: Option<String>,
    },
    /// Creates a farmer's account for a farm and prints a one-time enrolment token, or with
    /// --link the one-time link to the farmer's web page.
    AddFarmer {
        #[arg(long)]
        farm: String,
        /// The server's public address (https://sync.coop.example): print the login link.
        #[arg(long, value_name = "URL")]
        link: Option<String>,
    },
    /// Prints the insemination declarations ready to send of a supervisor's team (README:
    /// "Declarations export"): those due since --day, or all.
    ExportDeclarations {
        #[arg(long)]
        supervisor: String,
        /// The day the declarations became due (YYYY-MM-DD): the inseminations of that day
        /// and the corrections made that day.
        #[arg(long)]
        day: Option<String>,
        /// csv or json.
        #[arg(long, default_value = "csv")]
        format: String,
    },
    /// Records that a batch of declarations was sent to the national system.
    DeclarationsSent {
        #[arg(long)]
        supervisor: String,
        /// The batch's name, as given to the national system.
        #[arg(long)]
        batch: String,
        /// The acts declared, comma-separated (the `acte` column of the export).
        #[arg(long, value_delimiter = ',', required = true)]
        acts: Vec<String>,
    },
    /// Records the national system's answer to a batch: every record accepted but those
    /// given with --refused ACT=REASON (repeat it).
    DeclarationsAcknowledged {
        #[arg(long)]
        supervisor: String,
        #[arg(long)]
        batch: String,
        #[arg(long, value_name = "ACT=REASON")]
        refused: Vec<String>,
    },
    /// Prints every message to farmers (arrival windows), one JSON object a line: id, farm,
    /// visit, to, text, created_ms, status (pending with attempts and the last error, sent,
    /// failed with the reason, replaced).
    Outbox,
}

fn input(e: impl std::fmt::Display) -> (i32, String) {
    (2, e.to_string())
}

fn failure(e: impl std::fmt::Display) -> (i32, String) {
    (1, e.to_string())
}

/// What an admin command prints: the token, or the login link of the farmer's page or the
/// supervisor's office.
fn shown(command: &ServerCommand, token: String) -> String {
    let (base, page) = match command {
        ServerCommand::AddFarmer {
            link: Some(base), ..
        } => (base, "eleveur"),
        ServerCommand::AddSupervisor {
            link: Some(base), ..
        } => (base, "bureau"),
        _ => return token,
    };
    format!(
        "{}/{page}/connexion?jeton={token}",
        base.trim_end_matches('/')
    )
}

fn role(command: &ServerCommand) -> Result<Role, (i32, String)> {
    Ok(match command {
        ServerCommand::AddTechnician { id, name } => {
            tournee::domain::check_text("name", name, 1).map_err(input)?;
            Role::Technician {
                id: TechnicianId::parse("id", id).map_err(input)?,
                name: name.trim().to_owned(),
            }
        }
        ServerCommand::AddSupervisor { id, team, .. } => Role::Supervisor {
            id: SupervisorId::parse("id", id).map_err(input)?,
            team: team
                .iter()
                .enumerate()
                .map(|(i, t)| TechnicianId::parse(&format!("team[{i}]"), t.trim()))
                .collect::<Result<_, _>>()
                .map_err(input)?,
        },
        ServerCommand::AddFarmer { farm, .. } => Role::Farmer {
            farm: Ede::parse("farm", farm).map_err(input)?,
        },
        _ => return Err(input("not an account command")),
    })
}

fn supervisor(id: &str) -> Result<SupervisorId, (i32, String)> {
    SupervisorId::parse("--supervisor", id).map_err(input)
}

/// What the command asks the server, checked: bad input is said with its field and value.
fn request(command: &ServerCommand) -> Result<AdminRequest, (i32, String)> {
    Ok(match command {
        ServerCommand::AddTechnician { .. }
        | ServerCommand::AddSupervisor { .. }
        | ServerCommand::AddFarmer { .. } => AdminRequest::AddAccount(role(command)?),
        ServerCommand::ExportDeclarations {
            supervisor: s,
            day,
            format,
        } => AdminRequest::ExportDeclarations {
            supervisor: supervisor(s)?,
            day: day
                .as_deref()
                .map(|d| {
                    NaiveDate::parse_from_str(d.trim(), "%Y-%m-%d").map_err(|_| {
                        input(format!("--day: {d:?} is not a date: expected YYYY-MM-DD"))
                    })
                })
                .transpose()?,
            format: match format.as_str() {
                "csv" => ExportFormat::Csv,
                "json" => ExportFormat::Json,
                other => {
                    return Err(input(format!("--format: {other:?}: expected csv or json")));
                }
            },
        },
        ServerCommand::DeclarationsSent {
            supervisor: s,
            batch,
            acts,
        } => AdminRequest::DeclarationsSent {
            supervisor: supervisor(s)?,
            batch: batch.clone(),
            acts: acts
                .iter()
                .enumerate()
                .map(|(i, a)| ActId::parse(&format!("--acts[{i}]"), a.trim()))
                .collect::<Result<_, _>>()
                .map_err(input)?,
        },
        ServerCommand::DeclarationsAcknowledged {
            supervisor: s,
            batch,
            refused,
        } => AdminRequest::DeclarationsAcknowledged {
            supervisor: supervisor(s)?,
            batch: batch.clone(),
            refused: refused
                .iter()
                .enumerate()
                .map(|(i, r)| {
                    let field = format!("--refused[{i}]");
                    let (act, reason) = r
                        .split_once('=')
                        .ok_or_else(|| input(format!("{field}: {r:?}: expected ACT=REASON")))?;
                    Ok(DeclarationRefusal {
                        act: ActId::parse(&field, act.trim()).map_err(input)?,
                        reason: reason.trim().to_owned(),
                    })
                })
                .collect::<Result<_, (i32, String)>>()?,
        },
        ServerCommand::Outbox => AdminRequest::Outbox,
    })
}

async fn backend(args: &Args) -> Result<Arc<dyn Backend>, (i32, String)> {
    let data = args
        .data
        .as_ref()
        .ok_or_else(|| input("give --data DIR (the server's folder)"))?;
    Ok(match &args.database_url {
        Some(url) => Arc::new(
            server::postgres::PgBackend::connect(url, &args.schema)
                .await
                .map_err(failure)?,
        ),
        None => Arc::new(SledBackend::open(&data.join("store")).map_err(failure)?),
    })
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(text: &str) -> Option<Vec<u8>> {
    let text = text.trim();
    if !text.len().is_multiple_of(2) {
        return None;
    }
    (0..text.len() / 2)
        .map(|i| u8::from_str_radix(text.get(2 * i..2 * i + 2)?, 16).ok())
        .collect()
}

/// A refusal as the command reports it: the caller's fault (exit 2) or the server's (exit 1).
fn api(e: server::ApiError) -> (i32, String) {
    if e.status < 500 {
        input(e.reason)
    } else {
        failure(e.reason)
    }
}

/// Asks the server running on the same folder, through its admin socket (sled allows one
/// process per store; the socket is the owner's only, like the folder).
#[cfg(unix)]
async fn ask_running_server(
    socket: &std::path::Path,
    request: &AdminRequest,
) -> Result<AdminOutput, (i32, String)> {
    use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
    let mut stream = tokio::net::UnixStream::connect(socket)
        .await
        .map_err(|e| failure(format!("the store is in use and {}: {e}", socket.display())))?;
    let request = postcard::to_allocvec(request).map_err(failure)?;
    stream
        .write_all(format!("{}\n", hex(&request)).as_bytes())
        .await
        .map_err(failure)?;
    let mut line = String::new();
    BufReader::new(stream)
        .read_line(&mut line)
        .await
        .map_err(failure)?;
    match line.trim().split_once(' ') {
        Some(("ok", answer)) => unhex(answer)
            .and_then(|b| postcard::from_bytes(&b).ok())
            .ok_or_else(|| failure("the server's answer does not decode")),
        Some(("input", reason)) => Err(input(reason)),
        _ => Err(failure(line.trim())),
    }
}

/// Binds the admin socket (owner only), before the server says it listens, so an admin
/// command run right after finds it.
#[cfg(unix)]
fn bind_admin_socket(socket: &std::path::Path) -> Option<tokio::net::UnixListener> {
    let _ = std::fs::remove_file(socket);
    match tokio::net::UnixListener::bind(socket) {
        Ok(l) => {
            use std::os::unix::fs::PermissionsExt;
            let _ = std::fs::set_permissions(socket, std::fs::Permissions::from_mode(0o600));
            Some(l)
        }
        Err(e) => {
            eprintln!("tournee-server: admin socket {}: {e}", socket.display());
            None
        }
    }
}

/// Serves admin requests: an `AdminRequest` in hexadecimal postcard per line; answers
/// "ok HEX" (the `AdminOutput`), or "input REASON" / "failure REASON" on one line.
#[cfg(unix)]
async fn admin_socket(listener: tokio::net::UnixListener, admin: Arc<Admin>) {
    use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
    while let Ok((stream, _)) = listener.accept().await {
        let admin = admin.clone();
        tokio::spawn(async move {
            let (read, mut write) = stream.into_split();
            let mut line = String::new();
            if BufReader::new(read).read_line(&mut line).await.is_err() {
                return;
            }
            let one_line = |s: String| s.replace(['\n', '\r'], " ");
            let answer = match unhex(&line).and_then(|b| postcard::from_bytes(&b).ok()) {
                None => "failure bad request".to_owned(),
                Some(request) => match admin.run(request).await {
                    Ok(output) => match postcard::to_allocvec(&output) {
                        Ok(b) => format!("ok {}", hex(&b)),
                        Err(e) => format!("failure {e}"),
                    },
                    Err(e) if e.status < 500 => format!("input {}", one_line(e.reason)),
                    Err(e) => format!("failure {}", one_line(e.reason)),
                },
            };
            let _ = write.write_all(format!("{answer}\n").as_bytes()).await;
        });
    }
}

/// Prints what a command's request answered.
fn print(command: &ServerCommand, output: AdminOutput) {
    use std::io::Write;
    if matches!(
        command,
        ServerCommand::AddTechnician { .. }
            | ServerCommand::AddSupervisor { .. }
            | ServerCommand::AddFarmer { .. }
    ) {
        println!("{}", shown(command, output.stdout));
    } else {
        print!("{}", output.stdout);
    }
    eprint!("{}", output.stderr);
    let _ = std::io::stdout().flush();
}

async fn run(args: Args) -> Result<(), (i32, String)> {
    let data = args.data.clone().unwrap_or_default();
    #[cfg(unix)]
    if let Some(command) = &args.command
        && args.database_url.is_none()
        && SledBackend::open(&data.join("store")).is_err()
    {
        let request = request(command)?;
        let output = ask_running_server(&data.join("admin.sock"), &request).await?;
        print(command, output);
        return Ok(());
    }
    let backend = backend(&args).await?;
    let key = server::witness_key(&data.join("witness.key")).map_err(failure)?;
    let service = Arc::new(Service::new(backend, key));
    let admin = Arc::new(Admin::new(service.clone(), data.join("office")));
    match &args.command {
        Some(command) => {
            let request = request(command)?;
            let output = admin.run(request).await.map_err(api)?;
            print(command, output);
            Ok(())
        }
        None => {
            let listen = args
                .listen
                .as_deref()
                .ok_or_else(|| input("give --listen ADDR, or a subcommand (see --help)"))?;
            if let Some(url) = &args.sms_gateway
                && !(url.starts_with("http://") || url.starts_with("https://"))
            {
                return Err(input(format!(
                    "--sms-gateway {url}: expected an http:// or https:// address"
                )));
            }
            let listener = tokio::net::TcpListener::bind(listen)
                .await
                .map_err(|e| input(format!("--listen {listen}: {e}")))?;
            let addr = listener.local_addr().map_err(failure)?;
            // With sled, one process owns the store: admin commands go through this socket.
            #[cfg(unix)]
            if args.database_url.is_none()
                && let Some(socket) = bind_admin_socket(&data.join("admin.sock"))
            {
                tokio::spawn(admin_socket(socket, admin.clone()));
            }
            let farmers = Arc::new(server::farmer::FarmerWeb::new(
                service.clone(),
                data.join("farmers"),
            ));
            let office = Arc::new(server::supervisor::OfficeWeb::new(
                service.clone(),
                data.join("bureau"),
            ));
            // Before serving: a session of the first layout finds its account's store.
            for line in farmers.tidy().await.into_iter().chain(office.tidy().await) {
                eprintln!("tournee-server: {line}");
            }
            println!("tournee-server listening on {addr}");
            use std::io::Write;
            let _ = std::io::stdout().flush();
            if let Some(url) = &args.sms_gateway {
                service.queue_messages();
                tokio::spawn(server::notices::run_sender(
                    service.backend().clone(),
                    Arc::new(server::notices::Gateway::new(url)),
                    std::time::Duration::from_millis(500),
                ));
            }
            let limits = server::listen::Limits {
                per_address: args.max_connections_per_address,
                ..Default::default()
            };
            server::listen::serve(
                listener,
                server::http::router(service, Some(farmers), Some(office)),
                limits,
                async {
                    let _ = tokio::signal::ctrl_c().await;
                },
            )
            .await
            .map_err(failure)
        }
    }
}

fn main() {
    let args = Args::parse();
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("tournee-server: {e}");
            std::process::exit(1);
        }
    };
    if let Err((code, message)) = runtime.block_on(run(args)) {
        eprintln!("tournee-server: {message}");
        std::process::exit(code);
    }
}
