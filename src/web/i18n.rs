//! The page's words in English and Chinese.

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Lang {
    En,
    Zh,
}

impl Lang {
    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Zh => "zh",
        }
    }

    pub fn from_code(code: &str) -> Lang {
        if code.to_ascii_lowercase().starts_with("zh") {
            Lang::Zh
        } else {
            Lang::En
        }
    }

    pub fn other(self) -> Lang {
        match self {
            Lang::En => Lang::Zh,
            Lang::Zh => Lang::En,
        }
    }

    pub fn pick(self, text: &crate::model::package::Localized) -> &str {
        match self {
            Lang::En => &text.en,
            Lang::Zh => &text.zh,
        }
    }
}

pub struct Words {
    pub live_camera: &'static str,
    pub live_title: &'static str,
    pub live_opening: &'static str,
    pub live_first: &'static str,
    pub live_capture: &'static str,
    pub live_switch: &'static str,
    pub live_close: &'static str,
    /// `{fps}` painted frames a second at `{side}` px.
    pub live_rate: &'static str,
    pub live_smaller: &'static str,
    pub live_larger: &'static str,
    pub live_private: &'static str,
    pub own_card: &'static str,
    pub own_hint: &'static str,
    pub own_open: &'static str,
    pub own_loss_network: &'static str,
    pub own_first_guess: &'static str,
    /// `{steps}` steps done, about `{left}` s left.
    pub own_refining: &'static str,
    pub own_stop: &'static str,
    pub own_download: &'static str,
    pub own_link: &'static str,
    pub own_link_copied: &'static str,
    /// Where the clipboard is refused: the link is shown to copy by hand.
    pub own_link_manual: &'static str,
    pub own_delete: &'static str,
    pub own_added: &'static str,
    pub own_learned: &'static str,
    /// After an update: kept styles being learned again from their paintings ({names}, quoted).
    pub own_learning_again: &'static str,
    pub own_learned_again: &'static str,
    /// Between the names of a list ("“A”, “B”").
    pub list_separator: &'static str,
    pub tagline: &'static str,
    pub choose_photo: &'static str,
    pub drop_hint: &'static str,
    pub styles: &'static str,
    pub strength: &'static str,
    pub colour: &'static str,
    pub mix_with: &'static str,
    pub mix_none: &'static str,
    pub mix_amount: &'static str,
    pub brush: &'static str,
    pub brush_hint: &'static str,
    pub size: &'static str,
    pub size_preview: &'static str,
    pub size_large: &'static str,
    pub size_original: &'static str,
    pub cancel: &'static str,
    /// After a cancel: what stays on show.
    pub cancelled: &'static str,
    pub cancelled_nothing: &'static str,
    pub cancelled_preview: &'static str,
    pub compare: &'static str,
    pub download_png: &'static str,
    pub download_jpeg: &'static str,
    pub jpeg_quality: &'static str,
    pub probing: &'static str,
    /// The engine badge when the CPU engine paints on several threads; {} is their count.
    pub cpu_threads: &'static str,
    /// The badge's tooltip on one thread: why a later visit paints on more.
    pub one_thread_why: &'static str,
    /// The caption of a painting shown again from the worker's memory.
    pub shown_again: &'static str,
    pub theme_light: &'static str,
    pub theme_dark: &'static str,
    pub no_engine: &'static str,
    pub reading: &'static str,
    pub painting: &'static str,
    /// The progress line while a painting's preview is on show and its finest strokes are painted.
    pub painting_detail: &'static str,
    /// Why the download buttons wait while a preview is on show.
    pub detail_pending: &'static str,
    pub privacy: &'static str,
    pub lang_toggle: &'static str,
    pub details: &'static str,
    pub no_style_yet: &'static str,
    pub cannot_run: &'static str,
    pub empty_state: &'static str,
    pub loading_styles: &'static str,
    pub share: &'static str,
    pub share_unsupported: &'static str,
    pub history: &'static str,
    pub history_clear: &'static str,
    /// Asked before clearing: {} is the number of paintings.
    pub history_clear_question: &'static str,
    /// The same with one painting.
    pub history_clear_question_one: &'static str,
    pub history_clear_yes: &'static str,
    pub history_clear_no: &'static str,
    pub history_delete: &'static str,
    pub history_empty: &'static str,
    pub update_ready: &'static str,
    pub chosen_alt: &'static str,
    pub history_full: &'static str,
    pub history_failed: &'static str,
    pub update_reload: &'static str,
    /// "about {} s left", {} the seconds.
    pub seconds_left: &'static str,
    pub close: &'static str,
    pub browse: &'static str,
    pub no_file: &'static str,
    pub take_photo: &'static str,
    /// Before the sample photos' thumbnails; each thumbnail's name is `sample_photo: title`.
    pub try_sample: &'static str,
    pub sample_photo: &'static str,
    pub actual_size: &'static str,
    pub fit_view: &'static str,
    pub full_screen: &'static str,
    pub exit_full_screen: &'static str,
    /// The keyboard shortcuts, in one line under the picture (not on touch screens).
    pub shortcuts: &'static str,
    pub poster: &'static str,
    pub share_poster: &'static str,
    /// Under the original on the poster.
    pub poster_before: &'static str,
    /// The poster's credit: {artist}; then the painting: {title}, {year}.
    pub poster_credit: &'static str,
    pub poster_work: &'static str,
    /// A mix on the poster: {percent}, {name}.
    pub poster_mix: &'static str,
    pub poster_footer: &'static str,
}

