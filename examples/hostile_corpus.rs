//! The hostile-input corpus: photos a careless or hostile visitor could hand Atelier, generated
//! here (nothing downloaded, nothing committed), each with the outcome Atelier must give.
//! `tests/hostile.rs` runs every case through the Rust API and the CLI; this program writes the
//! corpus to a folder (seeds for `scripts/fuzz.sh`) and, given a CLI, prints a table of outcomes
//! (used for before/after comparisons of the CLI):
//!
//!   cargo run --example hostile_corpus -- OUT_DIR [--cli target/release/atelier --models models]

use std::io::Cursor;

use image::{codecs, Rgba, RgbaImage};

/// What decoding the case must give.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Expect {
    /// Painted: the decoded picture has this size.
    Paints { width: u32, height: u32 },
    /// Refused with this `ImageError` variant (its Debug name's prefix).
    Refused(&'static str),
}

pub struct Case {
    pub name: &'static str,
    /// The file name, extension included (some cases lie about their type).
    pub file: String,
    pub bytes: Vec<u8>,
    pub expect: Expect,
}

fn photo(width: u32, height: u32) -> RgbaImage {
    RgbaImage::from_fn(width, height, |x, y| Rgba([(x * 7 % 256) as u8, (y * 5 % 256) as u8, ((x + y) % 256) as u8, 255]))
}

fn encode_png(image: &RgbaImage) -> Vec<u8> {
    let mut out = Vec::new();
    image.write_to(&mut Cursor::new(&mut out), image::ImageFormat::Png).expect("png");
    out
}

fn encode(image: image::DynamicImage, format: image::ImageFormat) -> Vec<u8> {
    let mut out = Vec::new();
    image.write_to(&mut Cursor::new(&mut out), format).expect("encodes");
    out
}

fn jpeg(image: &RgbaImage) -> Vec<u8> {
    encode(image::DynamicImage::ImageRgba8(image.clone()).to_rgb8().into(), image::ImageFormat::Jpeg)
}

/// A PNG chunk: length, type, data, CRC.
fn chunk(kind: &[u8; 4], data: &[u8]) -> Vec<u8> {
    let mut out = (data.len() as u32).to_be_bytes().to_vec();
    out.extend_from_slice(kind);
    out.extend_from_slice(data);
    let mut crc = crc32fast::Hasher::new();
    crc.update(kind);
    crc.update(data);
    out.extend_from_slice(&crc.finalize().to_be_bytes());
    out
}

/// zlib with stored (uncompressed) deflate blocks: enough for handmade PNGs.
fn zlib_stored(data: &[u8]) -> Vec<u8> {
    let mut out = vec![0x78, 0x01];
    let blocks: Vec<&[u8]> = if data.is_empty() { vec![&[][..]] } else { data.chunks(65_535).collect() };
    for (i, block) in blocks.iter().enumerate() {
        out.push(u8::from(i + 1 == blocks.len()));
        let len = block.len() as u16;
        out.extend_from_slice(&len.to_le_bytes());
        out.extend_from_slice(&(!len).to_le_bytes());
        out.extend_from_slice(block);
    }
    let (mut a, mut b) = (1u32, 0u32);
    for &byte in data {
        a = (a + byte as u32) % 65_521;
        b = (b + a) % 65_521;
    }
    out.extend_from_slice(&((b << 16) | a).to_be_bytes());
    out
}

const PNG_SIGNATURE: &[u8] = b"\x89PNG\r\n\x1a\n";

/// A handmade PNG: `ihdr` fields, extra chunks before the pixels, the raw scanlines.
fn handmade_png(width: u32, height: u32, colour_type: u8, extra: &[Vec<u8>], scanlines: &[u8]) -> Vec<u8> {
    let mut ihdr = width.to_be_bytes().to_vec();
    ihdr.extend_from_slice(&height.to_be_bytes());
    ihdr.extend_from_slice(&[8, colour_type, 0, 0, 0]);
    let mut out = PNG_SIGNATURE.to_vec();
    out.extend(chunk(b"IHDR", &ihdr));
    for c in extra {
        out.extend_from_slice(c);
    }
    out.extend(chunk(b"IDAT", &zlib_stored(scanlines)));
    out.extend(chunk(b"IEND", &[]));
    out
}

