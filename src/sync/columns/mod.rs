//! A denser form of event bodies for the wire: every value goes into the column of its place
//! (the same field of the same kind of event), numbers as varints, instants and dates as
//! differences from the column's previous one, a string seen before in its column as a
//! reference, a tenth-rounded float as an integer; then zstd over the columns. Values of one
//! place look alike, so zstd finds far more than in bodies side by side: a day's acts take
//! about 60 % of the bytes they took (`cargo bench --bench sync ... -- day`).
//!
//! Bodies are what their author hashed, so the receiver must rebuild each one byte for byte.
//! The columns come from the decoded event and the receiver encodes it again with postcard;
//! a body that postcard would not write back identically (an older encoder's) travels as it
//! is, in a column of its own. The receiver's chain walk checks every hash anyway.
//!
//! Not for storage: the store keeps bodies as their author wrote them.

mod signature;

/// foldhash rather than SipHash: these maps are looked up for every value of every event
/// (a tenth of the server's decoding in a profile), and their keys are hashes already.
type HashMap<K, V> = foldhash::HashMap<K, V>;

use chrono::{DateTime, Datelike, FixedOffset, NaiveDate};
use serde::de::{self, DeserializeSeed, IntoDeserializer, Visitor};
use serde::{Deserialize, Serialize, ser};

use crate::domain::Payload;
use crate::domain::strokes::{self, put_varint, unzigzag, zigzag};
use crate::log::Hlc;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ColumnError {
    #[error("the columns are truncated or corrupt: {0}")]
    Corrupt(String),
    #[error("a value cannot go in columns: {0}")]
    Unsupported(String),
}

impl ser::Error for ColumnError {
    fn custom<T: std::fmt::Display>(msg: T) -> Self {
        ColumnError::Unsupported(msg.to_string())
    }
}

impl de::Error for ColumnError {
    fn custom<T: std::fmt::Display>(msg: T) -> Self {
        ColumnError::Corrupt(msg.to_string())
    }
}

fn corrupt(what: &str) -> ColumnError {
    ColumnError::Corrupt(what.to_string())
}

/// The most events one message may rebuild.
const MAX_EVENTS: u64 = 1_000_000;
/// How a body travels: rebuilt from columns, or as it is.
const FORM_COLUMNS: u64 = 0;
const FORM_RAW: u64 = 1;
/// What a string column holds for one value: a new literal, an instant, a date, or (from
/// `REF`) a reference to the column's `n - REF`-th literal.
const STR_LITERAL: u64 = 0;
const STR_INSTANT: u64 = 1;
const STR_DATE: u64 = 2;
const REF: u64 = 3;

/// A place's key: the path of struct names, field and variant numbers from the event down
/// to the value, hashed (FNV-1a), with what kind of value it is.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
struct Place(u64);

impl Place {
    const ROOT: Place = Place(0xcbf2_9ce4_8422_2325);

    fn mix(self, bytes: &[u8]) -> Place {
        let mut h = self.0;
        for b in bytes {
            h ^= u64::from(*b);
            h = h.wrapping_mul(0x0000_0100_0000_01b3);
        }
        Place(h)
    }

    fn field(self, name: &str, index: u64) -> Place {
        self.mix(name.as_bytes()).mix(&index.to_le_bytes())
    }

    fn kind(self, kind: u8) -> Place {
        self.mix(&[0xff, kind])
    }
}

const K_INT: u8 = 1;
const K_STR: u8 = 2;
const K_LIT: u8 = 3;
const K_FLOAT: u8 = 4;
const K_BYTES: u8 = 5;
const K_TAG: u8 = 6;
const K_LEN: u8 = 7;
const K_PREFIX: u8 = 8;

/// What both ends remember from event to event, and from the history both hold: the
/// literals of each string column, each column's last instant and date, the last clock.
#[derive(Default)]
struct Memory {
    literals: HashMap<Place, (HashMap<String, u64>, Vec<String>)>,
    instants: HashMap<Place, i64>,
    dates: HashMap<Place, i64>,
    wall_ms: u64,
    logical: u32,
    /// The last string written or read: a signature's signer comes just before its strokes.
    last_str: String,
    signatures: signature::Signatures,
}

/// Columns numbered in the order they are first used: the reader, driven by the same types
/// in the same order, meets them in the same order.
#[derive(Default)]
struct Numbering {
    index: HashMap<Place, usize>,
}

impl Numbering {
    fn number(&mut self, place: Place) -> usize {
        let next = self.index.len();
        *self.index.entry(place).or_insert(next)
    }
}

struct Writer {
    memory: Memory,
    numbering: Numbering,
    columns: Vec<Vec<u8>>,
}

impl Writer {
    fn new(memory: Memory) -> Writer {
        Writer {
            memory,
            numbering: Numbering::default(),
            columns: Vec::new(),
        }
    }

    fn column(&mut self, place: Place) -> &mut Vec<u8> {
        let n = self.numbering.number(place);
        if n == self.columns.len() {
            self.columns.push(Vec::new());
        }
        &mut self.columns[n]
    }

    fn varint(&mut self, place: Place, v: u64) {
        put_varint(self.column(place), v);
    }

    /// Writes one body. An error leaves the columns half written: the whole message is then
    /// refused, never sent (every payload type goes into columns: tested).
    fn body(&mut self, body: &[u8]) -> Result<(), ColumnError> {
        let root = Place::ROOT;
        let decoded = postcard::from_bytes::<(Hlc, Payload)>(body)
            .ok()
            .filter(|e| postcard::to_allocvec(e).ok().as_deref() == Some(body));
        let Some((clock, payload)) = decoded else {
            self.varint(root.kind(K_TAG), FORM_RAW);
            self.varint(root.kind(K_LEN), body.len() as u64);
            self.column(root.kind(K_BYTES)).extend_from_slice(body);
            return Ok(());
        };
        self.varint(root.kind(K_TAG), FORM_COLUMNS);
        // Clocks as differences; the counter, within one millisecond, from the previous one.
        let delta = clock.wall_ms.wrapping_sub(self.memory.wall_ms) as i64;
        let logical = if delta == 0 {
            zigzag(i64::from(clock.logical) - i64::from(self.memory.logical))
        } else {
            u64::from(clock.logical)
        };
        self.memory.wall_ms = clock.wall_ms;
        self.memory.logical = clock.logical;
        self.varint(root.mix(b"wall").kind(K_INT), zigzag(delta));
        self.varint(root.mix(b"logical").kind(K_INT), logical);
        let mut s = Ser {
            w: self,
            place: root.mix(b"payload"),
        };
        payload.serialize(&mut s)
    }

    fn finish(self) -> (Memory, Vec<u8>) {
        let mut out = Vec::new();
        put_varint(&mut out, self.columns.len() as u64);
        for c in &self.columns {
            put_varint(&mut out, c.len() as u64);
        }
        for c in &self.columns {
            out.extend_from_slice(c);
        }
        (self.memory, out)
    }
}

