//! `tournee-server`: the cooperative's sync server, and its administration commands.
//!
//! `tournee-server --data DIR --listen ADDR` serves on sled in DIR; with `--database-url
//! postgres://...` it stores in PostgreSQL instead (DIR then only holds the witness key).
//! `add-technician`, `add-supervisor` and `add-farmer` create an account (or find it) and print
//! a one-time enrolment token; `add-farmer --link URL` prints the farmer's one-time login link
//! to the web page (`/eleveur`, src/server/farmer/).

use std::path::PathBuf;
use std::sync::Arc;

use clap::{Parser, Subcommand};

use tournee::domain::{Ede, SupervisorId, TechnicianId};
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
    #[command(subcommand)]
    command: Option<Command>,
}

// The subcommands' names are what administrators type: add-technician, add-supervisor...
#[allow(clippy::enum_variant_names)]
#[derive(Debug, Subcommand)]
enum Command {
    /// Creates a technician's account and prints a one-time enrolment token.
    AddTechnician {
        id: String,
        #[arg(long)]
        name: String,
    },
    /// Creates a supervisor's account for a team and prints a one-time enrolment token.
    AddSupervisor {
        id: String,
        /// The team's technician ids, comma-separated.
        #[arg(long, value_delimiter = ',', required = true)]
        team: Vec<String>,
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
}

fn input(e: impl std::fmt::Display) -> (i32, String) {
    (2, e.to_string())
}

fn failure(e: impl std::fmt::Display) -> (i32, String) {
    (1, e.to_string())
}

/// What an admin command prints: the token, or the farmer's login link.
fn shown(command: &Command, token: String) -> String {
    match command {
        Command::AddFarmer {
            link: Some(base), ..
        } => format!(
            "{}/eleveur/connexion?jeton={token}",
            base.trim_end_matches('/')
        ),
        _ => token,
    }
}

fn role(command: &Command) -> Result<Role, (i32, String)> {
    Ok(match command {
        Command::AddTechnician { id, name } => {
            tournee::domain::check_text("name", name, 1).map_err(input)?;
            Role::Technician {
                id: TechnicianId::parse("id", id).map_err(input)?,
                name: name.trim().to_owned(),
            }
        }
        Command::AddSupervisor { id, team } => Role::Supervisor {
            id: SupervisorId::parse("id", id).map_err(input)?,
            team: team
                .iter()
                .enumerate()
                .map(|(i, t)| TechnicianId::parse(&format!("team[{i}]"), t.trim()))
                .collect::<Result<_, _>>()
                .map_err(input)?,
        },
        Command::AddFarmer { farm, .. } => Role::Farmer {
            farm: Ede::parse("farm", farm).map_err(input)?,
        },
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

/// Asks the server running on the same folder for a token, through its admin socket (sled
/// allows one process per store; the socket is the owner's only, like the folder).
#[cfg(unix)]
async fn ask_running_server(
    socket: &std::path::Path,
    role: &Role,
) -> Result<String, (i32, String)> {
    use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
    let mut stream = tokio::net::UnixStream::connect(socket)
        .await
        .map_err(|e| failure(format!("the store is in use and {}: {e}", socket.display())))?;
    let request = postcard::to_allocvec(role).map_err(failure)?;
    let hex: String = request.iter().map(|b| format!("{b:02x}")).collect();
    stream
        .write_all(format!("{hex}\n").as_bytes())
        .await
        .map_err(failure)?;
    let mut line = String::new();
    BufReader::new(stream)
        .read_line(&mut line)
        .await
        .map_err(failure)?;
    match line.trim().split_once(' ') {
        Some(("ok", token)) => Ok(token.to_owned()),
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

/// Serves admin requests (a role in hexadecimal postcard per line; answers "ok TOKEN").
#[cfg(unix)]
async fn admin_socket(listener: tokio::net::UnixListener, service: Arc<Service>) {
    use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
    while let Ok((stream, _)) = listener.accept().await {
        let service = service.clone();
        tokio::spawn(async move {
            let (read, mut write) = stream.into_split();
            let mut line = String::new();
            if BufReader::new(read).read_line(&mut line).await.is_err() {
                return;
            }
            let bytes: Option<Vec<u8>> = (0..line.trim().len() / 2)
                .map(|i| u8::from_str_radix(line.trim().get(2 * i..2 * i + 2)?, 16).ok())
                .collect();
            let answer = match bytes.and_then(|b| postcard::from_bytes::<Role>(&b).ok()) {
                None => "failure bad request".to_owned(),
                Some(role) => match service.add_account(&role).await {
                    Ok(token) => format!("ok {token}"),
                    Err(e) if e.status < 500 => format!("input {}", e.reason),
                    Err(e) => format!("failure {}", e.reason),
                },
            };
            let _ = write.write_all(format!("{answer}\n").as_bytes()).await;
        });
    }
}

async fn run(args: Args) -> Result<(), (i32, String)> {
    let data = args.data.clone().unwrap_or_default();
    #[cfg(unix)]
    if let Some(command) = &args.command
        && args.database_url.is_none()
        && SledBackend::open(&data.join("store")).is_err()
    {
        let role = role(command)?;
        let token = ask_running_server(&data.join("admin.sock"), &role).await?;
        println!("{}", shown(command, token));
        return Ok(());
    }
    let backend = backend(&args).await?;
    let key = server::witness_key(&data.join("witness.key")).map_err(failure)?;
    let service = Arc::new(Service::new(backend, key));
    match &args.command {
        Some(command) => {
            let role = role(command)?;
            let token = service.add_account(&role).await.map_err(|e| {
                if e.status < 500 {
                    input(e.reason)
                } else {
                    failure(e.reason)
                }
            })?;
            println!("{}", shown(command, token));
            Ok(())
        }
        None => {
            let listen = args
                .listen
                .as_deref()
                .ok_or_else(|| input("give --listen ADDR, or a subcommand (see --help)"))?;
            let listener = tokio::net::TcpListener::bind(listen)
                .await
                .map_err(|e| input(format!("--listen {listen}: {e}")))?;
            let addr = listener.local_addr().map_err(failure)?;
            // With sled, one process owns the store: admin commands go through this socket.
            #[cfg(unix)]
            if args.database_url.is_none()
                && let Some(admin) = bind_admin_socket(&data.join("admin.sock"))
            {
                tokio::spawn(admin_socket(admin, service.clone()));
            }
            println!("tournee-server listening on {addr}");
            use std::io::Write;
            let _ = std::io::stdout().flush();
            let farmers = Arc::new(server::farmer::FarmerWeb::new(
                service.clone(),
                data.join("farmers"),
            ));
            axum::serve(listener, server::http::router(service, Some(farmers)))
                .with_graceful_shutdown(async {
                    let _ = tokio::signal::ctrl_c().await;
                })
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
