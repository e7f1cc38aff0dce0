//! The thread that listens to a tag reader on a serial port (USB, or Bluetooth paired as a
//! serial port) and hands on each line it reads, parsed.
//!
//! It looks for a reader until one opens, reads lines until the port fails (unplugged, out of
//! range, battery flat), says so, and looks again: a reader that comes back is used again
//! without anyone asking. When the automatic search opens several ports (a reader and a
//! tablet's other serial devices), it listens to them all and keeps the first whose line reads
//! as a tag; a lone port whose lines never read as tags is read, but the search goes on beside
//! it. The technician may choose the port and the speed instead: the running thread is
//! told ([`ReaderHandle::reconfigure`]), closes what it holds and opens what was chosen, with no
//! restart. It knows nothing of screens: what it finds goes down a channel, and a `wake`
//! callback lets the app draw a frame. Stick readers speak 9600 baud, 8 data bits, no parity,
//! one stop bit by default (Allflex, Agrident, Gallagher alike); some are set faster.

use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, Sender, channel};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use super::{EidError, LineSplitter, Tag, parse_line};

/// The speeds a reader can be set to, in baud; the first is the stick readers' default.
pub const SPEEDS: [u32; 5] = [9600, 19200, 38400, 57600, 115200];

/// Where to look for a reader.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Search {
    /// The system's USB and Bluetooth serial ports: `/dev/serial/by-id/*` (udev's links, whose
    /// names say the make) and `/dev/rfcomm*`. Bare `ttyUSB*`/`ttyACM*` are left out: with
    /// udev each has its link already, and a tablet's built-in modem shows there too.
    System,
    /// This port only (the one the technician chose).
    Port(PathBuf),
    /// Every entry of this folder (a folder of links to ports, as `/dev/serial/by-id` is).
    Folder(PathBuf),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReaderConfig {
    pub search: Search,
    pub baud: u32,
    /// How long to wait between two looks for a reader.
    pub retry: Duration,
}

impl Default for ReaderConfig {
    fn default() -> Self {
        ReaderConfig {
            search: Search::System,
            baud: SPEEDS[0],
            retry: Duration::from_millis(500),
        }
    }
}

/// The technician's choice: one port, or the automatic search (`None`); and a speed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReaderChoice {
    pub port: Option<PathBuf>,
    pub baud: u32,
}

impl Default for ReaderChoice {
    fn default() -> Self {
        ReaderChoice {
            port: None,
            baud: SPEEDS[0],
        }
    }
}

impl ReaderConfig {
    /// This automatic search with the technician's choice applied: the chosen port alone, or
    /// the search kept; the chosen speed.
    pub fn chosen(&self, choice: &ReaderChoice) -> ReaderConfig {
        ReaderConfig {
            search: match &choice.port {
                Some(port) => Search::Port(port.clone()),
                None => self.search.clone(),
            },
            baud: choice.baud,
            retry: self.retry,
        }
    }
}

/// What the thread tells.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReaderEvent {
    /// No reader answers yet.
    Searching,
    /// Several ports opened: the first whose line reads as a tag is kept. Their paths.
    Listening { ports: Vec<String> },
    /// A reader's port is open: its path, and its name as the system gives it.
    Connected { port: String, name: String },
    /// A line read.
    Read(ReadLine),
    /// The configuration numbered `generation` ([`ReaderHandle::reconfigure`]) is applied:
    /// what the thread says next about its ports comes from it, not from an older one.
    Reconfigured { generation: u64 },
    /// The port failed: the reader was unplugged, went out of range or off.
    Lost { port: String, reason: String },
}

/// A line as read and what it gives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadLine {
    pub raw: String,
    pub tag: Result<Tag, EidError>,
}

/// The running thread; dropping it stops the thread.
pub struct ReaderHandle {
    stop: Arc<AtomicBool>,
    configs: Sender<(u64, ReaderConfig)>,
    /// The number of the last configuration sent.
    generation: u64,
    thread: Option<JoinHandle<()>>,
}

