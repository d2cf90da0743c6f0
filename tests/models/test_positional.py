import math

import pytest
import torch

from asr.models.positional import PositionalEncoding, RelPositionalEncoding, sinusoid


def test_sinusoid_follows_the_transformer_formula():
    d = 8
    table = sinusoid(torch.arange(50), d)
    for pos in (0, 1, 17, 49):
        for i in range(d // 2):
            angle = pos / 10000 ** (2 * i / d)
            assert table[pos, 2 * i].item() == pytest.approx(math.sin(angle), abs=1e-5)
            assert table[pos, 2 * i + 1].item() == pytest.approx(math.cos(angle), abs=1e-5)


def test_absolute_encoding_scales_and_offsets():
    pe = PositionalEncoding(8, dropout=0.0)
    x = torch.randn(2, 5, 8)
    out = pe(x)
    torch.testing.assert_close(out, x * math.sqrt(8) + sinusoid(torch.arange(5), 8))
    # a step at offset 3 sees the same position as frame 3 of a full sequence
    torch.testing.assert_close(pe(x[:, 3:4], offset=3), out[:, 3:4])


def test_relative_table_runs_from_t_minus_one_down_to_minus_t_plus_one():
    rel = RelPositionalEncoding(8, dropout=0.0)
    x = torch.randn(1, 4, 8)
    scaled, table = rel(x)
    torch.testing.assert_close(scaled, x * math.sqrt(8))
    assert table.shape == (1, 7, 8)
    torch.testing.assert_close(table[0], sinusoid(torch.arange(3, -4, -1), 8))


def test_odd_width_is_refused():
    with pytest.raises(ValueError, match="even"):
        sinusoid(torch.arange(3), 7)


def test_relative_table_of_a_chunk_after_cached_keys():
    """3 queries after 4 cached keys: relative positions 6 (last query, first key) … −2."""
    rel = RelPositionalEncoding(8, dropout=0.0)
    _, table = rel(torch.randn(1, 3, 8), keys=7)
    assert table.shape == (1, 9, 8)
    torch.testing.assert_close(table[0], sinusoid(torch.arange(6, -3, -1), 8))
