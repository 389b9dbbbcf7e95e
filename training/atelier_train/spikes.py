"""Spikes under the instance norms (issue 35, "no pasted motifs").

The pasted discs are the generator's own doing, not the painting's: before each instance norm a
few channels carry one sharp spike, a few positions holding most of the channel's variance (89-95 %
in the top 1 % of positions in r4b, u1 and u2 for Starry Night's disc on aitzgorri at step 44817),
and the disc is painted exactly there. Instance norm divides a channel by its own standard
deviation over the picture, so a spike that dominates the variance scales the whole rest of the
channel down: the network's way of passing a signal's strength past the normalisation, which
StyleGAN2 (Karras et al. 2020, "droplet artifacts") found in its generator's AdaIN for the same
reason. The spike has to be somewhere, so it moves when the photo is cropped, which is why the
discs land in skies, corners and at the picture's edges.

`spike_penalty` makes such spikes costly inside the picture a visitor sees (a position more than
`threshold` standard deviations from its channel's mean, the mean and deviation over the whole
padded map as the norm computes them), and with `everywhere` in the reflected margin too: left
free, the margin is where the network moves them, and a narrower margin than the trained one
(the live view's) shows them again. `training/spike_score.py` measures them.
"""
import torch
import torch.nn.functional as F

EPS = 1e-5


class PreNormRecorder:
    """Keeps the input of every instance norm of a generator during a forward pass."""

    def __init__(self, norms):
        self.maps = []
        self.handles = [norm.register_forward_hook(self._record) for norm in norms]

    def _record(self, module, inputs, output):
        self.maps.append(inputs[0])

    def take(self):
        maps, self.maps = self.maps, []
        return maps

    def remove(self):
        for handle in self.handles:
            handle.remove()


def inside(feature, padded_hw, margin, kept_hw):
    """The part of `feature` ([b, c, h, w], a layer's map of a picture padded to `padded_hw`) over
    the `kept_hw` px kept after painting, `margin` px from the top left."""
    scale = padded_hw[0] / feature.shape[2]
    top = round(margin / scale)
    return feature[:, :, top:top + max(1, round(kept_hw[0] / scale)), top:top + max(1, round(kept_hw[1] / scale))]


def standardised(feature):
    """(x - mean) / sqrt(var + EPS) per sample and channel, over the whole map (instance norm's)."""
    return F.instance_norm(feature, eps=EPS)


def spike_penalty(maps, padded_hw, margin, kept_hw, threshold, everywhere=False):
    """Mean over the norms of the mean of relu(|z| - threshold)^2 over the kept positions (over
    every position, the margin's too, with `everywhere`)."""
    total = 0.0
    for feature in maps:
        z = standardised(feature)
        if not everywhere:
            z = inside(z, padded_hw, margin, kept_hw)
        total = total + F.relu(z.abs() - threshold).pow(2).mean()
    return total / max(1, len(maps))