/// The string's form in its column: an instant or a date as a difference when it reads back
/// the same, a literal seen before as a reference.
fn put_str(w: &mut Writer, place: Place, s: &str) {
    w.memory.last_str.clear();
    w.memory.last_str.push_str(s);
    let col = place.kind(K_STR);
    if let Ok(t) = DateTime::parse_from_rfc3339(s)
        && t.timestamp_subsec_nanos() < 1_000_000_000
        && t.to_rfc3339() == s
    {
        let secs = t.timestamp();
        let last = w.memory.instants.insert(col, secs).unwrap_or(0);
        w.varint(col, STR_INSTANT);
        w.varint(col, zigzag(secs.wrapping_sub(last)));
        w.varint(col, u64::from(t.timestamp_subsec_nanos()));
        w.varint(col, zigzag(i64::from(t.offset().local_minus_utc())));
        return;
    }
    if let Ok(d) = NaiveDate::parse_from_str(s, "%Y-%m-%d")
        && d.to_string() == s
    {
        let days = i64::from(d.num_days_from_ce());
        let last = w.memory.dates.insert(col, days).unwrap_or(0);
        w.varint(col, STR_DATE);
        w.varint(col, zigzag(days.wrapping_sub(last)));
        return;
    }
    let (seen, list) = w.memory.literals.entry(col).or_default();
    if let Some(n) = seen.get(s) {
        // Counted back from the latest literal: the visit an act belongs to is the one
        // just seen.
        let back = list.len() as u64 - 1 - *n;
        w.varint(col, REF + back);
        return;
    }
    // A new literal goes as what it shares with the column's previous one, and the rest:
    // consecutive ids ("V20261123-35.6", "V20261123-35.7") and animal numbers of one herd
    // share most of their characters.
    let shared = list.last().map_or(0, |last| shared_prefix(last, s));
    seen.insert(s.to_string(), list.len() as u64);
    list.push(s.to_string());
    w.varint(col, STR_LITERAL);
    w.varint(place.kind(K_PREFIX), shared as u64);
    let rest = &s.as_bytes()[shared..];
    w.varint(place.kind(K_LEN), rest.len() as u64);
    w.column(place.kind(K_LIT)).extend_from_slice(rest);
}

/// A signature's strokes: from the signer's previous signature when that is smaller, as they
/// are otherwise (see `signature.rs`).
fn put_signature(w: &mut Writer, place: Place, bytes: &[u8]) {
    let signer = std::mem::take(&mut w.memory.last_str);
    let sent = w.memory.signatures.send(&signer, bytes);
    w.memory.last_str = signer;
    match sent {
        signature::Sent::AsItIs => {
            w.varint(place.kind(K_TAG), signature::AS_IT_IS);
            w.varint(place.kind(K_LEN), bytes.len() as u64);
            w.column(place.kind(K_BYTES)).extend_from_slice(bytes);
        }
        signature::Sent::FromPrevious {
            which,
            scale,
            shift,
            residuals,
        } => {
            let (which_at, scale_at, shift_at, residual_at) = signature::places(place);
            w.varint(place.kind(K_TAG), signature::FROM_PREVIOUS);
            w.varint(which_at.kind(K_INT), which as u64);
            w.varint(scale_at.kind(K_INT), zigzag(scale));
            w.varint(shift_at.kind(K_INT), zigzag(shift[0]));
            w.varint(shift_at.kind(K_INT), zigzag(shift[1]));
            for r in residuals {
                w.varint(residual_at.kind(K_INT), zigzag(r));
            }
        }
    }
}

/// The bytes `a` and `b` start with alike, ending on a character boundary.
fn shared_prefix(a: &str, b: &str) -> usize {
    let n = a.bytes().zip(b.bytes()).take_while(|(x, y)| x == y).count();
    (0..=n).rev().find(|i| b.is_char_boundary(*i)).unwrap_or(0)
}

fn put_f64(w: &mut Writer, place: Place, v: f64) {
    let col = place.kind(K_FLOAT);
    let tenths = (v * 10.0).round();
    if v.is_finite()
        && tenths.abs() < 9.0e15
        && ((tenths as i64) as f64 / 10.0).to_bits() == v.to_bits()
    {
        w.varint(col, zigzag(tenths as i64) << 1);
    } else {
        w.varint(col, 1);
        w.column(col).extend_from_slice(&v.to_le_bytes());
    }
}

struct Ser<'a> {
    w: &'a mut Writer,
    place: Place,
}

impl Ser<'_> {
    fn at(&mut self, place: Place) -> Ser<'_> {
        Ser { w: self.w, place }
    }
    fn int(&mut self, v: u64) -> Result<(), ColumnError> {
        self.w.varint(self.place.kind(K_INT), v);
        Ok(())
    }
    fn tag(&mut self, v: u64) {
        self.w.varint(self.place.kind(K_TAG), v);
    }
}

/// A compound being written: each element at its own place (a struct's field, a tuple's
/// position) or all at one (a sequence's items).
struct Compound<'a, 'b> {
    s: &'b mut Ser<'a>,
    name: &'static str,
    index: u64,
    sequence: bool,
}

impl Compound<'_, '_> {
    fn element<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<(), ColumnError> {
        let place = if self.sequence {
            self.s.place.mix(b"item")
        } else {
            self.s.place.field(self.name, self.index)
        };
        self.index += 1;
        value.serialize(&mut self.s.at(place))
    }
}

