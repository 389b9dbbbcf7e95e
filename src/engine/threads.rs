//! Fork-join for the CPU engine's kernels: `map_parallel` runs independent pieces of one
//! operation (bands of output rows) on several threads and returns their results in order.
//!
//! - Natively: a pool of `threads() - 1` std threads, started once, fed through a queue.
//! - In the threaded wasm build (`target_feature = "atomics"`, shared memory; built only for
//!   pages that are cross-origin isolated, see scripts/build-threads.sh): a pool of Web Workers
//!   that instantiate the same module on the same memory (`start_pool`), fed through the same
//!   queue. The calling thread (in the browser the inference worker, which may block: it is not
//!   the page's thread) takes pieces from the queue too, so a pool that has not started yet only
//!   makes it slower, never stuck.
//! - In the single-threaded wasm build: one thread, the pieces in turn.

/// How many threads the CPU engine's operations use: natively `ATELIER_THREADS` where set (1
/// turns the threads off, for comparisons), else every core the system offers; in the threaded
/// wasm build the pool's workers plus the calling thread; otherwise 1.
pub fn threads() -> usize {
    #[cfg(not(target_arch = "wasm32"))]
    {
        static THREADS: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
        *THREADS.get_or_init(|| {
            std::env::var("ATELIER_THREADS")
                .ok()
                .and_then(|v| v.parse::<usize>().ok())
                .filter(|&n| n > 0)
                .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
        })
    }
    #[cfg(all(target_arch = "wasm32", target_feature = "atomics"))]
    return web_pool::threads();
    #[cfg(all(target_arch = "wasm32", not(target_feature = "atomics")))]
    return 1;
}

/// `work(0), .., work(count - 1)`, on up to `threads()` threads; the results in order. A panic in
/// a piece is raised again here (natively; in wasm a panic aborts the worker, which the page
/// replaces).
pub fn map_parallel<T: Send>(count: usize, work: impl Fn(usize) -> T + Sync) -> Vec<T> {
    if count < 2 || threads() < 2 {
        return (0..count).map(work).collect();
    }
    #[cfg(not(target_arch = "wasm32"))]
    native_pool_started();
    #[cfg(any(not(target_arch = "wasm32"), target_feature = "atomics"))]
    return queue::map_parallel(count, &work);
    #[cfg(all(target_arch = "wasm32", not(target_feature = "atomics")))]
    unreachable!("threads() is 1 in the single-threaded wasm build");
}

#[cfg(all(target_arch = "wasm32", target_feature = "atomics"))]
pub use web_pool::start_pool;

/// The threaded build's wasm-bindgen script, beside the worker loader, and the global it defines
/// (scripts/build-threads.sh: `--no-modules-global`; the single-threaded build's is `wasm_bindgen`,
/// and both are loaded by name in static/worker-loader.js).
pub const THREADED_GLUE: &str = "./worker_mt.js";
#[cfg(all(target_arch = "wasm32", target_feature = "atomics"))]
const THREADED_GLOBAL: &str = "wasm_bindgen_mt";

/// The queue both pools take pieces from: std only (`Mutex`, `Condvar`: futexes natively,
/// `memory.atomic.wait` in wasm), so native threads and Web Workers share it.
#[cfg(any(not(target_arch = "wasm32"), target_feature = "atomics"))]
mod queue {
    use std::collections::VecDeque;
    use std::sync::{Condvar, Mutex};

    /// A piece of work with its borrows erased: `map_parallel` does not return before every piece
    /// it queued has run, so the borrows outlive their use (the scoped-thread argument).
    type Task = Box<dyn FnOnce() + Send + 'static>;

    struct Queue {
        tasks: Mutex<VecDeque<Task>>,
        ready: Condvar,
    }

    static QUEUE: Queue = Queue { tasks: Mutex::new(VecDeque::new()), ready: Condvar::new() };

    fn pop() -> Option<Task> {
        QUEUE.tasks.lock().unwrap_or_else(|e| e.into_inner()).pop_front()
    }

