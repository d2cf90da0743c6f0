import pytest
import torch

from asr.models import SpecAugment


@pytest.mark.slow
def test_tiny_model_overfits_one_batch(build_model, make_batch, encoder_type):
    """Loss starts near 10 (uniform guesses) and must fall below 0.5 within 60 Adam steps."""
    model = build_model(encoder_type, dropout=0.0, label_smoothing=0.0)
    batch = make_batch([64, 50], [5, 4])
    optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)
    first = None
    for _ in range(60):
        out = model(*batch)
        optimizer.zero_grad()
        out["loss"].backward()
        optimizer.step()
        first = first if first is not None else out["loss"].item()
    assert first > 5.0
    assert out["loss"].item() < 0.5
    assert out["acc"].item() == 1.0


def assert_finite_step(model, batch):
    out = model(*batch)
    assert torch.isfinite(out["loss"]) and torch.isfinite(out["loss_ctc"])
    out["loss"].backward()
    for name, p in model.named_parameters():
        assert p.grad is not None and torch.isfinite(p.grad).all(), name


def test_minimum_length_and_too_short_utterances_give_no_nan(build_model, make_batch, encoder_type):
    model = build_model(encoder_type, specaug=SpecAugment(time_warp=5)).train()
    shortest = model.min_input_frames
    assert shortest == 7
    # one utterance at the minimum (1 encoder frame), one shorter (0 frames), one normal
    batch = make_batch([shortest, shortest - 2, 40], [1, 2, 4])
    with torch.no_grad():
        memory, memory_lens = model.eval().encode(batch[0], batch[1])
    assert memory_lens.tolist() == [1, 0, 9]
    assert torch.isfinite(memory).all()
    assert_finite_step(model.train(), batch)


def test_bf16_autocast_on_cpu_has_no_nan(build_model, make_batch, encoder_type):
    model = build_model(encoder_type, specaug=SpecAugment()).train()
    batch = make_batch([7, 90, 55], [1, 6, 3])
    with torch.autocast("cpu", dtype=torch.bfloat16):
        assert_finite_step(model, batch)
        model.eval()
        with torch.no_grad():
            memory, memory_lens = model.encode(batch[0], batch[1])
            logp, _ = model.decoder.step(
                torch.full((3,), model.sos_eos_id), model.decoder.init_state(memory, memory_lens)
            )
    assert torch.isfinite(logp).all() and logp.dtype == torch.float32


def test_cmvn_is_applied_inside_and_saved_with_the_weights(build_model, make_batch):
    mean, istd = torch.randn(20), torch.rand(20) + 0.5
    with_cmvn = build_model(cmvn_mean=mean, cmvn_istd=istd).eval()
    plain = build_model().eval()
    state = with_cmvn.state_dict()
    assert torch.equal(state["cmvn_mean"], mean) and torch.equal(state["cmvn_istd"], istd)
    x, xl, _, _ = make_batch([50, 30], [1, 1])
    normalised = ((x - mean) * istd).masked_fill(torch.arange(50)[None, :, None] >= 30, 0)
    normalised[0] = (x[0] - mean) * istd
    with torch.no_grad():
        torch.testing.assert_close(with_cmvn.encode(x, xl)[0], plain.encode(normalised, xl)[0])
    # a model built without statistics takes them from a checkpoint
    plain.load_state_dict(state)
    assert torch.equal(plain.cmvn_mean, mean)


def test_num_params_counts_trainable_parameters(build_model):
    model = build_model()
    assert model.num_params() == sum(p.numel() for p in model.parameters())
    model.decoder.requires_grad_(False)
    assert model.num_params() < sum(p.numel() for p in model.parameters())
