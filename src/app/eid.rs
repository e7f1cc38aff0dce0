//! The tag reader as the app sees it: the thread of `crate::eid::reader` started with the app,
//! what it last said (searching, listening, connected, lost), the last line read, the lines of
//! the test mode, the reads the screen on display has not taken yet, and the technician's
//! choice of port and speed with the ports there are to choose from.
//!
//! Reads go to the screen on display only (the visit's act form takes them); a read while
//! another screen is shown is kept as the last tag for Settings, and nothing else.

use std::collections::VecDeque;
use std::path::PathBuf;
use std::sync::mpsc::Receiver;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::eid::reader::{
    self, ReadLine, ReaderChoice, ReaderConfig, ReaderEvent, ReaderHandle, Search,
};

/// Where the reader stands.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum ReaderStatus {
    /// No reader is looked for on this tablet (tests, or the thread could not start).
    #[default]
    Off,
    Searching,
    /// Several ports answer: the first whose line reads as a tag is kept.
    Listening {
        ports: Vec<String>,
    },
    Connected {
        port: String,
        name: String,
    },
    Lost {
        port: String,
        reason: String,
    },
}

/// Lines kept for the test mode.
const TEST_LINES: usize = 10;

#[derive(Debug, Default)]
pub struct ReaderState {
    pub status: ReaderStatus,
    pub last: Option<ReadLine>,
    /// Settings' test mode: every line read is listed, newest first.
    pub test_mode: bool,
    pub test_lines: VecDeque<ReadLine>,
    /// Reads the screen on display has not taken yet.
    pub reads: Vec<ReadLine>,
    /// Where the automatic search looks; `None` when no reader is looked for.
    pub auto: Option<Search>,
    /// The port and speed the technician chose (the app applies a change at the next frame).
    pub choice: ReaderChoice,
    /// The ports there are to choose from, as last listed, and when.
    pub ports: Vec<PathBuf>,
    listed: Option<Instant>,
    /// The number of the configuration the thread was last told, until it says it applied it:
    /// what it says of ports meanwhile is about the configuration before.
    pub awaiting: Option<u64>,
}

/// How often Settings lists the ports again, so one plugged in shows by itself.
const LIST_EVERY: Duration = Duration::from_secs(1);

impl ReaderState {
    /// Lists the ports to choose from, unless that was done a moment ago.
    pub fn list_ports(&mut self) {
        let Some(auto) = &self.auto else {
            return;
        };
        if self.listed.is_some_and(|t| t.elapsed() < LIST_EVERY) {
            return;
        }
        self.listed = Some(Instant::now());
        self.ports = reader::ports(auto);
    }

    pub fn apply(&mut self, event: ReaderEvent) {
        let stale = self.awaiting.is_some()
            && !matches!(
                event,
                ReaderEvent::Read(_) | ReaderEvent::Reconfigured { .. }
            );
        if stale {
            return;
        }
        match event {
            ReaderEvent::Reconfigured { generation } => {
                if self.awaiting == Some(generation) {
                    self.awaiting = None;
                }
            }
            ReaderEvent::Searching => {
                // A reader lost stays said as lost until one answers again.
                if !matches!(self.status, ReaderStatus::Lost { .. }) {
                    self.status = ReaderStatus::Searching;
                }
            }
            ReaderEvent::Listening { ports } => self.status = ReaderStatus::Listening { ports },
            ReaderEvent::Connected { port, name } => {
                self.status = ReaderStatus::Connected { port, name }
            }
            ReaderEvent::Lost { port, reason } => self.status = ReaderStatus::Lost { port, reason },
            ReaderEvent::Read(line) => {
                if self.test_mode {
                    self.test_lines.push_front(line.clone());
                    self.test_lines.truncate(TEST_LINES);
                }
                self.last = Some(line.clone());
                // No screen takes reads while the store is damaged: keep a lot's worth at most.
                if self.reads.len() >= crate::domain::act::MAX_LOT as usize {
                    self.reads.remove(0);
                }
                self.reads.push(line);
            }
        }
    }
}

/// The running reader thread, its channel, and the frame it wakes.
pub struct ReaderLink {
    handle: ReaderHandle,
    events: Receiver<ReaderEvent>,
    ctx: Arc<Mutex<Option<egui::Context>>>,
}

