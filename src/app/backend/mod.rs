//! The backend: owns the store on a worker thread, carries out the screens' commands, and
//! sends back fresh views.
//!
//! The UI thread never waits on disk: it sends [`Job`]s down a channel and, at the start of
//! each frame, applies whatever [`WorkerReply`]s came back. The worker carries each command
//! out through the core's `record` (check, then append: the rules are there, shared with
//! the server's office), answers "saved" only once the events are durable, rebuilds the view
//! of the screen on display (`views.rs`), sends it as a [`WorkerReply::View`] (the view's kind
//! says whose it is), and asks egui for a repaint.
//!
//! Every job ends with exactly one [`WorkerReply::Done`], so [`WorkerHandle::pending`] counts the jobs
//! whose results the UI has not applied yet: zero means the screen shows the store as it is
//! (what tests and benchmarks wait for). Not for drawing (screens) nor for what events mean
//! (domain, log).

mod adopt;
mod advice;
mod commands;
pub mod round;
pub mod sync;
mod views;
mod worktime;

use std::path::PathBuf;
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use chrono::{NaiveDate, TimeZone};
use chrono_tz::Europe::Paris;

use super::Screen;
use super::model::{
    Command, DamageView, DamagedChain, Outcome, Refusal, ScreenView, SyncBadge, SyncInfo, Ticket,
};
use super::prefs::PrefsFile;
use crate::domain::{Instant, TechnicianId, paris_day};
use crate::forfait::Grid;
use crate::log::{LogError, Store};
use crate::worktime::Settings;

/// What the UI asks of the worker.
#[derive(Debug, Clone, PartialEq)]
pub enum Job {
    /// The screen on display: send its view now, and again after every change.
    Show(Screen),
    Do(Box<Command>),
}

/// What the worker sends back.
#[derive(Debug, Clone, PartialEq)]
pub enum WorkerReply {
    /// The view of the screen on display when it was built (by the time it arrives the
    /// technician may have moved on: it goes to its own screen's page).
    View(Box<ScreenView>),
    Sync(SyncBadge),
    /// Where the tablet is enrolled, the last sync and the last failure.
    SyncInfo(Box<SyncInfo>),
    /// The store did not open: why. Every later command is refused.
    Failed(String),
    /// The store failed its check: what is intact. Only [`Command::RecoverStore`] is taken.
    Damaged(Box<Option<DamageView>>),
    /// The job is finished; for a command, its outcome.
    Done(Ticket, Option<Outcome>),
}

/// How the backend starts.
#[derive(Debug, Clone)]
pub struct BackendConfig {
    /// The store's folder (the settings file sits there too).
    pub dir: PathBuf,
    /// The settings file as read at start.
    pub prefs: PrefsFile,
    /// A fixed "today" (tests, screenshots, benchmarks); `None`: today in Europe/Paris.
    pub today: Option<NaiveDate>,
}

/// What reaches the worker: the UI's jobs, and the sync thread's news.
enum Msg {
    Ui(Ticket, Job),
    Sync(sync::News),
    /// The planner's work on today's round in the background is over (a better round found
    /// or not).
    Refined,
    /// One more slice of that work is done: the screen says how far along it is.
    Progress,
    /// The app is closing (the sync thread holds a sender too, so the channel alone never
    /// closes).
    Quit,
}

/// The UI thread's handle on the worker.
pub struct WorkerHandle {
    jobs: Option<Sender<Msg>>,
    replies: Receiver<WorkerReply>,
    pending: usize,
    ctx: Arc<Mutex<Option<egui::Context>>>,
    thread: Option<JoinHandle<()>>,
}

impl WorkerHandle {
    /// Starts the worker, which opens the store (off the UI thread: a large store takes a
    /// moment to check).
    pub fn start(config: BackendConfig) -> WorkerHandle {
        WorkerHandle::start_with(config, sync::SyncTiming::default())
    }