pub fn words(lang: Lang) -> &'static Words {
    match lang {
        Lang::En => &EN,
        Lang::Zh => &ZH,
    }
}

static EN: Words = Words {
    live_camera: "Live camera",
    live_title: "Live painting",
    live_opening: "Opening the camera…",
    live_first: "Painting the first frame…",
    live_capture: "Take picture",
    live_switch: "Switch camera",
    live_close: "Close",
    live_rate: "{fps} frames a second at {side} px",
    live_smaller: "smaller, to keep up",
    live_larger: "larger: this device keeps up",
    live_private: "Painted on this device: the camera's pictures go nowhere.",
    own_card: "Your painting",
    own_hint: "Learn any painting's style: choose or drop its picture",
    own_open: "Open a style file",
    own_loss_network: "Getting ready to learn (once; then it works offline)…",
    own_first_guess: "Looking at your painting…",
    own_refining: "Learning your painting: step {steps}, about {left} s left",
    own_stop: "Stop and keep it",
    own_download: "Download style file",
    own_link: "Copy link",
    own_link_copied: "Link copied. The style travels inside the link; the painting itself is not sent anywhere.",
    own_link_manual: "Copy this link (the style travels inside it):",
    own_delete: "Delete this style",
    own_added: "Added to your styles: {name}",
    own_learned: "Learned: {name}. It is kept on this device, with its painting (to learn it again when Atelier's painter is updated).",
    own_learning_again: "Atelier's painter was updated: learning {names} again from the paintings kept on this device.",
    own_learned_again: "Learned again for the updated painter: {name}.",
    list_separator: ", ",
    tagline: "Your photo, painted on your own device. Nothing is uploaded.",
    choose_photo: "Choose a photo",
    drop_hint: "or drop it here, or paste it",
    styles: "Styles",
    strength: "Strength",
    colour: "Keep photo colours",
    mix_with: "Mix with",
    mix_none: "No mix",
    mix_amount: "Mix amount",
    brush: "Brush size",
    brush_hint: "Larger strokes, the same at every picture size",
    size: "Size",
    size_preview: "Preview (1024 px)",
    size_large: "Large (2048 px)",
    size_original: "Original (up to 4096 px)",
    cancel: "Cancel",
    cancelled: "Cancelled. The painting on show is the one you had before.",
    cancelled_nothing: "Cancelled. Choose a photo or a style to paint again.",
    cancelled_preview: "Cancelled. The painting on show is without its finest strokes.",
    compare: "Before / after",
    download_png: "Download PNG",
    download_jpeg: "Download JPEG",
    jpeg_quality: "JPEG quality",
    probing: "Starting…",
    cpu_threads: "CPU, {} threads",
    one_thread_why: "One thread on a first visit: the page paints on every core from the next visit, once it is installed for offline use.",
    shown_again: "shown again, painted earlier",
    theme_light: "Light theme (switch to dark)",
    theme_dark: "Dark theme (switch to light)",
    no_engine: "No engine",
    reading: "Reading the photo…",
    painting: "Painting on your device…",
    painting_detail: "Painting the finest strokes…",
    detail_pending: "The finished painting is on its way",
    privacy: "Computed in this browser: your photos never leave this device.",
    lang_toggle: "中文",
    details: "About this painting",
    no_style_yet: "The styles are still loading.",
    cannot_run: "Stylization cannot run here:",
    empty_state: "Choose a photo and a painting to begin.",
    loading_styles: "Downloading the styles (once; then they work offline):",
    share: "Share",
    share_unsupported: "This browser cannot share files: download the picture and share it from your device.",
    history: "History on this device",
    history_clear: "Clear all",
    history_clear_question: "Delete all {} paintings from this device?",
    history_clear_question_one: "Delete the painting kept on this device?",
    history_clear_yes: "Delete all",
    history_clear_no: "Keep them",
    history_delete: "Delete",
    history_empty: "Your paintings will be kept here, on this device only.",
    update_ready: "A new version of Atelier is ready.",
    chosen_alt: "Your photo, being painted",
    history_full: "This device has no room left for Atelier's history, so this painting was not added to it. It is still here to download; delete older entries to make room.",
    history_failed: "The history could not be saved on this device; the painting is still here to download.",
    update_reload: "Reload to update",
    seconds_left: "about {} s left",
    close: "Close",
    browse: "Browse…",
    no_file: "No photo yet",
    take_photo: "Take a photo",
    try_sample: "No photo to hand? Try one:",
    sample_photo: "Sample photo",
    actual_size: "100 %",
    fit_view: "Fit to view",
    full_screen: "Full screen",
    exit_full_screen: "× Exit full screen",
    shortcuts: "Keys: ← → painting · hold O for the original · + − 0 zoom · F full screen · Ctrl+S save",
    poster: "Poster",
    share_poster: "Share poster",
    poster_before: "Before",
    poster_credit: "after {artist}",
    poster_work: "{title} ({year})",
    poster_mix: "mixed with {percent} % {name}",
    poster_footer: "Painted on my own device with Atelier. Nothing was uploaded.",
};

