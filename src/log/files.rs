//! The store's own small files beside sled's: `device` (this device's key, the server keys it
//! trusts, settings such as sync credentials) and `head` (what the store held after its last
//! durable write).
//!
//! They live outside sled on purpose: a damaged sled file must not take the device key or the
//! enrolment with it, and `head` is the witness that tells a store sled emptied or cut short
//! from a store that is really empty or short. Not for events (see `block.rs`).

use std::collections::BTreeMap;
use std::fs::File;
use std::io::Write;
use std::os::unix::fs::FileExt;
use std::path::Path;

use serde::{Deserialize, Serialize};

use super::LogError;

pub(super) const DEVICE: &str = "device";
pub(super) const HEAD: &str = "head";
/// sled's data file: the one file whose absence means the events are gone.
pub(super) const SLED_DB: &str = "db";

const DEVICE_MAGIC: &[u8; 8] = b"TrnDev1\n";
const HEAD_MAGIC: &[u8; 8] = b"TrnHead1";
const CHECKSUM: usize = 16;

fn checksum(bytes: &[u8]) -> [u8; CHECKSUM] {
    let mut out = [0; CHECKSUM];
    out.copy_from_slice(&blake3::hash(bytes).as_bytes()[..CHECKSUM]);
    out
}

/// This device's identity and settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(super) struct DeviceFile {
    pub key: [u8; 32],
    pub witness_keys: Vec<[u8; 32]>,
    pub settings: BTreeMap<String, Vec<u8>>,
}

impl DeviceFile {
    pub fn read(dir: &Path) -> Result<Option<DeviceFile>, LogError> {
        let bytes = match std::fs::read(dir.join(DEVICE)) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(e.into()),
        };
        let damaged = || LogError::Corrupt(format!("the file {DEVICE} is damaged"));
        if bytes.len() < DEVICE_MAGIC.len() + CHECKSUM || !bytes.starts_with(DEVICE_MAGIC) {
            return Err(damaged());
        }
        let (body, sum) = bytes.split_at(bytes.len() - CHECKSUM);
        if checksum(body) != sum {
            return Err(damaged());
        }
        postcard::from_bytes(&body[DEVICE_MAGIC.len()..])
            .map(Some)
            .map_err(|_| damaged())
    }

    /// Writes the file whole or not at all: a new file, synced, then renamed over the old.
    pub fn write(&self, dir: &Path) -> Result<(), LogError> {
        let mut bytes = DEVICE_MAGIC.to_vec();
        bytes.extend(
            postcard::to_allocvec(self)
                .map_err(|e| LogError::Corrupt(format!("encoding {DEVICE}: {e}")))?,
        );
        let sum = checksum(&bytes);
        bytes.extend_from_slice(&sum);
        let tmp = dir.join(format!("{DEVICE}.new"));
        let mut f = File::create(&tmp)?;
        f.write_all(&bytes)?;
        f.sync_all()?;
        std::fs::rename(&tmp, dir.join(DEVICE))?;
        File::open(dir)?.sync_all()?;
        Ok(())
    }
}

/// What the store held after its last durable write: a store that opens with less lost
/// something on the way (sled cut its file at a damaged byte, a file or tree was deleted).
/// After a clean close it also holds a checksum of sled's files, so any byte changed while
/// the store was closed is seen, even where sled would not look.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(super) struct Head {
    /// Events of every device.
    pub events: u64,
    /// The last sequence number of this device's own chain.
    pub own_last: u64,
    /// Set when the store was closed cleanly: the checksum of sled's files then.
    pub closed: Option<[u8; 32]>,
}

const HEAD_LEN: usize = 8 + 8 + 8 + 1 + 32 + CHECKSUM;

impl Head {
    fn encode(&self) -> [u8; HEAD_LEN] {
        let mut b = [0u8; HEAD_LEN];
        b[..8].copy_from_slice(HEAD_MAGIC);
        b[8..16].copy_from_slice(&self.events.to_be_bytes());
        b[16..24].copy_from_slice(&self.own_last.to_be_bytes());
        if let Some(sum) = self.closed {
            b[24] = 1;
            b[25..57].copy_from_slice(&sum);
        }
        let sum = checksum(&b[..57]);
        b[57..].copy_from_slice(&sum);
        b
    }

