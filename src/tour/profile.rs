//! Time profiles of parts of a round: for a stretch of visits driven in a given order, the
//! lateness it collects and when it ends, as a function of the time the technician arrives at
//! its first visit. The local search keeps them for the end of the current round (backward)
//! and grows them one visit at a time for the stretches a move shifts (forward), so a move is
//! costed by evaluating a few of them instead of driving the whole round again; in the
//! vehicle-routing literature this is the forward/backward time-window data of Savelsbergh
//! (1992) and Vidal et al. (2013), here with soft windows (lateness) and closed hours.
//!
//! Not for the exact programme (it keeps its own labels) nor for what a plan reports: the
//! plan is always simulated stop by stop.
//!
//! A profile is piecewise linear: lateness and end time are non-decreasing in the arrival
//! time, the end time with slope 0 (the technician waits for a window or for milking to end)
//! or 1, the lateness with slope 0 up to the number of visits whose windows are passed.
//! Closed hours make it jump. The pieces are few: each visit with a window adds at most one
//! (its window's end), each closed span two, and a wait swallows every piece before it.

/// The earliest arrival a profile covers: below any time of day, with room for arithmetic.
const NEG: i64 = -(1 << 40);

/// One piece: from `from` (included) to the next piece's `from`, lateness
/// `late_at + late_per * t` and end time `out_at + out_per * t` (lines written at t = 0, so
/// no piece needs an anchor).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Piece {
    from: i64,
    late_at: i64,
    late_per: i64,
    out_at: i64,
    out_per: i64,
}

impl Piece {
    #[inline]
    fn at(&self, t: i64) -> (i64, i64) {
        (
            self.late_at + self.late_per * t,
            self.out_at + self.out_per * t,
        )
    }

    fn same_lines(&self, o: &Piece) -> bool {
        (self.late_at, self.late_per, self.out_at, self.out_per)
            == (o.late_at, o.late_per, o.out_at, o.out_per)
    }
}

/// Lateness and end time of a stretch of the round as functions of the arrival time at its
/// first visit.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Profile {
    pieces: Vec<Piece>,
}

/// What a profile needs to know of one visit: the same rules as `Instance::service_start`.
pub struct VisitTiming<'a> {
    /// When the window opens (`i64::MIN`: no window).
    pub earliest: i64,
    /// When the window ends (`i64::MAX`: no window).
    pub latest: i64,
    pub service: i64,
    /// Merged, sorted closed spans.
    pub closed: &'a [(i64, i64)],
}

impl Profile {
    /// The end of the round itself: no lateness, it ends when the technician arrives.
    pub fn identity() -> Profile {
        Profile {
            pieces: vec![Piece {
                from: NEG,
                late_at: 0,
                late_per: 0,
                out_at: 0,
                out_per: 1,
            }],
        }
    }

    /// One visit: arriving at `t`, the work starts when the window is open and no closed span
    /// overlaps it; the profile ends when the work does.
    pub fn visit(stop: &VisitTiming) -> Profile {
        let len = stop.service.max(1);
        // The start as a function of the arrival: the identity after the window opens,
        // except where the work would overlap a closed span: there it starts when the span
        // (and any span it then runs into) ends. `wait` holds those stretches, merged.
        let mut wait: Vec<(i64, i64)> = Vec::with_capacity(stop.closed.len() + 1);
        for &(c0, c1) in stop.closed {
            let (a, b) = (c0 - len + 1, c1);
            match wait.last_mut() {
                Some(last) if a <= last.1 => last.1 = last.1.max(b),
                _ => wait.push((a, b)),
            }
        }
        let start_at = |x: i64| -> i64 {
            wait.iter()
                .find(|(a, b)| *a <= x && x < *b)
                .map_or(x, |(_, b)| *b)
        };
        let mut p = Profile { pieces: Vec::new() };
        let lat = stop.latest;
        let svc = stop.service;
        let mut x = NEG;
        if stop.earliest > NEG {
            // Arrivals before the window opens all start at the same time.
            p.push_constant(NEG, start_at(stop.earliest), lat, svc);
            x = stop.earliest;
        }
        for &(a, b) in &wait {
            if b <= x {
                continue;
            }
            if a > x {
                p.push_identity(x, a, lat, svc);
            }
            p.push_constant(a.max(x), b, lat, svc);
            x = b;
        }
        p.push_identity(x, i64::MAX, lat, svc);
        p.merge();
        p
    }

