//! The sample photos a visitor can try without a photo of their own (`static/samples/`, copied into
//! the build and cached by the service worker, so they work offline too). They come from Debian's
//! `lomiri-wallpapers-16.04` package, whose copyright file gives each its licence; every one here is
//! CC BY 4.0, so the page names the photographer, the licence and the change (resized) wherever a
//! sample is on show. `static/samples/CREDITS.md` says the same for people who host the build.

use super::i18n::Lang;

pub struct Sample {
    /// Stable id: `data-testid="sample-{id}"`, and the file names `{id}.jpg` / `{id}-thumb.jpg`.
    pub id: &'static str,
    pub title_en: &'static str,
    pub title_zh: &'static str,
    pub author: &'static str,
    /// The licence's short name and its deed (the attribution the licence asks for).
    pub licence: &'static str,
    pub licence_url: &'static str,
}

pub const LICENCE_CC_BY_4: &str = "CC BY 4.0";
pub const LICENCE_CC_BY_4_URL: &str = "https://creativecommons.org/licenses/by/4.0/";

pub const SAMPLES: &[Sample] = &[
    Sample {
        id: "picos-de-europa",
        title_en: "Picos de Europa",
        title_zh: "欧罗巴山",
        author: "Aitzol Berasategi",
        licence: LICENCE_CC_BY_4,
        licence_url: LICENCE_CC_BY_4_URL,
    },
    Sample {
        id: "friends",
        title_en: "Friends",
        title_zh: "朋友",
        author: "Aitzol Berasategi",
        licence: LICENCE_CC_BY_4,
        licence_url: LICENCE_CC_BY_4_URL,
    },
    Sample {
        id: "fig",
        title_en: "Fig",
        title_zh: "无花果",
        author: "Trevor “Freespace”",
        licence: LICENCE_CC_BY_4,
        licence_url: LICENCE_CC_BY_4_URL,
    },
];

impl Sample {
    /// The photo, relative to the page.
    pub fn url(&self) -> String {
        format!("samples/{}.jpg", self.id)
    }

    pub fn thumbnail_url(&self) -> String {
        format!("samples/{}-thumb.jpg", self.id)
    }

    /// The name the page shows for the photo (the picker, history labels, the poster's file name).
    pub fn file_name(&self) -> String {
        format!("{}.jpg", self.id)
    }

    pub fn title(&self, lang: Lang) -> &'static str {
        match lang {
            Lang::En => self.title_en,
            Lang::Zh => self.title_zh,
        }
    }

    /// The attribution shown with the photo and with paintings of it; the page follows it with the
    /// licence's name, linked to the licence.
    pub fn credit(&self, lang: Lang) -> String {
        match lang {
            Lang::En => format!("Sample photo “{}” by {}, resized", self.title_en, self.author),
            Lang::Zh => format!("示例照片《{}》，作者 {}，已缩放", self.title_zh, self.author),
        }
    }

    /// The sample whose photo this is, by the name the page gave it.
    pub fn by_file_name(name: &str) -> Option<&'static Sample> {
        SAMPLES.iter().find(|s| s.file_name() == name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    #[test]
    fn every_sample_ships_a_photo_and_a_thumbnail_the_app_can_read() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("static");
        for sample in SAMPLES {
            let photo = std::fs::read(dir.join(sample.url())).unwrap_or_else(|e| panic!("{}: {e}", sample.url()));
            // Through the same decoding a visitor's file takes.
            let decoded = crate::imaging::decode(&photo).unwrap_or_else(|e| panic!("{}: {e}", sample.id));
            let long_side = decoded.width().max(decoded.height());
            // Large enough to show the brush at the default output size, small enough to load at once.
            assert!((1024..=2048).contains(&long_side), "{}: {long_side} px", sample.id);
            assert!(photo.len() < 512 * 1024, "{}: {} bytes", sample.id, photo.len());
            let thumb = std::fs::read(dir.join(sample.thumbnail_url())).expect("thumbnail");
            let thumb = crate::imaging::decode(&thumb).expect("thumbnail decodes");
            assert_eq!((thumb.width(), thumb.height()), (128, 128), "{}", sample.id);
        }
    }

    #[test]
    fn every_sample_is_credited_in_both_languages_and_in_the_credits_file() {
        let credits = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("static/samples/CREDITS.md"))
            .expect("static/samples/CREDITS.md");
        for sample in SAMPLES {
            let (en, zh) = (sample.credit(Lang::En), sample.credit(Lang::Zh));
            for line in [&en, &zh] {
                assert!(line.contains(sample.author), "{line}");
            }
            assert!(sample.licence_url.starts_with("https://creativecommons.org/"), "{}", sample.id);
            assert!(zh.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)), "{zh}");
            assert!(credits.contains(&sample.file_name()) && credits.contains(sample.author), "{} not in CREDITS.md", sample.id);
            assert_eq!(Sample::by_file_name(&sample.file_name()).map(|s| s.id), Some(sample.id));
        }
        assert!(Sample::by_file_name("holiday.jpg").is_none());
    }

    /// index.html draws the samples' row before the wasm arrives; it must be the same row.
    #[test]
    fn the_page_drawn_before_the_wasm_has_the_same_samples_and_words() {
        let html = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("index.html")).expect("index.html");
        let row = &html[html.find("class=\"samples\"").expect("samples row in index.html")..];
        let row = &row[..row.find("</div>").expect("end of the row")];
        let thumbnails: Vec<&str> = row.match_indices("samples/").map(|(i, _)| &row[i..i + row[i..].find('"').unwrap_or(0)]).collect();
        assert_eq!(thumbnails, SAMPLES.iter().map(|s| s.thumbnail_url()).collect::<Vec<_>>());
        let (en, zh) = (super::super::i18n::words(Lang::En), super::super::i18n::words(Lang::Zh));
        assert!(row.contains(&format!("data-zh=\"{}\">{}<", zh.try_sample, en.try_sample)), "{row}");
    }
}
