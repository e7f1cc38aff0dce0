//! What the sync tests share: the real `tournee-server` process on loopback (sled or
//! PostgreSQL), devices with their own stores, a fault-injecting HTTP proxy, and records to
//! write.

#![allow(dead_code)]

pub mod throttle;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::NaiveDate;
use tournee::domain::{
    Act, ActId, ActKind, AnimalId, BullId, Confirmation, Ede, Farm, InseminationRank, Location,
    Payload, Species, Straw, SupervisorId, Technician, TechnicianId, Urgency, Visit, VisitId, Week,
};
use tournee::log::Store;
use tournee::sync::{HttpTransport, SyncClient, SyncReport};

/// Where the server stores.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Sled,
    Postgres,
}

/// PostgreSQL of the CI machine (trust auth, database `test`).
pub const DATABASE_URL: &str = "postgres://postgres@127.0.0.1:5432/test";

static COUNTER: AtomicU64 = AtomicU64::new(0);

fn unique_schema() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    format!(
        "t_{}_{}_{nanos}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::SeqCst)
    )
}

fn psql(sql: &str) {
    let status = Command::new("psql")
        .env("PGOPTIONS", "--client-min-messages=warning")
        .args([
            "-q",
            "-h",
            "127.0.0.1",
            "-U",
            "postgres",
            "-d",
            "test",
            "-c",
            sql,
        ])
        .stdout(Stdio::null())
        .status()
        .expect("psql runs");
    assert!(status.success(), "psql {sql}");
}

/// The real server process, with its own folder (and schema for PostgreSQL).
pub struct Server {
    pub kind: Kind,
    pub dir: tempfile::TempDir,
    pub schema: String,
    child: Option<Child>,
    pub addr: String,
    /// Options given to the serving process only.
    serve_args: Vec<String>,
}

impl Server {
    fn base_args(&self) -> Vec<String> {
        let mut a = vec!["--data".to_owned(), self.dir.path().display().to_string()];
        if self.kind == Kind::Postgres {
            a.extend([
                "--database-url".to_owned(),
                DATABASE_URL.to_owned(),
                "--schema".to_owned(),
                self.schema.clone(),
            ]);
        }
        a
    }

    pub fn start(kind: Kind) -> Server {
        Server::start_with(kind, &[])
    }

    /// A server started with more options (e.g. `--max-connections-per-address 0`).
    pub fn start_with(kind: Kind, serve_args: &[&str]) -> Server {
        let mut s = Server {
            kind,
            dir: tempfile::tempdir().unwrap(),
            schema: unique_schema(),
            child: None,
            addr: String::new(),
            serve_args: serve_args.iter().map(|a| a.to_string()).collect(),
        };
        s.spawn("127.0.0.1:0");
        s
    }

    fn spawn(&mut self, listen: &str) {
        let mut child = Command::new(env!("CARGO_BIN_EXE_tournee-server"))
            .args(self.base_args())
            .args(&self.serve_args)
            .args(["--listen", listen])
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("tournee-server starts");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        self.addr = line
            .trim()
            .strip_prefix("tournee-server listening on ")
            .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
            .to_owned();
        self.child = Some(child);
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Runs an admin subcommand: its exit code, stdout and stderr.
    pub fn admin(&self, args: &[&str]) -> (i32, String, String) {
        let out = Command::new(env!("CARGO_BIN_EXE_tournee-server"))
            .args(self.base_args())
            .args(args)
            .output()
            .unwrap();
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8(out.stdout).unwrap(),
            String::from_utf8(out.stderr).unwrap(),
        )
    }

    /// Runs an admin subcommand and returns the token it printed.
    pub fn token(&self, args: &[&str]) -> String {
        let out = Command::new(env!("CARGO_BIN_EXE_tournee-server"))
            .args(self.base_args())
            .args(args)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap().trim().to_owned()
    }

    /// Kills the server with SIGKILL: no chance to flush anything.
    pub fn kill(&mut self) {
        if let Some(mut c) = self.child.take() {
            unsafe {
                libc::kill(c.id() as i32, libc::SIGKILL);
            }
            c.wait().unwrap();
        }
    }

    /// The server's storage opened here, for what no request shows (an account's devices):
    /// call it with the server killed, as sled lets one process open a store.
    pub fn backend(&self) -> Arc<dyn tournee::server::Backend> {
        let runtime = tokio::runtime::Runtime::new().unwrap();
        runtime.block_on(async {
            match self.kind {
                Kind::Sled => Arc::new(
                    tournee::server::SledBackend::open(&self.dir.path().join("store")).unwrap(),
                ) as Arc<dyn tournee::server::Backend>,
                Kind::Postgres => Arc::new(
                    tournee::server::postgres::PgBackend::connect(DATABASE_URL, &self.schema)
                        .await
                        .unwrap(),
                ),
            }
        })
    }