    /// Arrivals from `from` on start the work at `start`.
    fn push_constant(&mut self, from: i64, start: i64, latest: i64, service: i64) {
        self.pieces.push(Piece {
            from,
            late_at: late(start, latest),
            late_per: 0,
            out_at: start + service,
            out_per: 0,
        });
    }

    /// Arrivals in `from..to` start the work at once: late past the window's end.
    fn push_identity(&mut self, from: i64, to: i64, latest: i64, service: i64) {
        if from < latest {
            self.pieces.push(Piece {
                from,
                late_at: 0,
                late_per: 0,
                out_at: service,
                out_per: 1,
            });
        }
        if to > latest {
            self.pieces.push(Piece {
                from: from.max(latest),
                late_at: -latest,
                late_per: 1,
                out_at: service,
                out_per: 1,
            });
        }
    }

    /// Joins neighbouring pieces that carry the same lines, and drops empty ones, in place
    /// (this runs for every visit a move's scan adds: no allocation).
    fn merge(&mut self) {
        let pieces = &mut self.pieces;
        let mut kept = 0usize;
        for i in 0..pieces.len() {
            let p = pieces[i];
            if kept > 0 {
                let last = &mut pieces[kept - 1];
                if last.from == p.from {
                    *last = p;
                    continue;
                }
                if last.same_lines(&p) {
                    continue;
                }
            }
            pieces[kept] = p;
            kept += 1;
        }
        pieces.truncate(kept);
    }

    /// Lateness and end time when the technician arrives at `t`.
    #[inline]
    pub fn at(&self, t: i64) -> (i64, i64) {
        let i = self.pieces.partition_point(|p| p.from <= t);
        // The first piece starts at NEG, below any time: `i` is at least 1.
        self.pieces[i.saturating_sub(1)].at(t)
    }

    /// How many pieces: the cost of composing with this profile.
    pub fn len(&self) -> usize {
        self.pieces.len()
    }

    /// `first`, then `travel` seconds of driving, then `then`: into `out`, reusing its memory.
    pub fn compose_into(first: &Profile, travel: i64, then: &Profile, out: &mut Profile) {
        out.pieces.clear();
        let a = &first.pieces;
        let b = &then.pieces;
        for (k, pa) in a.iter().enumerate() {
            let to = a.get(k + 1).map_or(i64::MAX, |n| n.from);
            if pa.out_per == 0 {
                // A wait: every arrival of this piece reaches `then` at the same time.
                let (bl, bo) = then.at(pa.out_at + travel);
                out.pieces.push(Piece {
                    from: pa.from,
                    late_at: pa.late_at + bl,
                    late_per: pa.late_per,
                    out_at: bo,
                    out_per: 0,
                });
                continue;
            }
            // Arrival t at `first` reaches `then` at t + shift.
            let shift = pa.out_at + travel;
            let lo = pa.from.saturating_add(shift);
            let mut j = b.partition_point(|p| p.from <= lo).saturating_sub(1);
            loop {
                let pb = &b[j];
                let from = pb.from.saturating_sub(shift).max(pa.from);
                out.pieces.push(Piece {
                    from,
                    late_at: pa.late_at + pb.late_at + pb.late_per * shift,
                    late_per: pa.late_per + pb.late_per,
                    out_at: pb.out_at + pb.out_per * shift,
                    out_per: pb.out_per,
                });
                j += 1;
                match b.get(j) {
                    Some(next) if next.from.saturating_sub(shift) < to => {}
                    _ => break,
                }
            }
        }
        out.merge();
    }
}

fn late(start: i64, latest: i64) -> i64 {
    (start - latest).max(0)
}
