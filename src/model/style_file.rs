//! A learned style as a small file (issue 33): its name, the gamma/beta row it adds to one
//! package's generator, a small thumbnail of the painting, and which package it belongs to (the
//! generator's sha256, since a row means nothing to other convolution weights). JSON, a few KB:
//!
//! ```json
//! {"format": "atelier-style/1", "name": "My painting", "generator_sha256": "…",
//!  "params": "<base64 of the row: float32 little-endian, in the package's style-input order>",
//!  "thumbnail": "<base64 of a JPEG or PNG, at most 256 px>"}
//! ```
//!
//! Everything in it is checked before anything uses it: size, format, the package, every value
//! finite and in a sane range, the thumbnail a picture; a file for another package is refused
//! with a message that says to learn the painting again.

use serde::{Deserialize, Serialize};
use thiserror::Error;

use super::package::{ModelPackage, StyleParams};

pub const FORMAT: &str = "atelier-style/1";
/// Far above a real style file (about 10 KB), far below anything that could hurt to read.
pub const MAX_FILE_BYTES: usize = 256 * 1024;
pub const MAX_NAME_CHARS: usize = 80;
pub const MAX_THUMBNAIL_SIDE: u32 = 256;
/// Trained rows stay within a few units; a value past this is damage, not a style.
const MAX_PARAM: f32 = 1000.0;

#[derive(Debug, Clone, PartialEq)]
pub struct StyleFile {
    pub name: String,
    /// The sha256 of the generator the row was learned for.
    pub generator_sha256: String,
    pub params: StyleParams,
    /// A JPEG or PNG of the painting, at most `MAX_THUMBNAIL_SIDE` px.
    pub thumbnail: Vec<u8>,
}

#[derive(Debug, Clone, Error, PartialEq, Serialize, Deserialize)]
pub enum StyleFileError {
    #[error("the style file is {0} bytes, more than a style file can be ({MAX_FILE_BYTES})")]
    TooLarge(usize),
    #[error("not an Atelier style file ({0})")]
    NotAStyle(String),
    /// `names`: the style's name as its file gives it (cleaned; empty where it has none), so a
    /// visitor told after an update which kept styles are gone knows which paintings to learn
    /// again; the page gathers the names of several refused at once.
    #[error("{} learned for another version of Atelier's painter: learn the painting again", quoted_names(.names))]
    OtherPackage { names: Vec<String> },
    #[error("the style file is damaged: {0}")]
    Damaged(String),
}

/// Style names in curly quotes, joined by `separator` (the page's Chinese wording uses "、").
pub fn quoted_list(names: &[String], separator: &str) -> String {
    names.iter().map(|n| format!("\u{201c}{n}\u{201d}")).collect::<Vec<_>>().join(separator)
}

/// "this style was" for no name, "“A” was", "“A”, “B” were": the subject of the refusal.
fn quoted_names(names: &[String]) -> String {
    match names {
        [] => "this style was".into(),
        [_] => format!("{} was", quoted_list(names, ", ")),
        _ => format!("{} were", quoted_list(names, ", ")),
    }
}

#[derive(Serialize, Deserialize)]
struct Stored {
    format: String,
    name: String,
    generator_sha256: String,
    params: String,
    thumbnail: String,
}

/// A visitor's name for a style, made safe to show and to use in a file name: control
/// characters, bidirectional overrides (which can make "photo\u{202e}gnp.exe" read as
/// "photoexe.png") and path separators dropped, spaces collapsed, at most `MAX_NAME_CHARS`;
/// "" if nothing is left.
pub fn clean_name(name: &str) -> String {
    let unsafe_char = |c: char| c.is_control() || matches!(c, '/' | '\\' | '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}');
    let kept: String = name.chars().map(|c| if unsafe_char(c) { ' ' } else { c }).collect();
    kept.split_whitespace().collect::<Vec<_>>().join(" ").chars().take(MAX_NAME_CHARS).collect()
}

/// `clean_name(name)`, or where nothing is left of it `clean_name(fallback)`, or where nothing is
/// left of that either "My painting": a style file must have a name (one without is refused), so
/// a painting named ".png" or a name of control characters must not give a style that cannot be
/// opened again.
pub fn name_or(name: &str, fallback: &str) -> String {
    [name, fallback].iter().map(|n| clean_name(n)).find(|n| !n.is_empty()).unwrap_or_else(|| "My painting".into())
}

/// A style file's thumbnail side (px): enough for a gallery card, and a file of about 18 KB.
pub const THUMBNAIL_SIDE: u32 = 128;
/// What a link's fragment starts with when it carries a style.
pub const LINK_KEY: &str = "style=";