macro_rules! compound {
    ($trait:ident, $method:ident $(, $key:ident)?) => {
        impl ser::$trait for Compound<'_, '_> {
            type Ok = ();
            type Error = ColumnError;
            fn $method<T: ?Sized + Serialize>(
                &mut self,
                $($key: &'static str,)?
                value: &T,
            ) -> Result<(), ColumnError> {
                self.element(value)
            }
            fn end(self) -> Result<(), ColumnError> {
                Ok(())
            }
        }
    };
}

compound!(SerializeSeq, serialize_element);
compound!(SerializeTuple, serialize_element);
compound!(SerializeTupleStruct, serialize_field);
compound!(SerializeTupleVariant, serialize_field);
compound!(SerializeStruct, serialize_field, _key);
compound!(SerializeStructVariant, serialize_field, _key);

impl ser::SerializeMap for Compound<'_, '_> {
    type Ok = ();
    type Error = ColumnError;
    fn serialize_key<T: ?Sized + Serialize>(&mut self, key: &T) -> Result<(), ColumnError> {
        key.serialize(&mut self.s.at(self.s.place.mix(b"key")))
    }
    fn serialize_value<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<(), ColumnError> {
        value.serialize(&mut self.s.at(self.s.place.mix(b"value")))
    }
    fn end(self) -> Result<(), ColumnError> {
        Ok(())
    }
}

impl<'a, 'b> ser::Serializer for &'b mut Ser<'a> {
    type Ok = ();
    type Error = ColumnError;
    type SerializeSeq = Compound<'a, 'b>;
    type SerializeTuple = Compound<'a, 'b>;
    type SerializeTupleStruct = Compound<'a, 'b>;
    type SerializeTupleVariant = Compound<'a, 'b>;
    type SerializeMap = Compound<'a, 'b>;
    type SerializeStruct = Compound<'a, 'b>;
    type SerializeStructVariant = Compound<'a, 'b>;

    fn is_human_readable(&self) -> bool {
        false
    }
    fn serialize_bool(self, v: bool) -> Result<(), ColumnError> {
        self.int(u64::from(v))
    }
    fn serialize_i8(self, v: i8) -> Result<(), ColumnError> {
        self.int(zigzag(i64::from(v)))
    }
    fn serialize_i16(self, v: i16) -> Result<(), ColumnError> {
        self.int(zigzag(i64::from(v)))
    }
    fn serialize_i32(self, v: i32) -> Result<(), ColumnError> {
        self.int(zigzag(i64::from(v)))
    }
    fn serialize_i64(self, v: i64) -> Result<(), ColumnError> {
        self.int(zigzag(v))
    }
    fn serialize_u8(self, v: u8) -> Result<(), ColumnError> {
        self.int(u64::from(v))
    }
    fn serialize_u16(self, v: u16) -> Result<(), ColumnError> {
        self.int(u64::from(v))
    }
    fn serialize_u32(self, v: u32) -> Result<(), ColumnError> {
        self.int(u64::from(v))
    }
    fn serialize_u64(self, v: u64) -> Result<(), ColumnError> {
        self.int(v)
    }
    fn serialize_f32(self, v: f32) -> Result<(), ColumnError> {
        let col = self.place.kind(K_FLOAT);
        self.w.column(col).extend_from_slice(&v.to_le_bytes());
        Ok(())
    }
    fn serialize_f64(self, v: f64) -> Result<(), ColumnError> {
        put_f64(self.w, self.place, v);
        Ok(())
    }
    fn serialize_char(self, v: char) -> Result<(), ColumnError> {
        self.int(u64::from(v))
    }
    fn serialize_str(self, v: &str) -> Result<(), ColumnError> {
        put_str(self.w, self.place, v);
        Ok(())
    }
    fn serialize_bytes(self, v: &[u8]) -> Result<(), ColumnError> {
        let col = self.place.kind(K_BYTES);
        self.w.varint(self.place.kind(K_LEN), v.len() as u64);
        self.w.column(col).extend_from_slice(v);
        Ok(())
    }
    fn serialize_none(self) -> Result<(), ColumnError> {
        self.tag(0);
        Ok(())
    }
    fn serialize_some<T: ?Sized + Serialize>(self, value: &T) -> Result<(), ColumnError> {
        self.tag(1);
        value.serialize(&mut self.at(self.place.mix(b"some")))
    }
    fn serialize_unit(self) -> Result<(), ColumnError> {
        Ok(())
    }
    fn serialize_unit_struct(self, _: &'static str) -> Result<(), ColumnError> {
        Ok(())
    }
    fn serialize_unit_variant(
        self,
        name: &'static str,
        index: u32,
        _: &str,
    ) -> Result<(), ColumnError> {
        self.at(self.place.mix(name.as_bytes()))
            .tag(u64::from(index));
        Ok(())
    }
    fn serialize_newtype_struct<T: ?Sized + Serialize>(
        self,
        name: &'static str,
        value: &T,
    ) -> Result<(), ColumnError> {
        let place = self.place.mix(name.as_bytes());
        if name == strokes::PACKED_NAME {
            // The strokes' bytes, through postcard: a newtype's content is only known as
            // something serializable.
            let bytes: Vec<u8> = postcard::to_allocvec(value)
                .and_then(|b| postcard::from_bytes(&b))
                .map_err(|e| ColumnError::Unsupported(e.to_string()))?;
            put_signature(self.w, place, &bytes);
            return Ok(());
        }
        value.serialize(&mut self.at(place))
    }
    fn serialize_newtype_variant<T: ?Sized + Serialize>(
        self,
        name: &'static str,
        index: u32,
        _: &'static str,
        value: &T,
    ) -> Result<(), ColumnError> {
        let place = self.place.mix(name.as_bytes());
        self.at(place).tag(u64::from(index));
        value.serialize(&mut self.at(place.field(name, u64::from(index))))
    }
    fn serialize_seq(self, len: Option<usize>) -> Result<Compound<'a, 'b>, ColumnError> {
        let len =
            len.ok_or_else(|| ColumnError::Unsupported("a sequence of unknown length".into()))?;
        self.w.varint(self.place.kind(K_LEN), len as u64);
        Ok(Compound {
            s: self,
            name: "",
            index: 0,
            sequence: true,
        })
    }
    fn serialize_tuple(self, _: usize) -> Result<Compound<'a, 'b>, ColumnError> {
        Ok(Compound {
            s: self,
            name: "tuple",
            index: 0,
            sequence: false,
        })
    }
    fn serialize_tuple_struct(
        self,
        name: &'static str,
        _: usize,
    ) -> Result<Compound<'a, 'b>, ColumnError> {
        Ok(Compound {
            s: self,
            name,
            index: 0,
            sequence: false,
        })
    }
    fn serialize_tuple_variant(
        self,
        name: &'static str,
        index: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Compound<'a, 'b>, ColumnError> {
        let place = self.place.mix(name.as_bytes());
        self.at(place).tag(u64::from(index));
        self.place = place.field(name, u64::from(index));
        Ok(Compound {
            s: self,
            name,
            index: 0,
            sequence: false,
        })
    }
    fn serialize_map(self, len: Option<usize>) -> Result<Compound<'a, 'b>, ColumnError> {
        let len = len.ok_or_else(|| ColumnError::Unsupported("a map of unknown length".into()))?;
        self.w.varint(self.place.kind(K_LEN), len as u64);
        Ok(Compound {
            s: self,
            name: "",
            index: 0,
            sequence: true,
        })
    }
    fn serialize_struct(
        self,
        name: &'static str,
        _: usize,
    ) -> Result<Compound<'a, 'b>, ColumnError> {
        Ok(Compound {
            s: self,
            name,
            index: 0,
            sequence: false,
        })
    }
    fn serialize_struct_variant(
        self,
        name: &'static str,
        index: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Compound<'a, 'b>, ColumnError> {
        self.serialize_tuple_variant(name, index, "", 0)
    }
}

/// Reads the columns back, driven by the types as the writer was.
struct Reader<'m> {
    memory: Memory,
    numbering: Numbering,
    columns: Vec<&'m [u8]>,
}

impl<'m> Reader<'m> {
    fn column(&mut self, place: Place) -> Result<&mut &'m [u8], ColumnError> {
        let n = self.numbering.number(place);
        self.columns
            .get_mut(n)
            .ok_or_else(|| corrupt("more columns used than sent"))
    }

    fn varint(&mut self, place: Place) -> Result<u64, ColumnError> {
        let c = self.column(place)?;
        let mut v = 0u64;
        for shift in (0..64).step_by(7) {
            let (&b, rest) = c
                .split_first()
                .ok_or_else(|| corrupt("a column ends early"))?;
            *c = rest;
            v |= u64::from(b & 0x7f) << shift;
            if b & 0x80 == 0 {
                return Ok(v);
            }
        }
        Err(corrupt("a varint is too long"))
    }

    fn bytes(&mut self, place: Place, n: usize) -> Result<&'m [u8], ColumnError> {
        let c = self.column(place)?;
        if c.len() < n {
            return Err(corrupt("a column ends early"));
        }
        let (head, rest) = c.split_at(n);
        *c = rest;
        Ok(head)
    }

    fn length(&mut self, place: Place) -> Result<usize, ColumnError> {
        let n = self.varint(place)?;
        usize::try_from(n)
            .ok()
            .filter(|n| *n <= super::wire::MAX_MESSAGE)
            .ok_or_else(|| corrupt("a length is too large"))
    }

    fn body(&mut self) -> Result<Vec<u8>, ColumnError> {
        let root = Place::ROOT;
        match self.varint(root.kind(K_TAG))? {
            FORM_RAW => {
                let n = self.length(root.kind(K_LEN))?;
                Ok(self.bytes(root.kind(K_BYTES), n)?.to_vec())
            }
            FORM_COLUMNS => {
                let delta = unzigzag(self.varint(root.mix(b"wall").kind(K_INT))?);
                let wall_ms = self.memory.wall_ms.wrapping_add(delta as u64);
                let logical = self.varint(root.mix(b"logical").kind(K_INT))?;
                let logical = if delta == 0 {
                    i64::from(self.memory.logical).checked_add(unzigzag(logical))
                } else {
                    i64::try_from(logical).ok()
                };
                let logical = logical
                    .and_then(|l| u32::try_from(l).ok())
                    .ok_or_else(|| corrupt("a clock's counter is out of range"))?;
                self.memory.wall_ms = wall_ms;
                self.memory.logical = logical;
                let payload = Payload::deserialize(&mut De {
                    r: self,
                    place: root.mix(b"payload"),
                })?;
                postcard::to_allocvec(&(Hlc { wall_ms, logical }, payload))
                    .map_err(|e| ColumnError::Corrupt(e.to_string()))
            }
            _ => Err(corrupt("an unknown body form")),
        }
    }

    /// A string, remembered as the last one (a signature's signer comes just before it).
    fn text(&mut self, place: Place) -> Result<String, ColumnError> {
        let s = self.string(place)?;
        self.memory.last_str.clone_from(&s);
        Ok(s)
    }

    /// A signature's packed strokes, as [`put_signature`] sent them.
    fn signature(&mut self, place: Place) -> Result<Vec<u8>, ColumnError> {
        let signer = std::mem::take(&mut self.memory.last_str);
        let bytes = self.signature_of(&signer, place);
        self.memory.last_str = signer;
        bytes
    }

    fn signature_of(&mut self, signer: &str, place: Place) -> Result<Vec<u8>, ColumnError> {
        match self.varint(place.kind(K_TAG))? {
            signature::AS_IT_IS => {
                let n = self.length(place.kind(K_LEN))?;
                let bytes = self.bytes(place.kind(K_BYTES), n)?.to_vec();
                self.memory.signatures.met(signer, &bytes);
                Ok(bytes)
            }
            signature::FROM_PREVIOUS => {
                let (which_at, scale_at, shift_at, residual_at) = signature::places(place);
                let which = usize::try_from(self.varint(which_at.kind(K_INT))?)
                    .map_err(|_| corrupt("a signature's reference"))?;
                let scale = unzigzag(self.varint(scale_at.kind(K_INT))?);
                let shift = [
                    unzigzag(self.varint(shift_at.kind(K_INT))?),
                    unzigzag(self.varint(shift_at.kind(K_INT))?),
                ];
                let mut signatures = std::mem::take(&mut self.memory.signatures);
                let bytes = signatures.rebuild(signer, which, scale, shift, || {
                    Ok(unzigzag(self.varint(residual_at.kind(K_INT))?))
                });
                self.memory.signatures = signatures;
                bytes
            }
            _ => Err(corrupt("an unknown signature form")),
        }
    }

    fn string(&mut self, place: Place) -> Result<String, ColumnError> {
        let col = place.kind(K_STR);
        match self.varint(col)? {
            STR_INSTANT => {
                let delta = unzigzag(self.varint(col)?);
                let nanos = u32::try_from(self.varint(col)?).map_err(|_| corrupt("nanoseconds"))?;
                let offset = i32::try_from(unzigzag(self.varint(col)?))
                    .ok()
                    .and_then(FixedOffset::east_opt)
                    .ok_or_else(|| corrupt("an offset"))?;
                let last = self.memory.instants.get(&col).copied().unwrap_or(0);
                let secs = last.wrapping_add(delta);
                self.memory.instants.insert(col, secs);
                let t =
                    DateTime::from_timestamp(secs, nanos).ok_or_else(|| corrupt("an instant"))?;
                Ok(t.with_timezone(&offset).to_rfc3339())
            }
            STR_DATE => {
                let delta = unzigzag(self.varint(col)?);
                let last = self.memory.dates.get(&col).copied().unwrap_or(0);
                let days = last.wrapping_add(delta);
                self.memory.dates.insert(col, days);
                let d = i32::try_from(days)
                    .ok()
                    .and_then(NaiveDate::from_num_days_from_ce_opt)
                    .ok_or_else(|| corrupt("a date"))?;
                Ok(d.to_string())
            }
            STR_LITERAL => {
                let shared = self.length(place.kind(K_PREFIX))?;
                let n = self.length(place.kind(K_LEN))?;
                let rest = self.bytes(place.kind(K_LIT), n)?;
                let (seen, list) = self.memory.literals.entry(col).or_default();
                let mut s = list
                    .last()
                    .and_then(|last| last.as_bytes().get(..shared))
                    .filter(|_| shared > 0)
                    .unwrap_or_default()
                    .to_vec();
                if s.len() != shared {
                    return Err(corrupt("a string shares more than the previous one holds"));
                }
                s.extend_from_slice(rest);
                let s = String::from_utf8(s).map_err(|_| corrupt("a string is not UTF-8"))?;
                seen.insert(s.clone(), list.len() as u64);
                list.push(s.clone());
                Ok(s)
            }
            r => {
                let list = self
                    .memory
                    .literals
                    .get(&col)
                    .map(|(_, l)| l)
                    .ok_or_else(|| corrupt("a reference to no string"))?;
                usize::try_from(r - REF)
                    .ok()
                    .and_then(|back| list.len().checked_sub(back + 1))
                    .and_then(|i| list.get(i))
                    .cloned()
                    .ok_or_else(|| corrupt("a reference to no string"))
            }
        }
    }

    fn f64(&mut self, place: Place) -> Result<f64, ColumnError> {
        let col = place.kind(K_FLOAT);
        let v = self.varint(col)?;
        if v & 1 == 0 {
            Ok(unzigzag(v >> 1) as f64 / 10.0)
        } else {
            let b: [u8; 8] = self
                .bytes(col, 8)?
                .try_into()
                .map_err(|_| corrupt("a float"))?;
            Ok(f64::from_le_bytes(b))
        }
    }
}

