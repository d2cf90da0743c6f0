import math

import pytest
import torch

from asr.models.attention import MultiHeadAttention, RelPositionMultiHeadAttention, rel_shift
from asr.models.mask import key_padding_allowed
from asr.models.positional import RelPositionalEncoding


def reference_attention(mha: MultiHeadAttention, x: torch.Tensor, allowed: torch.Tensor):
    """softmax(QKᵀ/√d_k) V written out by hand, masked with -inf."""
    q, k, v = (mha.split_heads(p(x)) for p in (mha.q_proj, mha.k_proj, mha.v_proj))
    scores = q @ k.transpose(-2, -1) / math.sqrt(mha.d_k)
    weights = scores.masked_fill(~allowed, float("-inf")).softmax(-1)
    return mha.out_proj(mha.merge_heads(weights @ v))


def test_matches_hand_written_attention_under_a_mask():
    torch.manual_seed(0)
    mha = MultiHeadAttention(16, 4).eval()
    x = torch.randn(2, 5, 16)
    allowed = key_padding_allowed(torch.tensor([5, 3]), 5)
    torch.testing.assert_close(mha(x, x, allowed), reference_attention(mha, x, allowed))


@pytest.mark.parametrize("rel_pos", [False, True])
def test_fully_masked_rows_give_zeros_and_finite_gradients(rel_pos):
    torch.manual_seed(0)
    x = torch.randn(2, 4, 16, requires_grad=True)
    allowed = key_padding_allowed(torch.tensor([4, 0]), 4)  # utterance 1 has no real key
    if rel_pos:
        mha = RelPositionMultiHeadAttention(16, 4)
        _, pos_emb = RelPositionalEncoding(16, dropout=0.0)(x)
        out = mha(x, pos_emb, allowed)
    else:
        mha = MultiHeadAttention(16, 4)
        out = mha(x, x, allowed)
    heads_out = out - mha.out_proj.bias  # the output projection of zeros is its bias
    assert torch.all(heads_out[1].abs() < 1e-6)
    assert heads_out[0].abs().sum() > 0
    out.sum().backward()
    assert torch.isfinite(x.grad).all()


def test_rel_shift_picks_the_score_of_relative_position_i_minus_j():
    t = 5
    scores = torch.randn(2, 3, t, 2 * t - 1)
    shifted = rel_shift(scores)
    i = torch.arange(t)[:, None]
    j = torch.arange(t)[None, :]
    expected = scores[:, :, i, t - 1 - i + j]  # table index k ↔ relative position T-1-k = i-j
    torch.testing.assert_close(shifted, expected)


def test_rel_pos_attention_is_padding_invariant():
    torch.manual_seed(0)
    mha = RelPositionMultiHeadAttention(16, 4).eval()
    pos = RelPositionalEncoding(16, dropout=0.0)
    x = torch.randn(1, 6, 16)
    x_alone, pos_alone = pos(x)
    alone = mha(x_alone, pos_alone, key_padding_allowed(torch.tensor([6]), 6))
    padded = torch.cat((x, torch.randn(1, 4, 16)), dim=1)
    x_pad, pos_pad = pos(padded)
    batched = mha(x_pad, pos_pad, key_padding_allowed(torch.tensor([6]), 10))
    torch.testing.assert_close(batched[:, :6], alone, atol=1e-5, rtol=1e-5)


def test_relative_positions_change_the_scores():
    """The position term is live: the same content at another offset attends differently."""
    torch.manual_seed(0)
    mha = RelPositionMultiHeadAttention(16, 4).eval()
    x, pos_emb = RelPositionalEncoding(16, dropout=0.0)(torch.randn(1, 6, 16))
    out = mha(x, pos_emb, None)
    out_flipped = mha(x.flip(1), pos_emb, None).flip(1)
    assert not torch.allclose(out, out_flipped, atol=1e-4)


@pytest.mark.parametrize(("tq", "tk"), [(3, 7), (4, 4), (1, 5)])
def test_rel_shift_of_a_chunk_after_cached_keys(tq, tk):
    """Tq queries are the last Tq of Tk keys: query i sits at key position Tk − Tq + i."""
    scores = torch.randn(2, 3, tq, tq + tk - 1)
    shifted = rel_shift(scores)
    assert shifted.shape == (2, 3, tq, tk)
    for i in range(tq):
        for j in range(tk):
            rel = (tk - tq + i) - j
            torch.testing.assert_close(shifted[..., i, j], scores[..., i, tk - 1 - rel])


@pytest.mark.parametrize("rel_pos", [False, True])
def test_chunk_with_cached_keys_equals_the_masked_full_attention(rel_pos):
    """A chunk attending cached K/V of the frames before it = those rows of a full forward
    whose mask lets each of them see exactly those frames and its own chunk."""
    torch.manual_seed(0)
    x = torch.randn(2, 9, 16)
    past, chunk = 5, 4
    allowed = torch.ones(9, 9, dtype=torch.bool)
    allowed[:past, past:] = False  # the cached frames are not the chunk's concern here
    if rel_pos:
        mha, pos = RelPositionMultiHeadAttention(16, 4).eval(), RelPositionalEncoding(16, 0.0)
        full = mha(x, pos(x)[1], allowed)
        _, table = pos(x[:, past:], keys=past + chunk)
        out, (k, v) = mha.forward_chunk(x[:, past:], table, mha.project_kv(x[:, :past]))
    else:
        mha = MultiHeadAttention(16, 4).eval()
        full = mha(x, x, allowed)
        out, (k, v) = mha.forward_chunk(x[:, past:], mha.project_kv(x[:, :past]))
    torch.testing.assert_close(out, full[:, past:], atol=1e-5, rtol=1e-5)
    k_all, v_all = mha.project_kv(x)
    torch.testing.assert_close(k, k_all)
    torch.testing.assert_close(v, v_all)