static ZH: Words = Words {
    live_camera: "实时相机",
    live_title: "实时绘画",
    live_opening: "正在打开相机…",
    live_first: "正在绘制第一帧…",
    live_capture: "拍下这一帧",
    live_switch: "切换相机",
    live_close: "关闭",
    live_rate: "每秒 {fps} 帧，{side} 像素",
    live_smaller: "已缩小以保持流畅",
    live_larger: "设备跟得上，已放大",
    live_private: "在本设备上绘制：相机画面不会发送到任何地方。",
    own_card: "你的画",
    own_hint: "学习任何一幅画的风格：选择或拖入它的图片",
    own_open: "打开风格文件",
    own_loss_network: "正在准备学习（仅此一次，之后可离线使用）……",
    own_first_guess: "正在观察你的画……",
    own_refining: "正在学习你的画：第 {steps} 步，约剩 {left} 秒",
    own_stop: "停止并保留",
    own_download: "下载风格文件",
    own_link: "复制链接",
    own_link_copied: "链接已复制。风格就在链接里；画作本身不会发送到任何地方。",
    own_link_manual: "请复制此链接（风格就在链接里）：",
    own_delete: "删除此风格",
    own_added: "已加入你的风格：{name}",
    own_learned: "已学会：{name}，连同画作保存在本设备上（Atelier 绘画引擎更新后可重新学习）。",
    own_learning_again: "Atelier 绘画引擎已更新：正在根据本设备上保存的画作重新学习{names}。",
    own_learned_again: "已为更新后的绘画引擎重新学会：{name}。",
    list_separator: "、",
    tagline: "在你自己的设备上，把照片画成名作。不上传任何内容。",
    choose_photo: "选择照片",
    drop_hint: "或拖放到这里，或直接粘贴",
    styles: "风格",
    strength: "风格强度",
    colour: "保留照片色彩",
    mix_with: "混合风格",
    mix_none: "不混合",
    mix_amount: "混合比例",
    brush: "笔触大小",
    brush_hint: "笔触越大越粗犷，任何图片尺寸下都一样",
    size: "尺寸",
    size_preview: "预览（1024 像素）",
    size_large: "大图（2048 像素）",
    size_original: "原图（最大 4096 像素）",
    cancel: "取消",
    cancelled: "已取消。显示的仍是之前的画作。",
    cancelled_nothing: "已取消。选择一张照片或一种风格即可重新绘画。",
    cancelled_preview: "已取消。显示的画作没有最细的笔触。",
    compare: "前后对比",
    download_png: "下载 PNG",
    download_jpeg: "下载 JPEG",
    jpeg_quality: "JPEG 质量",
    probing: "启动中…",
    cpu_threads: "CPU，{} 线程",
    one_thread_why: "首次访问时只用一个线程：页面安装为离线可用后，从下次访问起会用上所有核心作画。",
    shown_again: "再次显示，之前已画好",
    theme_light: "浅色主题（切换为深色）",
    theme_dark: "深色主题（切换为浅色）",
    no_engine: "无可用引擎",
    reading: "正在读取照片…",
    painting: "正在你的设备上作画…",
    painting_detail: "正在画最细的笔触…",
    detail_pending: "完成的画作马上就好",
    privacy: "在本浏览器中计算：你的照片不会离开这台设备。",
    lang_toggle: "English",
    details: "关于这幅画",
    no_style_yet: "风格仍在加载。",
    cannot_run: "此处无法进行风格化：",
    empty_state: "选择一张照片和一幅画作即可开始。",
    loading_styles: "正在下载风格（仅一次，之后可离线使用）：",
    share: "分享",
    share_unsupported: "此浏览器无法分享文件：请先下载图片，再从设备上分享。",
    history: "本设备上的历史记录",
    history_clear: "全部清除",
    history_clear_question: "从本设备删除全部 {} 幅作品？",
    history_clear_question_one: "从本设备删除这幅作品？",
    history_clear_yes: "全部删除",
    history_clear_no: "保留",
    history_delete: "删除",
    history_empty: "你的作品会保存在这里，仅存于本设备。",
    update_ready: "Atelier 有新版本可用。",
    chosen_alt: "你的照片，正在绘制",
    history_full: "本设备已没有空间保存 Atelier 的历史记录，这幅作品未加入历史。它仍在这里，可以下载；删除较早的记录即可腾出空间。",
    history_failed: "无法在本设备保存历史记录；作品仍在这里，可以下载。",
    update_reload: "重新载入以更新",
    seconds_left: "约剩 {} 秒",
    close: "关闭",
    browse: "浏览…",
    no_file: "尚未选择照片",
    take_photo: "拍照",
    try_sample: "手边没有照片？试试这些：",
    sample_photo: "示例照片",
    actual_size: "100 %",
    fit_view: "适应窗口",
    full_screen: "全屏",
    exit_full_screen: "× 退出全屏",
    shortcuts: "快捷键：← → 换画作 · 按住 O 看原图 · + − 0 缩放 · F 全屏 · Ctrl+S 保存",
    poster: "海报",
    share_poster: "分享海报",
    poster_before: "原图",
    poster_credit: "仿 {artist}",
    poster_work: "《{title}》（{year}）",
    poster_mix: "混合 {percent}% {name}",
    poster_footer: "用 Atelier 在我自己的设备上绘制，未上传任何内容。",
};

