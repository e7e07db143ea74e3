//! The compiled bundle's binary form (`bundle.bin`), what hosts download and load:
//!
//! | bytes | field |
//! |---|---|
//! | 4 | magic `PRSO` |
//! | 1 | format version ([`BINARY_VERSION`]) |
//! | 3 | reserved, zero |
//! | 8 | serial, u64 little-endian (also inside the program; they must agree) |
//! | 8 | expiry, i64 ms since the epoch, little-endian (likewise) |
//! | 4 + n | engine section: u32 length, then the [`Program`] as postcard |
//! | 4 + m | host section: u32 length, then the [`crate::host::HostView`] as UTF-8 JSON |
//!
//! The header lets a host read serial and expiry before loading anything. The
//! engine section is postcard (a well-kept, compact, serde-based format): reading
//! it allocates no more than its length allows, never recurses on literal values
//! (they are a flat token stream), and is followed by [`Program::validate`], so a
//! truncated or altered file is a clean [`BinaryError`] naming the section (and for
//! the engine section, the record), never a trap. The host section is JSON because
//! its readers are JavaScript hosts, which parse it natively; the engine never
//! parses it.

use super::{Program, ProgramFault};

pub const MAGIC: [u8; 4] = *b"PRSO";
pub const BINARY_VERSION: u8 = 1;
const HEADER: usize = 24;

/// Which part of the file a problem is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Section {
    Header,
    Engine,
    Host,
}

impl Section {
    pub fn name(self) -> &'static str {
        match self {
            Section::Header => "header",
            Section::Engine => "engine section",
            Section::Host => "host section",
        }
    }
}

/// Why a compiled bundle could not be loaded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BinaryError {
    /// Not a compiled bundle at all (e.g. the JSON source was given).
    NotCompiled,
    /// A format version this engine does not read.
    Version { found: u8 },
    /// The file ends inside `section`.
    Truncated { section: Section },
    /// `section` does not decode (corrupt bytes).
    Malformed { section: Section },
    /// The header and the program disagree (serial or expiry).
    HeaderMismatch,
    /// The engine section decodes but a record in it is invalid.
    Invalid(ProgramFault),
    /// Bytes after the host section.
    TrailingBytes,
}

/// The two sections of a compiled bundle, split but not decoded.
#[derive(Debug, Clone, Copy)]
pub struct Sections<'a> {
    pub serial: u64,
    pub expires_at_ms: i64,
    pub engine: &'a [u8],
    pub host: &'a [u8],
}

fn u32_at(bytes: &[u8], at: usize) -> Option<usize> {
    let chunk = bytes.get(at..at.checked_add(4)?)?;
    let mut raw = [0u8; 4];
    raw.copy_from_slice(chunk);
    Some(u32::from_le_bytes(raw) as usize)
}

fn u64_at(bytes: &[u8], at: usize) -> Option<u64> {
    let chunk = bytes.get(at..at.checked_add(8)?)?;
    let mut raw = [0u8; 8];
    raw.copy_from_slice(chunk);
    Some(u64::from_le_bytes(raw))
}

/// Whether `bytes` start like a compiled bundle (hosts tell the forms apart this way).
pub fn is_compiled(bytes: &[u8]) -> bool {
    bytes.get(..4) == Some(&MAGIC[..])
}

/// Splits a file into its sections, checking the header and the lengths.
pub fn split(bytes: &[u8]) -> Result<Sections<'_>, BinaryError> {
    if !is_compiled(bytes) {
        return Err(BinaryError::NotCompiled);
    }
    let version = bytes.get(4).copied().ok_or(BinaryError::Truncated { section: Section::Header })?;
    if version != BINARY_VERSION {
        return Err(BinaryError::Version { found: version });
    }
    if bytes.len() < HEADER {
        return Err(BinaryError::Truncated { section: Section::Header });
    }
    let serial = u64_at(bytes, 8).ok_or(BinaryError::Truncated { section: Section::Header })?;
    let expires_at_ms = u64_at(bytes, 16).ok_or(BinaryError::Truncated { section: Section::Header })? as i64;
    let section = |at: usize, which: Section| -> Result<(&[u8], usize), BinaryError> {
        let len = u32_at(bytes, at).ok_or(BinaryError::Truncated { section: which })?;
        let start = at.checked_add(4).ok_or(BinaryError::Truncated { section: which })?;
        let end = start.checked_add(len).ok_or(BinaryError::Truncated { section: which })?;
        let body = bytes.get(start..end).ok_or(BinaryError::Truncated { section: which })?;
        Ok((body, end))
    };
    let (engine, after_engine) = section(HEADER, Section::Engine)?;
    let (host, end) = section(after_engine, Section::Host)?;
    if end != bytes.len() {
        return Err(BinaryError::TrailingBytes);
    }
    Ok(Sections { serial, expires_at_ms, engine, host })
}

/// Reads and validates the engine section of a compiled bundle; also returns the
/// host section's bytes (for hosts that show decisions).
pub fn decode(bytes: &[u8]) -> Result<(Program, &[u8]), BinaryError> {
    let sections = split(bytes)?;
    let program: Program =
        super::wire::read_all(sections.engine).ok_or(BinaryError::Malformed { section: Section::Engine })?;
    if program.serial != sections.serial || program.expires_at_ms != sections.expires_at_ms {
        return Err(BinaryError::HeaderMismatch);
    }
    program.validate().map_err(BinaryError::Invalid)?;
    // The host section is its readers' to parse (JSON.parse in JS hosts, serde natively).
    Ok((program, sections.host))
}

/// Writes the binary form of a compiled bundle.
#[cfg(feature = "json")]
pub fn encode(program: &Program, host: &crate::host::HostView) -> alloc::vec::Vec<u8> {
    // Plain data into a Vec: neither serializer can fail.
    let engine = postcard::to_allocvec(program).unwrap_or_default();
    let host = serde_json::to_vec(host).unwrap_or_default();
    let mut out = alloc::vec::Vec::with_capacity((HEADER + 8).saturating_add(engine.len()).saturating_add(host.len()));
    out.extend_from_slice(&MAGIC);
    out.push(BINARY_VERSION);
    out.extend_from_slice(&[0, 0, 0]);
    out.extend_from_slice(&program.serial.to_le_bytes());
    out.extend_from_slice(&program.expires_at_ms.to_le_bytes());
    out.extend_from_slice(&(engine.len() as u32).to_le_bytes());
    out.extend_from_slice(&engine);
    out.extend_from_slice(&(host.len() as u32).to_le_bytes());
    out.extend_from_slice(&host);
    out
}