    /// Starts the worker, with background sync on `timing` once the tablet is enrolled.
    pub fn start_with(config: BackendConfig, timing: sync::SyncTiming) -> WorkerHandle {
        let (job_tx, job_rx) = mpsc::channel::<Msg>();
        let (reply_tx, reply_rx) = mpsc::channel();
        let ctx: Arc<Mutex<Option<egui::Context>>> = Arc::default();
        let worker_ctx = ctx.clone();
        let news = job_tx.clone();
        let thread = std::thread::Builder::new()
            .name("tournee-backend".to_owned())
            .spawn(move || run(config, timing, (news, job_rx), reply_tx, worker_ctx))
            .ok();
        WorkerHandle {
            jobs: Some(job_tx),
            replies: reply_rx,
            pending: 0,
            ctx,
            thread,
        }
    }

    /// The context to wake when a reply is ready.
    pub fn set_context(&self, ctx: &egui::Context) {
        let mut slot = self.ctx.lock().unwrap_or_else(|p| p.into_inner());
        if slot.is_none() {
            *slot = Some(ctx.clone());
        }
    }

    /// Sends a job; returns `false` if the worker is gone.
    pub fn send(&mut self, ticket: Ticket, job: Job) -> bool {
        let sent = self
            .jobs
            .as_ref()
            .is_some_and(|tx| tx.send(Msg::Ui(ticket, job)).is_ok());
        if sent {
            self.pending += 1;
        }
        sent
    }

    /// A reply, if one is ready.
    pub fn try_recv(&mut self) -> Option<WorkerReply> {
        let reply = self.replies.try_recv().ok()?;
        self.count(&reply);
        Some(reply)
    }

    /// A reply, waiting at most `timeout`.
    pub fn recv_timeout(&mut self, timeout: Duration) -> Option<WorkerReply> {
        match self.replies.recv_timeout(timeout) {
            Ok(reply) => {
                self.count(&reply);
                Some(reply)
            }
            Err(RecvTimeoutError::Timeout | RecvTimeoutError::Disconnected) => None,
        }
    }

    fn count(&mut self, reply: &WorkerReply) {
        if matches!(reply, WorkerReply::Done(..)) {
            self.pending = self.pending.saturating_sub(1);
        }
    }

    /// Jobs sent whose `Done` has not been received yet.
    pub fn pending(&self) -> usize {
        self.pending
    }
}

