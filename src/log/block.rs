//! A block: consecutive events of one device, stored as one compressed, self-describing value.
//!
//! Events are the truth of the store, and sled's own recovery can lose whatever follows a
//! damaged byte of its file. A block therefore carries everything needed to verify it alone,
//! found by its bytes wherever they lie in a file: a magic, the device and its public key, the
//! chain hash before its first event, the event bodies exactly as they were hashed
//! (compressed), the seal over the hash after its last event when it ends a sealed run, and a
//! checksum. `recover` scans raw files for them; the store reads them through sled.
//!
//! Not for deciding what a chain accepts (see `chain.rs`) nor what the events mean.

use super::event::{DeviceId, EventId, Hash, Seal, SignatureBytes, chain_hash};

/// Starts every block, so a scan of raw bytes finds them.
pub(super) const MAGIC: [u8; 4] = *b"TrnB";
const VERSION: u8 = 1;
/// Bytes of the checksum that ends a block (a truncated blake3 of everything before it).
const CHECKSUM: usize = 16;
/// The most events a block holds: a lookup of one event decompresses at most this many.
pub(super) const MAX_EVENTS: usize = 1024;
/// The most bytes of bodies a block holds before compression.
pub(super) const MAX_BYTES: usize = 256 * 1024;
/// A block no larger than a few hundred kilobytes: anything longer is not one of ours.
const MAX_ENCODED: usize = 4 * 1024 * 1024;
/// The zstd level: measured on a year of acts, level 3 compresses within a few percent of
/// level 9 at a third of the time.
const LEVEL: i32 = 3;

/// Why bytes are not a valid block.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BlockError {
    #[error("not a block (no magic)")]
    NoMagic,
    #[error("block version {0} is unknown")]
    Version(u8),
    #[error("the block is truncated")]
    Truncated,
    #[error("the block's checksum does not match (damaged bytes)")]
    Checksum,
    #[error("the block's events do not decompress: {0}")]
    Compression(String),
}

/// A decoded block.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Block {
    pub device: DeviceId,
    pub public_key: [u8; 32],
    /// Sequence number of the first event.
    pub first: u64,
    /// The chain hash before the first event.
    pub prev: Hash,
    /// Each event's body (clock and payload), as hashed.
    pub bodies: Vec<Vec<u8>>,
    /// Vouches for the hash after the last event, where the block ends a sealed run.
    pub seal: Option<Seal>,
}

impl Block {
    pub fn last(&self) -> u64 {
        self.first + self.bodies.len() as u64 - 1
    }

    /// The sled key: device ‖ first sequence number, so a device's blocks sort in order.
    pub fn key(&self) -> [u8; 24] {
        EventId {
            device: self.device,
            seq: self.first,
        }
        .key()
    }

    /// The chain hash after each event, from `prev`.
    pub fn hashes(&self) -> Vec<Hash> {
        let mut hash = self.prev;
        self.bodies
            .iter()
            .enumerate()
            .map(|(i, body)| {
                let id = EventId {
                    device: self.device,
                    seq: self.first + i as u64,
                };
                hash = chain_hash(&hash, &id, body);
                hash
            })
            .collect()
    }

    /// The chain hash after the last event.
    pub fn end(&self) -> Hash {
        self.hashes().last().copied().unwrap_or(self.prev)
    }

    pub fn encode(&self) -> Result<Vec<u8>, BlockError> {
        let mut raw = Vec::with_capacity(self.bodies.iter().map(|b| b.len() + 2).sum());
        for body in &self.bodies {
            put_varint(&mut raw, body.len() as u64);
            raw.extend_from_slice(body);
        }
        let packed = compress(&raw)?;
        let mut out = Vec::with_capacity(packed.len() + 256);
        out.extend_from_slice(&MAGIC);
        out.push(VERSION);
        out.extend_from_slice(&[0; 4]); // length, filled below
        out.extend_from_slice(&self.device.0);
        out.extend_from_slice(&self.public_key);
        out.extend_from_slice(&self.first.to_be_bytes());
        out.extend_from_slice(&(self.bodies.len() as u32).to_be_bytes());
        out.extend_from_slice(&self.prev);
        match &self.seal {
            None => out.push(0),
            Some(Seal::Device(s)) => {
                out.push(1);
                out.extend_from_slice(&s.0);
            }
            Some(Seal::Witness { key, signature }) => {
                out.push(2);
                out.extend_from_slice(key);
                out.extend_from_slice(&signature.0);
            }
        }
        out.extend_from_slice(&(raw.len() as u32).to_be_bytes());
        out.extend_from_slice(&packed);
        let len = (out.len() + CHECKSUM - 9) as u32;
        out[5..9].copy_from_slice(&len.to_be_bytes());
        let sum = blake3::hash(&out);
        out.extend_from_slice(&sum.as_bytes()[..CHECKSUM]);
        Ok(out)
    }

