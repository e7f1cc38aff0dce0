//! How a farmer's signature is kept in an event: pen points snapped to a grid of the pad, then
//! each point written as its distance from where the pen's last two points said it would be.
//!
//! A signature is most of the bytes of a year on the wire and on disk, and points written as
//! floats are noise to any compressor. A hand moves smoothly, so the guess "the pen goes on as
//! it went" is off by a few grid steps: one byte a coordinate for most points, against four.
//! The grid is four times finer than the pad keeps points apart (its `MIN_STEP`), so a
//! signature redrawn from the grid is the one the farmer drew.
//!
//! Not for drawing (the app's pad, `pdf.rs`) nor for deciding what counts as a signature
//! (`Confirmation::validate`).

use super::visit::Stroke;

/// Grid steps across the pad, on each axis (a step is under a millimetre on any tablet's pad).
pub const GRID: u16 = 1024;

/// The most points a packed signature may announce: more than the domain accepts (20,000),
/// so the limit is the domain's, and a hostile length cannot make a decoder allocate much.
const MAX_POINTS: usize = 65_536;

/// Why packed bytes are not a signature.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StrokesError {
    #[error("the signature's bytes end in the middle of a point")]
    Truncated,
    #[error("the signature announces {0} points, more than a signature holds")]
    TooLong(usize),
    #[error("a point of the signature falls outside the pad")]
    OffPad,
}

/// The grid step nearest to a pad coordinate (0..1; out-of-pad values are clamped, as the pad
/// clamps the pen).
fn step(c: f32) -> i64 {
    let c = if c.is_finite() {
        c.clamp(0.0, 1.0)
    } else {
        0.0
    };
    (c * f32::from(GRID)).round() as i64
}

fn coordinate(step: i64) -> f32 {
    step as f32 / f32::from(GRID)
}

/// The point of the grid nearest to `p`: what a stored signature gives back. A point off the
/// pad is left as it is, for `Confirmation::validate` to refuse.
pub fn snap(p: [f32; 2]) -> [f32; 2] {
    if p.iter().all(|c| (0.0..=1.0).contains(c)) {
        [coordinate(step(p[0])), coordinate(step(p[1]))]
    } else {
        p
    }
}

/// Snaps every point of `strokes` to the grid (see [`snap`]).
pub fn snap_all(strokes: &[Stroke]) -> Vec<Stroke> {
    strokes
        .iter()
        .map(|s| s.iter().map(|p| snap(*p)).collect())
        .collect()
}

pub(crate) fn put_varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

pub(crate) fn zigzag(v: i64) -> u64 {
    ((v << 1) ^ (v >> 63)) as u64
}

pub(crate) fn unzigzag(v: u64) -> i64 {
    ((v >> 1) as i64) ^ -((v & 1) as i64)
}

struct Reader<'a> {
    bytes: &'a [u8],
}

impl Reader<'_> {
    fn varint(&mut self) -> Result<u64, StrokesError> {
        let mut v = 0u64;
        for shift in (0..64).step_by(7) {
            let (&b, rest) = self.bytes.split_first().ok_or(StrokesError::Truncated)?;
            self.bytes = rest;
            v |= u64::from(b & 0x7f) << shift;
            if b & 0x80 == 0 {
                return Ok(v);
            }
        }
        Err(StrokesError::Truncated)
    }
}

/// How a stroke's next point is guessed from the ones before.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Guess {
    /// Where the last point was: best when points are far apart for the curve (a few points
    /// for a whole loop).
    Last,
    /// Where the pen was going (`2·p₋₁ − p₋₂`): best for a dense, smooth line.
    Going,
}

fn guess(how: Guess, last: i64, before: Option<i64>) -> i64 {
    match (how, before) {
        (Guess::Going, Some(b)) => 2 * last - b,
        _ => last,
    }
}

fn pack_stroke(out: &mut Vec<u8>, s: &Stroke, how: Guess, last: &mut [i64; 2]) {
    let mut before: Option<[i64; 2]> = None;
    for p in s {
        let p = [step(p[0]), step(p[1])];
        for axis in 0..2 {
            let g = guess(how, last[axis], before.map(|b| b[axis]));
            put_varint(out, zigzag(p[axis] - g));
        }
        before = Some(*last);
        *last = p;
    }
}

