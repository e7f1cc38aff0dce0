//! A stick reader stood for by a pseudo-terminal pair: the app's reader thread opens the
//! slave side through a link in a folder (as `/dev/serial/by-id` links a USB reader), the test
//! writes real frames on the master side at the reader's speed, and unplugs it by closing the
//! pair and removing the link. Another serial device (a GPS on a USB adapter) is stood for the
//! same way.

#![allow(dead_code)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serialport::{SerialPort, TTYPort};

/// The name the system would give an Allflex stick reader plugged in by USB.
pub const READER_NAME: &str = "usb-Allflex_RS420_Stick_Reader-if00-port0";

/// The name of a GPS on a CH340 USB serial adapter: listed before the reader.
pub const GPS_NAME: &str = "usb-1a86_USB_Serial-if00-port0";

/// NMEA sentences, what such a GPS sends every second (NMEA 0183's own example).
pub const NMEA: &[u8] = b"$GPGGA,123519,4807.038,N,01131.000,E,1,08,0.9,545.4,M,46.9,M,,*47\r\n";

pub struct FakeReader {
    master: TTYPort,
    /// Held so the pair stays up until unplugged; its settings are the port's.
    slave: TTYPort,
    link: PathBuf,
    /// One byte's time at the reader's speed, 8N1: ten bits.
    byte_time: Duration,
}

impl FakeReader {
    /// Plugs a reader at 9600 baud: a new pair, linked as `dir/READER_NAME`.
    pub fn plug(dir: &Path) -> FakeReader {
        FakeReader::plug_as(dir, READER_NAME, 9600)
    }

    /// Plugs a serial device named `name` that sends at `baud`.
    pub fn plug_as(dir: &Path, name: &str, baud: u32) -> FakeReader {
        let (master, slave) = TTYPort::pair().expect("a pseudo-terminal pair");
        let path = slave.name().expect("the slave's path");
        let link = dir.join(name);
        std::os::unix::fs::symlink(&path, &link).expect("the reader's link");
        FakeReader {
            master,
            slave,
            link,
            byte_time: Duration::from_nanos(10_000_000_000 / u64::from(baud)),
        }
    }

    /// The same device, set to send at `baud` (as its menu would set it).
    pub fn at(mut self, baud: u32) -> FakeReader {
        self.byte_time = Duration::from_nanos(10_000_000_000 / u64::from(baud));
        self
    }

    /// The link the app finds the device by.
    pub fn path(&self) -> &Path {
        &self.link
    }

    /// The speed the port is set to, as whoever opened it last set it.
    pub fn speed(&self) -> u32 {
        self.slave.baud_rate().expect("the port's speed")
    }

    /// Writes bytes one at a time, a byte time apart, as the reader's UART sends them.
    pub fn send(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.master.write_all(&[*b]).expect("write to the pty");
            std::thread::sleep(self.byte_time);
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