    /// Counts the pieces still running; the caller waits on it.
    struct Latch {
        left: Mutex<usize>,
        done: Condvar,
    }

    /// What a piece gave: its value, or the panic it raised (raised again by the caller).
    type Outcome<T> = std::thread::Result<T>;

    pub fn map_parallel<T: Send>(count: usize, work: &(dyn Fn(usize) -> T + Sync)) -> Vec<T> {
        let slots: Vec<Mutex<Option<Outcome<T>>>> = (0..count).map(|_| Mutex::new(None)).collect();
        let latch = Latch { left: Mutex::new(count - 1), done: Condvar::new() };
        let run = |i: usize| std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| work(i)));
        {
            let mut tasks = QUEUE.tasks.lock().unwrap_or_else(|e| e.into_inner());
            for i in 1..count {
                let (slots, latch, run) = (&slots, &latch, &run);
                let task: Box<dyn FnOnce() + Send + '_> = Box::new(move || {
                    let outcome = run(i);
                    *slots[i].lock().unwrap_or_else(|e| e.into_inner()) = Some(outcome);
                    let mut left = latch.left.lock().unwrap_or_else(|e| e.into_inner());
                    *left -= 1;
                    if *left == 0 {
                        latch.done.notify_all();
                    }
                });
                // SAFETY: see `Task`; this function waits below until `left` is 0, i.e. until
                // every queued closure has finished with `slots`, `latch` and `work`.
                tasks.push_back(unsafe { std::mem::transmute::<Box<dyn FnOnce() + Send + '_>, Task>(task) });
            }
        }
        QUEUE.ready.notify_all();
        *slots[0].lock().unwrap_or_else(|e| e.into_inner()) = Some(run(0));
        // Help with what is still queued (ours or another caller's), then wait.
        while let Some(task) = pop() {
            task();
        }
        let mut left = latch.left.lock().unwrap_or_else(|e| e.into_inner());
        while *left > 0 {
            left = latch.done.wait(left).unwrap_or_else(|e| e.into_inner());
        }
        drop(left);
        slots
            .into_iter()
            .map(|slot| match slot.into_inner().unwrap_or_else(|e| e.into_inner()).expect("every piece ran") {
                Ok(value) => value,
                Err(panic) => std::panic::resume_unwind(panic),
            })
            .collect()
    }

    /// A pool thread's life: take pieces until the process (or the page) ends.
    pub fn serve() -> ! {
        loop {
            let task = {
                let mut tasks = QUEUE.tasks.lock().unwrap_or_else(|e| e.into_inner());
                loop {
                    if let Some(task) = tasks.pop_front() {
                        break task;
                    }
                    tasks = QUEUE.ready.wait(tasks).unwrap_or_else(|e| e.into_inner());
                }
            };
            task();
        }
    }
}

/// Natively: `threads() - 1` pool threads, started at the first parallel operation and kept
/// (a thread per piece per operation cost 20-50 us each, a few ms per 256 px pass).
#[cfg(not(target_arch = "wasm32"))]
fn native_pool_started() {
    static STARTED: std::sync::Once = std::sync::Once::new();
    STARTED.call_once(|| {
        for i in 1..threads() {
            let spawned = std::thread::Builder::new().name(format!("atelier-cpu-{i}")).spawn(|| queue::serve());
            // Without the thread the caller does its pieces itself: slower, never stuck.
            drop(spawned);
        }
    });
}

#[cfg(all(target_arch = "wasm32", target_feature = "atomics"))]
mod web_pool {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use wasm_bindgen::prelude::*;
    use wasm_bindgen::JsCast;

    /// Pool workers that have started (and take tasks).
    static RUNNING: AtomicUsize = AtomicUsize::new(0);

    pub fn threads() -> usize {
        RUNNING.load(Ordering::Acquire) + 1
    }

    /// A pool worker's life: take tasks until the page closes the worker. Called by the pool
    /// worker's script (`start_pool`) once it has instantiated the module on the shared memory.
    #[wasm_bindgen]
    pub fn atelier_pool_worker() {
        super::queue::serve()
    }

