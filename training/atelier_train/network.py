"""The generator (conditional instance norm) and the PatchGAN discriminator, in PyTorch.

Layer names match atelier_train.export (c1..c3, r{i}a/b, u1, u2, out), so a trained state
exports directly to the package.
"""
import torch
import torch.nn as nn
import torch.nn.functional as F

from .export import EPS, NetSpec


class ConditionalInstanceNorm(nn.Module):
    """Instance norm whose scale and shift are rows of a per-style table; a batch may mix
    styles (each sample's row is a weighted sum of the table's rows)."""

    def __init__(self, channels, n_styles):
        super().__init__()
        self.gamma = nn.Parameter(torch.ones(n_styles, channels))
        self.beta = nn.Parameter(torch.zeros(n_styles, channels))

    def forward(self, x, style_weights):
        # (x - mean) / sqrt(biased var + EPS), as the ONNX graph computes it, in one native kernel
        # each way: the mean/var/sub/div chain cost a quarter of the generator's step on the CPU.
        x = F.instance_norm(x, eps=EPS)
        gamma = (style_weights @ self.gamma)[:, :, None, None]
        beta = (style_weights @ self.beta)[:, :, None, None]
        return torch.addcmul(beta, x, gamma)


class Generator(nn.Module):
    def __init__(self, spec: NetSpec, n_styles: int):
        super().__init__()
        self.spec = spec
        self.layers = spec.convs()
        self.convs = nn.ModuleDict()
        self.norms = nn.ModuleDict()
        for name, c_in, c_out, k, stride, _, has_norm in self.layers:
            # Zero padding inside (as the ONNX graph); the pipeline reflection-pads the photo.
            self.convs[name] = nn.Conv2d(c_in, c_out, k, stride=stride, padding=k // 2)
            if has_norm:
                self.norms[name] = ConditionalInstanceNorm(c_out, n_styles)

    def forward(self, x, style_weights):
        skip = None
        for name, _, _, _, _, upsample, has_norm in self.layers:
            if upsample:
                x = F.interpolate(x, scale_factor=2, mode="nearest")
            if name.startswith("r") and name.endswith("a"):
                skip = x
            x = self.convs[name](x)
            if has_norm:
                x = self.norms[name](x, style_weights)
                x = skip + x if (name.startswith("r") and name.endswith("b")) else F.relu(x)
        return torch.sigmoid(x)

    def export_weights(self):
        """(conv_weights, per-style params) as numpy, in atelier_train.export's naming."""
        conv = {}
        for name, module in self.convs.items():
            conv[f"{name}.weight"] = module.weight.detach().cpu().float().numpy()
            conv[f"{name}.bias"] = module.bias.detach().cpu().float().numpy()
        n_styles = next(iter(self.norms.values())).gamma.shape[0]
        styles = []
        for s in range(n_styles):
            params = {}
            for name, norm in self.norms.items():
                params[f"{name}.gamma"] = norm.gamma[s].detach().cpu().float().numpy()
                params[f"{name}.beta"] = norm.beta[s].detach().cpu().float().numpy()
            styles.append(params)
        return conv, styles


class PatchDiscriminator(nn.Module):
    """A small PatchGAN with one output map per style: it tells crops of a painting from the
    generator's output for that style (hinge loss)."""

    def __init__(self, n_styles, width=32):
        super().__init__()
        sn = nn.utils.spectral_norm
        self.body = nn.Sequential(
            sn(nn.Conv2d(3, width, 4, 2, 1)), nn.LeakyReLU(0.2),
            sn(nn.Conv2d(width, 2 * width, 4, 2, 1)), nn.LeakyReLU(0.2),
            sn(nn.Conv2d(2 * width, 4 * width, 4, 2, 1)), nn.LeakyReLU(0.2),
            sn(nn.Conv2d(4 * width, n_styles, 3, 1, 1)),
        )

    def forward(self, x, style_index):
        logits = self.body(x)  # [B, n_styles, h, w]
        return logits.gather(1, style_index[:, None, None, None].expand(-1, 1, *logits.shape[2:]))


VGG_LAYERS = [
    ("conv1_1", 3, 64), ("conv1_2", 64, 64), "pool",
    ("conv2_1", 64, 128), ("conv2_2", 128, 128), "pool",
    ("conv3_1", 128, 256), ("conv3_2", 256, 256), ("conv3_3", 256, 256), ("conv3_4", 256, 256), "pool",
    ("conv4_1", 256, 512), ("conv4_2", 512, 512), ("conv4_3", 512, 512), ("conv4_4", 512, 512), "pool",
    ("conv5_1", 512, 512),
]


class VGGFeatures(nn.Module):
    """Frozen VGG19 (../shared/data/vgg, Caffe convention: BGR, 0..255, mean subtracted)."""

    MEAN_BGR = (103.939, 116.779, 123.68)

    def __init__(self, weights_path, outputs=("relu1_1", "relu2_1", "relu3_1", "relu4_1")):
        super().__init__()
        from safetensors.torch import load_file
        state = load_file(weights_path)
        self.outputs = set(outputs)
        last = max(int(o[4]) * 10 + int(o[6]) for o in outputs)
        self.convs = nn.ModuleDict()
        self.plan = []
        for item in VGG_LAYERS:
            if item == "pool":
                self.plan.append("pool")
                continue
            name, c_in, c_out = item
            if int(name[4]) * 10 + int(name[6]) > last:
                break
            conv = nn.Conv2d(c_in, c_out, 3, padding=1)
            conv.weight.data = state[f"{name}.weight"].float()
            conv.bias.data = state[f"{name}.bias"].float()
            self.convs[name] = conv
            self.plan.append(name)
        while self.plan and self.plan[-1] == "pool":
            self.plan.pop()
        self.register_buffer("mean", torch.tensor(self.MEAN_BGR).view(1, 3, 1, 1))
        self.requires_grad_(False)
        self.eval()

    def forward(self, rgb01, upto=None):
        """Features by name; with `upto` (a relu name) the pass stops once it has that one."""
        x = rgb01.flip(1) * 255.0 - self.mean
        feats = {}
        for step in self.plan:
            if upto is not None and upto in feats:
                break
            if step == "pool":
                x = F.max_pool2d(x, 2)
            else:
                # In place: a conv's backward does not read its output (ReLU's reads its own).
                x = F.relu(self.convs[step](x), inplace=True)
                relu = "relu" + step[4:]
                if relu in self.outputs:
                    feats[relu] = x
        return feats


def gram(feat):
    b, c, h, w = feat.shape
    if feat.is_contiguous(memory_format=torch.channels_last):
        # Channels-last features are [b, h*w, c] in memory already: no copy to reshape.
        f = feat.permute(0, 2, 3, 1).reshape(b, h * w, c)
        return f.transpose(1, 2) @ f / (c * h * w)
    f = feat.reshape(b, c, h * w)
    return f @ f.transpose(1, 2) / (c * h * w)
