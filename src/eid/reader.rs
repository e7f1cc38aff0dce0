//! The thread that listens to a tag reader on a serial port (USB, or Bluetooth paired as a
//! serial port) and hands on each line it reads, parsed.
//!
//! It looks for a reader until one opens, reads lines until the port fails (unplugged, out of
//! range, battery flat), says so, and looks again: a reader that comes back is used again
//! without anyone asking. It knows nothing of screens: what it finds goes down a channel, and
//! a `wake` callback lets the app draw a frame. Stick readers speak 9600 baud, 8 data bits,
//! no parity, one stop bit by default (Allflex, Agrident, Gallagher alike).

use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, Sender, channel};
use std::thread::JoinHandle;
use std::time::Duration;

use super::{EidError, LineSplitter, Tag, parse_line};

/// Where to look for a reader.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Search {
    /// The system's USB and Bluetooth serial ports: `/dev/serial/by-id/*` (udev's links, whose
    /// names say the make) and `/dev/rfcomm*`. Bare `ttyUSB*`/`ttyACM*` are left out: with
    /// udev each has its link already, and a tablet's built-in modem shows there too.
    System,
    /// This port only (the settings file's `reader_port`).
    Port(PathBuf),
    /// Every entry of this folder (a folder of links to ports, as `/dev/serial/by-id` is).
    Folder(PathBuf),
}

#[derive(Debug, Clone)]
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
            baud: 9600,
            retry: Duration::from_millis(500),
        }
    }
}

/// What the thread tells.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReaderEvent {
    /// No reader answers yet.
    Searching,
    /// A reader's port is open: its path, and its name as the system gives it.
    Connected { port: String, name: String },
    /// A line read.
    Read(ReadLine),
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
    thread: Option<JoinHandle<()>>,
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
    let stop = Arc::new(AtomicBool::new(false));
    let flag = stop.clone();
    let thread = std::thread::Builder::new()
        .name("tournee-eid-reader".to_owned())
        .spawn(move || run(&config, &flag, &tx, &*wake))?;
    Ok((
        ReaderHandle {
            stop,
            thread: Some(thread),
        },
        rx,
    ))
}

/// How long one read waits for bytes before the thread looks at its stop flag again.
const READ_WAIT: Duration = Duration::from_millis(100);

fn run(config: &ReaderConfig, stop: &AtomicBool, tx: &Sender<ReaderEvent>, wake: &dyn Fn()) {
    let send = |e: ReaderEvent| {
        let ok = tx.send(e).is_ok();
        wake();
        ok
    };
    let mut searching_said = false;
    while !stop.load(Ordering::Relaxed) {
        let Some((port, name, mut serial)) = find(config) else {
            if !searching_said {
                searching_said = true;
                if !send(ReaderEvent::Searching) {
                    return;
                }
            }
            pause(stop, config.retry);
            continue;
        };
        searching_said = false;
        if !send(ReaderEvent::Connected {
            port: port.clone(),
            name,
        }) {
            return;
        }
        let mut lines = LineSplitter::default();
        let mut buf = [0u8; 256];
        let reason = loop {
            if stop.load(Ordering::Relaxed) {
                return;
            }
            match serial.read(&mut buf) {
                Ok(0) => break "the port closed".to_owned(),
                Ok(n) => {
                    for raw in lines.push(&buf[..n]) {
                        let tag = parse_line(&raw);
                        if !send(ReaderEvent::Read(ReadLine { raw, tag })) {
                            return;
                        }
                    }
                }
                Err(e) if e.kind() == std::io::ErrorKind::TimedOut => {}
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => break e.to_string(),
            }
        };
        drop(serial);
        if !send(ReaderEvent::Lost { port, reason }) {
            return;
        }
        pause(stop, config.retry);
    }
}

/// Sleeps `total` in short steps, returning early when asked to stop.
fn pause(stop: &AtomicBool, total: Duration) {
    let step = Duration::from_millis(20);
    let mut waited = Duration::ZERO;
    while waited < total && !stop.load(Ordering::Relaxed) {
        std::thread::sleep(step);
        waited += step;
    }
}

/// The first candidate port that opens.
fn find(config: &ReaderConfig) -> Option<(String, String, Box<dyn serialport::SerialPort>)> {
    for path in candidates(&config.search) {
        let port = path.to_string_lossy().into_owned();
        let opened = serialport::new(port.as_str(), config.baud)
            .timeout(READ_WAIT)
            .open();
        if let Ok(serial) = opened {
            let name = path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_else(|| port.clone());
            return Some((port, name, serial));
        }
    }
    None
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
