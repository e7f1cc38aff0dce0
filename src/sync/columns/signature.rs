//! A farmer's signature on the wire: most of a day's bytes, and each farmer signs alike from
//! one visit to the next. So a signature whose signer signed before (in the history both ends
//! hold, or earlier in the message) goes as its difference from the most alike of the
//! signer's last few, drawn a little larger or smaller and moved (one scale, one shift per
//! axis, fitted by least squares): what is left is the hand's tremor, a few grid steps a
//! point, where the signature packed alone (`domain::strokes`) costs about 58 bytes. On a
//! typical demo day the signed confirmations went from 2,495 to 1,269 bytes (`cargo bench
//! --bench sync -- day`).
//!
//! The receiver rebuilds the grid points, then packs them as their author did
//! (`strokes::pack_grid`), so the body comes back byte for byte; a signature whose bytes that
//! would not give back goes as it is.

use std::collections::HashMap;

use super::{ColumnError, Place, corrupt};
use crate::domain::strokes::{self, GRID, GridStrokes};

/// The centre the scale is taken about, in grid steps.
const CENTRE: i64 = GRID as i64 / 2;
/// The scale is sent in 1/1024ths around 1.
const SCALE_ONE: i64 = 1024;
/// A scale further from 1 than this (in 1/1024ths) is not the same hand's: sent as it is.
const SCALE_MAX: i64 = 512;

/// How a signature travels.
pub(super) const AS_IT_IS: u64 = 0;
pub(super) const FROM_PREVIOUS: u64 = 1;

/// The signatures kept for each signer, latest first: a name may be two farms' (two hands),
/// so the one drawn most alike is chosen among them.
const KEPT: usize = 4;

/// Each signer's last signatures, as both ends have met them.
#[derive(Default)]
pub(super) struct Signatures {
    last: HashMap<String, Vec<GridStrokes>>,
}

/// What a signature is sent as.
pub(super) enum Sent {
    AsItIs,
    FromPrevious {
        /// Which of the signer's kept signatures, latest first.
        which: usize,
        scale: i64,
        shift: [i64; 2],
        residuals: Vec<i64>,
    },
}

fn same_shape(a: &GridStrokes, b: &GridStrokes) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.len() == y.len())
}

/// Where the previous signature's point `r` lands once scaled and moved.
fn predict(r: [i64; 2], scale: i64, shift: [i64; 2]) -> [i64; 2] {
    let mut out = [0; 2];
    for axis in 0..2 {
        let scaled =
            ((r[axis] - CENTRE) * (SCALE_ONE + scale) + SCALE_ONE / 2).div_euclid(SCALE_ONE);
        out[axis] = CENTRE + scaled + shift[axis];
    }
    out
}

/// The scale and shift that bring `previous` nearest `now` (least squares, one scale for
/// both axes, as a hand signs larger or smaller, higher or lower).
fn fit(now: &GridStrokes, previous: &GridStrokes) -> (i64, [i64; 2]) {
    let pairs: Vec<([i64; 2], [i64; 2])> = now
        .iter()
        .flatten()
        .copied()
        .zip(previous.iter().flatten().copied())
        .collect();
    let n = pairs.len().max(1) as f64;
    // The mean of each coordinate about the centre: now x, now y, previous x, previous y.
    let mut mean = [0.0f64; 4];
    for (p, r) in &pairs {
        for (m, c) in mean.iter_mut().zip([p[0], p[1], r[0], r[1]]) {
            *m += (c - CENTRE) as f64 / n;
        }
    }
    let [mpx, mpy, mrx, mry] = mean;
    let (mut num, mut den) = (0.0, 0.0);
    for (p, r) in &pairs {
        let (px, py) = ((p[0] - CENTRE) as f64 - mpx, (p[1] - CENTRE) as f64 - mpy);
        let (rx, ry) = ((r[0] - CENTRE) as f64 - mrx, (r[1] - CENTRE) as f64 - mry);
        num += px * rx + py * ry;
        den += rx * rx + ry * ry;
    }
    let s = if den > 0.0 { num / den } else { 1.0 };
    let scale = ((s - 1.0) * SCALE_ONE as f64).round() as i64;
    let scale = scale.clamp(-SCALE_MAX - 1, SCALE_MAX + 1);
    let k = (SCALE_ONE + scale) as f64 / SCALE_ONE as f64;
    let shift = [
        (mpx - k * mrx).round() as i64,
        (mpy - k * mry).round() as i64,
    ];
    (scale, shift)
}

/// About the bits a residual takes once compressed: small ones are most of them, and zstd's
/// entropy stage packs them near their size, not into a byte each.
fn bits(r: i64) -> usize {
    2 * (64 - r.unsigned_abs().leading_zeros() as usize) + 2
}