/// Packs strokes: the number of strokes, then for each its number of points and how its
/// points are guessed (`len · 2 + going`), and its points, each as the zigzag varints of its
/// distance (in grid steps) from the guess; a stroke's first point is guessed at the previous
/// stroke's end. Each stroke takes the guess that packs it smaller.
pub fn pack(strokes: &[Stroke]) -> Vec<u8> {
    let points: usize = strokes.iter().map(Vec::len).sum();
    let mut out = Vec::with_capacity(2 + strokes.len() + 2 * points);
    put_varint(&mut out, strokes.len() as u64);
    let mut last = [0i64; 2];
    let (mut last_point, mut going) = (Vec::new(), Vec::new());
    for s in strokes {
        last_point.clear();
        going.clear();
        let (mut a, mut b) = (last, last);
        pack_stroke(&mut last_point, s, Guess::Last, &mut a);
        pack_stroke(&mut going, s, Guess::Going, &mut b);
        let (how, bytes) = if going.len() < last_point.len() {
            (1, &going)
        } else {
            (0, &last_point)
        };
        put_varint(&mut out, (s.len() as u64) << 1 | how);
        out.extend_from_slice(bytes);
        last = a;
    }
    out
}

/// Unpacks what [`pack`] made: the strokes on the grid.
pub fn unpack(bytes: &[u8]) -> Result<Vec<Stroke>, StrokesError> {
    let mut r = Reader { bytes };
    let count = r.varint()? as usize;
    if count > MAX_POINTS {
        return Err(StrokesError::TooLong(count));
    }
    let mut strokes = Vec::with_capacity(count);
    let mut total = 0usize;
    let mut last = [0i64; 2];
    for _ in 0..count {
        let header = r.varint()?;
        let how = if header & 1 == 1 {
            Guess::Going
        } else {
            Guess::Last
        };
        let n = (header >> 1) as usize;
        total = total.saturating_add(n);
        if total > MAX_POINTS {
            return Err(StrokesError::TooLong(total));
        }
        let mut stroke = Vec::with_capacity(n);
        let mut before: Option<[i64; 2]> = None;
        for _ in 0..n {
            let mut p = [0i64; 2];
            for axis in 0..2 {
                p[axis] = guess(how, last[axis], before.map(|b| b[axis]))
                    .checked_add(unzigzag(r.varint()?))
                    .ok_or(StrokesError::OffPad)?;
                if !(0..=i64::from(GRID)).contains(&p[axis]) {
                    return Err(StrokesError::OffPad);
                }
            }
            stroke.push([coordinate(p[0]), coordinate(p[1])]);
            before = Some(last);
            last = p;
        }
        strokes.push(stroke);
    }
    if !r.bytes.is_empty() {
        return Err(StrokesError::Truncated);
    }
    Ok(strokes)
}

/// A signature's strokes as grid steps (what [`unpack`] gives, before it is made floats).
pub type GridStrokes = Vec<Vec<[i64; 2]>>;

/// The strokes packed `bytes` hold, in grid steps.
pub fn grid(bytes: &[u8]) -> Result<GridStrokes, StrokesError> {
    Ok(unpack(bytes)?
        .iter()
        .map(|s| s.iter().map(|p| [step(p[0]), step(p[1])]).collect())
        .collect())
}

/// Packs strokes given in grid steps: `pack(grid(b)) == b` for every `b` [`pack`] wrote.
pub fn pack_grid(strokes: &[Vec<[i64; 2]>]) -> Vec<u8> {
    let floats: Vec<Stroke> = strokes
        .iter()
        .map(|s| {
            s.iter()
                .map(|p| [coordinate(p[0]), coordinate(p[1])])
                .collect()
        })
        .collect();
    pack(&floats)
}

/// The name packed strokes go by in serde: the wire's columns (`sync::columns`) find a
/// signature by it and send it as its difference from the signer's previous one. Postcard
/// writes a newtype as its content, so stored bodies do not change.
pub const PACKED_NAME: &str = "tournee::PackedStrokes";

/// Packed strokes ([`pack`]) as an event holds them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Packed(pub Vec<u8>);

impl serde::Serialize for Packed {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_newtype_struct(PACKED_NAME, &self.0)
    }
}

