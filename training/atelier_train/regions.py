"""Style targets by region (issue 35, "no pasted motifs").

The usual style term holds every training crop to the Gram matrices of the whole painting. A
crop of flat sky is then told to carry the painting's moon, in proportion, like every other crop:
the network learns to paste a moon wherever the photo leaves it free. Here each quarter of the
crop is held instead to the Grams of the region of the painting nearest it (regions of the same
size in pixels, the painting at the training scale): a quarter of sky may match the painting's
sky, and only a crop whose own content is nearest the moon's region is asked for a moon.
"""
import torch

from .network import gram


def windows(height, width, side, stride):
    """Top-left corners of `side` px squares every `stride` px, the last flush with the edge."""
    def starts(n):
        if n <= side:
            return [0]
        s = list(range(0, n - side + 1, stride))
        return s if s[-1] == n - side else s + [n - side]
    return [(y, x) for y in starts(height) for x in starts(width)]


def window_grams(feats, layers, corners, side):
    """{layer: [len(corners), c, c]}: the Gram of each `side` px window of a feature pyramid.
    `feats[layer]` is [1, c, h / s, w / s] for a picture of h x w px (s: the layer's stride,
    read off its size against the first layer's)."""
    full = feats[layers[0]].shape[-1]
    out = {}
    for layer in layers:
        f = feats[layer]
        s = max(1, round(full / f.shape[-1]))
        cells = max(1, side // s)
        out[layer] = torch.stack([gram(f[..., y // s:y // s + cells, x // s:x // s + cells])[0] for y, x in corners])
    return out


def quarter_grams(feats, layers):
    """{layer: [b, 4, c, c]}: each picture's four quarters' Grams (top left, top right, bottom
    left, bottom right)."""
    out = {}
    for layer in layers:
        f = feats[layer]
        h, w = f.shape[-2] // 2, f.shape[-1] // 2
        quarters = [f[..., :h, :w], f[..., :h, w:2 * w], f[..., h:2 * h, :w], f[..., h:2 * h, w:2 * w]]
        out[layer] = torch.stack([gram(q) for q in quarters], dim=1)
    return out


def nearest_region_loss(out_quarters, region_targets, layer_weights):
    """Per sample: the mean over its quarters of the weighted squared Gram difference to the
    painting region nearest that quarter (nearest by the same weighted distance; the choice carries
    no gradient). `out_quarters` {layer: [b, 4, c, c]}; `region_targets` one {layer: [k, c, c]} per
    sample (its style's regions). Returns [b]."""
    layers = list(out_quarters)
    losses = []
    for i, regions in enumerate(region_targets):
        dist = 0.0
        for layer in layers:
            q = out_quarters[layer][i].flatten(1)              # [4, c*c]
            r = regions[layer].flatten(1)                       # [k, c*c]
            with torch.no_grad():
                d = (q * q).sum(1, keepdim=True) + (r * r).sum(1)[None] - 2 * q @ r.T  # [4, k]
            dist = dist + layer_weights[layer] * d / q.shape[1]
        nearest = dist.argmin(dim=1)                            # [4]
        loss = 0.0
        for layer in layers:
            diff = out_quarters[layer][i] - regions[layer][nearest]
            loss = loss + layer_weights[layer] * diff.pow(2).flatten(1).mean(dim=1)
        losses.append(loss.mean())
    return torch.stack(losses)