impl Signatures {
    /// How to send the signature `bytes` signed by `signer`, and remembers it.
    pub(super) fn send(&mut self, signer: &str, bytes: &[u8]) -> Sent {
        let Ok(now) = strokes::grid(bytes) else {
            return Sent::AsItIs;
        };
        // Rebuilt, it must pack to these bytes; either way it is the next one's reference,
        // as the receiver reads it.
        let sent = if strokes::pack_grid(&now) == bytes {
            self.difference(signer, &now, bytes.len())
        } else {
            None
        };
        self.keep(signer, now);
        sent.unwrap_or(Sent::AsItIs)
    }

    fn keep(&mut self, signer: &str, strokes: GridStrokes) {
        let kept = self.last.entry(signer.to_owned()).or_default();
        kept.insert(0, strokes);
        kept.truncate(KEPT);
    }

    /// The smallest difference from one of the signer's kept signatures, if smaller than the
    /// signature packed alone in `packed` bytes.
    fn difference(&self, signer: &str, now: &GridStrokes, packed: usize) -> Option<Sent> {
        // Packed alone (`packed` bytes), a signature's bytes hardly compress.
        let alone = 8 * packed;
        self.last
            .get(signer)?
            .iter()
            .enumerate()
            .filter(|(_, p)| same_shape(p, now))
            .filter_map(|(which, p)| difference_from(which, p, now))
            .filter(|(cost, _)| *cost < alone)
            .min_by_key(|(cost, _)| *cost)
            .map(|(_, sent)| sent)
    }

    /// The signature `signer`'s previous one gives with `scale`, `shift` and `residuals`
    /// (as many as its points, both axes), packed; remembered.
    pub(super) fn rebuild(
        &mut self,
        signer: &str,
        which: usize,
        scale: i64,
        shift: [i64; 2],
        mut residual: impl FnMut() -> Result<i64, ColumnError>,
    ) -> Result<Vec<u8>, ColumnError> {
        if scale.abs() > SCALE_MAX || shift.iter().any(|s| s.abs() > 2 * GRID as i64) {
            return Err(corrupt("a signature's scale or shift"));
        }
        let previous = self
            .last
            .get(signer)
            .and_then(|kept| kept.get(which))
            .ok_or_else(|| corrupt("a signature from a signer not met before"))?;
        let mut now: GridStrokes = Vec::with_capacity(previous.len());
        for stroke in previous {
            let mut points = Vec::with_capacity(stroke.len());
            for r in stroke {
                let g = predict(*r, scale, shift);
                let mut p = [0; 2];
                for (c, g) in p.iter_mut().zip(g) {
                    // A residual is the sender's word: any i64, so added with care.
                    *c = g
                        .checked_add(residual()?)
                        .filter(|c| (0..=GRID as i64).contains(c))
                        .ok_or_else(|| corrupt("a signature's point off the pad"))?;
                }
                points.push(p);
            }
            now.push(points);
        }
        let bytes = strokes::pack_grid(&now);
        self.keep(signer, now);
        Ok(bytes)
    }

    /// Remembers a signature that came as it is.
    pub(super) fn met(&mut self, signer: &str, bytes: &[u8]) {
        if let Ok(g) = strokes::grid(bytes) {
            self.keep(signer, g);
        }
    }
}

/// `now` as its difference from `previous` (the signer's `which`-th kept signature), and
/// about the bits it costs.
fn difference_from(
    which: usize,
    previous: &GridStrokes,
    now: &GridStrokes,
) -> Option<(usize, Sent)> {
    let (scale, shift) = fit(now, previous);
    if scale.abs() > SCALE_MAX {
        return None;
    }
    let residuals: Vec<i64> = now
        .iter()
        .flatten()
        .zip(previous.iter().flatten())
        .flat_map(|(p, r)| {
            let g = predict(*r, scale, shift);
            [p[0] - g[0], p[1] - g[1]]
        })
        .collect();
    let cost = residuals.iter().map(|r| bits(*r)).sum::<usize>() + 24;
    Some((
        cost,
        Sent::FromPrevious {
            which,
            scale,
            shift,
            residuals,
        },
    ))
}

/// The columns of a signature sent from the previous one.
pub(super) fn places(place: Place) -> (Place, Place, Place, Place) {
    (
        place.mix(b"which"),
        place.mix(b"scale"),
        place.mix(b"shift"),
        place.mix(b"residual"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_residual_that_would_overflow_or_leave_the_pad_is_refused() {
        let mut kept = Signatures::default();
        kept.met(
            "Marie Lebrun",
            &strokes::pack_grid(&[vec![[100, 200], [300, 400]]]),
        );
        for r in [i64::MAX, i64::MIN, 2_000] {
            let refused = kept.rebuild("Marie Lebrun", 0, 0, [0, 0], || Ok(r));
            assert!(matches!(refused, Err(ColumnError::Corrupt(_))), "{r}");
        }
        let same = kept
            .rebuild("Marie Lebrun", 0, 0, [0, 0], || Ok(0))
            .unwrap();
        assert_eq!(same, strokes::pack_grid(&[vec![[100, 200], [300, 400]]]));
    }
}
