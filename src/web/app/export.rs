//! What leaves the page as a file: downloads (PNG, JPEG), sharing, the share poster, and the
//! names they get. Drawing itself is in `web::canvas`.

use web_sys::HtmlCanvasElement;

use super::downloads::ExportAsk;
use super::*;
use crate::web::canvas::{canvas_png, download_canvas, share_png};
use crate::pipeline::adjust;
use crate::web::canvas::{draw_poster, PosterWords};

impl App {
    /// The picture as shown (sliders applied), as a PNG file's bytes (for sharing).
    pub(super) fn shown_png(&self) -> Result<Vec<u8>, String> {
        let Some(p) = &self.painted else { return Err("nothing to share yet".into()) };
        let shown = adjust(&p.photo, &p.stylized, self.adjustments);
        let mut png = Vec::new();
        image::DynamicImage::ImageRgba8(shown)
            .write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
            .map_err(|e| e.to_string())?;
        Ok(png)
    }

    /// The share poster: the painting as shown (sliders applied), the original, the style's
    /// name and credit in the page's language, and where it was made.
    pub(super) fn poster_canvas(&self) -> Result<HtmlCanvasElement, String> {
        let painted = self.painted.as_ref().ok_or("nothing to share yet")?;
        let painting: HtmlCanvasElement = self.result_canvas.cast().ok_or("the canvas is missing")?;
        let photo: HtmlCanvasElement = self.photo_canvas.cast().ok_or("the canvas is missing")?;
        let w = words(self.lang);
        let choice = &painted.settings.style;
        let style = self.styles.iter().find(|s| s.id == choice.style);
        let (title, credit, work) = match style {
            Some(s) => (
                self.lang.pick(&s.name).to_string(),
                w.poster_credit.replace("{artist}", self.lang.pick(&s.artist)),
                if s.year.is_empty() {
                    self.lang.pick(&s.title).to_string()
                } else {
                    w.poster_work.replace("{title}", self.lang.pick(&s.title)).replace("{year}", &s.year)
                },
            ),
            None => (choice.style.clone(), String::new(), String::new()),
        };
        let mix = choice
            .mix
            .as_ref()
            .and_then(|(id, amount)| {
                let other = self.styles.iter().find(|s| &s.id == id)?;
                Some(w.poster_mix.replace("{percent}", &format!("{:.0}", amount * 100.0)).replace("{name}", self.lang.pick(&other.name)))
            })
            .unwrap_or_default();
        let words = PosterWords { title, credit, work, mix, before: w.poster_before.into(), footer: w.poster_footer.into() };
        draw_poster(&painting, &photo, &words)
    }

    /// `<photo>-<style>.<ext>`: the file says what it is.
    pub(super) fn download_name(&self, ext: &str) -> String {
        let stem = self
            .session
            .photo
            .as_ref()
            .map(|p| p.name.rsplit_once('.').map_or(p.name.as_str(), |(s, _)| s).to_string())
            .unwrap_or_else(|| "photo".into());
        format!("{stem}-{}.{ext}", self.session.style.clone().unwrap_or_default())
    }

    /// `<photo>-<style>-poster.png`.
    pub(super) fn poster_name(&self) -> String {
        self.download_name("png").trim_end_matches(".png").to_string() + "-poster.png"
    }

    /// The picture as shown: PNG, or JPEG at `jpeg_quality`.
    pub(super) fn download(&self, jpeg_quality: Option<f32>) -> Result<(), String> {
        let canvas: HtmlCanvasElement = self.result_canvas.cast().ok_or("nothing to download yet")?;
        match jpeg_quality {
            Some(quality) => download_canvas(&canvas, "image/jpeg", quality, &self.download_name("jpg")),
            None => download_canvas(&canvas, "image/png", 1.0, &self.download_name("png")),
        }
    }

    /// What the visitor asked to take away (`downloads`); a failure is said in the error line.
    pub(super) fn export(&mut self, ctx: &Context<Self>, ask: ExportAsk) {
        let result = match ask {
            ExportAsk::Png => self.download(None),
            ExportAsk::Jpeg { quality } => self.download(Some(quality)),
            ExportAsk::Poster { share: false } => {
                self.poster_canvas().and_then(|c| download_canvas(&c, "image/png", 1.0, &self.poster_name()))
            }
            ExportAsk::Poster { share: true } | ExportAsk::Share => {
                self.share_note = None;
                let file = if ask == ExportAsk::Share {
                    self.shown_png().map(|png| (png, self.download_name("png")))
                } else {
                    self.poster_canvas().and_then(|c| canvas_png(&c)).map(|png| (png, self.poster_name()))
                };
                match file.and_then(|(png, name)| share_png(png, &name)) {
                    Ok(Some(future)) => {
                        ctx.link().send_future(async move { Msg::Shared(future.await) });
                        Ok(())
                    }
                    Ok(None) => {
                        self.share_note = Some(words(self.lang).share_unsupported.into());
                        Ok(())
                    }
                    Err(e) => Err(e),
                }
            }
        };
        if let Err(detail) = result {
            self.error = Some(Problem::Export(detail));
        }
    }

}
