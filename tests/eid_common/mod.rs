//! A stick reader stood for by a pseudo-terminal pair: the app's reader thread opens the
//! slave side through a link in a folder (as `/dev/serial/by-id` links a USB reader), the test
//! writes real frames on the master side at the reader's speed, and unplugs it by closing the
//! pair and removing the link.

#![allow(dead_code)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serialport::{SerialPort, TTYPort};

/// One byte at 9600 baud, 8N1: ten bits.
pub const BYTE_TIME: Duration = Duration::from_micros(1_042);

/// The name the system would give an Allflex stick reader plugged in by USB.
pub const READER_NAME: &str = "usb-Allflex_RS420_Stick_Reader-if00-port0";

pub struct FakeReader {
    master: TTYPort,
    /// Held so the pair stays up until unplugged.
    _slave: TTYPort,
    link: PathBuf,
}

impl FakeReader {
    /// Plugs a reader: a new pair, linked as `dir/READER_NAME`.
    pub fn plug(dir: &Path) -> FakeReader {
        let (master, slave) = TTYPort::pair().expect("a pseudo-terminal pair");
        let path = slave.name().expect("the slave's path");
        let link = dir.join(READER_NAME);
        std::os::unix::fs::symlink(&path, &link).expect("the reader's link");
        FakeReader {
            master,
            _slave: slave,
            link,
        }
    }

    /// Writes bytes one at a time, a byte time apart, as the reader's UART sends them.
    pub fn send(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.master.write_all(&[*b]).expect("write to the pty");
            std::thread::sleep(BYTE_TIME);
        }
        self.master.flush().expect("flush the pty");
    }

    /// Sends one tag as an Allflex stick reader does: `LA CCC NNNNNNNNNNNN` CR LF.
    pub fn send_allflex(&mut self, country: u16, national: u64) {
        self.send(format!("LA {country:03} {national:012}\r\n").as_bytes());
    }

    /// Unplugs the reader: the pair closes and its link goes.
    pub fn unplug(self) {
        let _ = std::fs::remove_file(&self.link);
        drop(self);
    }
}

/// The national code of the goat tag `FR 530123 nnnnn` (marking code 530123).
pub fn goat(n: u32) -> u64 {
    // 530123 then the 5-digit order number.
    53_012_300_000 + u64::from(n)
}
