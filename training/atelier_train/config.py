"""A training run's settings: every key `train.py` reads, its type and its default, in one place.

A config file (training/configs/*.json) names only what differs from the defaults below; a key that
is not a field here is refused with the nearest field's name, so a misspelt key can no longer be
silently ignored. Standard library only, so it is tested without PyTorch (training/tests/).
"""
import dataclasses
import difflib
import json
import os
from dataclasses import dataclass, field
from typing import Dict, List, Optional


class ConfigError(ValueError):
    """A config file that cannot be trained from, and why."""


@dataclass
class TrainConfig:
    # Required: where the data is and where the run writes (relative paths are relative to the
    # config file), the generator's shape, the schedule and the losses' weights.
    data_dir: str
    out_dir: str
    widths: List[int]
    res_blocks: int
    steps: int
    batch: int
    crop: int
    lr: float
    lr_d: float
    seed: int
    log_every: int
    checkpoint_every: int
    content_layer: str
    content_weight: float
    style_weight: float
    style_layer_weights: Dict[str, float]
    tv_weight: float
    adv_weight: float
    style_side: int
    # Optional, with what leaving them out means.
    adv_start: int = 0
    # Total variation of the colour-difference channels only (train.py `chroma_tv_loss`).
    chroma_tv_weight: float = 0.0
    # Structure: the squared difference of the Laplacians of the output's and the photo's
    # luminance, both average-pooled by `laplacian_pool` first (train.py `laplacian_loss`; after
    # Li et al. 2017, "Laplacian-steered neural style transfer"): edges where the photo has them.
    laplacian_weight: float = 0.0
    laplacian_pool: int = 4
    # Per-painting multipliers, by painting file name.
    style_weight_by_file: Dict[str, float] = field(default_factory=dict)
    content_weight_by_file: Dict[str, float] = field(default_factory=dict)
    # A second content term at a deeper layer, for the paintings named here only (weight per file,
    # relative to `content_weight`; a painting not named gets none): the evaluation's content
    # distance is measured at relu4_1, where relu3_1's term leaves the large forms free to drift.
    content_extra_layer: Optional[str] = None
    content_extra_weight_by_file: Dict[str, float] = field(default_factory=dict)
    # The share of the style term held to regions of the painting instead of the whole of it: each
    # quarter of a crop against the Grams of the painting's region (crop / 2 px squares every
    # `region_stride` px) nearest it (atelier_train/regions.py). 0: the whole painting only.
    region_style_weight: float = 0.0
    region_stride: int = 48
    # Spikes under the instance norms inside the kept picture (atelier_train/spikes.py): the mean of
    # relu(|z| - spike_threshold)^2 over every norm's input, z the position's distance from its
    # channel's mean in standard deviations. 0: no penalty.
    spike_weight: float = 0.0
    spike_threshold: float = 6.0
    # The penalty over the reflected margin too: inside the picture only, the network learned to
    # move its spikes into the margin (discarded at 64 px, inside the picture at the re-painting's
    # and the learner's 16 px).
    spike_everywhere: bool = False
    # Data.
    # Photos scaled so their long side is this (the run-time working side) before cropping; None
    # crops the photos as they are.
    working_side: Optional[int] = None
    photo_short_side: Optional[int] = None
    # A fraction trimmed off each painting's border before cropping (its frame, signature).
    painting_trim: float = 0.0
    # Reflected margin (px) the network is trained to paint with (the package's reflect_margin).
    margin: int = 0
    # [least, most] px of reflection drawn for each batch (multiples of 4) instead of `margin`, which
    # stays the package's (the export's and the held-out curve's); None: always `margin`.
    margin_range: Optional[List[int]] = None
    # With margin_range: the mean absolute difference, in the kept picture, between the batch painted
    # at its drawn margin and the same batch painted at `margin` (no gradient through that one), so
    # that a narrower margin (the live view's 8 px, the re-painting's and the learner's 16) paints
    # what the package's does instead of a band along the picture's edge. 0: no term.
    margin_consistency_weight: float = 0.0
    # [least, most] px of the photo's own surroundings around each crop; None: no context.
    context: Optional[List[int]] = None
    exclude_styles: List[str] = field(default_factory=list)
    # Paintings from `paintings-extra/` (file names) trained as further styles after the gallery's:
    # more paintings for the shared weights to learn to paint. Not shipped; the others stay out of
    # training so that learning a visitor's painting is measured on paintings never seen.
    extra_paintings: List[str] = field(default_factory=list)
    # Only these paintings are drawn for training (all when None).
    train_styles: Optional[List[str]] = None
    # "all", or "style_norms": only the per-style instance-norm rows learn.
    trainable: str = "all"
    # Held-out measurement.
    eval_every: int = 0
    eval_photos: int = 8
    # The loss network in bfloat16 (only where the CPU has AVX512-BF16 or AMX).
    vgg_bf16: bool = False
    # Where a new run starts from (one at most; a run with a checkpoint resumes from it instead).
    init_from: Optional[str] = None
    init_from_package: Optional[str] = None
    init_widen_from: Optional[str] = None

    def as_dict(self):
        """The plain dict checkpoints store (export_package.py reads it without this module)."""
        return dataclasses.asdict(self)