    /// Starts `workers` pool workers, each loading `glue_url` (this build's wasm-bindgen script,
    /// an absolute URL) and instantiating the running module on its memory; resolves once they all
    /// take tasks, and gives how many threads the engine now uses. Only from a worker of a
    /// cross-origin isolated page (shared memory).
    pub async fn start_pool(glue_url: &str, workers: usize) -> Result<usize, JsValue> {
        let script = format!(
            "importScripts({glue});\n\
             self.onmessage = async (event) => {{\n\
               const [module, memory] = event.data;\n\
               try {{\n\
                 await {global}({{ module_or_path: module, memory }});\n\
               }} catch (error) {{\n\
                 self.postMessage(`failed: ${{error}}`);\n\
                 return;\n\
               }}\n\
               self.postMessage('started');\n\
               {global}.atelier_pool_worker();\n\
             }};",
            glue = js_sys::JSON::stringify(&JsValue::from_str(glue_url))?.as_string().unwrap_or_default(),
            global = super::THREADED_GLOBAL,
        );
        let parts = js_sys::Array::of1(&JsValue::from_str(&script));
        let blob =
            web_sys::Blob::new_with_str_sequence_and_options(&parts, web_sys::BlobPropertyBag::new().type_("application/javascript"))?;
        let url = web_sys::Url::create_object_url_with_blob(&blob)?;
        let mut started = Vec::with_capacity(workers);
        for _ in 0..workers {
            let worker = web_sys::Worker::new(&url)?;
            let promise = js_sys::Promise::new(&mut |resolve, reject| {
                let on_message = wasm_bindgen::closure::Closure::<dyn FnMut(web_sys::MessageEvent)>::new(move |event: web_sys::MessageEvent| {
                    let text = event.data().as_string().unwrap_or_default();
                    if text == "started" || text.starts_with("failed") {
                        let _ = resolve.call1(&JsValue::NULL, &event);
                    }
                });
                worker.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
                on_message.forget();
                worker.set_onerror(Some(&reject));
            });
            worker.post_message(&js_sys::Array::of2(&wasm_bindgen::module(), &wasm_bindgen::memory()))?;
            started.push((worker, promise));
        }
        for (worker, promise) in started {
            let answer = wasm_bindgen_futures::JsFuture::from(promise).await?;
            let answer = answer.dyn_into::<web_sys::MessageEvent>().map(|e| e.data().as_string().unwrap_or_default()).unwrap_or_default();
            if answer != "started" {
                worker.terminate();
                return Err(JsValue::from_str(&format!("a pool worker did not start: {answer}")));
            }
            worker.set_onmessage(None);
            worker.set_onerror(None);
            // Counted here, not by the worker as it enters its loop: the count answered below must
            // not race the workers' first steps. A task queued before it gets there waits for it.
            RUNNING.fetch_add(1, Ordering::AcqRel);
            // The worker lives as long as this one: nothing closes it; dropping the handle does not.
            std::mem::forget(worker.unchecked_into::<JsValue>());
        }
        let _ = web_sys::Url::revoke_object_url(&url);
        Ok(threads())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Results come back in order, each piece runs once, borrowed data is seen by every piece.
    #[test]
    fn map_parallel_returns_every_piece_in_order() {
        let base: Vec<u64> = (0..1000).collect();
        for count in [0, 1, 2, 3, 7, 64] {
            let got = map_parallel(count, |i| base.iter().map(|v| v * (i as u64 + 1)).sum::<u64>());
            let want: Vec<u64> = (0..count).map(|i| 499_500 * (i as u64 + 1)).collect();
            assert_eq!(got, want, "{count} pieces");
        }
    }

    #[test]
    #[should_panic(expected = "piece 2 fails")]
    fn a_panicking_piece_panics_the_caller() {
        map_parallel(4, |i| if i == 2 { panic!("piece 2 fails") } else { i });
    }
}