    /// `None` when the file is missing, `Err` when it is there but damaged.
    pub fn read(dir: &Path) -> Result<Option<Head>, String> {
        let bytes = match std::fs::read(dir.join(HEAD)) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(e.to_string()),
        };
        if bytes.len() < HEAD_LEN
            || bytes[..8] != *HEAD_MAGIC
            || checksum(&bytes[..57]) != bytes[57..HEAD_LEN]
        {
            return Err(format!("the file {HEAD} is damaged"));
        }
        let n = |r: std::ops::Range<usize>| {
            let mut a = [0u8; 8];
            a.copy_from_slice(&bytes[r]);
            u64::from_be_bytes(a)
        };
        let mut sum = [0u8; 32];
        sum.copy_from_slice(&bytes[25..57]);
        Ok(Some(Head {
            events: n(8..16),
            own_last: n(16..24),
            closed: (bytes[24] == 1).then_some(sum),
        }))
    }
}

/// A checksum of sled's files in `dir` (names, lengths and bytes), for the clean-close mark.
pub(super) fn sled_checksum(dir: &Path) -> std::io::Result<[u8; 32]> {
    let mut paths = Vec::new();
    collect_sled_files(dir, dir, &mut paths)?;
    paths.sort();
    let mut h = blake3::Hasher::new();
    for (name, path) in paths {
        let bytes = std::fs::read(&path)?;
        h.update(name.as_bytes());
        h.update(&(bytes.len() as u64).to_be_bytes());
        h.update(&bytes);
    }
    Ok(*h.finalize().as_bytes())
}

fn collect_sled_files(
    root: &Path,
    dir: &Path,
    out: &mut Vec<(String, std::path::PathBuf)>,
) -> std::io::Result<()> {
    for e in std::fs::read_dir(dir)? {
        let e = e?;
        let name = e.file_name().to_string_lossy().into_owned();
        if dir == root && !is_sled_file(&name) {
            continue;
        }
        if e.file_type()?.is_dir() {
            collect_sled_files(root, &e.path(), out)?;
        } else {
            let rel = e
                .path()
                .strip_prefix(root)
                .map(|p| p.to_string_lossy().into_owned())
                .unwrap_or(name);
            out.push((rel, e.path()));
        }
    }
    Ok(())
}

/// sled's own files in a store folder (the rest are ours or the app's).
pub(super) fn is_sled_file(name: &str) -> bool {
    name == SLED_DB || name == "conf" || name == "blobs" || name.starts_with("snap.")
}

/// The open `head` file, rewritten in place after each durable write. It is not synced:
/// written after sled's data is, it can only lag behind what is on disk, never run ahead.
pub(super) struct HeadFile {
    file: File,
}

impl HeadFile {
    pub fn open(dir: &Path) -> Result<HeadFile, LogError> {
        let file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(dir.join(HEAD))?;
        Ok(HeadFile { file })
    }

    pub fn write(&self, head: Head) -> Result<(), LogError> {
        self.file.write_all_at(&head.encode(), 0)?;
        Ok(())
    }

    /// Writes and syncs: when the store is created or migrated.
    pub fn write_synced(&self, head: Head) -> Result<(), LogError> {
        self.write(head)?;
        self.file.sync_all()?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_device_file_reads_back_and_a_damaged_one_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(DeviceFile::read(dir.path()).unwrap(), None);
        let f = DeviceFile {
            key: [5; 32],
            witness_keys: vec![[6; 32]],
            settings: BTreeMap::from([("a".to_owned(), vec![1, 2])]),
        };
        f.write(dir.path()).unwrap();
        assert_eq!(DeviceFile::read(dir.path()).unwrap(), Some(f));
        let path = dir.path().join(DEVICE);
        let mut bytes = std::fs::read(&path).unwrap();
        bytes[12] ^= 1;
        std::fs::write(&path, bytes).unwrap();
        assert!(DeviceFile::read(dir.path()).is_err());
    }

    #[test]
    fn the_head_reads_back_and_a_damaged_one_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(Head::read(dir.path()), Ok(None));
        let h = Head {
            events: 60_000,
            own_last: 59_000,
            closed: Some([3; 32]),
        };
        HeadFile::open(dir.path()).unwrap().write(h).unwrap();
        assert_eq!(Head::read(dir.path()), Ok(Some(h)));
        let path = dir.path().join(HEAD);
        let mut bytes = std::fs::read(&path).unwrap();
        bytes[9] ^= 1;
        std::fs::write(&path, bytes).unwrap();
        assert!(Head::read(dir.path()).is_err());
    }
}