struct De<'r, 'm> {
    r: &'r mut Reader<'m>,
    place: Place,
}

impl<'m> De<'_, 'm> {
    fn at(&mut self, place: Place) -> De<'_, 'm> {
        De { r: self.r, place }
    }
    fn int(&mut self) -> Result<u64, ColumnError> {
        self.r.varint(self.place.kind(K_INT))
    }
    fn tag(&mut self) -> Result<u64, ColumnError> {
        self.r.varint(self.place.kind(K_TAG))
    }
}

fn narrow<T: TryFrom<u64>>(v: u64) -> Result<T, ColumnError> {
    T::try_from(v).map_err(|_| corrupt("a number out of range"))
}

fn narrow_signed<T: TryFrom<i64>>(v: u64) -> Result<T, ColumnError> {
    T::try_from(unzigzag(v)).map_err(|_| corrupt("a number out of range"))
}

/// The elements of a compound being read, at the places the writer used.
struct Elements<'a, 'r, 'm> {
    de: &'a mut De<'r, 'm>,
    name: &'static str,
    index: u64,
    left: usize,
    sequence: bool,
}

impl<'de> de::SeqAccess<'de> for Elements<'_, '_, '_> {
    type Error = ColumnError;
    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, ColumnError> {
        if self.left == 0 {
            return Ok(None);
        }
        self.left -= 1;
        let place = if self.sequence {
            self.de.place.mix(b"item")
        } else {
            self.de.place.field(self.name, self.index)
        };
        self.index += 1;
        seed.deserialize(&mut self.de.at(place)).map(Some)
    }
    fn size_hint(&self) -> Option<usize> {
        Some(self.left)
    }
}

