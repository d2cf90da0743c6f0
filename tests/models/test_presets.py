from pathlib import Path

import pytest
import torch
from hydra.utils import instantiate
from omegaconf import OmegaConf

from asr.models import ASRModel, SpecAugment
from asr.models.conformer import ConformerEncoder
from asr.models.encoder import TransformerEncoder

PRESETS = Path(__file__).resolve().parents[2] / "conf" / "model"


@pytest.mark.parametrize(
    ("name", "encoder", "d_model", "layers", "vocab", "millions"),
    [
        ("transformer", TransformerEncoder, 256, (12, 6), 5000, (25, 32)),
        ("conformer", ConformerEncoder, 256, (12, 6), 5000, (28, 36)),
        ("tiny", ConformerEncoder, 144, (6, 3), 100, (3, 6)),
    ],
)
def test_preset_builds_the_documented_model(name, encoder, d_model, layers, vocab, millions):
    cfg = OmegaConf.load(PRESETS / f"{name}.yaml")
    assert OmegaConf.is_missing(cfg, "vocab_size")
    assert cfg.feat_dim == 80 and not any(key.startswith("cmvn") for key in cfg)
    mean, istd = torch.randn(80), torch.rand(80)
    model = instantiate(cfg, vocab_size=vocab, cmvn_mean=mean, cmvn_istd=istd)
    assert isinstance(model, ASRModel) and isinstance(model.specaug, SpecAugment)
    assert type(model.encoder) is encoder
    assert (
        model.encoder.layers[0].self_attn.heads * model.encoder.layers[0].self_attn.d_k == d_model
    )
    assert (len(model.encoder.layers), len(model.decoder.layers)) == layers
    assert millions[0] < model.num_params() / 1e6 < millions[1]
    assert torch.equal(model.cmvn_mean, mean)