/// A JPEG with an EXIF APP1 segment stating `orientation` (1-8) right after SOI.
fn jpeg_with_orientation(image: &RgbaImage, orientation: u16) -> Vec<u8> {
    let plain = jpeg(image);
    // TIFF header (little endian), one IFD entry: tag 0x0112 (Orientation), SHORT, count 1.
    let mut tiff = b"II*\x00\x08\x00\x00\x00".to_vec();
    tiff.extend_from_slice(&1u16.to_le_bytes());
    tiff.extend_from_slice(&0x0112u16.to_le_bytes());
    tiff.extend_from_slice(&3u16.to_le_bytes());
    tiff.extend_from_slice(&1u32.to_le_bytes());
    tiff.extend_from_slice(&orientation.to_le_bytes());
    tiff.extend_from_slice(&[0, 0]);
    tiff.extend_from_slice(&0u32.to_le_bytes());
    let mut app1 = b"Exif\x00\x00".to_vec();
    app1.extend(tiff);
    let mut out = plain[..2].to_vec();
    out.extend_from_slice(&[0xFF, 0xE1]);
    out.extend_from_slice(&((app1.len() + 2) as u16).to_be_bytes());
    out.extend(app1);
    out.extend_from_slice(&plain[2..]);
    out
}

fn gif_animated(frames: usize) -> Vec<u8> {
    let mut out = Vec::new();
    {
        let mut encoder = codecs::gif::GifEncoder::new(&mut out);
        let frames = (0..frames).map(|i| image::Frame::new(RgbaImage::from_pixel(24, 16, Rgba([40 * i as u8, 90, 200, 255]))));
        encoder.encode_frames(frames).expect("gif");
    }
    out
}

fn half(bytes: Vec<u8>) -> Vec<u8> {
    bytes[..bytes.len() / 2].to_vec()
}