impl<'de> de::MapAccess<'de> for Elements<'_, '_, '_> {
    type Error = ColumnError;
    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, ColumnError> {
        if self.left == 0 {
            return Ok(None);
        }
        self.left -= 1;
        let place = self.de.place.mix(b"key");
        seed.deserialize(&mut self.de.at(place)).map(Some)
    }
    fn next_value_seed<V: DeserializeSeed<'de>>(
        &mut self,
        seed: V,
    ) -> Result<V::Value, ColumnError> {
        let place = self.de.place.mix(b"value");
        seed.deserialize(&mut self.de.at(place))
    }
}

struct Variant<'a, 'r, 'm> {
    de: &'a mut De<'r, 'm>,
    name: &'static str,
    index: u32,
}

impl<'de, 'a, 'r, 'm> de::EnumAccess<'de> for Variant<'a, 'r, 'm> {
    type Error = ColumnError;
    type Variant = Self;
    fn variant_seed<V: DeserializeSeed<'de>>(
        self,
        seed: V,
    ) -> Result<(V::Value, Self), ColumnError> {
        let d: de::value::U32Deserializer<ColumnError> = self.index.into_deserializer();
        Ok((seed.deserialize(d)?, self))
    }
}

impl<'de> de::VariantAccess<'de> for Variant<'_, '_, '_> {
    type Error = ColumnError;
    fn unit_variant(self) -> Result<(), ColumnError> {
        Ok(())
    }
    fn newtype_variant_seed<T: DeserializeSeed<'de>>(
        self,
        seed: T,
    ) -> Result<T::Value, ColumnError> {
        let place = self.de.place.field(self.name, u64::from(self.index));
        seed.deserialize(&mut self.de.at(place))
    }
    fn tuple_variant<V: Visitor<'de>>(
        self,
        len: usize,
        visitor: V,
    ) -> Result<V::Value, ColumnError> {
        let place = self.de.place.field(self.name, u64::from(self.index));
        let mut de = self.de.at(place);
        visitor.visit_seq(Elements {
            de: &mut de,
            name: self.name,
            index: 0,
            left: len,
            sequence: false,
        })
    }
    fn struct_variant<V: Visitor<'de>>(
        self,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, ColumnError> {
        self.tuple_variant(fields.len(), visitor)
    }
}

impl<'de> de::Deserializer<'de> for &mut De<'_, '_> {
    type Error = ColumnError;