impl Drop for WorkerHandle {
    /// Closes the channel and waits for the worker, so the store is closed (and its lock
    /// released) when the app is gone.
    fn drop(&mut self) {
        if let Some(jobs) = self.jobs.take() {
            let _ = jobs.send(Msg::Quit);
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// The worker's state: the store and what it needs to answer.
pub(crate) struct Worker {
    pub store: Store,
    pub dir: PathBuf,
    pub prefs: PrefsFile,
    pub today: Option<NaiveDate>,
    pub technician: Option<TechnicianId>,
    /// The company's flat-rate grid and work-time settings (or why they do not read).
    pub rules: Result<(Grid, Settings), String>,
    pub shown: Screen,
    /// Background sync: its thread and its last outcomes.
    pub(crate) sync: sync::SyncState,
    /// The planner's last answer for today's round.
    pub plans: round::PlanCache,
}

impl Worker {
    /// The worker on an open store, its sync thread not started yet.
    fn new(
        store: Store,
        dir: PathBuf,
        prefs: PrefsFile,
        today: Option<NaiveDate>,
        shown: Screen,
    ) -> Worker {
        let mut worker = Worker {
            store,
            dir,
            prefs,
            today,
            technician: None,
            rules: Err(String::new()),
            shown,
            sync: sync::SyncState::default(),
            plans: round::PlanCache::default(),
        };
        worker.reload_rules();
        worker.resolve_technician();
        worker.sync.last_success = sync::last_success(&worker.store);
        worker
    }

    /// Now, in Europe/Paris; on a fixed "today", that day at the current time of day (so
    /// instants fall on the day the visits belong to).
    pub fn now(&self) -> Instant {
        let real = crate::domain::time::now();
        match self.today {
            None => real,
            Some(day) => Paris
                .from_local_datetime(&day.and_time(real.time()))
                .earliest()
                .map_or(real, |t| t.fixed_offset()),
        }
    }

    pub fn today(&self) -> NaiveDate {
        self.today.unwrap_or_else(|| paris_day(&self.now()))
    }

    pub fn grid(&self) -> Option<&Grid> {
        self.rules.as_ref().ok().map(|(g, _)| g)
    }

    /// Reads the company's rules again (after the company record changed).
    pub fn reload_rules(&mut self) {
        self.rules = match self.store.company() {
            Ok(c) => crate::worktime::company_rules(c.as_ref()).map_err(|e| e.to_string()),
            Err(e) => Err(e.to_string()),
        };
    }

    /// The technician of this tablet: the one the settings name if the store has it, else the
    /// only or first one the store holds.
    fn resolve_technician(&mut self) {
        let named = self
            .prefs
            .technician
            .as_deref()
            .and_then(|t| TechnicianId::parse("technician", t).ok());
        if let Some(t) = named
            && matches!(self.store.technician(&t), Ok(Some(_)))
        {
            self.technician = Some(t);
            return;
        }
        self.technician = self
            .store
            .technicians()
            .ok()
            .and_then(|ts| ts.into_iter().next())
            .map(|t| t.id);
    }

    /// Where sync stands. Not enrolled is read from the credentials alone: counting what
    /// waits would read every event of a tablet that never synced.
    fn sync_status(&self) -> SyncBadge {
        match crate::sync::credentials(&self.store) {
            Ok(None) => SyncBadge::NotEnrolled,
            Ok(Some(_)) => match crate::sync::status(&self.store) {
                Ok(s) if s.everything_on_server() => SyncBadge::UpToDate,
                Ok(s) => SyncBadge::Waiting {
                    events: s.waiting_events,
                    acts: s.waiting_acts,
                },
                Err(_) => SyncBadge::Unknown,
            },
            Err(_) => SyncBadge::Unknown,
        }
    }

    /// The view of the screen on display; nothing for a visit or farm the store does not hold.
    fn view(&self) -> Option<WorkerReply> {
        match self.screen_view(&self.shown) {
            Ok(view) => view.map(|v| WorkerReply::View(Box::new(v))),
            Err(e) => Some(WorkerReply::Failed(e.to_string())),
        }
    }
}

fn run(
    config: BackendConfig,
    timing: sync::SyncTiming,
    (news, jobs): (Sender<Msg>, Receiver<Msg>),
    replies: Sender<WorkerReply>,
    ctx: Arc<Mutex<Option<egui::Context>>>,
) {
    let wake = || {
        if let Some(ctx) = ctx.lock().unwrap_or_else(|p| p.into_inner()).as_ref() {
            ctx.request_repaint();
        }
    };
    let mut recovery_failed = None;
    let mut recovered_store = false;
    let store = loop {
        match Store::open(&config.dir) {
            Ok(s) => break s,
            Err(LogError::Damaged(report)) => {
                let view = damage_view(&config.dir, &report, recovery_failed.take());
                let _ = replies.send(WorkerReply::Damaged(Box::new(Some(view))));
                wake();
                // Only the way out is taken; every other command is refused.
                let mut recovered = false;
                while let Ok(msg) = jobs.recv() {
                    let Msg::Ui(ticket, job) = msg else {
                        if matches!(msg, Msg::Quit) {
                            return;
                        }
                        continue;
                    };
                    match job {
                        Job::Show(_) => {
                            let _ = replies.send(WorkerReply::Done(ticket, None));
                        }
                        Job::Do(c) if matches!(*c, Command::RecoverStore) => {
                            let outcome = match recover_in_place(&config.dir) {
                                Ok(()) => Outcome::Saved {
                                    forfait_seconds: None,
                                },
                                Err(e) => {
                                    recovery_failed = Some(e.clone());
                                    Outcome::Refused(Refusal::Storage(e))
                                }
                            };
                            let _ = replies.send(WorkerReply::Done(ticket, Some(outcome)));
                            recovered = true;
                        }
                        Job::Do(_) => {
                            let refusal = Refusal::Storage(report.to_string());
                            let _ = replies
                                .send(WorkerReply::Done(ticket, Some(Outcome::Refused(refusal))));
                        }
                    }
                    wake();
                    if recovered {
                        break;
                    }
                }
                if !recovered {
                    return;
                }
                recovered_store = recovery_failed.is_none();
                let _ = replies.send(WorkerReply::Damaged(Box::new(None)));
            }
            Err(e) => {
                let message = format!("{}: {e}", config.dir.display());
                let _ = replies.send(WorkerReply::Failed(message.clone()));
                wake();
                drop(news);
                while let Ok(Msg::Ui(ticket, job)) = jobs.recv() {
                    let outcome = match job {
                        Job::Show(_) => None,
                        Job::Do(_) => Some(Outcome::Refused(Refusal::Storage(message.clone()))),
                    };
                    let _ = replies.send(WorkerReply::Done(ticket, outcome));
                    wake();
                }
                return;
            }
        }
    };
    let mut worker = Worker::new(store, config.dir, config.prefs, config.today, Screen::Today);
    let refined = news.clone();
    worker.plans.on_refined = Some(Arc::new(move || {
        let _ = refined.send(Msg::Refined);
    }));
    let progress = news.clone();
    worker.plans.on_progress = Some(Arc::new(move || {
        let _ = progress.send(Msg::Progress);
    }));
    // The sync thread on the store the worker holds (again after an adoption changed it).
    let start_sync = |store: &Store| {
        let news = news.clone();
        sync::Syncer::start(store.clone(), timing, move |n| {
            let _ = news.send(Msg::Sync(n));
        })
    };
    worker.sync.syncer = Some(start_sync(&worker.store));
    // How far the tablet is from the server: sent at start, after every command and after
    // every sync.
    let mut sync = worker.sync_status();
    let _ = replies.send(WorkerReply::Sync(sync));
    let mut info = worker.sync_info();
    let _ = replies.send(WorkerReply::SyncInfo(Box::new(info.clone())));
    // After a recovery the screen asked for its view while the store was shut: send it now.
    if recovered_store && let Some(view) = worker.view() {
        let _ = replies.send(view);
        wake();
    }

    while let Ok(msg) = jobs.recv() {
        // The answer to send once the views are fresh, whether to rebuild the view on display,
        // and whether the store may have changed.
        let (done, refresh, changed) = match msg {
            Msg::Quit => break,
            Msg::Ui(ticket, Job::Show(screen)) => {
                worker.shown = screen;
                (Some((ticket, None)), true, false)
            }
            Msg::Ui(ticket, Job::Do(command)) => match *command {
                // Enrolment waits on the server: the sync thread answers it.
                Command::Enroll { server, token } => match worker.enroll(ticket, &server, &token) {
                    Some(refused) => (Some((ticket, Some(refused))), false, false),
                    None => (None, false, false),
                },
                Command::SyncNow => {
                    worker.poke_sync(true);
                    (Some((ticket, None)), false, false)
                }
                // The store itself changes: the worker is rebuilt on the new one.
                Command::Adopt { token } => {
                    match adopt::adopt_in_place(worker, &token, &start_sync) {
                        Ok((rebuilt, outcome)) => {
                            worker = rebuilt;
                            (Some((ticket, Some(outcome))), true, true)
                        }
                        Err(fatal) => {
                            let _ = replies.send(WorkerReply::Failed(fatal.clone()));
                            let refused = Outcome::Refused(Refusal::Storage(fatal));
                            let _ = replies.send(WorkerReply::Done(ticket, Some(refused)));
                            wake();
                            return;
                        }
                    }
                }
                command => {
                    let prefs_only = matches!(
                        command,
                        Command::SavePrefs(_) | Command::SaveReaderChoice(_)
                    );
                    let outcome = worker.carry_out(command);
                    if !prefs_only && matches!(outcome, Outcome::Saved { .. }) {
                        // The act is saved whatever happens to the windows: a failure to
                        // record them is only logged, the next change records them again.
                        if let Err(e) = worker.record_arrivals() {
                            eprintln!("tournee: arrival windows not recorded: {e}");
                        }
                        worker.poke_sync(false);
                    }
                    (Some((ticket, Some(outcome))), true, true)
                }
            },
            // The round on screen (and the arrival times told to farmers) is the better one.
            Msg::Refined => {
                match worker.record_arrivals() {
                    Ok(true) => worker.poke_sync(false),
                    Ok(false) => {}
                    Err(e) => eprintln!("tournee: arrival windows not recorded: {e}"),
                }
                (None, true, false)
            }
            // Only Today shows how far along the work is.
            Msg::Progress => (None, matches!(worker.shown, Screen::Today), false),
            Msg::Sync(news) => {
                let handled = worker.on_news(news);
                // A sync may bring a call or a reassignment: the round, and its windows, move.
                if handled.refresh {
                    match worker.record_arrivals() {
                        Ok(true) => worker.poke_sync(false),
                        Ok(false) => {}
                        Err(e) => eprintln!("tournee: arrival windows not recorded: {e}"),
                    }
                }
                let done = handled.done.map(|(t, o)| (t, Some(o)));
                (done, handled.refresh, true)
            }
        };
        if changed {
            let now = worker.sync_status();
            if now != sync {
                sync = now;
                let _ = replies.send(WorkerReply::Sync(sync));
            }
            let now = worker.sync_info();
            if now != info {
                info = now;
                let _ = replies.send(WorkerReply::SyncInfo(Box::new(info.clone())));
            }
        }
        if refresh && let Some(view) = worker.view() {
            let _ = replies.send(view);
        }
        if let Some((ticket, outcome)) = done
            && replies.send(WorkerReply::Done(ticket, outcome)).is_err()
        {
            break;
        }
        wake();
    }
}

/// What the damage screen shows of a check's report.
fn damage_view(
    dir: &std::path::Path,
    report: &crate::log::IntegrityReport,
    recovery_failed: Option<String>,
) -> DamageView {
    let own = crate::log::own_device(dir);
    DamageView {
        folder: dir.display().to_string(),
        chains: report
            .chains
            .iter()
            .map(|c| DamagedChain {
                device: c.device.to_string().chars().take(8).collect(),
                own: Some(c.device) == own,
                intact: c.events,
                last: c.last,
                after_damage: c.after_damage,
                damage: c.damage.clone(),
            })
            .collect(),
        problems: report.problems.clone(),
        recovery_failed,
    }
}

/// Copies the app's own files (preferences, and the yearly reports handed in `bilans/`) from a
/// store's folder to the folder of a store built to replace it; the store's own files are not
/// copied.
fn copy_app_files(dir: &std::path::Path, to: &std::path::Path) -> Result<(), String> {
    let copy = |from: &std::path::Path, to: &std::path::Path| {
        std::fs::copy(from, to).map_err(|e| format!("{}: {e}", from.display()))
    };
    if let Ok(entries) = std::fs::read_dir(dir) {
        for e in entries.flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            let store_file = ["db", "conf", "device", "head", "blobs"].contains(&name.as_str())
                || name.starts_with("snap.");
            if !store_file && e.path().is_file() {
                copy(&e.path(), &to.join(&name))?;
            }
        }
    }
    let reports = dir.join(advice::REPORTS);
    if let Ok(entries) = std::fs::read_dir(&reports) {
        let into = to.join(advice::REPORTS);
        std::fs::create_dir_all(&into).map_err(|e| format!("{}: {e}", into.display()))?;
        for e in entries.flatten() {
            if e.path().is_file() {
                copy(&e.path(), &into.join(e.file_name()))?;
            }
        }
    }
    Ok(())
}

/// The way out of a damaged store, for the app: what is intact goes to a new folder, the
/// damaged one is renamed aside unchanged (its files are not touched), the new one takes its
/// place, and the next sync pulls again from the start.
fn recover_in_place(dir: &std::path::Path) -> Result<(), String> {
    let stamp = chrono::Utc::now().format("%Y%m%d-%H%M%S");
    let name = dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "tournee".into());
    let fresh = dir.with_file_name(format!("{name}.recovered-{stamp}"));
    let aside = dir.with_file_name(format!("{name}.damaged-{stamp}"));
    crate::log::recover(dir, &fresh).map_err(|e| e.to_string())?;
    copy_app_files(dir, &fresh)?;
    {
        let store = Store::open(&fresh).map_err(|e| e.to_string())?;
        crate::sync::forget_progress(&store).map_err(|e| e.to_string())?;
    }
    std::fs::rename(dir, &aside).map_err(|e| e.to_string())?;
    std::fs::rename(&fresh, dir).map_err(|e| e.to_string())?;
    Ok(())
}
