//! The page's side of the history: the device's database (`web::history`), the list the panel
//! shows, saving each new painting and showing an old one again.

use std::rc::Rc;

use image::RgbaImage;
use yew::prelude::*;

use super::{App, Msg, Painted};
use crate::pipeline::adjust;
use crate::protocol::HistoryCopies;
use crate::web::canvas::thumbnail_url;
use crate::web::history::{self, HistoryItem, HistoryMeta};
use crate::web::i18n::{words, Problem};
use crate::web::samples::Sample;
use crate::web::session::PhotoSource;

pub enum HistoryMsg {
    Opened(Result<(Rc<web_sys::IdbDatabase>, Vec<HistoryItem>), String>),
    Listed(Result<Vec<HistoryItem>, String>),
    /// The list after a failed change (the note about the failure stays).
    Relisted(Vec<HistoryItem>),
    Reopen(u32),
    Reopened { id: u32, result: Result<(Vec<u8>, Vec<u8>), String> },
    Delete(u32),
    /// "Clear all", confirmed.
    Clear,
}

/// Open the database and list it (the page's first moments).
pub(super) fn open(ctx: &Context<App>) {
    ctx.link().send_future(async {
        let opened = match history::open().await {
            Ok(db) => history::list(&db).await.map(|items| (Rc::new(db), items)),
            Err(e) => Err(e),
        };
        Msg::History(HistoryMsg::Opened(opened))
    });
}

impl App {
    pub(super) fn on_history(&mut self, ctx: &Context<App>, msg: HistoryMsg) -> bool {
        match msg {
            HistoryMsg::Opened(Ok((db, items))) => {
                self.db = Some(db);
                self.history = Rc::new(items);
                // The visitor's last painting comes back after a reload (unless work began already).
                if let (None, true, Some(newest)) = (&self.painted, self.session.is_empty(), self.history.first()) {
                    ctx.link().send_message(Msg::History(HistoryMsg::Reopen(newest.id)));
                }
            }
            HistoryMsg::Opened(Err(e)) | HistoryMsg::Listed(Err(e)) => {
                // History is a convenience: without a database the studio still works, and the
                // painting on screen stays (it can be downloaded).
                log::warn!("history unavailable: {e}");
                let w = words(self.lang);
                self.history_note =
                    Some(if e.starts_with(history::QUOTA_EXCEEDED) { w.history_full.to_string() } else { format!("{} ({e})", w.history_failed) });
                // What is stored is still listed.
                if let Some(db) = self.db.clone() {
                    ctx.link().send_future(async move {
                        Msg::History(HistoryMsg::Relisted(history::list(&db).await.unwrap_or_default()))
                    });
                }
            }
            HistoryMsg::Relisted(items) => self.history = Rc::new(items),
            HistoryMsg::Listed(Ok(items)) => {
                self.history = Rc::new(items);
                self.history_note = None;
            }
            HistoryMsg::Reopen(id) => {
                let Some(db) = self.db.clone() else { return false };
                ctx.link().send_future(async move {
                    Msg::History(HistoryMsg::Reopened { id, result: history::pixels(&db, id).await })
                });
                return false;
            }
            HistoryMsg::Reopened { id, result } => return self.reopened(id, result),
            HistoryMsg::Delete(id) => {
                self.change_history(ctx, move |db| async move { history::delete(&db, id).await });
                return false;
            }
            HistoryMsg::Clear => {
                self.change_history(ctx, |db| async move { history::clear(&db).await });
                return false;
            }
        }
        true
    }

    /// An entry's pixels are here: it becomes the picture on show, with its settings.
    fn reopened(&mut self, id: u32, result: Result<(Vec<u8>, Vec<u8>), String>) -> bool {
        let Some(item) = self.history.iter().find(|h| h.id == id).cloned() else { return false };
        let (w, h) = (item.meta.width, item.meta.height);
        match result.map(|(p, s)| (RgbaImage::from_raw(w, h, p), RgbaImage::from_raw(w, h, s))) {
            Ok((Some(photo), Some(stylized))) => {
                let sample = Sample::by_file_name(&item.meta.photo_name);
                let source = PhotoSource::Pixels(photo.clone());
                let (requests, settings) =
                    self.session.reopen(item.meta.photo_name.clone(), sample, source, &item.meta.style, item.meta.brush);
                requests.into_iter().for_each(|r| self.worker.send(r));
                self.set_chosen(None);
                self.cancelled = false;
                self.adjustments = item.meta.adjustments;
                let photo = Rc::new(photo);
                self.painted = Some(Rc::new(Painted { origin: format!("history-{id}"), photo, stylized, timing: None, cached: false, settings, photo_id: None, preview: false }));
            }
            Ok(_) => self.error = Some(Problem::HistoryDamaged),
            Err(e) => self.error = Some(Problem::History(e)),
        }
        true
    }

    /// Keep the new painting in the device's history, from the copies the worker scaled for it
    /// (pictures above 2048 px are kept at 2048).
    pub(super) fn save_to_history(&self, ctx: &Context<App>, copies: HistoryCopies) {
        let (Some(_), Some(p)) = (&self.db, &self.painted) else { return };
        let (w, h, photo, stylized) = match copies.scaled {
            Some(scaled) => (scaled.width, scaled.height, scaled.photo, scaled.stylized),
            None => (p.photo.width(), p.photo.height(), p.photo.as_raw().clone(), p.stylized.as_raw().clone()),
        };
        let thumb = copies.thumbnail;
        let thumbnail = match (
            RgbaImage::from_raw(thumb.width, thumb.height, thumb.photo),
            RgbaImage::from_raw(thumb.width, thumb.height, thumb.stylized),
        ) {
            (Some(photo), Some(stylized)) => thumbnail_url(&adjust(&photo, &stylized, self.adjustments)).unwrap_or_default(),
            _ => String::new(),
        };
        let meta = HistoryMeta {
            created_ms: js_sys::Date::now(),
            photo_name: self.session.photo.as_ref().map(|p| p.name.clone()).unwrap_or_default(),
            style: p.settings.style.clone(),
            adjustments: self.adjustments,
            brush: p.settings.brush,
            width: w,
            height: h,
            thumbnail,
            painted_side: Some(p.stylized.width().max(p.stylized.height())),
        };
        // One entry per photo and settings: the new one replaces the same painting made before.
        let replaced = crate::web::history_meta::replaced_by(&self.history, &meta);
        self.change_history(ctx, move |db| async move {
            history::add(&db, &meta, &photo, &stylized).await?;
            for id in replaced {
                history::delete(&db, id).await?;
            }
            Ok(())
        });
    }

    /// Apply a change to the history database, then show the list as it now stands.
    fn change_history<F, Fut>(&self, ctx: &Context<App>, change: F)
    where
        F: FnOnce(Rc<web_sys::IdbDatabase>) -> Fut + 'static,
        Fut: std::future::Future<Output = Result<(), String>> + 'static,
    {
        let Some(db) = self.db.clone() else { return };
        ctx.link().send_future(async move {
            let result = match change(db.clone()).await {
                Ok(()) => history::list(&db).await,
                Err(e) => Err(e),
            };
            Msg::History(HistoryMsg::Listed(result))
        });
    }
}