    fn is_human_readable(&self) -> bool {
        false
    }
    fn deserialize_any<V: Visitor<'de>>(self, _: V) -> Result<V::Value, ColumnError> {
        Err(ColumnError::Unsupported("a self-describing value".into()))
    }
    fn deserialize_bool<V: Visitor<'de>>(self, v: V) -> Result<V::Value, ColumnError> {
        match self.int()? {
            0 => v.visit_bool(false),
            1 => v.visit_bool(true),
            _ => Err(corrupt("a boolean")),
        }
    }
    fn deserialize_i8<V: Visitor<'de>>(self, v: V) -> Result<V::Value, ColumnError> {
        v.visit_i8(narrow_signed(self.int()?)?)
    }
    fn deserialize_i16<V: Visitor<'de>>(self, v: V) -> Result<V::Value, ColumnError> {
        v.visit_i16(narrow_signed(self.int()?)?)
    }
    fn deserialize_i32<V: Visitor<'de>>(self, v: V) -> Result<V::Value, ColumnError> {
        v.visit_i32(narrow_signed(self.int()?)?)
    }
    fn deserialize_i64<V: Visitor<'de>>(self, v: V) -> Result<V::Value, ColumnError> {
        v.visit_i64(unzigzag(self.int()?))
    }
    fn deserialize_u8<V: Visitor<'de>>(self, v: V) -> Result<V::Value, ColumnError> {
        v.visit_u8(narrow(self.int()?)?)
    }
    fn deserialize_u16<V: Visitor<'de>>(self, v: V) -> Result<V::Value, ColumnError> {
        v.visit_u16(narrow(self.int()?)?)
    }
    fn deserialize_u32<V: Visitor<'de>>(self, v: V) -> Result<V::Value, ColumnError> {
        v.visit_u32(narrow(self.int()?)?)
    }
    fn deserialize_u64<V: Visitor<'de>>(self, v: V) -> Result<V::Value, ColumnError> {
        v.visit_u64(self.int()?)
    }
    fn deserialize_f32<V: Visitor<'de>>(self, v: V) -> Result<V::Value, ColumnError> {
        let b: [u8; 4] = self
            .r
            .bytes(self.place.kind(K_FLOAT), 4)?
            .try_into()
            .map_err(|_| corrupt("a float"))?;
        v.visit_f32(f32::from_le_bytes(b))
    }
    fn deserialize_f64<V: Visitor<'de>>(self, v: V) -> Result<V::Value, ColumnError> {
        v.visit_f64(self.r.f64(self.place)?)
    }
    fn deserialize_char<V: Visitor<'de>>(self, v: V) -> Result<V::Value, ColumnError> {
        let c = narrow::<u32>(self.int()?)?;
        v.visit_char(char::from_u32(c).ok_or_else(|| corrupt("a character"))?)
    }
    fn deserialize_str<V: Visitor<'de>>(self, v: V) -> Result<V::Value, ColumnError> {
        v.visit_string(self.r.text(self.place)?)
    }
    fn deserialize_string<V: Visitor<'de>>(self, v: V) -> Result<V::Value, ColumnError> {
        v.visit_string(self.r.text(self.place)?)
    }
    fn deserialize_bytes<V: Visitor<'de>>(self, v: V) -> Result<V::Value, ColumnError> {
        let n = self.r.length(self.place.kind(K_LEN))?;
        v.visit_byte_buf(self.r.bytes(self.place.kind(K_BYTES), n)?.to_vec())
    }
    fn deserialize_byte_buf<V: Visitor<'de>>(self, v: V) -> Result<V::Value, ColumnError> {
        self.deserialize_bytes(v)
    }
    fn deserialize_option<V: Visitor<'de>>(self, v: V) -> Result<V::Value, ColumnError> {
        match self.tag()? {
            0 => v.visit_none(),
            1 => {
                let place = self.place.mix(b"some");
                v.visit_some(&mut self.at(place))
            }
            _ => Err(corrupt("an option")),
        }
    }
    fn deserialize_unit<V: Visitor<'de>>(self, v: V) -> Result<V::Value, ColumnError> {
        v.visit_unit()
    }
    fn deserialize_unit_struct<V: Visitor<'de>>(
        self,
        _: &'static str,
        v: V,
    ) -> Result<V::Value, ColumnError> {
        v.visit_unit()
    }
    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        v: V,
    ) -> Result<V::Value, ColumnError> {
        let place = self.place.mix(name.as_bytes());
        if name == strokes::PACKED_NAME {
            let bytes = self.r.signature(place)?;
            return v.visit_newtype_struct(
                serde::de::value::SeqDeserializer::<_, ColumnError>::new(bytes.into_iter()),
            );
        }
        v.visit_newtype_struct(&mut self.at(place))
    }
    fn deserialize_seq<V: Visitor<'de>>(self, v: V) -> Result<V::Value, ColumnError> {
        let left = self.r.length(self.place.kind(K_LEN))?;
        v.visit_seq(Elements {
            de: self,
            name: "",
            index: 0,
            left,
            sequence: true,
        })
    }
    fn deserialize_tuple<V: Visitor<'de>>(self, len: usize, v: V) -> Result<V::Value, ColumnError> {
        v.visit_seq(Elements {
            de: self,
            name: "tuple",
            index: 0,
            left: len,
            sequence: false,
        })
    }
    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        len: usize,
        v: V,
    ) -> Result<V::Value, ColumnError> {
        v.visit_seq(Elements {
            de: self,
            name,
            index: 0,
            left: len,
            sequence: false,
        })
    }
    fn deserialize_map<V: Visitor<'de>>(self, v: V) -> Result<V::Value, ColumnError> {
        let left = self.r.length(self.place.kind(K_LEN))?;
        v.visit_map(Elements {
            de: self,
            name: "",
            index: 0,
            left,
            sequence: true,
        })
    }
    fn deserialize_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        fields: &'static [&'static str],
        v: V,
    ) -> Result<V::Value, ColumnError> {
        v.visit_seq(Elements {
            de: self,
            name,
            index: 0,
            left: fields.len(),
            sequence: false,
        })
    }
    fn deserialize_enum<V: Visitor<'de>>(
        self,
        name: &'static str,
        _: &'static [&'static str],
        v: V,
    ) -> Result<V::Value, ColumnError> {
        let place = self.place.mix(name.as_bytes());
        let index = narrow::<u32>(self.at(place).tag()?)?;
        let mut de = self.at(place);
        v.visit_enum(Variant {
            de: &mut de,
            name,
            index,
        })
    }
    fn deserialize_identifier<V: Visitor<'de>>(self, _: V) -> Result<V::Value, ColumnError> {
        Err(ColumnError::Unsupported("an identifier".into()))
    }
    fn deserialize_ignored_any<V: Visitor<'de>>(self, _: V) -> Result<V::Value, ColumnError> {
        Err(ColumnError::Unsupported("an ignored value".into()))
    }
}

/// What the history's bodies teach both ends (literals, last instants and clock), and the
/// columns they make, which serve as zstd's dictionary.
fn learn(history: &[Vec<u8>]) -> Result<(Memory, Vec<u8>), ColumnError> {
    let mut w = Writer::new(Memory::default());
    for b in history {
        w.body(b)?;
    }
    Ok(w.finish())
}

/// `bodies` laid out in columns, uncompressed (a frame's compression does better on columns
/// than on bodies), knowing both ends hold `history` (this device's bodies just before them).
fn lay_out_after(memory: Memory, bodies: &[Vec<u8>]) -> Result<Vec<u8>, ColumnError> {
    let mut w = Writer::new(memory);
    for b in bodies {
        w.body(b)?;
    }
    let (_, columns) = w.finish();
    let mut out = Vec::with_capacity(columns.len() + 8);
    put_varint(&mut out, bodies.len() as u64);
    out.extend_from_slice(&columns);
    Ok(out)
}

/// `bodies` laid out in columns, uncompressed.
pub fn lay_out(bodies: &[Vec<u8>]) -> Result<Vec<u8>, ColumnError> {
    lay_out_after(Memory::default(), bodies)
}

/// Rebuilds the bodies [`lay_out`] laid out.
pub fn read(layout: &[u8]) -> Result<Vec<Vec<u8>>, ColumnError> {
    read_after(Memory::default(), layout)
}

/// `bodies` in columns compressed by zstd at `level`, knowing both ends hold `history` (this
/// device's bodies just before them): its columns are the dictionary, its literals known.
pub fn pack(history: &[Vec<u8>], bodies: &[Vec<u8>], level: i32) -> Result<Vec<u8>, ColumnError> {
    let (memory, dictionary) = learn(history)?;
    let layout = lay_out_after(memory, bodies)?;
    zstd::bulk::Compressor::with_dictionary(level, &dictionary)
        .and_then(|mut c| c.compress(&layout))
        .map_err(|e| ColumnError::Unsupported(e.to_string()))
}

