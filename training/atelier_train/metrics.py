"""The quality metric of the training campaign (issue "Train the styles until they paint"), in one place.

- Style ratio: VGG19 Gram matrices of relu1_1, relu2_1, relu3_1 and relu4_1 (features as C x HW,
  divided by HW); the mean squared difference per layer, summed over the four layers without
  weights; stylized picture vs painting, divided by the same for the unstyled photo vs painting.
  Lower is closer to the painting; 1 is no closer than the photo.
- Content distance: ||relu4_1(stylized) - relu4_1(photo)|| / ||relu4_1(photo)||.
- Both on pictures seen at 256 px on the long side (Caffe preprocessing inside VGGFeatures).
"""
import numpy as np
import torch
from PIL import Image

from .data import to_tensor

METRIC_LAYERS = ("relu1_1", "relu2_1", "relu3_1", "relu4_1")
VIEW_SIDE = 256


def gram_hw(feat):
    b, c, h, w = feat.shape
    f = feat.reshape(b, c, h * w)
    return f @ f.transpose(1, 2) / (h * w)


def view(image, side=VIEW_SIDE):
    """A PIL image (or HxWx3 uint8 array) seen at `side` px on its long side (Lanczos)."""
    if isinstance(image, np.ndarray):
        image = Image.fromarray(image)
    image = image.convert("RGB")
    scale = side / max(image.size)
    if scale != 1:
        image = image.resize((max(1, round(image.width * scale)), max(1, round(image.height * scale))), Image.LANCZOS)
    return image


class Metric:
    def __init__(self, vgg):
        """`vgg`: a VGGFeatures with at least METRIC_LAYERS among its outputs."""
        self.vgg = vgg

    @torch.no_grad()
    def features(self, image):
        return self.vgg(to_tensor(view(image))[None])

    @torch.no_grad()
    def grams(self, image):
        feats = self.features(image)
        return {k: gram_hw(feats[k])[0] for k in METRIC_LAYERS}

    @staticmethod
    def gram_distance(grams_a, grams_b):
        return sum(float(((grams_a[k] - grams_b[k]) ** 2).mean()) for k in METRIC_LAYERS)

    def style_ratio(self, stylized_feats, photo_feats, painting_grams):
        """Features from `features()`; painting from `grams()`."""
        g_out = {k: gram_hw(stylized_feats[k])[0] for k in METRIC_LAYERS}
        g_photo = {k: gram_hw(photo_feats[k])[0] for k in METRIC_LAYERS}
        return self.gram_distance(g_out, painting_grams) / max(self.gram_distance(g_photo, painting_grams), 1e-12)

    @staticmethod
    def content_distance(stylized_feats, photo_feats):
        a, b = stylized_feats["relu4_1"], photo_feats["relu4_1"]
        if a.shape != b.shape:
            a = torch.nn.functional.interpolate(a, size=b.shape[2:], mode="bilinear", align_corners=False)
        return float((a - b).norm() / b.norm().clamp_min(1e-12))