impl ReaderHandle {
    /// Tells the thread to close what it holds and look where `config` says, at its speed.
    /// Returns at once (the thread takes it within a read's wait) with the configuration's
    /// number, which [`ReaderEvent::Reconfigured`] gives back once it is applied.
    pub fn reconfigure(&mut self, config: ReaderConfig) -> u64 {
        self.generation += 1;
        // The thread only stops when the handle is dropped: it is there to receive.
        let _ = self.configs.send((self.generation, config));
        self.generation
    }
}

impl Drop for ReaderHandle {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Starts the thread; `wake` is called after each event sent (the app asks for a frame).
pub fn start(
    config: ReaderConfig,
    wake: Box<dyn Fn() + Send>,
) -> std::io::Result<(ReaderHandle, Receiver<ReaderEvent>)> {
    let (tx, rx) = channel();
    let (configs, config_rx) = channel();
    let stop = Arc::new(AtomicBool::new(false));
    let flag = stop.clone();
    let thread = std::thread::Builder::new()
        .name("tournee-eid-reader".to_owned())
        .spawn(move || {
            let mut control = Control {
                stop: &flag,
                configs: config_rx,
                pending: None,
            };
            run(config, &mut control, &tx, &*wake)
        })?;
    Ok((
        ReaderHandle {
            stop,
            configs,
            generation: 0,
            thread: Some(thread),
        },
        rx,
    ))
}

/// How long one read waits for bytes before the thread looks at its stop flag again.
const READ_WAIT: Duration = Duration::from_millis(100);

/// The same while several ports are listened to in turn, so none waits long.
const LISTEN_WAIT: Duration = Duration::from_millis(20);

/// What can interrupt the thread: the app stopping, or a new configuration.
struct Control<'a> {
    stop: &'a AtomicBool,
    configs: Receiver<(u64, ReaderConfig)>,
    /// A configuration received and not yet applied, with its number.
    pending: Option<(u64, ReaderConfig)>,
}

impl Control<'_> {
    fn stopped(&self) -> bool {
        self.stop.load(Ordering::Relaxed)
    }

    /// Whether the thread must leave what it is doing: stopped, or told to look elsewhere.
    fn interrupted(&mut self) -> bool {
        // Only the last of several quick changes matters.
        while let Ok(c) = self.configs.try_recv() {
            self.pending = Some(c);
        }
        self.stopped() || self.pending.is_some()
    }
}

/// A port opened, and the bytes of a line not yet ended.
struct Open {
    port: String,
    name: String,
    serial: Box<dyn serialport::SerialPort>,
    lines: LineSplitter,
}

impl Open {
    /// The lines ended by what the port has; `Err` when the port failed.
    fn read(&mut self) -> Result<Vec<String>, String> {
        let mut buf = [0u8; 256];
        match self.serial.read(&mut buf) {
            Ok(0) => Err("the port closed".to_owned()),
            Ok(n) => Ok(self.lines.push(&buf[..n])),
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::TimedOut | std::io::ErrorKind::Interrupted
                ) =>
            {
                Ok(Vec::new())
            }
            Err(e) => Err(e.to_string()),
        }
    }
}

