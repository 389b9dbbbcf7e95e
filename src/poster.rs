//! The share poster's layout: the painting large, the original photo small beside its credit
//! (style name, the painting it follows, its artist and year), and a line saying it was made on
//! the visitor's own device. Pure geometry: the page draws it with the browser's fonts (which
//! have every script the words need), so no font ships with the app.

/// The poster's width in pixels: a common width for pictures shared on phones.
pub const POSTER_WIDTH: u32 = 1080;
const MARGIN: u32 = 56;
/// The painting is at most this tall (a very tall photo would make a poster no one scrolls).
const MAX_PAINTING_HEIGHT: u32 = 1215;
/// The original photo's box, below the painting on the left.
const BEFORE_BOX: u32 = 240;
const GAP: u32 = 40;

/// A rectangle in poster pixels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rect {
    pub x: u32,
    pub y: u32,
    pub width: u32,
    pub height: u32,
}

impl Rect {
    pub fn right(&self) -> u32 {
        self.x + self.width
    }
    pub fn bottom(&self) -> u32 {
        self.y + self.height
    }
    pub fn overlaps(&self, other: &Rect) -> bool {
        self.x < other.right() && other.x < self.right() && self.y < other.bottom() && other.y < self.bottom()
    }
}

/// One line of text: its left end and baseline, font size, and the width it must fit in (the
/// page squeezes longer text into it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TextLine {
    pub x: u32,
    pub baseline: u32,
    pub size: u32,
    pub max_width: u32,
}

impl TextLine {
    /// The box the line may cover (ascenders and descenders included).
    pub fn bounds(&self) -> Rect {
        Rect { x: self.x, y: self.baseline - self.size, width: self.max_width, height: self.size + self.size / 3 }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PosterLayout {
    pub width: u32,
    pub height: u32,
    pub painting: Rect,
    pub before: Rect,
    /// "Before", under the original.
    pub before_label: TextLine,
    /// The style's name.
    pub title: TextLine,
    /// The painting it follows: its artist, then its title and year, then a mix's second style.
    pub credit: TextLine,
    pub work: TextLine,
    pub mix: TextLine,
    /// Where it was made.
    pub footer: TextLine,
}

/// `(width, height)` scaled to fit in `max_width` x `max_height`, aspect kept, at least 1 x 1.
fn fit((width, height): (u32, u32), max_width: u32, max_height: u32) -> (u32, u32) {
    let (width, height) = (width.max(1) as f64, height.max(1) as f64);
    let scale = (max_width as f64 / width).min(max_height as f64 / height);
    (((width * scale).round() as u32).clamp(1, max_width), ((height * scale).round() as u32).clamp(1, max_height))
}

/// The poster for a painting and its photo of these sizes (in pixels).
pub fn layout(painting: (u32, u32), photo: (u32, u32)) -> PosterLayout {
    let inner = POSTER_WIDTH - 2 * MARGIN;
    let (pw, ph) = fit(painting, inner, MAX_PAINTING_HEIGHT);
    let painting = Rect { x: (POSTER_WIDTH - pw) / 2, y: MARGIN, width: pw, height: ph };
    let row = painting.bottom() + GAP;
    let (bw, bh) = fit(photo, BEFORE_BOX, BEFORE_BOX);
    let before = Rect { x: MARGIN, y: row, width: bw, height: bh };
    let before_label = TextLine { x: MARGIN, baseline: row + bh + 34, size: 24, max_width: BEFORE_BOX };
    let text_x = MARGIN + BEFORE_BOX + GAP;
    let text_width = POSTER_WIDTH - MARGIN - text_x;
    let title = TextLine { x: text_x, baseline: row + 56, size: 56, max_width: text_width };
    let credit = TextLine { x: text_x, baseline: title.baseline + 56, size: 30, max_width: text_width };
    let work = TextLine { x: text_x, baseline: credit.baseline + 42, size: 30, max_width: text_width };
    let mix = TextLine { x: text_x, baseline: work.baseline + 42, size: 30, max_width: text_width };
    let block_bottom = before_label.bounds().bottom().max(mix.bounds().bottom());
    let footer = TextLine { x: MARGIN, baseline: block_bottom + GAP + 26, size: 26, max_width: inner };
    let height = footer.bounds().bottom() + MARGIN;
    PosterLayout { width: POSTER_WIDTH, height, painting, before, before_label, title, credit, work, mix, footer }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(painting: (u32, u32), photo: (u32, u32)) {
        let poster = layout(painting, photo);
        let page = Rect { x: 0, y: 0, width: poster.width, height: poster.height };
        let texts = [poster.before_label, poster.title, poster.credit, poster.work, poster.mix, poster.footer];
        let mut parts = vec![poster.painting, poster.before];
        parts.extend(texts.iter().map(TextLine::bounds));
        for (i, part) in parts.iter().enumerate() {
            assert!(part.width > 0 && part.height > 0, "{painting:?}: part {i} is empty: {part:?}");
            assert!(part.x >= MARGIN && part.right() <= poster.width - MARGIN, "{painting:?}: part {i} in the side margins");
            assert!(part.y >= MARGIN && part.bottom() <= page.bottom() - MARGIN, "{painting:?}: part {i} inside the page");
            for (j, other) in parts.iter().enumerate().skip(i + 1) {
                assert!(!part.overlaps(other), "{painting:?}: parts {i} and {j} overlap: {part:?} {other:?}");
            }
        }
        // Aspect ratios kept to within a pixel's rounding.
        for (rect, (w, h)) in [(poster.painting, painting), (poster.before, photo)] {
            let (want, got) = (w as f64 / h as f64, rect.width as f64 / rect.height as f64);
            let tolerance = want * (1.0 / rect.width.min(rect.height) as f64) + 1e-9;
            if rect.width > 1 && rect.height > 1 {
                assert!((want - got).abs() <= tolerance * 2.0, "{painting:?}: aspect {want} became {got}");
            }
        }
        assert!(poster.height <= 2 * POSTER_WIDTH, "{painting:?}: a poster {} px tall", poster.height);
    }

    #[test]
    fn every_part_fits_apart_for_any_picture_shape() {
        for size in [(1024, 768), (768, 1024), (4096, 4096), (3000, 100), (100, 3000), (1, 1), (5000, 1), (1, 5000)] {
            check(size, size);
        }
        // A painting wider than its photo (the photo was rotated, say) still lays out.
        check((1024, 512), (512, 1024));
    }

    #[test]
    fn a_landscape_painting_spans_the_width_and_a_tall_one_is_capped() {
        let wide = layout((2048, 1536), (2048, 1536));
        assert_eq!(wide.painting.width, POSTER_WIDTH - 2 * MARGIN);
        assert_eq!(wide.painting.height, 726);
        let tall = layout((1000, 4000), (1000, 4000));
        assert_eq!(tall.painting.height, MAX_PAINTING_HEIGHT);
        assert_eq!(tall.painting.x + tall.painting.width / 2, POSTER_WIDTH / 2, "centred");
    }
}