/// The prefix of every own style's id: no shipped style's id starts with it.
pub const OWN_ID_PREFIX: &str = "own-";

impl StyleFile {
    /// The id this style is painted, mixed and kept in history under: `own-` and the first 12
    /// hex digits of the row's sha256, so the same style file always gets the same id and two
    /// different styles (whatever their names) never share one.
    pub fn style_id(&self) -> String {
        use sha2::{Digest, Sha256};
        let mut hasher = Sha256::new();
        for (_, values) in &self.params.inputs {
            for v in values {
                hasher.update(v.to_le_bytes());
            }
        }
        let digest = hasher.finalize();
        let hex: String = digest.iter().take(6).map(|b| format!("{b:02x}")).collect();
        format!("{OWN_ID_PREFIX}{hex}")
    }

    /// The thumbnail a style file carries: `painting` at most `THUMBNAIL_SIDE` px, JPEG.
    pub fn thumbnail_of(painting: &image::RgbaImage) -> Vec<u8> {
        let (w, h) = crate::imaging::fit_within(painting.width(), painting.height(), THUMBNAIL_SIDE);
        crate::imaging::jpeg_at(painting, w, h, 85)
    }

    /// The style as the fragment of a link (`#style=…`, base64url): the part of an address after
    /// `#` never reaches a server, so sharing the link shares the style and nothing else.
    pub fn link_fragment(&self) -> String {
        format!("{LINK_KEY}{}", base64::encode_url(&self.to_bytes()))
    }

    /// The style file bytes a link fragment carries (`#style=…` or `style=…`), not yet checked
    /// (`parse` does that); None where the fragment carries none or is not base64url.
    pub fn bytes_from_link_fragment(fragment: &str) -> Option<Vec<u8>> {
        let encoded = fragment.trim_start_matches('#').strip_prefix(LINK_KEY)?;
        // Refused before decoding: a fragment can be as long as a hostile link makes it.
        if encoded.len() > MAX_FILE_BYTES.div_ceil(3) * 4 {
            return None;
        }
        base64::decode_url(encoded)
    }

    pub fn to_bytes(&self) -> Vec<u8> {
        let row: Vec<u8> = self.params.inputs.iter().flat_map(|(_, v)| v.iter().flat_map(|x| x.to_le_bytes())).collect();
        let stored = Stored {
            format: FORMAT.into(),
            name: clean_name(&self.name),
            generator_sha256: self.generator_sha256.clone(),
            params: base64::encode(&row),
            thumbnail: base64::encode(&self.thumbnail),
        };
        serde_json::to_vec(&stored).unwrap_or_default()
    }

    /// Read and check a style file for `package`.
    pub fn parse(bytes: &[u8], package: &ModelPackage) -> Result<StyleFile, StyleFileError> {
        if bytes.len() > MAX_FILE_BYTES {
            return Err(StyleFileError::TooLarge(bytes.len()));
        }
        let stored: Stored = serde_json::from_slice(bytes).map_err(|e| StyleFileError::NotAStyle(e.to_string()))?;
        if stored.format != FORMAT {
            return Err(StyleFileError::NotAStyle(format!("its format is '{}'", stored.format.chars().take(40).collect::<String>())));
        }
        let name = clean_name(&stored.name);
        if stored.generator_sha256 != package.manifest.network.generator.sha256 {
            return Err(StyleFileError::OtherPackage { names: if name.is_empty() { vec![] } else { vec![name] } });
        }
        if name.is_empty() {
            return Err(StyleFileError::Damaged("it has no name".into()));
        }
        let row = base64::decode(&stored.params).ok_or_else(|| StyleFileError::Damaged("its values are not base64".into()))?;
        let layout = &package.manifest.network.style_inputs;
        let expected: usize = layout.iter().map(|i| i.channels).sum();
        if row.len() != 4 * expected {
            return Err(StyleFileError::Damaged(format!("{} bytes of values, the painter needs {}", row.len(), 4 * expected)));
        }
        let values: Vec<f32> = row.chunks_exact(4).map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]])).collect();
        if let Some(bad) = values.iter().find(|v| !v.is_finite() || v.abs() > MAX_PARAM) {
            return Err(StyleFileError::Damaged(format!("it holds the value {bad}")));
        }
        let mut offset = 0;
        let inputs = layout
            .iter()
            .map(|input| {
                let v = values[offset..offset + input.channels].to_vec();
                offset += input.channels;
                (input.name.clone(), v)
            })
            .collect();
        let thumbnail = base64::decode(&stored.thumbnail).ok_or_else(|| StyleFileError::Damaged("its thumbnail is not base64".into()))?;
        let picture = image::load_from_memory(&thumbnail).map_err(|e| StyleFileError::Damaged(format!("its thumbnail is not a picture ({e})")))?;
        if picture.width().max(picture.height()) > MAX_THUMBNAIL_SIDE || !matches!(image::guess_format(&thumbnail), Ok(image::ImageFormat::Jpeg | image::ImageFormat::Png)) {
            return Err(StyleFileError::Damaged(format!("its thumbnail is {}x{}, not a JPEG or PNG of at most {MAX_THUMBNAIL_SIDE} px", picture.width(), picture.height())));
        }
        Ok(StyleFile { name, generator_sha256: stored.generator_sha256, params: StyleParams { inputs }, thumbnail })
    }
}

