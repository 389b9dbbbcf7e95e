//! The visitor's history, kept in this browser's IndexedDB and nowhere else.
//!
//! Two stores: `entries` (settings and a small thumbnail, read for the list) and `pixels` (the
//! photo and the painting, read only when an entry is reopened), both keyed by the entry id.

use js_sys::{Array, Object, Promise, Reflect, Uint8Array};
use wasm_bindgen::{closure::Closure, JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{IdbDatabase, IdbObjectStoreParameters, IdbRequest, IdbTransactionMode};


const DB_NAME: &str = "atelier";
const DB_VERSION: u32 = 1;
const ENTRIES: &str = "entries";
const PIXELS: &str = "pixels";

pub use super::history_meta::{HistoryItem, HistoryMeta};

/// The prefix of an error that means the device's storage for this site is full.
pub const QUOTA_EXCEEDED: &str = "QuotaExceededError";

/// A DOMException as "Name: message" (the name is what tells a full disk from other failures).
fn js_error(e: JsValue) -> String {
    let name = Reflect::get(&e, &"name".into()).ok().and_then(|n| n.as_string());
    let message = e
        .as_string()
        .or_else(|| Reflect::get(&e, &"message".into()).ok().and_then(|m| m.as_string()))
        .unwrap_or_else(|| format!("{e:?}"));
    match name {
        Some(name) if !message.starts_with(&name) => format!("{name}: {message}"),
        _ => message,
    }
}

/// Wait for an IDBRequest: IndexedDB predates promises.
async fn settle(request: &IdbRequest) -> Result<JsValue, String> {
    let promise = Promise::new(&mut |resolve, reject| {
        let ok = Closure::once_into_js(move |_: JsValue| {
            let _ = resolve.call0(&JsValue::NULL);
        });
        let err = Closure::once_into_js(move |e: JsValue| {
            let _ = reject.call1(&JsValue::NULL, &e);
        });
        request.set_onsuccess(Some(ok.unchecked_ref()));
        request.set_onerror(Some(err.unchecked_ref()));
    });
    JsFuture::from(promise).await.map_err(js_error)?;
    request.result().map_err(js_error)
}

pub async fn open() -> Result<IdbDatabase, String> {
    let factory = web_sys::window()
        .and_then(|w| w.indexed_db().ok().flatten())
        .ok_or("this browser keeps no local database (private mode?)")?;
    let request = factory.open_with_u32(DB_NAME, DB_VERSION).map_err(js_error)?;
    let upgrade = Closure::<dyn FnMut(JsValue)>::new(move |event: JsValue| {
        let db: Option<IdbDatabase> = Reflect::get(&event, &"target".into())
            .and_then(|t| Reflect::get(&t, &"result".into()))
            .ok()
            .and_then(|r| r.dyn_into().ok());
        if let Some(db) = db {
            let names = db.object_store_names();
            if !names.contains(ENTRIES) {
                let mut params = IdbObjectStoreParameters::new();
                params.auto_increment(true);
                let _ = db.create_object_store_with_optional_parameters(ENTRIES, &params);
            }
            if !names.contains(PIXELS) {
                let _ = db.create_object_store(PIXELS);
            }
        }
    });
    request.set_onupgradeneeded(Some(upgrade.as_ref().unchecked_ref()));
    let db = settle(&request).await?;
    drop(upgrade);
    db.dyn_into().map_err(|_| "the database did not open".to_string())
}

fn store(db: &IdbDatabase, name: &str, mode: IdbTransactionMode) -> Result<web_sys::IdbObjectStore, String> {
    db.transaction_with_str_and_mode(name, mode).and_then(|t| t.object_store(name)).map_err(js_error)
}

pub async fn add(db: &IdbDatabase, meta: &HistoryMeta, photo: &[u8], painting: &[u8]) -> Result<u32, String> {
    let json = serde_json::to_string(meta).map_err(|e| e.to_string())?;
    let request = store(db, ENTRIES, IdbTransactionMode::Readwrite)?.add(&JsValue::from_str(&json)).map_err(js_error)?;
    let key = settle(&request).await?;
    let value = Object::new();
    Reflect::set(&value, &"photo".into(), &Uint8Array::from(photo)).map_err(js_error)?;
    Reflect::set(&value, &"painting".into(), &Uint8Array::from(painting)).map_err(js_error)?;
    let stored = match store(db, PIXELS, IdbTransactionMode::Readwrite)?.put_with_key(&value, &key) {
        Ok(request) => settle(&request).await,
        Err(e) => Err(js_error(e)),
    };
    if let Err(e) = stored {
        // No entry without its pixels (it could never be reopened): take the entry back.
        if let Ok(request) = store(db, ENTRIES, IdbTransactionMode::Readwrite).and_then(|s| s.delete(&key).map_err(js_error)) {
            let _ = settle(&request).await;
        }
        return Err(e);
    }
    key.as_f64().map(|k| k as u32).ok_or_else(|| "the database gave no key".into())
}

/// Every entry, newest first.
pub async fn list(db: &IdbDatabase) -> Result<Vec<HistoryItem>, String> {
    let entries = store(db, ENTRIES, IdbTransactionMode::Readonly)?;
    let values: Array = settle(&entries.get_all().map_err(js_error)?).await?.unchecked_into();
    let keys: Array = settle(&entries.get_all_keys().map_err(js_error)?).await?.unchecked_into();
    let mut items: Vec<HistoryItem> = keys
        .iter()
        .zip(values.iter())
        .filter_map(|(k, v)| {
            let meta = serde_json::from_str(&v.as_string()?).ok()?;
            Some(HistoryItem { id: k.as_f64()? as u32, meta })
        })
        .collect();
    items.reverse();
    Ok(items)
}

/// The photo and painting RGBA of an entry.
pub async fn pixels(db: &IdbDatabase, id: u32) -> Result<(Vec<u8>, Vec<u8>), String> {
    let request = store(db, PIXELS, IdbTransactionMode::Readonly)?.get(&JsValue::from(id)).map_err(js_error)?;
    let value = settle(&request).await?;
    let bytes = |field: &str| -> Result<Vec<u8>, String> {
        Reflect::get(&value, &field.into())
            .ok()
            .and_then(|v| v.dyn_into::<Uint8Array>().ok())
            .map(|a| a.to_vec())
            .ok_or_else(|| "this entry's pictures are missing".to_string())
    };
    Ok((bytes("photo")?, bytes("painting")?))
}

pub async fn delete(db: &IdbDatabase, id: u32) -> Result<(), String> {
    for name in [ENTRIES, PIXELS] {
        settle(&store(db, name, IdbTransactionMode::Readwrite)?.delete(&JsValue::from(id)).map_err(js_error)?).await?;
    }
    Ok(())
}

pub async fn clear(db: &IdbDatabase) -> Result<(), String> {
    for name in [ENTRIES, PIXELS] {
        settle(&store(db, name, IdbTransactionMode::Readwrite)?.clear().map_err(js_error)?).await?;
    }
    Ok(())
}