/// Rebuilds the bodies [`pack`] packed, with the same `history`.
pub fn unpack(history: &[Vec<u8>], bytes: &[u8]) -> Result<Vec<Vec<u8>>, ColumnError> {
    let (memory, dictionary) = learn(history)?;
    let layout = zstd::bulk::Decompressor::with_dictionary(&dictionary)
        .and_then(|mut d| d.decompress(bytes, super::wire::room(bytes, super::wire::MAX_MESSAGE)))
        .map_err(|e| ColumnError::Corrupt(e.to_string()))?;
    read_after(memory, &layout)
}

fn read_after(memory: Memory, layout: &[u8]) -> Result<Vec<Vec<u8>>, ColumnError> {
    let mut header = Reader {
        memory: Memory::default(),
        numbering: Numbering::default(),
        columns: vec![layout],
    };
    let count = header.length(Place::ROOT)?;
    if count as u64 > MAX_EVENTS {
        return Err(corrupt("the event count"));
    }
    let n = header.length(Place::ROOT)?;
    let mut lengths = Vec::with_capacity(n.min(4096));
    for _ in 0..n {
        lengths.push(header.length(Place::ROOT)?);
    }
    let mut rest = header.columns[0];
    let mut r = Reader {
        memory,
        numbering: Numbering::default(),
        columns: Vec::with_capacity(lengths.len()),
    };
    for len in lengths {
        if rest.len() < len {
            return Err(corrupt("a column is shorter than said"));
        }
        let (c, tail) = rest.split_at(len);
        r.columns.push(c);
        rest = tail;
    }
    if !rest.is_empty() {
        return Err(corrupt("bytes after the columns"));
    }
    let mut bodies = Vec::with_capacity(count.min(100_000));
    for _ in 0..count {
        bodies.push(r.body()?);
    }
    if r.columns.iter().any(|c| !c.is_empty()) {
        return Err(corrupt("values left in the columns"));
    }
    Ok(bodies)
}

