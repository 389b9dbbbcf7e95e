//! What leaves the page as a file: downloads (PNG, JPEG), sharing, the share poster, and the
//! names they get. Drawing itself is in `web::canvas`.

use super::*;

impl App {
    /// Share the picture as a PNG file through the Web Share API. Ok(None) where the browser
    /// cannot share files, so the page can say so.
    pub(super) fn share_file(&self) -> Result<Option<impl std::future::Future<Output = Result<(), String>>>, String> {
        let Some(p) = &self.painted else { return Err("nothing to share yet".into()) };
        let shown = adjust(&p.photo, &p.stylized, self.adjustments);
        let mut png = Vec::new();
        image::DynamicImage::ImageRgba8(shown)
            .write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
            .map_err(|e| e.to_string())?;
        share_png(png, &self.download_name("png"))
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
                w.poster_work.replace("{title}", self.lang.pick(&s.title)).replace("{year}", &s.year),
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

    pub(super) fn download(&self, jpeg: bool) -> Result<(), String> {
        let canvas: HtmlCanvasElement = self.result_canvas.cast().ok_or("nothing to download yet")?;
        let (mime, ext) = if jpeg { ("image/jpeg", "jpg") } else { ("image/png", "png") };
        download_canvas(&canvas, mime, self.jpeg_quality, &self.download_name(ext))
    }
}
