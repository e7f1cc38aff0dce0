//! The bytes on the wire: a 4-byte header (magic, protocol version, codec), then the message
//! in postcard, compressed with zstd when that is smaller.
//!
//! The version sits outside the compressed part, so a server can refuse a tablet it is too new
//! (or too old) for with a clear message before decoding anything. Decompression is bounded:
//! a small frame cannot expand into gigabytes.

use serde::{Serialize, de::DeserializeOwned};

/// The protocol version this build speaks: 4 sends a signature as its difference from the
/// signer's previous one (`columns/signature.rs`); 3 laid the bodies their author hashed out
/// in columns (2 carried them side by side; 1 carried decoded events, which each end encoded
/// again).
pub const VERSION: u8 = 4;
/// The oldest version this build still understands: the columns of 3 read signatures
/// otherwise, so a tablet of 3 is told to update, clearly, before anything is decoded.
pub const OLDEST_VERSION: u8 = 4;
const MAGIC: [u8; 2] = *b"TR";
const RAW: u8 = 0;
const ZSTD: u8 = 1;
/// zstd's level for a message of `raw` bytes. Measured on a year's push (`cargo bench --bench
/// sync -- levels`): level 19 makes 6 % fewer bytes than level 9 but takes 20 times as long
/// (2.3 s against 0.1 s for a year). A day's sync is a few kilobytes, sent on a weak link: every
/// byte counts and level 19 takes a millisecond. A year's first push or a restore is megabytes
/// on a good link: level 9 keeps it under a second.
pub fn level(raw: usize) -> i32 {
    if raw <= SMALL { 19 } else { 9 }
}
/// A message up to this size is compressed at the highest level.
const SMALL: usize = 256 * 1024;
/// The largest message once decompressed.
pub const MAX_MESSAGE: usize = 64 << 20;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum WireError {
    #[error("not a Tournée frame (header {0:02x?})")]
    NotAFrame(Vec<u8>),
    #[error("protocol version {got}: this program speaks versions {OLDEST_VERSION} to {VERSION}")]
    Version { got: u8 },
    #[error("unknown codec {0}")]
    Codec(u8),
    #[error("the message is larger than {MAX_MESSAGE} bytes once decompressed, or corrupt: {0}")]
    Decompress(String),
    #[error("the message does not decode: {0}")]
    Decode(String),
    #[error("encoding a message: {0}")]
    Encode(String),
}

/// Encodes a message into a frame, compressed at the [`level`] its size calls for.
pub fn encode<T: Serialize>(message: &T) -> Result<Vec<u8>, WireError> {
    encode_with(message, level)
}

/// Encodes a message whose bulk is already compressed into a frame, as it is.
pub fn encode_raw<T: Serialize>(message: &T) -> Result<Vec<u8>, WireError> {
    let raw = postcard::to_allocvec(message).map_err(|e| WireError::Encode(e.to_string()))?;
    Ok(frame(RAW, raw))
}

fn frame(codec: u8, body: Vec<u8>) -> Vec<u8> {
    let mut frame = Vec::with_capacity(4 + body.len());
    frame.extend_from_slice(&MAGIC);
    frame.push(VERSION);
    frame.push(codec);
    frame.extend_from_slice(&body);
    frame
}

/// Encodes with the zstd level `level` gives for the raw size (the server answers at a lower
/// level to save its CPU).
pub fn encode_with<T: Serialize>(
    message: &T,
    level: impl Fn(usize) -> i32,
) -> Result<Vec<u8>, WireError> {
    let raw = postcard::to_allocvec(message).map_err(|e| WireError::Encode(e.to_string()))?;
    let packed = zstd::bulk::compress(&raw, level(raw.len()))
        .map_err(|e| WireError::Encode(e.to_string()))?;
    let (codec, body) = if packed.len() < raw.len() {
        (ZSTD, packed)
    } else {
        (RAW, raw)
    };
    Ok(frame(codec, body))
}