pub fn corpus() -> Vec<Case> {
    let base = photo(64, 48);
    let paints = |width, height| Expect::Paints { width, height };
    let case = |name, file: &str, bytes, expect| Case { name, file: file.to_string(), bytes, expect };
    let dynamic = |image: &RgbaImage| image::DynamicImage::ImageRgba8(image.clone());

    let mut cases = vec![
        case("PNG, RGB", "rgb.png", encode(dynamic(&base).to_rgb8().into(), image::ImageFormat::Png), paints(64, 48)),
        case("PNG, RGBA", "rgba.png", encode_png(&base), paints(64, 48)),
        case("PNG, grey", "grey.png", encode(dynamic(&base).to_luma8().into(), image::ImageFormat::Png), paints(64, 48)),
        case("PNG, grey + alpha", "grey-alpha.png", encode(dynamic(&base).to_luma_alpha8().into(), image::ImageFormat::Png), paints(64, 48)),
        case("PNG, 16-bit RGBA", "deep.png", encode(dynamic(&base).to_rgba16().into(), image::ImageFormat::Png), paints(64, 48)),
        case("PNG, 16-bit grey", "deep-grey.png", encode(dynamic(&base).to_luma16().into(), image::ImageFormat::Png), paints(64, 48)),
        case(
            "PNG, palette",
            "palette.png",
            handmade_png(8, 4, 3, &[chunk(b"PLTE", &[255, 0, 0, 0, 255, 0, 0, 0, 255])], &[0, 0, 1, 2, 0, 1, 2, 0, 1].repeat(4)),
            paints(8, 4),
        ),
        case("JPEG", "photo.jpg", jpeg(&base), paints(64, 48)),
        case("JPEG, grey", "grey.jpg", encode(dynamic(&base).to_luma8().into(), image::ImageFormat::Jpeg), paints(64, 48)),
        case("JPEG, EXIF orientation 6 (taken sideways)", "sideways.jpg", jpeg_with_orientation(&base, 6), paints(48, 64)),
        case("JPEG, EXIF orientation 3 (upside down)", "upside-down.jpg", jpeg_with_orientation(&base, 3), paints(64, 48)),
        case("JPEG, EXIF orientation 99 (invalid)", "bad-orientation.jpg", jpeg_with_orientation(&base, 99), paints(64, 48)),
        case("JPEG with bytes after its end", "trailer.jpg", [jpeg(&base), vec![0x42; 4000]].concat(), paints(64, 48)),
        case("WebP, lossless", "photo.webp", encode(dynamic(&base), image::ImageFormat::WebP), paints(64, 48)),
        case("GIF", "still.gif", encode(dynamic(&base), image::ImageFormat::Gif), paints(64, 48)),
        case("GIF, animated (first frame)", "animated.gif", gif_animated(3), paints(24, 16)),
        case("BMP", "photo.bmp", encode(dynamic(&base).to_rgb8().into(), image::ImageFormat::Bmp), paints(64, 48)),
        case("PNG, 1 x 1", "dot.png", encode_png(&photo(1, 1)), paints(1, 1)),
        case("PNG, 3000 x 1", "line.png", encode_png(&photo(3000, 1)), paints(3000, 1)),
        case("PNG, 1 x 3000", "column.png", encode_png(&photo(1, 3000)), paints(1, 3000)),
        case("PNG, 2 x 1700", "sliver.png", encode_png(&photo(2, 1700)), paints(2, 1700)),
        case("PNG named .jpg", "lies.jpg", encode_png(&base), paints(64, 48)),
        case("JPEG named .PNG", "LIES.PNG", jpeg(&base), paints(64, 48)),
        case(
            "PNG with a damaged colour profile (iCCP)",
            "broken-profile.png",
            handmade_png(4, 2, 2, &[chunk(b"iCCP", b"x\x00\x00not zlib at all")], &[0, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9].repeat(2)),
            paints(4, 2),
        ),
        case("a name with escape codes", "\u{1b}[31mred\u{7}.png", encode_png(&base), paints(64, 48)),
        case("a name with spaces and CJK", "我的 照片 (1).png", encode_png(&base), paints(64, 48)),
        // Refused.
        case("empty file", "empty.jpg", Vec::new(), Expect::Refused("Empty")),
        case("text named .jpg", "notes.jpg", b"Dear diary, this is not a photo.".to_vec(), Expect::Refused("UnknownFormat")),
        case("HTML named .webp", "page.webp", b"<!doctype html><title>x</title>".to_vec(), Expect::Refused("UnknownFormat")),
        case("SVG named .png", "drawing.png", b"<svg xmlns='http://www.w3.org/2000/svg'/>".to_vec(), Expect::Refused("UnknownFormat")),
        case("PDF named .jpg", "paper.jpg", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj".to_vec(), Expect::Refused("UnknownFormat")),
        case("ZIP named .png", "archive.png", b"PK\x03\x04\x14\x00\x00\x00\x08\x00".to_vec(), Expect::Refused("UnknownFormat")),
        case("TIFF (not read)", "scan.png", b"II*\x00\x08\x00\x00\x00\x00\x00".to_vec(), Expect::Refused("")),
        case("zeros named .jpg", "zeros.jpg", vec![0; 1 << 20], Expect::Refused("UnknownFormat")),
        case("PNG cut in half", "half.png", half(encode_png(&photo(200, 150))), Expect::Refused("Corrupt")),
        case("JPEG cut in half", "half.jpg", half(jpeg(&photo(200, 150))), Expect::Refused("Truncated")),
        case("JPEG cut after its header", "header.jpg", jpeg(&base)[..200].to_vec(), Expect::Refused("")),
        case("WebP cut in half", "half.webp", half(encode(dynamic(&photo(200, 150)), image::ImageFormat::WebP)), Expect::Refused("Corrupt")),
        case("GIF cut in half", "half.gif", half(encode(dynamic(&photo(200, 150)), image::ImageFormat::Gif)), Expect::Refused("Corrupt")),
        case("BMP cut in half", "half.bmp", half(encode(dynamic(&photo(200, 150)).to_rgb8().into(), image::ImageFormat::Bmp)), Expect::Refused("Corrupt")),
        case("PNG with a wrong checksum", "bad-crc.png", {
            let mut bytes = encode_png(&base);
            bytes[29] ^= 0xFF; // inside IHDR's CRC
            bytes
        }, Expect::Refused("Corrupt")),
        case("PNG 0 px wide", "zero.png", handmade_png(0, 4, 2, &[], &[]), Expect::Refused("Corrupt")),
        case("PNG header 100,000 x 100,000", "bomb.png", handmade_png(100_000, 100_000, 2, &[], &[0; 64]), Expect::Refused("TooLarge")),
        case("GIF header 65,535 x 65,535", "bomb.gif", {
            let mut bytes = encode(dynamic(&photo(4, 4)), image::ImageFormat::Gif);
            bytes[6..10].copy_from_slice(&[0xFF, 0xFF, 0xFF, 0xFF]);
            bytes
        }, Expect::Refused("")),
        case("JPEG header 60,000 x 60,000", "bomb.jpg", {
            let mut bytes = jpeg(&base);
            let sof = bytes.windows(2).position(|w| w == [0xFF, 0xC0]).expect("baseline JPEG");
            bytes[sof + 5..sof + 9].copy_from_slice(&[0xEA, 0x60, 0xEA, 0x60]);
            bytes
        }, Expect::Refused("TooLarge")),
        case("BMP header 50,000 x 50,000", "bomb.bmp", {
            let mut bytes = encode(dynamic(&photo(4, 4)).to_rgb8().into(), image::ImageFormat::Bmp);
            bytes[18..26].copy_from_slice(&[0x50, 0xC3, 0, 0, 0x50, 0xC3, 0, 0]);
            bytes
        }, Expect::Refused("TooLarge")),
        case("random bytes named .png", "noise.png", (0..5000u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8).collect(), Expect::Refused("")),
    ];
    // A PNG whose colour profile unpacks to 256 MiB: stripped before decoding, never unpacked.
    let profile = zlib_bomb(256 << 20);
    let mut iccp = b"bomb\x00\x00".to_vec();
    iccp.extend(profile);
    cases.push(case(
        "PNG with a 256 MiB colour profile (zlib bomb)",
        "profile-bomb.png",
        handmade_png(4, 2, 2, &[chunk(b"iCCP", &iccp)], &[0, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9].repeat(2)),
        paints(4, 2),
    ));
    cases
}

/// A zlib stream that inflates to `size` zero bytes in a few hundred KiB: one fixed-Huffman block
/// of a literal 0 followed by length-258, distance-1 matches.
fn zlib_bomb(size: usize) -> Vec<u8> {
    struct Bits {
        out: Vec<u8>,
        acc: u32,
        n: u32,
    }
    impl Bits {
        fn put(&mut self, value: u32, count: u32) {
            self.acc |= value << self.n;
            self.n += count;
            while self.n >= 8 {
                self.out.push(self.acc as u8);
                self.acc >>= 8;
                self.n -= 8;
            }
        }
        /// Huffman codes go most significant bit first.
        fn code(&mut self, code: u32, count: u32) {
            let reversed = (0..count).fold(0, |r, i| r | (((code >> i) & 1) << (count - 1 - i)));
            self.put(reversed, count);
        }
    }
    let mut bits = Bits { out: vec![0x78, 0x01], acc: 0, n: 0 };
    bits.put(1, 1); // final block
    bits.put(1, 2); // fixed Huffman
    bits.code(0b0011_0000, 8); // literal 0
    for _ in 0..(size - 1) / 258 {
        bits.code(0b1100_0101, 8); // length code 285 = 258
        bits.code(0, 5); // distance code 0 = 1
    }
    bits.code(0, 7); // end of block (256)
    bits.put(0, 7);
    let mut out = bits.out;
    out.extend_from_slice(&[0, 0, 0, 0]); // adler32 (wrong, never checked: never inflated)
    out
}

#[allow(dead_code)]
fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(dir) = args.first() else {
        eprintln!("usage: hostile_corpus OUT_DIR [--cli PATH --models DIR]");
        std::process::exit(2);
    };
    let flag = |name: &str| args.iter().position(|a| a == name).and_then(|i| args.get(i + 1)).cloned();
    std::fs::create_dir_all(dir).expect("creates the folder");
    let cases = corpus();
    for c in &cases {
        std::fs::write(std::path::Path::new(dir).join(&c.file), &c.bytes).expect("writes");
    }
    println!("{} cases in {dir}", cases.len());
    let Some(cli) = flag("--cli") else { return };
    let models = flag("--models").unwrap_or_else(|| "models".into());
    println!("| case | expected | exit | peak memory | said |\n| --- | --- | ---: | ---: | --- |");
    for c in &cases {
        let src = std::path::Path::new(dir).join(&c.file);
        let out = std::path::Path::new(dir).join("out.png");
        let _ = std::fs::remove_file(&out);
        let run = std::process::Command::new("/usr/bin/time")
            .args(["-f", "%M"])
            .arg(&cli)
            .args(["--models", &models, "stylize"])
            .arg(&src)
            .arg(&out)
            .args(["--style", "starry-night", "--engine", "cpu", "--max-side", "256"])
            .output()
            .expect("runs");
        let stderr = String::from_utf8_lossy(&run.stderr);
        let peak_kib = stderr.lines().last().unwrap_or("").trim().to_string();
        let said = stderr.lines().find(|l| l.starts_with("error:")).unwrap_or("").escape_debug().to_string();
        let expected = match c.expect {
            Expect::Paints { width, height } => format!("paints {width}x{height}"),
            Expect::Refused(kind) => format!("refused {kind}"),
        };
        let code = run.status.code().map_or("signal".into(), |c| c.to_string());
        println!("| {} | {expected} | {code} | {} MiB | {} |", c.name, peak_kib.parse::<u64>().unwrap_or(0) / 1024, said.chars().take(90).collect::<String>());
    }
}