    /// Decodes a block that starts at `bytes[0]`; returns it and its encoded length.
    pub fn decode(bytes: &[u8]) -> Result<(Block, usize), BlockError> {
        let total = encoded_len(bytes)?;
        let bytes = &bytes[..total];
        let (body, sum) = bytes.split_at(total - CHECKSUM);
        if blake3::hash(body).as_bytes()[..CHECKSUM] != *sum {
            return Err(BlockError::Checksum);
        }
        let mut r = Reader { bytes: body, at: 9 };
        let device = DeviceId(r.array()?);
        let public_key = r.array()?;
        let first = u64::from_be_bytes(r.array()?);
        let count = u32::from_be_bytes(r.array()?) as usize;
        let prev = r.array()?;
        let seal = match r.array::<1>()?[0] {
            0 => None,
            1 => Some(Seal::Device(SignatureBytes(r.array()?))),
            2 => Some(Seal::Witness {
                key: r.array()?,
                signature: SignatureBytes(r.array()?),
            }),
            _ => return Err(BlockError::Truncated),
        };
        let raw_len = u32::from_be_bytes(r.array()?) as usize;
        if raw_len > MAX_ENCODED * 64 || count == 0 || count > MAX_EVENTS * 64 {
            return Err(BlockError::Truncated);
        }
        let raw = decompress(&body[r.at..], raw_len)?;
        let mut bodies = Vec::with_capacity(count);
        let mut at = 0;
        while at < raw.len() {
            let (len, n) = get_varint(&raw[at..]).ok_or(BlockError::Truncated)?;
            at += n;
            let end = at
                .checked_add(len as usize)
                .filter(|e| *e <= raw.len())
                .ok_or(BlockError::Truncated)?;
            bodies.push(raw[at..end].to_vec());
            at = end;
        }
        if bodies.len() != count || first == 0 {
            return Err(BlockError::Truncated);
        }
        Ok((
            Block {
                device,
                public_key,
                first,
                prev,
                bodies,
                seal,
            },
            total,
        ))
    }
}

thread_local! {
    // zstd's contexts are a few hundred kilobytes each: made once per thread, not per block
    // (an append of one act would spend more making them than compressing).
    static COMPRESSOR: std::cell::RefCell<Option<zstd::bulk::Compressor<'static>>> =
        const { std::cell::RefCell::new(None) };
    static DECOMPRESSOR: std::cell::RefCell<Option<zstd::bulk::Decompressor<'static>>> =
        const { std::cell::RefCell::new(None) };
}

fn compress(raw: &[u8]) -> Result<Vec<u8>, BlockError> {
    let err = |e: std::io::Error| BlockError::Compression(e.to_string());
    COMPRESSOR.with(|c| {
        let mut c = c.borrow_mut();
        if c.is_none() {
            *c = Some(zstd::bulk::Compressor::new(LEVEL).map_err(err)?);
        }
        match c.as_mut() {
            Some(c) => c.compress(raw).map_err(err),
            None => zstd::bulk::compress(raw, LEVEL).map_err(err),
        }
    })
}

fn decompress(packed: &[u8], len: usize) -> Result<Vec<u8>, BlockError> {
    let err = |e: std::io::Error| BlockError::Compression(e.to_string());
    DECOMPRESSOR.with(|d| {
        let mut d = d.borrow_mut();
        if d.is_none() {
            *d = Some(zstd::bulk::Decompressor::new().map_err(err)?);
        }
        match d.as_mut() {
            Some(d) => d.decompress(packed, len).map_err(err),
            None => zstd::bulk::decompress(packed, len).map_err(err),
        }
    })
}

