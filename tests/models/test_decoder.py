import pytest
import torch

from asr.models.mask import make_pad_mask


def encoded(model, make_batch):
    x, xl, ys, yl = make_batch([60, 33, 21], [6, 4, 3])
    model.eval()
    with torch.no_grad():
        memory, memory_lens = model.encode(x, xl)
    ys_in, _, ys_in_lens = model.add_sos_eos(ys, yl)
    return memory, memory_lens, ys_in, ys_in_lens


def test_changing_later_tokens_leaves_earlier_outputs_unchanged(build_model, make_batch):
    model = build_model()
    memory, memory_lens, ys_in, _ = encoded(model, make_batch)
    full = torch.full_like(memory_lens, ys_in.shape[1])
    t = 3
    changed = ys_in.clone()
    changed[:, t + 1 :] = (changed[:, t + 1 :] + 1) % (model.vocab_size - 1)
    with torch.no_grad():
        before = model.decoder(memory, memory_lens, ys_in, full)
        after = model.decoder(memory, memory_lens, changed, full)
    torch.testing.assert_close(after[:, : t + 1], before[:, : t + 1])
    assert not torch.allclose(after[:, t + 1 :], before[:, t + 1 :])


def test_step_by_step_with_cache_equals_the_full_forward(build_model, make_batch, encoder_type):
    model = build_model(encoder_type)
    memory, memory_lens, ys_in, ys_in_lens = encoded(model, make_batch)
    # teacher-force every utterance for the full width (padding ids are real tokens here)
    tokens = ys_in.masked_fill(make_pad_mask(ys_in_lens, ys_in.shape[1]), 3)
    width = torch.full_like(ys_in_lens, tokens.shape[1])
    with torch.no_grad():
        expected = model.decoder(memory, memory_lens, tokens, width).log_softmax(-1)
        state = model.decoder.init_state(memory, memory_lens)
        for u in range(tokens.shape[1]):
            logp, state = model.decoder.step(tokens[:, u], state)
            torch.testing.assert_close(logp, expected[:, u], atol=1e-5, rtol=1e-5)
    assert state.length == tokens.shape[1]


def test_select_reorders_and_repeats_hypotheses(build_model, make_batch):
    model = build_model()
    memory, memory_lens, ys_in, _ = encoded(model, make_batch)
    with torch.no_grad():
        state = model.decoder.init_state(memory, memory_lens)
        _, state = model.decoder.step(ys_in[:, 0], state)
        index = torch.tensor([2, 0, 0, 1])
        picked = state.select(index)
        logp, _ = model.decoder.step(ys_in[index, 1], picked)
        # the same hypotheses built directly from re-ordered memory
        direct = model.decoder.init_state(memory[index], memory_lens[index])
        _, direct = model.decoder.step(ys_in[index, 0], direct)
        expected, _ = model.decoder.step(ys_in[index, 1], direct)
    torch.testing.assert_close(logp, expected)
    torch.testing.assert_close(logp[1], logp[2])


def test_select_with_same_memory_equals_a_full_select(build_model, make_batch):
    """Hypotheses reordered within one utterance's memory: keeping cross K/V changes nothing."""
    model = build_model()
    memory, memory_lens, ys_in, _ = encoded(model, make_batch)
    with torch.no_grad():
        rows = torch.tensor([0, 0, 0])  # three hypotheses of utterance 0
        state = model.decoder.init_state(memory, memory_lens).select(rows)
        tokens = torch.tensor([3, 4, 5])
        _, state = model.decoder.step(tokens, state)
        index = torch.tensor([2, 2, 1])
        kept, _ = model.decoder.step(tokens[index], state.select(index, same_memory=True))
        full, _ = model.decoder.step(tokens[index], state.select(index))
    torch.testing.assert_close(kept, full)
    assert kept[0].ne(kept[2]).any()  # rows of different histories differ, so the check has teeth
    with pytest.raises(ValueError, match="as many rows"):
        state.select(torch.tensor([0]), same_memory=True)