/// Bodies in a message as columns: `#[serde(with = "columns::laid_out")]`.
pub mod laid_out {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(bodies: &[Vec<u8>], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_bytes(&super::lay_out(bodies).map_err(serde::ser::Error::custom)?)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<Vec<u8>>, D::Error> {
        let layout: &[u8] = <&[u8]>::deserialize(d)?;
        super::read(layout).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn year_bodies() -> Vec<Vec<u8>> {
        let dir = tempfile::tempdir().unwrap();
        let store = crate::log::Store::open(dir.path()).unwrap();
        store
            .import(&crate::demo::week(
                chrono::NaiveDate::from_ymd_opt(2026, 11, 24).unwrap(),
            ))
            .unwrap();
        store.bodies_after(store.device(), 0, usize::MAX).unwrap()
    }

    /// A signed confirmation's body: `signer` signs the same shape each time, drawn `scale`
    /// times as large and `dy` lower, with the tremor `seed` gives.
    fn signed(signer: &str, visit: &str, scale: f32, dy: f32, seed: u32) -> Vec<u8> {
        let mut seed = seed;
        let mut tremor = move || {
            seed = seed.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            (seed >> 8) as f32 / (1u32 << 24) as f32 * 0.008 - 0.004
        };
        let mut point = |x: f32, y: f32| {
            [
                (0.5 + (x - 0.5) * scale + tremor()).clamp(0.0, 1.0),
                (0.5 + (y - 0.5) * scale + dy + tremor()).clamp(0.0, 1.0),
            ]
        };
        let name: Vec<[f32; 2]> = (0..18)
            .map(|i| {
                let t = i as f32 / 17.0;
                let a = t * 3.0 * std::f32::consts::TAU;
                point(0.1 + 0.6 * t + 0.05 * a.cos(), 0.45 + 0.2 * a.sin())
            })
            .collect();
        let line: Vec<[f32; 2]> = (0..6).map(|i| point(0.15 + 0.13 * i as f32, 0.8)).collect();
        let payload = Payload::VisitConfirmed {
            visit: crate::domain::VisitId::parse("visit", visit).unwrap(),
            confirmation: crate::domain::Confirmation::Signed {
                at: "2026-11-24T10:00:00+01:00".parse().unwrap(),
                signer: signer.to_owned(),
                strokes: crate::domain::strokes::snap_all(&[name, line]),
            },
        };
        postcard::to_allocvec(&(Hlc::default(), payload)).unwrap()
    }

    #[test]
    fn a_signature_goes_as_its_difference_from_the_signers_last_and_comes_back_exactly() {
        let first = signed("Marie Lebrun", "V1", 1.0, 0.0, 1);
        let again = signed("Marie Lebrun", "V2", 1.05, 0.02, 2);
        let other = signed("Paul Rousseau", "V3", 0.97, -0.01, 3);
        let bodies = vec![first.clone(), again.clone(), other.clone()];
        // Without history, and with the first in the history both ends hold.
        assert_eq!(read(&lay_out(&bodies).unwrap()).unwrap(), bodies);
        let later = vec![again.clone(), other.clone()];
        let packed = pack(std::slice::from_ref(&first), &later, 19).unwrap();
        assert_eq!(
            unpack(std::slice::from_ref(&first), &packed).unwrap(),
            later
        );
        // The one signed again costs the tremor, well under itself alone; a signer met for
        // the first time has no previous signature to follow.
        let cost = |history: &[Vec<u8>], b: &[u8]| {
            let (memory, _) = learn(history).unwrap();
            lay_out_after(memory, &[b.to_vec()]).unwrap().len()
        };
        let alone = cost(&[], &again);
        let after_first = cost(std::slice::from_ref(&first), &again);
        assert!(
            after_first * 10 < alone * 7,
            "{after_first} against {alone}"
        );
        let other_after_first = cost(std::slice::from_ref(&first), &other);
        assert!(
            other_after_first > after_first + 20,
            "{other_after_first} against {after_first}"
        );
    }

    #[test]
    fn a_signature_said_to_follow_a_signer_never_met_is_refused_not_guessed() {
        let first = signed("Marie Lebrun", "V1", 1.0, 0.0, 1);
        let again = signed("Marie Lebrun", "V2", 1.05, 0.02, 2);
        let layout =
            lay_out_after(learn(std::slice::from_ref(&first)).unwrap().0, &[again]).unwrap();
        // Read without the history that holds the first signature.
        assert!(matches!(read(&layout), Err(ColumnError::Corrupt(_))));
    }

    #[test]
    fn every_body_comes_back_byte_for_byte_with_and_without_history() {
        let bodies = year_bodies();
        assert!(bodies.len() > 500, "{}", bodies.len());
        assert_eq!(read(&lay_out(&bodies).unwrap()).unwrap(), bodies);
        let (history, day) = bodies.split_at(bodies.len() - 200);
        let packed = pack(history, day, 19).unwrap();
        assert_eq!(unpack(history, &packed).unwrap(), day);
        // the same bytes against another history do not come back
        assert_ne!(unpack(&history[1..], &packed).ok().as_deref(), Some(day));
    }

    /// One event of each kind the demo does not record, beside the demo's own: every kind
    /// goes into columns (none as it is) and comes back byte for byte.
    #[test]
    fn every_kind_of_event_goes_in_columns_and_comes_back() {
        use crate::domain::*;
        let demo = year_bodies();
        let act = demo
            .iter()
            .find_map(|b| match postcard::from_bytes::<(Hlc, Payload)>(b) {
                Ok((_, Payload::ActRecorded(a))) if a.straw.is_some() => Some(a),
                _ => None,
            })
            .unwrap();
        let straw = act.straw.clone().unwrap();
        let (t, s) = (
            TechnicianId::parse("t", "T01").unwrap(),
            SupervisorId::parse("s", "S01").unwrap(),
        );
        let day = chrono::NaiveDate::from_ymd_opt(2026, 11, 24).unwrap();
        let at = DateTime::parse_from_rfc3339("2026-11-24T09:12:30.250+01:00").unwrap();
        let confirmed = |confirmation| Payload::VisitConfirmed {
            visit: act.visit.clone(),
            confirmation,
        };
        let others = [
            Payload::ActCorrected {
                act: act.id.clone(),
                replacement: Some(Act {
                    id: ActId::parse("a", "X1").unwrap(),
                    ..act.clone()
                }),
                reason: "numéro".into(),
            },
            Payload::ActCorrected {
                act: act.id.clone(),
                replacement: None,
                reason: "en double".into(),
            },
            confirmed(Confirmation::InstructionsLeft { at }),
            confirmed(Confirmation::ConfirmedLater { at, comment: None }),
            confirmed(Confirmation::Disputed {
                at,
                comment: "pas venu".into(),
            }),
            Payload::AnomalyNoted {
                visit: act.visit.clone(),
                kind: AnomalyKind::Other,
                note: "barrière".into(),
            },
            Payload::DosesReceived {
                technician: t.clone(),
                straw: straw.clone(),
                count: 10,
            },
            Payload::StockCorrected {
                technician: t.clone(),
                bull: straw.bull.clone(),
                delta: -2,
                reason: "compté".into(),
            },
            Payload::TimeDeclared {
                technician: t.clone(),
                day,
                kind: OtherTimeKind::Meeting,
                seconds: 3_600,
                note: Some("réunion".into()),
            },
            Payload::WeekReviewed {
                technician: t.clone(),
                week: Week::of(day),
                supervisor: s.clone(),
                decision: ReviewDecision::SentBack {
                    comment: "mardi".into(),
                },
            },
            Payload::VisitReassigned {
                visit: act.visit.clone(),
                to: t.clone(),
                supervisor: s.clone(),
                reason: None,
            },
            Payload::VisitCancelled {
                visit: act.visit.clone(),
                reason: "annulé".into(),
            },
            Payload::RoundOrdered {
                technician: t.clone(),
                day,
                order: vec![act.visit.clone()],
            },
            Payload::DisputeAnswered {
                visit: act.visit.clone(),
                note: "vu".into(),
            },
            Payload::DeclarationsSent {
                batch: "B1".into(),
                acts: vec![act.id.clone()],
            },
            Payload::DeclarationsAcknowledged {
                batch: "B1".into(),
                refused: vec![DeclarationRefusal {
                    act: act.id.clone(),
                    reason: "EDE".into(),
                }],
            },
            Payload::AdviceWritten {
                farm: Ede::parse("farm", "53161001").unwrap(),
                year: 2026,
                technician: t.clone(),
                text: "Plus d'échographies à 35 jours.".into(),
            },
            Payload::ArrivalExpected {
                visit: act.visit.clone(),
                window: ArrivalWindow {
                    from: 480,
                    to: 510,
                    on_the_way: true,
                },
            },
            Payload::ClosedHoursRecorded {
                farm: Ede::parse("farm", "53161001").unwrap(),
                closed: vec![
                    ClosedSpan {
                        from: 6 * 60 + 30,
                        to: 8 * 60,
                    },
                    ClosedSpan {
                        from: 17 * 60,
                        to: 18 * 60 + 30,
                    },
                ],
            },
        ];
        let mut bodies = demo;
        for (i, p) in others.iter().enumerate() {
            let clock = Hlc {
                wall_ms: 1_796_000_000_000 + i as u64,
                logical: 0,
            };
            bodies.push(postcard::to_allocvec(&(clock, p)).unwrap());
        }
        let mut w = Writer::new(Memory::default());
        for b in &bodies {
            w.body(b).unwrap();
        }
        // The root's form column is the first used: every body went as columns.
        assert!(w.columns[0].iter().all(|f| u64::from(*f) == FORM_COLUMNS));
        assert_eq!(read(&lay_out(&bodies).unwrap()).unwrap(), bodies);
        let (history, rest) = bodies.split_at(bodies.len() - 30);
        assert_eq!(
            unpack(history, &pack(history, rest, 3).unwrap()).unwrap(),
            rest
        );
    }

    #[test]
    fn columns_are_smaller_than_the_bodies_compressed_alike() {
        let bodies = year_bodies();
        let (history, day) = bodies.split_at(bodies.len() - 200);
        let columns = pack(history, day, 19).unwrap().len();
        let plain = zstd::bulk::Compressor::with_dictionary(19, &history.concat())
            .unwrap()
            .compress(&postcard::to_allocvec(&day.to_vec()).unwrap())
            .unwrap()
            .len();
        assert!(columns * 10 < plain * 8, "columns {columns}, plain {plain}");
    }

    #[test]
    fn a_body_postcard_would_not_write_back_travels_as_it_is() {
        let mut bodies = year_bodies();
        bodies.truncate(50);
        // a non-canonical varint (the clock's counter 0 written in two bytes) still decodes
        let mut odd = bodies[10].clone();
        odd.push(0);
        bodies.push(odd.clone());
        bodies.push(vec![1, 2, 3]);
        assert_eq!(read(&lay_out(&bodies).unwrap()).unwrap(), bodies);
    }

    #[test]
    fn damaged_columns_are_an_error_not_a_panic() {
        let bodies = year_bodies();
        let layout = lay_out(&bodies[..300]).unwrap();
        for cut in [0, 1, 2, layout.len() / 2, layout.len() - 1] {
            assert!(read(&layout[..cut]).is_err(), "cut at {cut}");
        }
        let mut flipped = layout.clone();
        for i in (1..flipped.len()).step_by(7) {
            flipped[i] ^= 0x5a;
            let _ = read(&flipped);
        }
        let packed = pack(&bodies[..100], &bodies[100..300], 3).unwrap();
        assert!(unpack(&bodies[..100], &packed[..packed.len() / 2]).is_err());
    }
}