/// Standard base64 (RFC 4648, with padding): small enough to own, and no dependency for it.
pub mod base64 {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

    pub fn encode(bytes: &[u8]) -> String {
        let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
        for chunk in bytes.chunks(3) {
            let b = [chunk[0], *chunk.get(1).unwrap_or(&0), *chunk.get(2).unwrap_or(&0)];
            let n = (b[0] as u32) << 16 | (b[1] as u32) << 8 | b[2] as u32;
            for i in 0..4 {
                if i <= chunk.len() {
                    out.push(ALPHABET[(n >> (18 - 6 * i) & 63) as usize] as char);
                } else {
                    out.push('=');
                }
            }
        }
        out
    }

    /// The URL- and file-name-safe alphabet (RFC 4648 section 5), without padding.
    pub fn encode_url(bytes: &[u8]) -> String {
        encode(bytes).trim_end_matches('=').chars().map(|c| match c {
            '+' => '-',
            '/' => '_',
            c => c,
        }).collect()
    }

    /// None for anything that is not unpadded base64url.
    pub fn decode_url(text: &str) -> Option<Vec<u8>> {
        if text.contains(['+', '/', '=']) {
            return None;
        }
        let mut standard: String = text.chars().map(|c| match c {
            '-' => '+',
            '_' => '/',
            c => c,
        }).collect();
        while !standard.len().is_multiple_of(4) {
            standard.push('=');
        }
        decode(&standard)
    }

    /// None for anything that is not canonical padded base64.
    pub fn decode(text: &str) -> Option<Vec<u8>> {
        let text = text.as_bytes();
        if !text.len().is_multiple_of(4) {
            return None;
        }
        let value = |c: u8| ALPHABET.iter().position(|&a| a == c).map(|v| v as u32);
        let mut out = Vec::with_capacity(text.len() / 4 * 3);
        for (k, quad) in text.chunks(4).enumerate() {
            let last = k == text.len() / 4 - 1;
            let pad = quad.iter().rev().take_while(|&&c| c == b'=').count();
            if pad > 2 || (pad > 0 && !last) {
                return None;
            }
            let mut n = 0u32;
            for &c in &quad[..4 - pad] {
                n = n << 6 | value(c)?;
            }
            n <<= 6 * pad as u32;
            let bytes = [(n >> 16) as u8, (n >> 8) as u8, n as u8];
            out.extend_from_slice(&bytes[..3 - pad]);
        }
        Some(out)
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        #[test]
        fn round_trips_and_refuses_junk() {
            for s in [&b""[..], b"f", b"fo", b"foo", b"foob", b"fooba", b"foobar", &[0, 255, 128, 7]] {
                assert_eq!(decode(&encode(s)).as_deref(), Some(s));
            }
            assert_eq!(encode(b"foobar"), "Zm9vYmFy");
            assert_eq!(encode(b"fo"), "Zm8=");
            for junk in ["Zm8", "Zm8=Zm8=", "Z===", "Zm!=", "Zm9v\n"] {
                assert_eq!(decode(junk), None, "{junk}");
            }
        }

        #[test]
        fn the_url_alphabet_round_trips_without_padding() {
            let bytes: Vec<u8> = (0..=255u8).chain([251, 255, 254]).collect();
            for len in 0..bytes.len() {
                let text = encode_url(&bytes[..len]);
                assert!(!text.contains(['+', '/', '=']), "{text}");
                assert_eq!(decode_url(&text).as_deref(), Some(&bytes[..len]));
            }
            for junk in ["Zm8=", "a+b", "a/b", "Z", "Zm9v!"] {
                assert_eq!(decode_url(junk), None, "{junk}");
            }
        }
    }
}