/// The length of the block that starts at `bytes[0]`, from its header.
fn encoded_len(bytes: &[u8]) -> Result<usize, BlockError> {
    if bytes.len() < 9 || bytes[..4] != MAGIC {
        return Err(BlockError::NoMagic);
    }
    if bytes[4] != VERSION {
        return Err(BlockError::Version(bytes[4]));
    }
    let len = u32::from_be_bytes([bytes[5], bytes[6], bytes[7], bytes[8]]) as usize;
    if !(CHECKSUM + 16..=MAX_ENCODED).contains(&len) {
        return Err(BlockError::Truncated);
    }
    let total = len + 9;
    if bytes.len() < total {
        return Err(BlockError::Truncated);
    }
    Ok(total)
}

/// Every block whose bytes are whole in `bytes`, wherever it lies (a raw file of sled's,
/// which holds our values verbatim), with its offset. Damaged blocks are skipped; duplicates
/// (older copies sled has not reclaimed yet) are all returned.
pub(super) fn scan(bytes: &[u8]) -> Vec<(usize, Block)> {
    let mut out = Vec::new();
    let mut at = 0;
    while let Some(i) = find(&bytes[at..], &MAGIC) {
        let start = at + i;
        match Block::decode(&bytes[start..]) {
            Ok((block, len)) => {
                out.push((start, block));
                at = start + len;
            }
            Err(_) => at = start + 1,
        }
    }
    out
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl Reader<'_> {
    fn array<const N: usize>(&mut self) -> Result<[u8; N], BlockError> {
        let end = self.at + N;
        let a = self
            .bytes
            .get(self.at..end)
            .and_then(|s| <[u8; N]>::try_from(s).ok())
            .ok_or(BlockError::Truncated)?;
        self.at = end;
        Ok(a)
    }
}

fn put_varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

fn get_varint(bytes: &[u8]) -> Option<(u64, usize)> {
    let mut v = 0u64;
    for (i, b) in bytes.iter().enumerate().take(10) {
        v |= u64::from(b & 0x7f) << (7 * i);
        if b & 0x80 == 0 {
            return Some((v, i + 1));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn block(seal: Option<Seal>) -> Block {
        Block {
            device: DeviceId([7; 16]),
            public_key: [8; 32],
            first: 41,
            prev: [9; 32],
            bodies: vec![b"one".to_vec(), vec![0; 300], b"three".to_vec()],
            seal,
        }
    }

    #[test]
    fn a_block_reads_back_as_written_with_each_kind_of_seal() {
        for seal in [
            None,
            Some(Seal::Device(SignatureBytes([1; 64]))),
            Some(Seal::Witness {
                key: [2; 32],
                signature: SignatureBytes([3; 64]),
            }),
        ] {
            let b = block(seal);
            let bytes = b.encode().unwrap();
            let (back, len) = Block::decode(&bytes).unwrap();
            assert_eq!(back, b);
            assert_eq!(len, bytes.len());
            assert_eq!(back.last(), 43);
        }
    }

    #[test]
    fn any_flipped_byte_is_refused() {
        let bytes = block(None).encode().unwrap();
        for i in 0..bytes.len() {
            let mut bad = bytes.clone();
            bad[i] ^= 0x10;
            assert!(
                Block::decode(&bad).is_err(),
                "byte {i} flipped was accepted"
            );
        }
    }

    #[test]
    fn a_scan_finds_blocks_among_other_bytes_and_skips_a_damaged_one() {
        let a = block(None);
        let mut b = block(Some(Seal::Device(SignatureBytes([1; 64]))));
        b.first = 44;
        let mut file = vec![0xAB; 100];
        file.extend_from_slice(&a.encode().unwrap());
        file.extend_from_slice(b"TrnB garbage");
        let damaged_at = file.len() + 30;
        file.extend_from_slice(&a.encode().unwrap());
        file[damaged_at] ^= 1;
        file.extend_from_slice(&b.encode().unwrap());
        file.extend_from_slice(&[0; 50]);
        let found: Vec<Block> = scan(&file).into_iter().map(|(_, b)| b).collect();
        assert_eq!(found, vec![a, b]);
    }
}
