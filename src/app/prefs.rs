//! The app's settings file (`app-settings.toml` in the data folder): language, text size,
//! contrast, which technician uses this tablet, and the tag reader's port and speed when the
//! technician chose them.
//!
//! A file rather than events in the log: these are the tablet's preferences, not facts anyone
//! else needs (the technician's identity itself is an event, `TechnicianRecorded`). Read once
//! before the window opens; written by the backend thread, never during a frame. A missing or
//! unreadable file gives the defaults: preferences are never worth refusing to start.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::kit::UiPrefs;
use crate::eid::reader::{ReaderChoice, SPEEDS};

/// The file's name inside the data folder.
pub const FILE: &str = "app-settings.toml";

/// What the settings file holds.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct PrefsFile {
    #[serde(flatten)]
    pub ui: UiPrefs,
    /// The id of the technician using this tablet.
    pub technician: Option<String>,
    /// The tag reader's serial port (`/dev/rfcomm0`, `/dev/ttyUSB1`) when the technician chose
    /// one; absent: the USB and Bluetooth ports are searched.
    pub reader_port: Option<String>,
    /// The tag reader's speed in baud, one of [`SPEEDS`]; absent: 9600.
    pub reader_baud: Option<u32>,
}

impl PrefsFile {
    /// The technician's choice of port and speed. A speed no reader is set to (the file
    /// edited by hand) is said on standard error and 9600 used: preferences never stop the app.
    pub fn reader_choice(&self) -> ReaderChoice {
        let port = match self.reader_port.as_deref().map(str::trim) {
            Some(port) if !port.is_empty() => Some(PathBuf::from(port)),
            _ => None,
        };
        let baud = match self.reader_baud {
            Some(b) if SPEEDS.contains(&b) => b,
            Some(b) => {
                eprintln!(
                    "tournee: {FILE}: reader_baud = {b} is not a reader's speed (expected one of {SPEEDS:?}); 9600 used"
                );
                SPEEDS[0]
            }
            None => SPEEDS[0],
        };
        ReaderChoice { port, baud }
    }

    /// Keeps the technician's choice of port and speed.
    pub fn set_reader_choice(&mut self, choice: &ReaderChoice) {
        self.reader_port = choice
            .port
            .as_ref()
            .map(|p| p.to_string_lossy().into_owned());
        self.reader_baud = Some(choice.baud);
    }
}

/// The settings file of a data folder.
pub fn path(dir: &Path) -> PathBuf {
    dir.join(FILE)
}

/// Reads the settings file; the defaults if it is missing or does not read.
pub fn load(dir: &Path) -> PrefsFile {
    std::fs::read_to_string(path(dir))
        .ok()
        .and_then(|text| toml::from_str(&text).ok())
        .unwrap_or_default()
}

/// Writes the settings file whole (a temporary file renamed over the old one, so a crash
/// leaves the old or the new file, never half of one).
pub fn save(dir: &Path, prefs: &PrefsFile) -> std::io::Result<()> {
    let text = toml::to_string(prefs).map_err(std::io::Error::other)?;
    std::fs::create_dir_all(dir)?;
    let tmp = dir.join(format!("{FILE}.tmp"));
    std::fs::write(&tmp, text)?;
    std::fs::rename(tmp, path(dir))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::i18n::Lang;
    use crate::app::kit::{Contrast, TextSize};

    #[test]
    fn settings_survive_a_save_and_a_load() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(load(dir.path()), PrefsFile::default());
        let prefs = PrefsFile {
            ui: UiPrefs {
                lang: Lang::En,
                text_size: TextSize::Larger,
                contrast: Contrast::High,
            },
            technician: Some("T01".to_owned()),
            reader_port: Some("/dev/rfcomm0".to_owned()),
            reader_baud: Some(38400),
        };
        save(dir.path(), &prefs).unwrap();
        assert_eq!(load(dir.path()), prefs);
        let text = std::fs::read_to_string(path(dir.path())).unwrap();
        assert!(text.contains("lang = \"en\""), "{text}");
        assert!(text.contains("reader_baud = 38400"), "{text}");
        assert_eq!(
            load(dir.path()).reader_choice(),
            ReaderChoice {
                port: Some(PathBuf::from("/dev/rfcomm0")),
                baud: 38400
            }
        );
        assert_eq!(
            PrefsFile::default().reader_choice(),
            ReaderChoice::default()
        );
    }

    #[test]
    fn the_reader_choice_is_kept_and_a_speed_no_reader_has_gives_9600() {
        let mut prefs = PrefsFile::default();
        let choice = ReaderChoice {
            port: Some(PathBuf::from("/dev/serial/by-id/usb-Allflex")),
            baud: 115_200,
        };
        prefs.set_reader_choice(&choice);
        assert_eq!(prefs.reader_choice(), choice);
        prefs.set_reader_choice(&ReaderChoice::default());
        assert_eq!(
            (prefs.reader_port.as_deref(), prefs.reader_baud),
            (None, Some(9600))
        );
        prefs.reader_baud = Some(12_345);
        prefs.reader_port = Some("  ".to_owned());
        assert_eq!(prefs.reader_choice(), ReaderChoice::default());
    }

    #[test]
    fn a_damaged_file_gives_the_defaults() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(path(dir.path()), "lang = 3\n[[[").unwrap();
        assert_eq!(load(dir.path()), PrefsFile::default());
    }
}
