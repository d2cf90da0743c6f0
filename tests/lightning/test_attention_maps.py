"""Attention maps recomputed from hooked projections reproduce the modules' real outputs."""

from __future__ import annotations

import pytest
import torch

from asr.data.batch import Batch
from asr.lightning.callbacks import attention_maps
from asr.models import ASRModel


@pytest.mark.parametrize("encoder", ["transformer", "conformer"])
def test_weights_reproduce_attention_outputs(encoder):
    torch.manual_seed(0)
    model = ASRModel(
        12,
        feat_dim=8,
        encoder=encoder,
        d_model=16,
        heads=1,
        encoder_layers=2,
        encoder_ffn_dim=16,
        decoder_layers=2,
        decoder_ffn_dim=16,
        subsampling_channels=4,
        conv_kernel=3,
    ).eval()
    batch = Batch(
        torch.randn(1, 50, 8), torch.tensor([50]), torch.tensor([[3, 4, 5, 6]]), torch.tensor([4])
    )
    modules = {
        "encoder self-attention": model.encoder.layers[-1].self_attn,
        "decoder cross-attention": model.decoder.layers[-1].cross_attn,
    }
    seen = {}
    hooks = [
        getattr(attn, proj).register_forward_hook(
            lambda _m, _i, out, key=(name, proj): seen.__setitem__(key, out)
        )
        for name, attn in modules.items()
        for proj in ("v_proj", "out_proj")
    ]
    maps = attention_maps(model, batch)
    for hook in hooks:
        hook.remove()

    frames = model.encode(batch.x, batch.x_lens)[1].item()
    assert maps["encoder self-attention"].shape == (frames, frames)
    assert maps["decoder cross-attention"].shape == (5, frames)  # <sos> + 4 tokens
    for name, attn in modules.items():
        weights = maps[name]
        torch.testing.assert_close(weights.sum(-1), torch.ones(weights.shape[0]))
        recomputed = attn.out_proj(weights @ seen[name, "v_proj"][0])
        torch.testing.assert_close(recomputed, seen[name, "out_proj"][0], atol=1e-5, rtol=1e-4)