impl ReaderLink {
    /// Starts the thread; `None` if the system refuses a thread (said as "off").
    pub fn start(config: ReaderConfig) -> Option<ReaderLink> {
        let ctx: Arc<Mutex<Option<egui::Context>>> = Arc::default();
        let waker = ctx.clone();
        let wake = Box::new(move || {
            let slot = waker.lock().unwrap_or_else(|p| p.into_inner());
            if let Some(c) = slot.as_ref() {
                c.request_repaint();
            }
        });
        let (handle, events) = reader::start(config, wake).ok()?;
        Some(ReaderLink {
            handle,
            events,
            ctx,
        })
    }

    /// Has the thread close its port and look where `config` says, at its speed; what the
    /// thread says of its ports until then is set aside.
    pub fn reconfigure(&mut self, config: ReaderConfig, state: &mut ReaderState) {
        state.awaiting = Some(self.handle.reconfigure(config));
        state.status = ReaderStatus::Searching;
    }

    pub fn set_context(&self, ctx: &egui::Context) {
        let mut slot = self.ctx.lock().unwrap_or_else(|p| p.into_inner());
        if slot.is_none() {
            *slot = Some(ctx.clone());
        }
    }

    /// Applies what the thread said since the last frame.
    pub fn receive(&self, state: &mut ReaderState) {
        while let Ok(e) = self.events.try_recv() {
            state.apply(e);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_lost_reader_stays_said_lost_while_the_search_goes_on() {
        let mut s = ReaderState::default();
        s.apply(ReaderEvent::Searching);
        assert_eq!(s.status, ReaderStatus::Searching);
        let lost = ReaderStatus::Lost {
            port: "/dev/ttyUSB0".to_owned(),
            reason: "Input/output error".to_owned(),
        };
        s.apply(ReaderEvent::Lost {
            port: "/dev/ttyUSB0".to_owned(),
            reason: "Input/output error".to_owned(),
        });
        s.apply(ReaderEvent::Searching);
        assert_eq!(s.status, lost);
        s.apply(ReaderEvent::Connected {
            port: "/dev/ttyUSB0".to_owned(),
            name: "usb-Allflex".to_owned(),
        });
        assert!(matches!(s.status, ReaderStatus::Connected { .. }));
    }

    #[test]
    fn the_test_mode_keeps_the_last_ten_lines_newest_first() {
        let mut s = ReaderState {
            test_mode: true,
            ..ReaderState::default()
        };
        for n in 1..=12u64 {
            let raw = format!("250 {:012}", 53_012_300_000 + n);
            let tag = crate::eid::parse_line(&raw);
            s.apply(ReaderEvent::Read(ReadLine { raw, tag }));
        }
        assert_eq!(s.test_lines.len(), 10);
        assert_eq!(s.test_lines[0].raw, "250 053012300012");
        assert_eq!(s.test_lines[9].raw, "250 053012300003");
        assert_eq!(s.last.as_ref().unwrap().raw, "250 053012300012");
        assert_eq!(s.reads.len(), 12);
    }

    #[test]
    fn what_the_thread_said_before_a_new_configuration_is_set_aside() {
        let mut s = ReaderState {
            awaiting: Some(2),
            status: ReaderStatus::Searching,
            ..ReaderState::default()
        };
        // Said of the old port before the thread took the new configuration.
        s.apply(ReaderEvent::Connected {
            port: "/dev/ttyUSB0".to_owned(),
            name: "old".to_owned(),
        });
        assert_eq!(s.status, ReaderStatus::Searching);
        let raw = "250 053012300001".to_owned();
        let tag = crate::eid::parse_line(&raw);
        s.apply(ReaderEvent::Read(ReadLine { raw, tag }));
        assert_eq!(
            s.reads.len(),
            1,
            "a tag read is a tag, whichever port it came by"
        );
        // An older configuration's acknowledgement changes nothing; the awaited one does.
        s.apply(ReaderEvent::Reconfigured { generation: 1 });
        s.apply(ReaderEvent::Lost {
            port: "/dev/ttyUSB0".to_owned(),
            reason: "closed".to_owned(),
        });
        assert_eq!(s.status, ReaderStatus::Searching);
        s.apply(ReaderEvent::Reconfigured { generation: 2 });
        s.apply(ReaderEvent::Connected {
            port: "/dev/rfcomm0".to_owned(),
            name: "rfcomm0".to_owned(),
        });
        assert!(
            matches!(s.status, ReaderStatus::Connected { ref port, .. } if port == "/dev/rfcomm0")
        );
    }
}