/// Why the CPU engine runs, in the visitor's language.
pub fn cpu_reason(lang: Lang, reason: &crate::studio::CpuReason) -> String {
    use crate::studio::CpuReason::*;
    match (lang, reason) {
        (Lang::En, Chosen) => "Painting on the processor (CPU), as chosen.".into(),
        (Lang::En, NoWebGpu) => {
            "This browser cannot lend Atelier the graphics chip (no WebGPU), so it paints on the processor (CPU): slower, just as private.".into()
        }
        (Lang::En, NoAdapter) => {
            "The graphics chip is off for web pages here (WebGPU finds no GPU), so Atelier paints on the processor (CPU): slower, just as private.".into()
        }
        (Lang::En, ProbeFailed(e)) => {
            format!("The graphics chip could not be started (WebGPU: {e}), so Atelier paints on the processor (CPU): slower, just as private.")
        }
        (Lang::En, ProbeTimedOut { seconds }) => {
            format!("WebGPU did not answer within {seconds} s, so Atelier paints on the processor (CPU) instead: slower, just as private.")
        }
        (Lang::En, SoftwareGpu(name)) => {
            format!("This device offers web pages only an emulated graphics chip ({name}), slower than the processor, so Atelier paints on the processor (CPU).")
        }
        (Lang::En, GpuFailed(e)) => format!("The GPU stopped working ({e}), so Atelier paints on the processor (CPU) from now on."),
        (Lang::Zh, Chosen) => "按所选，用处理器（CPU）作画。".into(),
        (Lang::Zh, NoWebGpu) => "此浏览器无法让 Atelier 使用显卡（不支持 WebGPU），因此改用处理器作画（用 CPU 作画）：较慢，但同样私密。".into(),
        (Lang::Zh, NoAdapter) => "此处网页无法使用显卡（WebGPU 找不到 GPU），因此 Atelier 改用处理器作画（用 CPU 作画）：较慢，但同样私密。".into(),
        (Lang::Zh, ProbeFailed(e)) => format!("WebGPU 无法启动（{e}），Atelier 改用 CPU 作画：较慢，但同样私密。"),
        (Lang::Zh, ProbeTimedOut { seconds }) => format!("WebGPU 在 {seconds} 秒内没有响应，Atelier 改用 CPU 作画：较慢，但同样私密。"),
        (Lang::Zh, SoftwareGpu(name)) => format!("此处的 WebGPU 没有真正的 GPU（{name}），Atelier 的 CPU 引擎更快，因此用 CPU 作画。"),
        (Lang::Zh, GpuFailed(e)) => format!("GPU 停止工作（{e}），此后 Atelier 改用 CPU 作画。"),
    }
}