fn run(
    mut config: ReaderConfig,
    control: &mut Control<'_>,
    tx: &Sender<ReaderEvent>,
    wake: &dyn Fn(),
) {
    let send = |e: ReaderEvent| {
        let ok = tx.send(e).is_ok();
        wake();
        ok
    };
    let mut searching_said = false;
    // Ports kept open from the last turn: the one read so far and others just plugged in.
    let mut carried: Vec<Open> = Vec::new();
    'search: while !control.stopped() {
        if let Some((generation, c)) = control.pending.take() {
            config = c;
            searching_said = false;
            carried.clear();
            if !send(ReaderEvent::Reconfigured { generation }) {
                return;
            }
        }
        let mut open = std::mem::take(&mut carried);
        let held: Vec<String> = open.iter().map(|o| o.port.clone()).collect();
        open.extend(open_all(&config, &held));
        if open.is_empty() {
            if !searching_said {
                searching_said = true;
                if !send(ReaderEvent::Searching) {
                    return;
                }
            }
            pause(control, config.retry);
            continue;
        }
        let (mut reader, first) = if open.len() == 1 {
            (open.remove(0), None)
        } else {
            let ports = open.iter().map(|o| o.port.clone()).collect();
            if !send(ReaderEvent::Listening { ports }) {
                return;
            }
            match listen(&config, open, control, &send) {
                Some((reader, line)) => (reader, Some(line)),
                None => continue,
            }
        };
        searching_said = false;
        if !send(ReaderEvent::Connected {
            port: reader.port.clone(),
            name: reader.name.clone(),
        }) {
            return;
        }
        // Whether a line of this port read as a tag: until then, the automatic search goes
        // on, so a reader plugged beside the only other device there was is still found.
        let mut proven = first.is_some();
        if let Some(line) = first
            && !send(ReaderEvent::Read(line))
        {
            return;
        }
        let searching = !matches!(config.search, Search::Port(_));
        let mut looked = Instant::now();
        let reason = loop {
            if control.interrupted() {
                break None;
            }
            match reader.read() {
                Ok(lines) => {
                    for raw in lines {
                        let tag = parse_line(&raw);
                        proven |= tag.is_ok();
                        if !send(ReaderEvent::Read(ReadLine { raw, tag })) {
                            return;
                        }
                    }
                }
                Err(reason) => break Some(reason),
            }
            if searching && !proven && looked.elapsed() >= config.retry {
                looked = Instant::now();
                let more = open_all(&config, std::slice::from_ref(&reader.port));
                if !more.is_empty() {
                    carried.push(reader);
                    carried.extend(more);
                    continue 'search;
                }
            }
        };
        let port = reader.port.clone();
        drop(reader);
        // Told to look elsewhere: the port was closed on purpose, nothing was lost.
        let Some(reason) = reason else {
            continue;
        };
        if !send(ReaderEvent::Lost { port, reason }) {
            return;
        }
        pause(control, config.retry);
    }
}

/// Listens to several open ports in turn until one sends a line that reads as a tag: that
/// port is the reader, and the line its first read. Lines that read as nothing (a modem's
/// chatter) are dropped; a port that fails is closed; ports plugged meanwhile are opened
/// too. `None` when every port failed, or the thread is stopped or told to look elsewhere.
fn listen(
    config: &ReaderConfig,
    mut open: Vec<Open>,
    control: &mut Control<'_>,
    send: &dyn Fn(ReaderEvent) -> bool,
) -> Option<(Open, ReadLine)> {
    let quick = |o: &mut Open| {
        // A port that refuses a timeout only waits longer: the others' lines stay buffered.
        let _ = o.serial.set_timeout(LISTEN_WAIT);
    };
    open.iter_mut().for_each(quick);
    let mut looked = Instant::now();
    loop {
        if control.interrupted() {
            return None;
        }
        let mut i = 0;
        while i < open.len() {
            match open[i].read() {
                Ok(lines) => {
                    for raw in lines {
                        let tag = parse_line(&raw);
                        if tag.is_ok() {
                            let mut reader = open.swap_remove(i);
                            let _ = reader.serial.set_timeout(READ_WAIT);
                            return Some((reader, ReadLine { raw, tag }));
                        }
                    }
                    i += 1;
                }
                Err(_) => {
                    open.swap_remove(i);
                }
            }
        }
        if open.is_empty() {
            return None;
        }
        if looked.elapsed() >= config.retry {
            looked = Instant::now();
            let held: Vec<String> = open.iter().map(|o| o.port.clone()).collect();
            let mut more = open_all(config, &held);
            if !more.is_empty() {
                more.iter_mut().for_each(quick);
                open.append(&mut more);
                let ports = open.iter().map(|o| o.port.clone()).collect();
                if !send(ReaderEvent::Listening { ports }) {
                    return None;
                }
            }
        }
    }
}

