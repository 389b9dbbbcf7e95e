"""The typed training config: every config in training/configs loads, a misspelt key is refused."""
import glob
import json
import os
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
from atelier_train.config import ConfigError, TrainConfig, from_dict, load  # noqa: E402

CONFIGS = sorted(glob.glob(os.path.join(os.path.dirname(HERE), "configs", "*.json")))


class ConfigTest(unittest.TestCase):
    def test_every_config_of_the_campaign_loads(self):
        self.assertGreaterEqual(len(CONFIGS), 10)
        for path in CONFIGS:
            with self.subTest(path=os.path.basename(path)):
                config = load(path)
                self.assertIsInstance(config, TrainConfig)
                self.assertTrue(os.path.isabs(config.out_dir) and os.path.isabs(config.data_dir))
                with open(path, encoding="utf-8") as f:
                    raw = json.load(f)
                # What the file says is what the run reads.
                for key, value in raw.items():
                    if not key.startswith("_") and key not in ("data_dir", "out_dir"):
                        self.assertEqual(getattr(config, key), value, key)

    def base(self):
        with open(os.path.join(os.path.dirname(HERE), "configs", "cpu-campaign.json"), encoding="utf-8") as f:
            return json.load(f)

    def test_a_misspelt_key_is_refused_with_the_right_name(self):
        raw = self.base()
        raw["chroma_tv_wieght"] = 15.0
        with self.assertRaises(ConfigError) as caught:
            from_dict(raw, source="typo.json")
        message = str(caught.exception)
        self.assertIn("typo.json", message)
        self.assertIn("'chroma_tv_wieght'", message)
        self.assertIn("did you mean 'chroma_tv_weight'", message)

    def test_a_missing_required_key_is_named(self):
        raw = self.base()
        del raw["lr"]
        with self.assertRaisesRegex(ConfigError, "missing key 'lr'"):
            from_dict(raw)

    def test_defaults_and_bad_values(self):
        config = from_dict(self.base())
        self.assertEqual((config.margin, config.chroma_tv_weight, config.trainable), (0, 0.0, "all"))
        self.assertEqual(config.as_dict()["widths"], config.widths, "checkpoints keep a plain dict")
        with self.assertRaisesRegex(ConfigError, "trainable is 'norms'"):
            from_dict({**self.base(), "trainable": "norms"})
        with self.assertRaisesRegex(ConfigError, "init_from and init_from_package"):
            from_dict({**self.base(), "init_from": "a.pt", "init_from_package": "../../models"})

    def test_the_next_network_keys(self):
        config = from_dict({**self.base(), "extra_paintings": ["a.jpg", "b.jpg"], "laplacian_weight": 100.0})
        self.assertEqual((config.extra_paintings, config.laplacian_weight, config.laplacian_pool), (["a.jpg", "b.jpg"], 100.0, 4))
        with self.assertRaisesRegex(ConfigError, "laplacian_pool is 0"):
            from_dict({**self.base(), "laplacian_pool": 0})
        with self.assertRaisesRegex(ConfigError, "names a painting twice"):
            from_dict({**self.base(), "extra_paintings": ["a.jpg", "a.jpg"]})
        with self.assertRaisesRegex(ConfigError, "did you mean 'laplacian_weight'"):
            from_dict({**self.base(), "laplacian_weigth": 1.0})

    def test_a_deeper_content_term_for_named_paintings(self):
        config = from_dict({**self.base(), "content_extra_layer": "relu4_1", "content_extra_weight_by_file": {"a.jpg": 0.3}})
        self.assertEqual((config.content_extra_layer, config.content_extra_weight_by_file), ("relu4_1", {"a.jpg": 0.3}))
        self.assertIsNone(from_dict(self.base()).content_extra_layer, "none unless asked for")
        with self.assertRaisesRegex(ConfigError, "content_extra_layer is 'relu4_2'"):
            from_dict({**self.base(), "content_extra_layer": "relu4_2", "content_extra_weight_by_file": {"a.jpg": 0.3}})
        with self.assertRaisesRegex(ConfigError, "without a content_extra_layer"):
            from_dict({**self.base(), "content_extra_weight_by_file": {"a.jpg": 0.3}})
        with self.assertRaisesRegex(ConfigError, "negative weight"):
            from_dict({**self.base(), "content_extra_layer": "relu4_1", "content_extra_weight_by_file": {"a.jpg": -1.0}})

    def test_margin_drawn_per_batch(self):
        self.assertEqual(from_dict({**self.base(), "margin_range": [8, 64]}).margin_range, [8, 64])
        self.assertIsNone(from_dict(self.base()).margin_range, "the fixed margin unless asked for")
        for bad in ([64, 8], [6, 64], [8], [-4, 8]):
            with self.assertRaisesRegex(ConfigError, "margin_range is"):
                from_dict({**self.base(), "margin_range": bad})
        with self.assertRaisesRegex(ConfigError, "margin_range and context"):
            from_dict({**self.base(), "margin_range": [8, 64], "context": [16, 32]})

    def test_margin_consistency(self):
        config = from_dict({**self.base(), "margin_range": [8, 64], "margin_consistency_weight": 30})
        self.assertEqual(config.margin_consistency_weight, 30)
        self.assertEqual(from_dict(self.base()).margin_consistency_weight, 0.0, "no term unless asked for")
        with self.assertRaisesRegex(ConfigError, "needs margin_range"):
            from_dict({**self.base(), "margin_consistency_weight": 30})
        with self.assertRaisesRegex(ConfigError, "margin_consistency_weight is"):
            from_dict({**self.base(), "margin_range": [8, 64], "margin_consistency_weight": -1})

    def test_spike_penalty(self):
        config = from_dict({**self.base(), "spike_weight": 0.5, "spike_threshold": 5})
        self.assertEqual((config.spike_weight, config.spike_threshold), (0.5, 5))
        self.assertEqual(from_dict(self.base()).spike_weight, 0.0, "no penalty unless asked for")
        with self.assertRaisesRegex(ConfigError, "spike_weight is -1"):
            from_dict({**self.base(), "spike_weight": -1})
        with self.assertRaisesRegex(ConfigError, "not with context"):
            from_dict({**self.base(), "spike_weight": 1, "context": [16, 32]})
        with self.assertRaisesRegex(ConfigError, "spike_threshold is 0"):
            from_dict({**self.base(), "spike_threshold": 0})

    def test_style_targets_by_region(self):
        config = from_dict({**self.base(), "region_style_weight": 0.75, "region_stride": 32})
        self.assertEqual((config.region_style_weight, config.region_stride), (0.75, 32))
        self.assertEqual(from_dict(self.base()).region_style_weight, 0.0, "the whole painting only unless asked for")
        with self.assertRaisesRegex(ConfigError, "region_style_weight is 1.5"):
            from_dict({**self.base(), "region_style_weight": 1.5})
        with self.assertRaisesRegex(ConfigError, "region_stride is 0"):
            from_dict({**self.base(), "region_style_weight": 0.5, "region_stride": 0})

    def test_paths_are_relative_to_the_file(self):
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "run.json")
            with open(path, "w", encoding="utf-8") as f:
                json.dump({**self.base(), "data_dir": "data", "out_dir": "../out"}, f)
            config = load(path)
            self.assertEqual(config.data_dir, os.path.join(tmp, "data"))
            self.assertEqual(config.out_dir, os.path.normpath(os.path.join(tmp, "..", "out")))
            with open(path, "w", encoding="utf-8") as f:
                f.write("{ not json")
            with self.assertRaisesRegex(ConfigError, "not valid JSON"):
                load(path)


if __name__ == "__main__":
    unittest.main()