    /// The devices of an account (`farmer:53130001`), read with the server killed; then the
    /// server is started again (a new port).
    pub fn account_devices(&mut self, account: &str) -> Vec<tournee::log::DeviceId> {
        self.kill();
        let backend = self.backend();
        let runtime = tokio::runtime::Runtime::new().unwrap();
        let mut devices: Vec<_> = runtime
            .block_on(backend.devices_of(account))
            .unwrap()
            .into_iter()
            .map(|d| d.device)
            .collect();
        devices.sort();
        drop(backend);
        self.restart();
        devices
    }

    /// Starts the server again on the same folder (a new port).
    pub fn restart(&mut self) {
        self.kill();
        self.spawn("127.0.0.1:0");
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill();
        if self.kind == Kind::Postgres {
            psql(&format!("DROP SCHEMA IF EXISTS {} CASCADE", self.schema));
        }
    }
}

/// A device: its own store in its own folder, syncing through `url`.
pub struct Device {
    pub dir: tempfile::TempDir,
    pub store: Store,
}

impl Device {
    pub fn new() -> Device {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        Device { dir, store }
    }

    pub fn client(&self, url: &str) -> SyncClient<HttpTransport> {
        SyncClient::new(HttpTransport::new(url))
    }

    pub fn enroll(&self, url: &str, token: &str) {
        self.client(url)
            .enroll(&self.store, url, token, "test")
            .unwrap();
    }

    pub fn sync(&self, url: &str) -> SyncReport {
        self.client(url).sync_once(&self.store).unwrap()
    }

    pub fn append(&self, payloads: Vec<Payload>) {
        self.store.append(payloads).unwrap();
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }
}

/// A new device enrolled with a token of a new or existing account (admin args).
pub fn enrolled(server: &Server, admin: &[&str]) -> Device {
    let d = Device::new();
    d.enroll(&server.url(), &server.token(admin));
    d
}

/// Technicians T01 and T02 and their supervisor S01, each on a tablet of their own.
pub fn team(server: &Server) -> (Device, Device, Device) {
    (
        enrolled(server, &["add-technician", "T01", "--name", "Julie Moreau"]),
        enrolled(server, &["add-technician", "T02", "--name", "Paul Hamon"]),
        enrolled(server, &["add-supervisor", "S01", "--team", "T01,T02"]),
    )
}

/// A small deterministic generator for random orders (xorshift).
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    pub fn shuffle<T>(&mut self, v: &mut [T]) {
        for i in (1..v.len()).rev() {
            let j = (self.next() % (i as u64 + 1)) as usize;
            v.swap(i, j);
        }
    }
}

// ---- records

pub fn day() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 24).unwrap()
}

pub fn tid(id: &str) -> TechnicianId {
    TechnicianId::parse("t", id).unwrap()
}

pub fn vid(id: &str) -> VisitId {
    VisitId::parse("v", id).unwrap()
}

pub fn ede(n: u32) -> Ede {
    Ede::parse("ede", &format!("53161{n:03}")).unwrap()
}

pub fn technician(id: &str) -> Payload {
    Payload::TechnicianRecorded(Technician {
        id: tid(id),
        name: format!("Tech {id}"),
        home: None,
        licence: None,
    })
}

pub fn farm(n: u32) -> Payload {
    farm_named(n, &format!("GAEC {n}"))
}

pub fn farm_named(n: u32, name: &str) -> Payload {
    Payload::FarmRecorded(Farm {
        ede: ede(n),
        name: name.into(),
        village: Some("Montsûrs".into()),
        location: Location {
            lat: 48.13,
            lon: -0.57,
        },
        species: vec![Species::Bovine],
        phone: None,
        note: None,
    })
}

pub fn visit(id: &str, technician: &str, farm: u32) -> Payload {
    Payload::VisitRecorded(Visit {
        id: vid(id),
        technician: tid(technician),
        farm: ede(farm),
        day: day(),
        requested: vec![],
        urgency: Urgency::Normal,
        window: None,
        arrived: None,
        left: None,
        travel_km: None,
        note: None,
    })
}

pub fn insemination(id: &str, visit: &str, cow: u32) -> Payload {
    Payload::ActRecorded(Act {
        id: ActId::parse("a", id).unwrap(),
        visit: vid(visit),
        kind: ActKind::IaBovine,
        count: 1,
        animals: vec![AnimalId::parse("a", &format!("FR53{cow:08}")).unwrap()],
        bull: Some(BullId::parse("b", "FR2934119912").unwrap()),
        straw: None,
        rank: Some(InseminationRank::First),
        result: None,
        at: None,
        note: None,
    })
}