/// A problem the page shows, kept as data and worded when shown, so it follows a language switch.
#[derive(Debug, Clone, PartialEq)]
pub enum Problem {
    /// From the worker (or the studio directly): the photo, the package, the engine.
    Studio(crate::studio::StudioError),
    /// The browser could not read the chosen file (its detail).
    FileUnreadable(String),
    /// A history entry's pixels do not make a picture.
    HistoryDamaged,
    /// The history store failed (its detail).
    History(String),
    /// The worker answered with a picture of the wrong size.
    WrongSize,
    /// Making the download or the shared file failed (its detail).
    Export(String),
    NoStyleYet,
    /// The worker died twice on the same painting (the panic's message).
    WorkerCrashed(String),
    /// The worker stopped answering on this picture twice (silent this many seconds the second time).
    WorkerStalled { seconds: u32 },
    /// A painting to learn from could not be learned.
    Learn(crate::protocol::LearnFailure),
    /// A style file (opened, kept or from a link) was refused.
    OwnStyle { from: crate::protocol::OwnStyleFrom, error: crate::model::StyleFileError },
    /// The device has no room to keep an own style (its detail).
    OwnStorage(String),
    /// Already as many own styles as are kept.
    OwnShelfFull,
    /// The live view has no camera, or lost it.
    Camera(crate::web::camera::CameraProblem),
}