/// Sleeps `total` in short steps, returning early when stopped or told to look elsewhere.
fn pause(control: &mut Control<'_>, total: Duration) {
    let step = Duration::from_millis(20);
    let mut waited = Duration::ZERO;
    while waited < total && !control.interrupted() {
        std::thread::sleep(step);
        waited += step;
    }
}

/// Every candidate port that opens, but those already `held`.
fn open_all(config: &ReaderConfig, held: &[String]) -> Vec<Open> {
    let mut open = Vec::new();
    for path in candidates(&config.search) {
        let port = path.to_string_lossy().into_owned();
        if held.contains(&port) {
            continue;
        }
        let opened = serialport::new(port.as_str(), config.baud)
            .timeout(READ_WAIT)
            .open();
        if let Ok(serial) = opened {
            let name = path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_else(|| port.clone());
            open.push(Open {
                port,
                name,
                serial,
                lines: LineSplitter::default(),
            });
        }
    }
    open
}

/// The ports to try, in order.
pub fn candidates(search: &Search) -> Vec<PathBuf> {
    match search {
        Search::Folder(dir) => entries(dir, |_| true),
        Search::Port(path) => vec![path.clone()],
        Search::System => {
            let mut out = entries(Path::new("/dev/serial/by-id"), |_| true);
            out.extend(entries(Path::new("/dev"), |name| {
                name.starts_with("rfcomm")
            }));
            out
        }
    }
}

/// The ports a technician may choose from: the automatic search's, and for the system's also
/// the bare USB serial devices (a system without udev's links names them only so; chosen by
/// hand, a modem among them is no risk).
pub fn ports(search: &Search) -> Vec<PathBuf> {
    let mut out = candidates(search);
    if *search == Search::System {
        let bare = entries(Path::new("/dev"), |name| {
            name.starts_with("ttyUSB") || name.starts_with("ttyACM")
        });
        let unlinked = not_linked(bare, &out);
        out.extend(unlinked);
    }
    out
}

/// The `bare` device files no link of `links` leads to: a USB reader shows once, by the name
/// udev's link gives it.
fn not_linked(bare: Vec<PathBuf>, links: &[PathBuf]) -> Vec<PathBuf> {
    let targets: Vec<PathBuf> = links
        .iter()
        .filter_map(|l| std::fs::canonicalize(l).ok())
        .collect();
    bare.into_iter()
        .filter(|b| {
            let b = std::fs::canonicalize(b).unwrap_or_else(|_| b.clone());
            !targets.contains(&b)
        })
        .collect()
}

fn entries(dir: &Path, keep: impl Fn(&str) -> bool) -> Vec<PathBuf> {
    let Ok(read) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut out: Vec<PathBuf> = read
        .filter_map(Result::ok)
        .filter(|e| keep(&e.file_name().to_string_lossy()))
        .map(|e| e.path())
        .collect();
    out.sort();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_device_with_a_link_is_listed_once_by_its_link() {
        let dir = tempfile::tempdir().unwrap();
        let dev = dir.path().join("dev");
        let by_id = dir.path().join("by-id");
        std::fs::create_dir_all(&dev).unwrap();
        std::fs::create_dir_all(&by_id).unwrap();
        for name in ["ttyUSB0", "ttyUSB1"] {
            std::fs::write(dev.join(name), b"").unwrap();
        }
        let link = by_id.join("usb-Allflex_RS420_Stick_Reader-if00-port0");
        std::os::unix::fs::symlink(dev.join("ttyUSB1"), &link).unwrap();
        let bare = vec![dev.join("ttyUSB0"), dev.join("ttyUSB1")];
        assert_eq!(not_linked(bare, &[link]), vec![dev.join("ttyUSB0")]);
    }
}