/// An insemination with every field of the record (straw with centre and batch).
pub fn complete_insemination(id: &str, visit: &str, cow: &str) -> Payload {
    let bull = BullId::parse("b", "FR2934119912").unwrap();
    Payload::ActRecorded(Act {
        id: ActId::parse("a", id).unwrap(),
        visit: vid(visit),
        kind: ActKind::IaBovine,
        count: 1,
        animals: vec![AnimalId::parse("a", cow).unwrap()],
        bull: Some(bull.clone()),
        straw: Some(Straw {
            bull,
            bull_name: "Jocko".into(),
            breed: "66".into(),
            centre: Some("FR53001".into()),
            batch: Some("2025-03-11".into()),
        }),
        rank: Some(tournee::domain::InseminationRank::First),
        result: None,
        at: None,
        note: None,
    })
}

pub fn signed(visit: &str) -> Payload {
    Payload::VisitConfirmed {
        visit: vid(visit),
        confirmation: Confirmation::InstructionsLeft {
            at: chrono::DateTime::parse_from_rfc3339("2026-11-24T10:00:00+01:00").unwrap(),
        },
    }
}

pub fn review(technician: &str, supervisor: &str) -> Payload {
    Payload::WeekReviewed {
        technician: tid(technician),
        week: Week::of(day()),
        supervisor: SupervisorId::parse("s", supervisor).unwrap(),
        decision: tournee::domain::ReviewDecision::Approved,
    }
}

pub fn reassign(visit: &str, to: &str, supervisor: &str) -> Payload {
    Payload::VisitReassigned {
        visit: vid(visit),
        to: tid(to),
        supervisor: SupervisorId::parse("s", supervisor).unwrap(),
        reason: Some("off sick".into()),
    }
}

// ---- a fault-injecting HTTP proxy

/// What the proxy does to one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    Pass,
    /// Half the request reaches the server, then both connections close.
    CutRequest,
    /// The server answers; the answer never reaches the device.
    DropResponse,
    /// Half the answer reaches the device.
    CutResponse,
    /// The request reaches the server twice (the second answer is thrown away).
    Duplicate,
}

/// An HTTP/1.1 proxy on loopback that applies a fault to each request from a plan, and
/// records every request it forwarded (to replay them later, in any order).
pub struct Proxy {
    pub addr: String,
    pub upstream: Arc<Mutex<String>>,
    pub recorded: Arc<Mutex<Vec<Vec<u8>>>>,
}

type Plan = Arc<Mutex<dyn FnMut(u64) -> Fault + Send>>;

fn read_message(stream: &mut impl Read) -> Option<Vec<u8>> {
    let mut buf = Vec::new();
    let mut byte = [0u8; 1];
    while !buf.ends_with(b"\r\n\r\n") {
        if stream.read(&mut byte).ok()? == 0 {
            return None;
        }
        buf.push(byte[0]);
    }
    let head = String::from_utf8_lossy(&buf).to_ascii_lowercase();
    let len: usize = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .map(|v| v.trim().parse().unwrap_or(0))
        .unwrap_or(0);
    let mut body = vec![0u8; len];
    stream.read_exact(&mut body).ok()?;
    buf.extend_from_slice(&body);
    Some(buf)
}

/// Sends a raw request to `upstream` on a fresh connection and returns the raw answer.
pub fn forward(upstream: &str, request: &[u8]) -> Option<Vec<u8>> {
    let mut up = TcpStream::connect(upstream).ok()?;
    up.set_read_timeout(Some(Duration::from_secs(60))).ok()?;
    up.write_all(request).ok()?;
    read_message(&mut up)
}

/// The status code of a raw answer.
pub fn status_of(answer: &[u8]) -> u16 {
    String::from_utf8_lossy(&answer[..answer.len().min(12)])
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0)
}