/// A problem in the visitor's language. Details that come from the browser stay as they are.
pub fn problem(lang: Lang, problem: &Problem) -> String {
    use crate::imaging::{ImageError, MAX_DECODE_PIXELS, MAX_FILE_BYTES};
    use crate::studio::StudioError as E;
    let zh = lang == Lang::Zh;
    let pick = |en: String, zh_text: String| if zh { zh_text } else { en };
    match problem {
        Problem::Studio(E::Photo(e)) => match e {
            ImageError::Empty => pick("The file is empty.".into(), "文件是空的。".into()),
            ImageError::UnknownFormat => pick(
                "This is not an image Atelier can read (JPEG, PNG, WebP, GIF or BMP).".into(),
                "这不是 Atelier 能读取的图片（JPEG、PNG、WebP、GIF 或 BMP）。".into(),
            ),
            // Over the decode budget only formats other than JPEG and PNG are refused.
            ImageError::TooLarge { width, height, limit } if *limit == MAX_DECODE_PIXELS / 1_000_000 => pick(
                format!("The photo is {width}×{height}. Above {limit} megapixels Atelier reads JPEG and PNG photos only: save it as JPEG and try again."),
                format!("照片为 {width}×{height}。超过 {limit} 百万像素的照片，Atelier 只能读取 JPEG 和 PNG：请另存为 JPEG 再试。"),
            ),
            ImageError::TooLarge { width, height, limit } => pick(
                format!("The photo is {width}×{height}, over the {limit} megapixel limit."),
                format!("照片为 {width}×{height}，超过了 {limit} 百万像素的上限。"),
            ),
            ImageError::TooSmall { width, height, min } => pick(
                format!("The photo is only {width}×{height} pixels: too small to paint. Choose one at least {min} pixels on each side."),
                format!("照片只有 {width}×{height} 像素，太小了，无法绘画。请选择每边至少 {min} 像素的照片。"),
            ),
            ImageError::Corrupt(detail) => {
                pick(format!("The image file is damaged ({detail})."), format!("图片文件已损坏（{detail}）。"))
            }
            ImageError::Truncated => pick(
                "The image file is cut short: its end is missing (an interrupted download or copy?).".into(),
                "图片文件不完整：结尾缺失（下载或复制被中断？）。".into(),
            ),
            ImageError::FileTooLarge { bytes } => pick(
                format!("The file is {} MB, over the {} MB limit.", bytes >> 20, MAX_FILE_BYTES >> 20),
                format!("文件大小为 {} MB，超过了 {} MB 的上限。", bytes >> 20, MAX_FILE_BYTES >> 20),
            ),
        },
        Problem::Studio(E::Package(detail)) => pick(
            format!("The styles could not be loaded ({detail}). Reload the page to try again."),
            format!("风格无法加载（{detail}）。请重新载入页面再试。"),
        ),
        Problem::Studio(E::UnknownStyle(id)) => pick(format!("There is no style “{id}”."), format!("没有名为“{id}”的风格。")),
        Problem::Studio(E::UnknownEngine(name)) => pick(format!("Unknown engine “{name}”."), format!("未知的引擎“{name}”。")),
        Problem::Studio(E::NoGpu(_)) => pick("No usable GPU here.".into(), "此处没有可用的 GPU。".into()),
        Problem::Studio(E::Engine(detail)) => pick(format!("The painting failed ({detail})."), format!("作画失败（{detail}）。")),
        Problem::Studio(E::Cancelled) => pick("Cancelled.".into(), "已取消。".into()),
        Problem::Studio(E::NotReady) => pick("The painter is not ready yet.".into(), "绘画引擎尚未就绪。".into()),
        Problem::FileUnreadable(detail) => {
            pick(format!("The browser could not read the file ({detail})."), format!("浏览器无法读取该文件（{detail}）。"))
        }
        Problem::HistoryDamaged => pick("This history entry is damaged.".into(), "这条历史记录已损坏。".into()),
        Problem::History(detail) => {
            pick(format!("The history on this device failed ({detail})."), format!("本设备上的历史记录出错（{detail}）。"))
        }
        Problem::WrongSize => pick(
            "The painter sent a picture of the wrong size. Please try again.".into(),
            "绘画引擎返回的图片尺寸不对，请再试一次。".into(),
        ),
        Problem::Export(detail) => {
            pick(format!("The picture could not be exported ({detail})."), format!("无法导出图片（{detail}）。"))
        }
        Problem::NoStyleYet => words(lang).no_style_yet.into(),
        Problem::WorkerCrashed(detail) => pick(
            format!("The painter stopped unexpectedly, twice, on this picture ({detail}). Try a smaller size or another photo."),
            format!("绘画引擎在这张图片上两次意外停止（{detail}）。请换一个较小的尺寸或另一张照片再试。"),
        ),
        Problem::WorkerStalled { seconds } => pick(
            format!("The painter stopped answering, twice, on this picture (silent for {seconds} s). Try a smaller size or another photo."),
            format!("绘画引擎在这张图片上两次停止响应（{seconds} 秒无回应）。请换一个较小的尺寸或另一张照片再试。"),
        ),
        Problem::Learn(failure) => learn_failure(lang, failure),
        Problem::OwnStyle { from, error } => own_style_refused(lang, *from, error),
        Problem::OwnStorage(detail) => pick(
            format!("This device has no room to keep the style ({detail}). It works until you leave: download its style file to keep it."),
            format!("本设备没有空间保存这个风格（{detail}）。离开页面前它仍可使用：请下载风格文件保存。"),
        ),
        Problem::OwnShelfFull => pick(
            format!("You have {} styles of your own, as many as are kept: delete one to add another.", crate::web::own_styles::MAX_OWN_STYLES),
            format!("你已有 {} 个自己的风格，已达上限：请先删除一个再添加。", crate::web::own_styles::MAX_OWN_STYLES),
        ),
        Problem::Camera(camera) => {
            use crate::web::camera::CameraProblem as C;
            match camera {
                C::Refused => pick(
                    "Atelier may not use the camera: allow it for this site in the browser's settings, then try again.".into(),
                    "Atelier 没有使用相机的权限：请在浏览器的网站设置中允许后重试。".into(),
                ),
                C::NotFound => pick("No camera was found on this device.".into(), "在本设备上没有找到相机。".into()),
                C::Busy => pick(
                    "The camera is in use by another app, or would not start. Close the other app and try again.".into(),
                    "相机正被其他应用使用，或无法启动。请关闭其他应用后重试。".into(),
                ),
                C::Lost => pick(
                    "The camera stopped (unplugged, or taken by another app). Your studio is as it was.".into(),
                    "相机已停止（被拔出或被其他应用占用）。你的画室保持原样。".into(),
                ),
                C::NoApi => pick(
                    "This browser cannot give the camera to this page (it needs a secure https:// address).".into(),
                    "此浏览器无法让本页面使用相机（需要安全的 https:// 地址）。".into(),
                ),
                C::Other(detail) => pick(format!("The camera could not be opened ({detail})."), format!("无法打开相机（{detail}）。")),
            }
        }
    }
}

