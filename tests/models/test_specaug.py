import pytest
import torch

from asr.models import SpecAugment


def batch(seed=0):
    gen = torch.Generator().manual_seed(seed)
    lengths = torch.tensor([200, 120, 31, 9])
    x = torch.randn(4, 200, 40, generator=gen) + 5.0  # no exact zeros before masking
    return x, lengths


@pytest.mark.parametrize("time_warp", [0, 5])
def test_frames_at_or_beyond_the_length_are_never_touched(time_warp):
    aug = SpecAugment(freq_masks=2, freq_width=10, time_masks=4, time_width_ratio=0.3,
                      time_warp=time_warp).train()  # fmt: skip
    x, lengths = batch()
    for seed in range(20):
        torch.manual_seed(seed)
        out = aug(x, lengths)
        for b, n in enumerate(lengths.tolist()):
            assert torch.equal(out[b, n:], x[b, n:])
        assert not torch.equal(out[0, :200], x[0, :200])


def test_masks_stay_within_the_configured_widths():
    aug = SpecAugment(freq_masks=1, freq_width=6, time_masks=1, time_width_ratio=0.1, time_warp=0)
    x, lengths = batch()
    torch.manual_seed(0)
    widest_bins = widest_frames = 0
    for _ in range(20):
        zero = aug.train()(x, lengths) == 0
        for b, n in enumerate(lengths.tolist()):
            bins = zero[b, :n].all(dim=0).sum().item()
            frames = zero[b, :n].all(dim=1).sum().item()
            assert bins <= 6 and frames <= int(0.1 * n)
            widest_bins, widest_frames = max(widest_bins, bins), max(widest_frames, frames)
    assert widest_bins >= 4 and widest_frames >= 10  # masks are really applied


def test_time_warp_keeps_real_frames_inside_the_utterance():
    """Warped frames interpolate neighbours of the same utterance: values stay in its range."""
    aug = SpecAugment(freq_masks=0, time_masks=0, time_warp=5).train()
    x = torch.arange(100, dtype=torch.float32)[None, :, None].repeat(2, 1, 3)
    lengths = torch.tensor([100, 60])
    torch.manual_seed(3)
    changed = False
    for _ in range(10):
        out = aug(x, lengths)
        assert (out[1, :60] <= 59).all() and (out[1, :60] >= 0).all()
        assert torch.equal(out[1, 60:], x[1, 60:])
        # monotone: warping never reorders time
        assert (out[:, 1:60] - out[:, :59] >= 0).all()
        changed |= not torch.equal(out, x)
    assert changed


def test_identity_in_eval_mode():
    x, lengths = batch()
    assert torch.equal(SpecAugment().eval()(x, lengths), x)


def test_model_applies_specaug_only_in_training(build_model, make_batch):
    model = build_model(specaug=SpecAugment(time_masks=3, time_width_ratio=0.2))
    x, xl, _, _ = make_batch([90, 60], [2, 2])
    model.eval()
    with torch.no_grad():
        first = model.encode(x, xl)[0]
        torch.testing.assert_close(model.encode(x, xl)[0], first)
        model.train()
        model.encoder.eval()  # only SpecAugment may differ, not dropout
        model.specaug.train()
        torch.manual_seed(0)
        assert not torch.allclose(model.encode(x, xl)[0], first)