impl<'de> serde::Deserialize<'de> for Packed {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Packed, D::Error> {
        struct Visit;
        impl<'de> serde::de::Visitor<'de> for Visit {
            type Value = Packed;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("packed strokes")
            }
            fn visit_newtype_struct<D: serde::Deserializer<'de>>(
                self,
                d: D,
            ) -> Result<Packed, D::Error> {
                <Vec<u8> as serde::Deserialize>::deserialize(d).map(Packed)
            }
            // Formats that do not keep newtypes (JSON reads the content alone).
            fn visit_seq<A: serde::de::SeqAccess<'de>>(self, a: A) -> Result<Packed, A::Error> {
                <Vec<u8> as serde::Deserialize>::deserialize(
                    serde::de::value::SeqAccessDeserializer::new(a),
                )
                .map(Packed)
            }
        }
        d.deserialize_newtype_struct(PACKED_NAME, Visit)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A hand's signature: two strokes, a loop and a line, with a tremor of a few thousandths.
    fn hand() -> Vec<Stroke> {
        let mut seed = 7u32;
        let mut jitter = || {
            seed = seed.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            (seed >> 8) as f32 / (1u32 << 24) as f32 * 0.006 - 0.003
        };
        let first: Stroke = (0..40)
            .map(|i| {
                let t = i as f32 / 39.0 * 6.0;
                [
                    0.1 + 0.5 * i as f32 / 39.0 + 0.03 * t.cos() + jitter(),
                    0.5 + 0.2 * t.sin() + jitter(),
                ]
            })
            .collect();
        let second: Stroke = (0..12)
            .map(|i| [0.65 + 0.02 * i as f32 + jitter(), 0.7 + jitter()])
            .collect();
        vec![first, second]
    }

    #[test]
    fn a_signature_comes_back_within_half_a_grid_step_of_every_point() {
        let strokes = hand();
        let back = unpack(&pack(&strokes)).unwrap();
        assert_eq!(back.len(), 2);
        assert_eq!(back[0].len(), 40);
        assert_eq!(back[1].len(), 12);
        let half_step = 0.5 / f32::from(GRID) + 1e-6;
        for (a, b) in strokes.iter().flatten().zip(back.iter().flatten()) {
            assert!((a[0] - b[0]).abs() <= half_step, "{a:?} {b:?}");
            assert!((a[1] - b[1]).abs() <= half_step, "{a:?} {b:?}");
        }
        // points already on the grid come back exactly, so a stored signature packs the same
        assert_eq!(unpack(&pack(&back)).unwrap(), back);
        assert_eq!(pack(&back), pack(&strokes));
    }

    #[test]
    fn a_hand_costs_about_two_bytes_a_point_against_eight_as_floats() {
        let strokes = hand();
        let points: usize = strokes.iter().map(Vec::len).sum();
        let packed = pack(&strokes).len();
        let floats = postcard::to_allocvec(&strokes).unwrap().len();
        assert!(packed <= 3 * points, "{packed} bytes for {points} points");
        assert!(floats >= 8 * points, "{floats}");
    }

    #[test]
    fn packed_strokes_keep_their_bytes_in_postcard_and_their_points_on_the_grid() {
        let bytes = pack(&hand());
        // a newtype adds nothing: events stored before read the same
        let packed = postcard::to_allocvec(&Packed(bytes.clone())).unwrap();
        assert_eq!(packed, postcard::to_allocvec(&bytes).unwrap());
        assert_eq!(
            postcard::from_bytes::<Packed>(&packed).unwrap(),
            Packed(bytes.clone())
        );
        let g = grid(&bytes).unwrap();
        assert_eq!(g[0].len(), 40);
        assert!(g.iter().flatten().flatten().all(|c| (0..=1024).contains(c)));
        assert_eq!(pack_grid(&g), bytes);
    }

    #[test]
    fn bytes_that_are_not_a_signature_are_refused_not_trusted() {
        let packed = pack(&hand());
        assert_eq!(
            unpack(&packed[..packed.len() - 1]),
            Err(StrokesError::Truncated)
        );
        let mut longer = packed.clone();
        longer.push(0);
        assert_eq!(unpack(&longer), Err(StrokesError::Truncated));
        // one stroke of a million points
        let mut huge = vec![1u8];
        put_varint(&mut huge, 1_000_000 << 1);
        assert_eq!(unpack(&huge), Err(StrokesError::TooLong(1_000_000)));
        // a point pushed off the pad
        let mut off = vec![1u8, 1 << 1];
        put_varint(&mut off, zigzag(-5));
        put_varint(&mut off, 0);
        assert_eq!(unpack(&off), Err(StrokesError::OffPad));
    }
}
