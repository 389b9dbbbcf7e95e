//! Fetching a model package in a browser (the worker and the JS module): the manifest, then each
//! file checked against it; a damaged copy (from a cache) is fetched once more from the network.

use js_sys::Uint8Array;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;

use crate::model::package::FileEntry;
use crate::model::{Manifest, ModelPackage};
use crate::studio::StudioError;

/// `reload`: past every cache (the HTTP cache and the service worker's, which then repairs its copy).
pub(crate) async fn fetch_bytes(url: &str, reload: bool) -> Result<Vec<u8>, StudioError> {
    let failed = |what: &str, e: wasm_bindgen::JsValue| StudioError::Package(format!("could not {what} {url}: {e:?}"));
    let global: web_sys::WorkerGlobalScope = js_sys::global().unchecked_into();
    let mut init = web_sys::RequestInit::new();
    if reload {
        init.cache(web_sys::RequestCache::Reload);
    }
    let response: web_sys::Response = JsFuture::from(global.fetch_with_str_and_init(url, &init))
        .await
        .and_then(|r| r.dyn_into())
        .map_err(|e| failed("download", e))?;
    if !response.ok() {
        return Err(StudioError::Package(format!("could not download {url}: HTTP {}", response.status())));
    }
    let buffer = response.array_buffer().map_err(|e| failed("read", e))?;
    let buffer = JsFuture::from(buffer).await.map_err(|e| failed("read", e))?;
    Ok(Uint8Array::new(&buffer).to_vec())
}

pub(crate) async fn fetch_verified(url: &str, entry: &FileEntry) -> Result<Vec<u8>, StudioError> {
    let bytes = fetch_bytes(url, false).await?;
    if entry.verify(&bytes).is_ok() {
        return Ok(bytes);
    }
    log::warn!("{url} failed its check; fetching it again from the network");
    let bytes = fetch_bytes(url, true).await?;
    entry.verify(&bytes)?;
    Ok(bytes)
}

/// The package under `models_url` (absolute or relative to the page, ending in '/');
/// `progress(done, total)` in bytes as its files arrive.
pub async fn load_package(models_url: &str, progress: &dyn Fn(u64, u64)) -> Result<ModelPackage, StudioError> {
    let manifest = Manifest::parse(&fetch_bytes(&format!("{models_url}manifest.json"), false).await?)?;
    let network = &manifest.network;
    let refiner_entry = network.refiner.as_ref().map(|r| r.file.clone());
    let total = network.generator.bytes + network.style_params.bytes + refiner_entry.as_ref().map_or(0, |r| r.bytes);
    progress(0, total);
    let generator = fetch_verified(&format!("{models_url}{}", network.generator.file), &network.generator).await?;
    progress(generator.len() as u64, total);
    let params = fetch_verified(&format!("{models_url}{}", network.style_params.file), &network.style_params).await?;
    progress((generator.len() + params.len()) as u64, total);
    // The detail stage (a few tens of KB) comes with the package: every large output uses it.
    let refiner = match &refiner_entry {
        Some(entry) => Some(fetch_verified(&format!("{models_url}{}", entry.file), entry).await?),
        None => None,
    };
    progress(total, total);
    let mut package = ModelPackage::from_parts(manifest, &generator, &params)?;
    if let Some(bytes) = refiner {
        package.attach_refiner(&bytes)?;
    }
    Ok(package)
}

/// The package's loss network (for learning paintings), fetched from beside the package and
/// checked against the manifest; kept by the service worker once fetched.
pub async fn load_loss_network(models_url: &str, package: &ModelPackage, deepest: &str) -> Result<crate::learn::LossNetwork, String> {
    let entry = package.manifest.network.loss_network.as_ref().ok_or("the package has none")?;
    let bytes = fetch_verified(&format!("{models_url}{}", entry.file), entry).await.map_err(|e| e.to_string())?;
    crate::learn::LossNetwork::from_safetensors(&bytes, deepest).map_err(|e| e.to_string())
}

/// The package's style signatures (the first guess of a learned painting without painting
/// candidates), fetched and checked like the loss network; None where the package names none or
/// they cannot be used (said in the console): learning then paints every candidate instead.
pub async fn load_style_signatures(models_url: &str, package: &ModelPackage) -> Option<crate::learn::StyleSignatures> {
    let network = &package.manifest.network;
    let (entry, loss_network) = (network.style_signatures.as_ref()?, network.loss_network.as_ref()?);
    let read = fetch_verified(&format!("{models_url}{}", entry.file), entry).await.map_err(|e| e.to_string()).and_then(|bytes| {
        crate::learn::StyleSignatures::parse(&bytes, package, &loss_network.sha256).map_err(|e| e.to_string())
    });
    read.map_err(|e| log::warn!("the style signatures are not used ({e}); the first guess paints every style")).ok()
}