TRAINABLE = ("all", "style_norms")


def from_dict(raw, source="the config"):
    """A TrainConfig from a parsed config; keys starting with "_" are comments."""
    if not isinstance(raw, dict):
        raise ConfigError(f"{source}: expected a JSON object, got {type(raw).__name__}")
    fields = {f.name: f for f in dataclasses.fields(TrainConfig)}
    values = {k: v for k, v in raw.items() if not k.startswith("_")}
    unknown = sorted(set(values) - set(fields))
    if unknown:
        hints = []
        for key in unknown:
            near = difflib.get_close_matches(key, fields, n=1)
            hints.append(f"'{key}'" + (f" (did you mean '{near[0]}'?)" if near else ""))
        raise ConfigError(f"{source}: unknown key{'s' if len(unknown) > 1 else ''} " + ", ".join(hints))
    required = [name for name, f in fields.items()
                if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING]
    missing = [name for name in required if name not in values]
    if missing:
        raise ConfigError(f"{source}: missing key{'s' if len(missing) > 1 else ''} " + ", ".join(f"'{m}'" for m in missing))
    config = TrainConfig(**values)
    if config.trainable not in TRAINABLE:
        raise ConfigError(f"{source}: trainable is '{config.trainable}', expected one of {', '.join(TRAINABLE)}")
    if config.laplacian_pool < 1:
        raise ConfigError(f"{source}: laplacian_pool is {config.laplacian_pool}, expected at least 1")
    if len(set(config.extra_paintings)) != len(config.extra_paintings):
        raise ConfigError(f"{source}: extra_paintings names a painting twice")
    content_layers = ("relu1_1", "relu2_1", "relu3_1", "relu4_1", "relu5_1")
    if config.content_extra_layer is not None and config.content_extra_layer not in content_layers:
        raise ConfigError(f"{source}: content_extra_layer is '{config.content_extra_layer}', expected one of {', '.join(content_layers)}")
    if config.content_extra_weight_by_file and config.content_extra_layer is None:
        raise ConfigError(f"{source}: content_extra_weight_by_file without a content_extra_layer")
    if any(w < 0 for w in config.content_extra_weight_by_file.values()):
        raise ConfigError(f"{source}: content_extra_weight_by_file has a negative weight")
    if not 0.0 <= config.region_style_weight <= 1.0:
        raise ConfigError(f"{source}: region_style_weight is {config.region_style_weight}, expected a share from 0 to 1")
    if config.region_stride < 1:
        raise ConfigError(f"{source}: region_stride is {config.region_stride}, expected at least 1")
    if config.margin_range is not None:
        r = config.margin_range
        if len(r) != 2 or any(not isinstance(v, int) or v < 0 or v % 4 for v in r) or r[0] > r[1]:
            raise ConfigError(f"{source}: margin_range is {r}, expected [least, most] px, multiples of 4, least first")
        if config.context:
            raise ConfigError(f"{source}: margin_range and context both say what surrounds a crop; give one")
    if config.margin_consistency_weight < 0:
        raise ConfigError(f"{source}: margin_consistency_weight is {config.margin_consistency_weight}, expected 0 or more")
    if config.margin_consistency_weight > 0 and config.margin_range is None:
        raise ConfigError(f"{source}: margin_consistency_weight compares a drawn margin with `margin`; it needs margin_range")
    if config.spike_weight < 0:
        raise ConfigError(f"{source}: spike_weight is {config.spike_weight}, expected 0 or more")
    if config.spike_weight > 0 and config.context:
        raise ConfigError(f"{source}: spike_weight is measured inside a reflected margin, not with context")
    if config.spike_threshold <= 0:
        raise ConfigError(f"{source}: spike_threshold is {config.spike_threshold}, expected more than 0")
    starts = [k for k in ("init_from", "init_from_package", "init_widen_from") if getattr(config, k)]
    if len(starts) > 1:
        raise ConfigError(f"{source}: {' and '.join(starts)} both name a start; give one")
    return config


def load(path):
    """The config at `path`, its data_dir and out_dir made absolute (relative to the file)."""
    with open(path, encoding="utf-8") as f:
        try:
            raw = json.load(f)
        except json.JSONDecodeError as e:
            raise ConfigError(f"{path}: not valid JSON ({e})") from e
    config = from_dict(raw, source=path)
    here = os.path.dirname(os.path.abspath(path))
    config.data_dir = os.path.normpath(os.path.join(here, config.data_dir))
    config.out_dir = os.path.normpath(os.path.join(here, config.out_dir))
    return config