impl Proxy {
    pub fn start(upstream: &str, plan: impl FnMut(u64) -> Fault + Send + 'static) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap().to_string();
        let upstream = Arc::new(Mutex::new(upstream.to_owned()));
        let recorded = Arc::new(Mutex::new(Vec::new()));
        let plan: Plan = Arc::new(Mutex::new(plan));
        let counter = Arc::new(AtomicU64::new(0));
        {
            let (upstream, recorded) = (upstream.clone(), recorded.clone());
            std::thread::spawn(move || {
                for client in listener.incoming() {
                    let Ok(client) = client else { break };
                    let (upstream, recorded, plan, counter) = (
                        upstream.clone(),
                        recorded.clone(),
                        plan.clone(),
                        counter.clone(),
                    );
                    std::thread::spawn(move || serve(client, upstream, recorded, plan, counter));
                }
            });
        }
        Proxy {
            addr,
            upstream,
            recorded,
        }
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn set_upstream(&self, addr: &str) {
        *self.upstream.lock().unwrap() = addr.to_owned();
    }
}

fn serve(
    mut client: TcpStream,
    upstream: Arc<Mutex<String>>,
    recorded: Arc<Mutex<Vec<Vec<u8>>>>,
    plan: Plan,
    counter: Arc<AtomicU64>,
) {
    while let Some(request) = read_message(&mut client) {
        let n = counter.fetch_add(1, Ordering::SeqCst);
        let fault = (plan.lock().unwrap())(n);
        let target = upstream.lock().unwrap().clone();
        recorded.lock().unwrap().push(request.clone());
        match fault {
            Fault::CutRequest => {
                if let Ok(mut up) = TcpStream::connect(&target) {
                    let _ = up.write_all(&request[..request.len() / 2]);
                    let _ = up.shutdown(Shutdown::Both);
                }
                let _ = client.shutdown(Shutdown::Both);
                return;
            }
            Fault::DropResponse => {
                let _ = forward(&target, &request);
                let _ = client.shutdown(Shutdown::Both);
                return;
            }
            Fault::CutResponse => {
                if let Some(answer) = forward(&target, &request) {
                    let _ = client.write_all(&answer[..answer.len() / 2]);
                }
                let _ = client.shutdown(Shutdown::Both);
                return;
            }
            Fault::Duplicate | Fault::Pass => {
                let answer = forward(&target, &request);
                if fault == Fault::Duplicate {
                    let _ = forward(&target, &request);
                }
                match answer {
                    Some(a) => {
                        if client.write_all(&a).is_err() {
                            return;
                        }
                    }
                    None => {
                        let _ = client.shutdown(Shutdown::Both);
                        return;
                    }
                }
            }
        }
    }
}

/// Syncs until a sync completes, at most `attempts` times; returns the failures seen.
pub fn sync_until_done(device: &Device, client: &SyncClient<HttpTransport>, attempts: u32) -> u32 {
    let mut failures = 0;
    for _ in 0..attempts {
        match client.sync_once(&device.store) {
            Ok(report) if report.waiting == 0 => return failures,
            Ok(_) => {}
            Err(e) => {
                eprintln!("sync failed: {e}");
                failures += 1
            }
        }
    }
    panic!("sync did not complete in {attempts} attempts ({failures} failures)");
}

pub fn tempdir_path(d: &tempfile::TempDir) -> PathBuf {
    d.path().to_path_buf()
}

/// Sends a sync request built by hand (signed by `store`'s key) straight to the server.
pub fn raw_sync(
    url: &str,
    store: &Store,
    request: &tournee::sync::protocol::SyncRequest,
) -> Result<tournee::sync::protocol::SyncReply, tournee::sync::TransportError> {
    use tournee::sync::protocol::{Endpoint, Envelope, request_message};
    use tournee::sync::{Transport, wire};
    let body = postcard::to_allocvec(request).unwrap();
    let issued_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64;
    let nonce: [u8; 16] = rand_nonce();
    let signature = store
        .sign_request(&request_message(Endpoint::Sync, issued_ms, &nonce, &body))
        .unwrap();
    let envelope = Envelope {
        device: store.device(),
        issued_ms,
        nonce,
        signature: tournee::log::SignatureBytes(signature),
        body,
    };
    let reply = HttpTransport::new(url).post(Endpoint::Sync, wire::encode(&envelope).unwrap())?;
    Ok(wire::decode(&reply.frame).unwrap())
}

fn rand_nonce() -> [u8; 16] {
    let n = COUNTER.fetch_add(1, Ordering::SeqCst) as u128
        ^ std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos();
    n.to_le_bytes()
}

/// A pull-only request from the start: what the server would send this device (its own
/// events included).
pub fn pull_all() -> tournee::sync::protocol::SyncRequest {
    tournee::sync::protocol::SyncRequest {
        push: None,
        pull: Some(tournee::sync::protocol::Pull {
            cursor: Default::default(),
            limit: 20_000,
            own: true,
        }),
    }
}

/// Julie's tablet (T01) with a farm and visit V1 synced, and its store copied (closed) to `to`:
/// a second tablet under the same identity, whose own events the server will refuse.
pub fn tablet_and_copy(server: &Server, to: &Path) -> Device {
    let t1 = enrolled(server, &["add-technician", "T01", "--name", "Julie Moreau"]);
    t1.append(vec![technician("T01"), farm(1), visit("V1", "T01", 1)]);
    t1.sync(&server.url());
    drop(t1.store);
    copy_dir(t1.dir.path(), to);
    Device {
        store: Store::open(t1.dir.path()).unwrap(),
        dir: t1.dir,
    }
}

/// Copies a store's folder (closed) to a new folder: a second copy of the same device.
pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}