fn learn_failure(lang: Lang, failure: &crate::protocol::LearnFailure) -> String {
    use crate::protocol::LearnFailure as F;
    let zh = lang == Lang::Zh;
    let pick = |en: String, zh_text: String| if zh { zh_text } else { en };
    match failure {
        F::Unreadable(detail) => pick(
            format!("This painting's picture cannot be read ({detail}). Choose a JPEG, PNG, WebP, GIF or BMP."),
            format!("无法读取这幅画的图片（{detail}）。请选择 JPEG、PNG、WebP、GIF 或 BMP 图片。"),
        ),
        F::TooSmall { width, height } => pick(
            format!("The painting's picture is only {width}×{height} pixels: at least {} on each side are needed to learn its style.", crate::learn::MIN_PAINTING_SIDE),
            format!("这幅画的图片只有 {width}×{height} 像素：学习风格需要每边至少 {} 像素。", crate::learn::MIN_PAINTING_SIDE),
        ),
        F::LossNetwork(detail) => pick(
            format!("What Atelier learns paintings with could not be loaded ({detail}). Check the connection once and try again; after that it works offline."),
            format!("无法加载学习画作所需的网络（{detail}）。请联网后再试一次；之后即可离线使用。"),
        ),
        F::NoPhotos => pick(
            "There is no photo to learn on: choose a photo first, then the painting.".into(),
            "没有可用于学习的照片：请先选择一张照片，再选择画作。".into(),
        ),
        F::Stopped => pick("Learning stopped before anything was learned.".into(), "学习在有结果之前就停止了。".into()),
        F::Other(detail) => pick(format!("The painting could not be learned ({detail})."), format!("无法学习这幅画（{detail}）。")),
    }
}

