//! A slow line on loopback: a TCP proxy that delivers bytes at a set bandwidth and one-way
//! delay, in both directions, as a 2G link would (40 kbit/s, 600 ms round trip). A new
//! connection costs one round trip before its first byte, as TCP's handshake does.

use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

/// The line's figures.
#[derive(Debug, Clone, Copy)]
pub struct Line {
    pub bits_per_second: u64,
    pub round_trip: Duration,
}

impl Line {
    /// A 2G (GPRS/EDGE) link as seen in a barn: 40 kbit/s, 600 ms round trip.
    pub const TWO_G: Line = Line {
        bits_per_second: 40_000,
        round_trip: Duration::from_millis(600),
    };

    fn on_the_wire(&self, bytes: usize) -> Duration {
        Duration::from_secs_f64(bytes as f64 * 8.0 / self.bits_per_second as f64)
    }
}

pub struct Throttle {
    addr: String,
}

impl Throttle {
    /// Listens on a free loopback port and forwards each connection to `upstream`
    /// (`host:port`) through the line.
    pub fn start(upstream: &str, line: Line) -> Throttle {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap().to_string();
        let upstream = upstream.to_string();
        thread::spawn(move || {
            for client in listener.incoming() {
                let Ok(client) = client else { continue };
                let Ok(server) = TcpStream::connect(&upstream) else {
                    continue;
                };
                let _ = client.set_nodelay(true);
                let _ = server.set_nodelay(true);
                let handshake = line.round_trip;
                pump(&client, &server, line, handshake);
                pump(&server, &client, line, Duration::ZERO);
            }
        });
        Throttle { addr }
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }
}

/// Carries `from` to `to`: a reader stamps each chunk with the time it leaves the far end of
/// the line (after the bytes before it, at the line's rate, and half a round trip), a writer
/// hands it on at that time.
fn pump(from: &TcpStream, to: &TcpStream, line: Line, first_delay: Duration) {
    let (Ok(mut from), Ok(mut to)) = (from.try_clone(), to.try_clone()) else {
        return;
    };
    let (tx, rx) = mpsc::channel::<(Instant, Vec<u8>)>();
    thread::spawn(move || {
        let mut free_at = Instant::now() + first_delay;
        let mut buf = vec![0u8; 16 * 1024];
        loop {
            match from.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    let now = Instant::now();
                    free_at = free_at.max(now) + line.on_the_wire(n);
                    if tx
                        .send((free_at + line.round_trip / 2, buf[..n].to_vec()))
                        .is_err()
                    {
                        break;
                    }
                }
            }
        }
    });
    thread::spawn(move || {
        for (at, bytes) in rx {
            if let Some(wait) = at.checked_duration_since(Instant::now()) {
                thread::sleep(wait);
            }
            if to.write_all(&bytes).is_err() {
                break;
            }
        }
        let _ = to.shutdown(Shutdown::Write);
    });
}
