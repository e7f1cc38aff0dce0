//! The app's settings file (`app-settings.toml` in the data folder): language, text size,
//! contrast, which technician uses this tablet, and the tag reader's port when it is not
//! found by itself.
//!
//! A file rather than events in the log: these are the tablet's preferences, not facts anyone
//! else needs (the technician's identity itself is an event, `TechnicianRecorded`). Read once
//! before the window opens; written by the backend thread, never during a frame. A missing or
//! unreadable file gives the defaults: preferences are never worth refusing to start.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::kit::UiPrefs;

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
    /// The tag reader's serial port (`/dev/rfcomm0`, `/dev/ttyUSB1`), when the USB and
    /// Bluetooth ports are not to be searched (a system without udev's links).
    pub reader_port: Option<String>,
}

impl PrefsFile {
    /// Where the app looks for a tag reader.
    pub fn reader(&self) -> crate::eid::reader::ReaderConfig {
        use crate::eid::reader::{ReaderConfig, Search};
        let search = match self.reader_port.as_deref().map(str::trim) {
            Some(port) if !port.is_empty() => Search::Port(PathBuf::from(port)),
            _ => Search::System,
        };
        ReaderConfig {
            search,
            ..ReaderConfig::default()
        }
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
        };
        save(dir.path(), &prefs).unwrap();
        assert_eq!(load(dir.path()), prefs);
        let text = std::fs::read_to_string(path(dir.path())).unwrap();
        assert!(text.contains("lang = \"en\""), "{text}");
        assert_eq!(
            load(dir.path()).reader().search,
            crate::eid::reader::Search::Port(PathBuf::from("/dev/rfcomm0"))
        );
        assert_eq!(
            PrefsFile::default().reader().search,
            crate::eid::reader::Search::System
        );
    }

    #[test]
    fn a_damaged_file_gives_the_defaults() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(path(dir.path()), "lang = 3\n[[[").unwrap();
        assert_eq!(load(dir.path()), PrefsFile::default());
    }
}