fn own_style_refused(lang: Lang, from: crate::protocol::OwnStyleFrom, error: &crate::model::StyleFileError) -> String {
    use crate::model::StyleFileError as E;
    use crate::protocol::OwnStyleFrom;
    let zh = lang == Lang::Zh;
    let pick = |en: String, zh_text: String| if zh { zh_text } else { en };
    let (what_en, what_zh) = match from {
        OwnStyleFrom::Saved => ("A style kept on this device", "本设备上保存的一个风格"),
        OwnStyleFrom::Imported => ("This style file", "这个风格文件"),
        OwnStyleFrom::Link => ("The style in this link", "链接中的风格"),
    };
    match error {
        E::OtherPackage { names } if names.is_empty() => pick(
            format!("{what_en} was learned for another version of Atelier's painter: learn the painting again."),
            format!("{what_zh}是为另一版本的 Atelier 绘画引擎学习的：请重新学习这幅画。"),
        ),
        // Named, so that after an update a visitor knows which paintings to learn again. Only
        // kept styles are gathered into one refusal (`App`'s own-style answers), hence the plural's
        // wording.
        E::OtherPackage { names } => {
            use crate::model::style_file::quoted_list;
            let (en_list, zh_list) = (quoted_list(names, EN.list_separator), quoted_list(names, ZH.list_separator));
            if names.len() == 1 {
                pick(
                    format!("{what_en} ({en_list}) was learned for another version of Atelier's painter: learn the painting again."),
                    format!("{what_zh}（{zh_list}）是为另一版本的 Atelier 绘画引擎学习的：请重新学习这幅画。"),
                )
            } else {
                pick(
                    format!("Styles kept on this device ({en_list}) were learned for another version of Atelier's painter: learn these paintings again."),
                    format!("本设备上保存的几个风格（{zh_list}）是为另一版本的 Atelier 绘画引擎学习的：请重新学习这些画。"),
                )
            }
        }
        E::TooLarge(bytes) => pick(
            format!("{what_en} is {bytes} bytes: too large to be a style file."),
            format!("{what_zh}有 {bytes} 字节：太大，不是风格文件。"),
        ),
        E::NotAStyle(detail) => pick(
            format!("{what_en} is not an Atelier style file ({detail})."),
            format!("{what_zh}不是 Atelier 风格文件（{detail}）。"),
        ),
        E::Damaged(detail) => pick(format!("{what_en} is damaged ({detail})."), format!("{what_zh}已损坏（{detail}）。")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::imaging::ImageError;
    use crate::studio::{CpuReason, StudioError};

    fn has_cjk(text: &str) -> bool {
        text.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c))
    }

    fn every_problem() -> Vec<Problem> {
        let studio = [
            StudioError::Photo(ImageError::Empty),
            StudioError::Photo(ImageError::UnknownFormat),
            StudioError::Photo(ImageError::TooLarge { width: 9000, height: 9000, limit: 40 }),
            StudioError::Photo(ImageError::TooLarge { width: 70000, height: 70000, limit: 1000 }),
            StudioError::Photo(ImageError::TooSmall { width: 1, height: 1, min: 16 }),
            StudioError::Photo(ImageError::Corrupt("bad Huffman code".into())),
            StudioError::Photo(ImageError::Truncated),
            StudioError::Photo(ImageError::FileTooLarge { bytes: 300 << 20 }),
            StudioError::Package("HTTP 404".into()),
            StudioError::UnknownStyle("mona-lisa".into()),
            StudioError::UnknownEngine("tpu".into()),
            StudioError::NoGpu(CpuReason::NoAdapter),
            StudioError::Engine("out of memory".into()),
            StudioError::Cancelled,
            StudioError::NotReady,
        ];
        let page = [
            Problem::FileUnreadable("NotReadableError".into()),
            Problem::HistoryDamaged,
            Problem::History("InvalidStateError".into()),
            Problem::WrongSize,
            Problem::Export("SecurityError".into()),
            Problem::NoStyleYet,
            Problem::WorkerCrashed("RuntimeError: unreachable".into()),
            Problem::WorkerStalled { seconds: 30 },
            Problem::OwnStorage("QuotaExceededError".into()),
            Problem::OwnShelfFull,
        ];
        use crate::web::camera::CameraProblem;
        let camera = [
            CameraProblem::Refused,
            CameraProblem::NotFound,
            CameraProblem::Busy,
            CameraProblem::Lost,
            CameraProblem::NoApi,
            CameraProblem::Other("AbortError".into()),
        ]
        .map(Problem::Camera);
        use crate::model::StyleFileError;
        use crate::protocol::{LearnFailure, OwnStyleFrom};
        let learn = [
            LearnFailure::Unreadable("bad header".into()),
            LearnFailure::TooSmall { width: 30, height: 20 },
            LearnFailure::LossNetwork("HTTP 404".into()),
            LearnFailure::NoPhotos,
            LearnFailure::Stopped,
            LearnFailure::Other("inside".into()),
        ]
        .map(Problem::Learn);
        let errors = [StyleFileError::OtherPackage { names: vec![] }, StyleFileError::OtherPackage { names: vec!["Harbour".into()] }, StyleFileError::OtherPackage { names: vec!["Harbour".into(), "Mill".into()] }, StyleFileError::TooLarge(1 << 20), StyleFileError::NotAStyle("x".into()), StyleFileError::Damaged("y".into())];
        let own = [OwnStyleFrom::Saved, OwnStyleFrom::Imported, OwnStyleFrom::Link]
            .into_iter()
            .flat_map(|from| errors.iter().cloned().map(move |error| Problem::OwnStyle { from, error }));
        let page = page.into_iter().chain(camera).chain(learn).chain(own);
        studio.into_iter().map(Problem::Studio).chain(page).collect()
    }

    #[test]
    fn every_problem_is_worded_in_both_languages() {
        for p in every_problem() {
            let (en, zh) = (problem(Lang::En, &p), problem(Lang::Zh, &p));
            assert!(!has_cjk(&en) && en.chars().any(|c| c.is_ascii_alphabetic()), "{p:?}: {en}");
            assert!(has_cjk(&zh), "{p:?} has no Chinese wording: {zh}");
        }
        let too_large = Problem::Studio(StudioError::Photo(ImageError::TooLarge { width: 9000, height: 8000, limit: 40 }));
        assert!(problem(Lang::Zh, &too_large).contains("9000×8000"));
    }

    #[test]
    fn every_cpu_reason_is_worded_in_both_languages() {
        let reasons = [
            CpuReason::Chosen,
            CpuReason::NoWebGpu,
            CpuReason::NoAdapter,
            CpuReason::ProbeFailed("TypeError".into()),
            CpuReason::ProbeTimedOut { seconds: 10 },
            CpuReason::SoftwareGpu("google swiftshader".into()),
            CpuReason::GpuFailed("device lost".into()),
        ];
        for r in reasons {
            assert!(!has_cjk(&cpu_reason(Lang::En, &r)), "{r:?}");
            assert!(has_cjk(&cpu_reason(Lang::Zh, &r)), "{r:?}");
        }
        assert!(cpu_reason(Lang::En, &CpuReason::SoftwareGpu("google swiftshader".into())).contains("swiftshader"));
    }
}