/// The version a frame says it speaks, without decoding it.
pub fn version(frame: &[u8]) -> Result<u8, WireError> {
    match frame {
        [b'T', b'R', v, _, ..] => Ok(*v),
        _ => Err(WireError::NotAFrame(
            frame.iter().take(4).copied().collect(),
        )),
    }
}

/// The room to decompress `packed` into: the size its zstd frame announces (every frame this
/// program writes announces it), or `max` when it does not or announces more. Asking for `max`
/// itself reserved tens of megabytes for every message and chunk; a frame that lies about its
/// size still fails to decompress, it does not overflow.
pub(crate) fn room(packed: &[u8], max: usize) -> usize {
    match zstd::zstd_safe::get_frame_content_size(packed) {
        Ok(Some(n)) => usize::try_from(n).map_or(max, |n| n.min(max)),
        _ => max,
    }
}

/// Decodes a frame into a message.
pub fn decode<T: DeserializeOwned>(frame: &[u8]) -> Result<T, WireError> {
    let v = version(frame)?;
    if !(OLDEST_VERSION..=VERSION).contains(&v) {
        return Err(WireError::Version { got: v });
    }
    let body = &frame[4..];
    let raw;
    let bytes = match frame[3] {
        RAW => body,
        ZSTD => {
            raw = zstd::bulk::decompress(body, room(body, MAX_MESSAGE))
                .map_err(|e| WireError::Decompress(e.to_string()))?;
            &raw[..]
        }
        c => return Err(WireError::Codec(c)),
    };
    postcard::from_bytes(bytes).map_err(|e| WireError::Decode(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_message_comes_back_as_it_went() {
        let m = (42u64, "bonjour".to_string(), vec![7u8; 1000]);
        let frame = encode(&m).unwrap();
        assert!(
            frame.len() < 100,
            "1000 equal bytes compress: {}",
            frame.len()
        );
        assert_eq!(version(&frame), Ok(VERSION));
        assert_eq!(decode::<(u64, String, Vec<u8>)>(&frame).unwrap(), m);
    }

    #[test]
    fn a_frame_of_another_version_or_garbage_is_refused_clearly() {
        let mut frame = encode(&1u32).unwrap();
        frame[2] = VERSION + 1;
        assert_eq!(
            decode::<u32>(&frame),
            Err(WireError::Version { got: VERSION + 1 })
        );
        assert!(matches!(
            decode::<u32>(b"GET /"),
            Err(WireError::NotAFrame(_))
        ));
        // Frames of this version: the header, then a codec and its bytes.
        let ours = |rest: &[u8]| [&[b'T', b'R', VERSION][..], rest].concat();
        assert!(matches!(
            decode::<u32>(&ours(b"\x01garbage")),
            Err(WireError::Decompress(_))
        ));
        assert!(matches!(
            decode::<u32>(&ours(b"\x07")),
            Err(WireError::Codec(7))
        ));
    }

    #[test]
    fn the_room_to_decompress_is_what_the_frame_announces_within_the_limit() {
        let raw = vec![7u8; 12_345];
        let packed = zstd::bulk::compress(&raw, 3).unwrap();
        assert_eq!(room(&packed, MAX_MESSAGE), 12_345);
        assert_eq!(room(&packed, 1_000), 1_000);
        assert_eq!(room(b"not zstd", MAX_MESSAGE), MAX_MESSAGE);
        // A frame announcing less than it holds fails to decompress, it does not overflow.
        let mut lying = packed.clone();
        let small = room(&lying, 100);
        assert!(zstd::bulk::decompress(&lying, small).is_err());
        lying.truncate(lying.len() / 2);
        assert!(zstd::bulk::decompress(&lying, room(&lying, MAX_MESSAGE)).is_err());
    }

    #[test]
    fn a_compression_bomb_is_refused() {
        let huge = vec![0u8; MAX_MESSAGE + 1];
        let packed = zstd::bulk::compress(&huge, 3).unwrap();
        let mut frame = vec![b'T', b'R', VERSION, ZSTD];
        frame.extend_from_slice(&packed);
        assert!(packed.len() < 100_000);
        assert!(matches!(
            decode::<Vec<u8>>(&frame),
            Err(WireError::Decompress(_))
        ));
    }
}
