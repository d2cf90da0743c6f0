import pytest
import torch

from asr.models.mask import (
    causal_mask,
    chunk_allowed,
    chunk_mask,
    decoder_self_allowed,
    encoder_self_allowed,
    key_padding_allowed,
    make_pad_mask,
)

F, T = False, True


def test_pad_mask_is_true_at_padding():
    mask = make_pad_mask(torch.tensor([1, 3]), max_len=4)
    assert mask.dtype == torch.bool
    assert mask.tolist() == [[F, T, T, T], [F, F, F, T]]


def test_pad_mask_defaults_to_longest_length():
    mask = make_pad_mask(torch.tensor([2, 0, 3]))
    assert mask.tolist() == [[F, F, T], [T, T, T], [F, F, F]]


def test_causal_mask_is_true_where_allowed():
    assert causal_mask(3).tolist() == [[T, F, F], [T, T, F], [T, T, T]]


def test_key_padding_allowed_is_the_negated_pad_mask_broadcast_over_queries():
    allowed = key_padding_allowed(torch.tensor([1, 3]), 3)
    assert allowed.shape == (2, 1, 1, 3)
    assert allowed[:, 0, 0].tolist() == [[T, F, F], [T, T, T]]


def test_decoder_mask_is_causal_and_not_padding():
    allowed = decoder_self_allowed(torch.tensor([2, 3]), 3)
    assert allowed.shape == (2, 1, 3, 3)
    assert allowed[0, 0].tolist() == [[T, F, F], [T, T, F], [T, T, F]]
    assert allowed[1, 0].tolist() == causal_mask(3).tolist()


def brute_force_chunk_allowed(length: int, size: int, chunk: int, left: int) -> list[list[bool]]:
    """The definition, one (query, key) pair at a time: the key is a real frame, in the query's
    chunk or one of the ``left`` chunks before it (any earlier chunk when left < 0)."""
    allowed = []
    for i in range(size):
        row = []
        for j in range(size):
            ci, cj = i // chunk, j // chunk
            row.append(j < length and cj <= ci and (left < 0 or ci - cj <= left))
        allowed.append(row)
    return allowed


@pytest.mark.parametrize("chunk", [1, 2, 3, 5, 16])
@pytest.mark.parametrize("left", [-1, 0, 1, 2])
def test_chunk_mask_matches_the_brute_force_definition(chunk, left):
    lengths = torch.tensor([11, 7, 1, 0])
    allowed = chunk_allowed(lengths, 11, chunk, left)
    assert allowed.shape == (4, 1, 11, 11) and allowed.dtype == torch.bool
    for b, n in enumerate(lengths.tolist()):
        assert allowed[b, 0].tolist() == brute_force_chunk_allowed(n, 11, chunk, left)
    assert chunk_mask(11, chunk, left).tolist() == brute_force_chunk_allowed(11, 11, chunk, left)


def test_chunk_mask_never_shows_a_later_chunk_and_always_the_own_frame():
    allowed = chunk_mask(12, 4, left_chunks=1)
    assert allowed[0].tolist() == [T] * 4 + [F] * 8  # frame 0 sees its whole chunk, not beyond
    assert allowed[5].tolist() == [T] * 8 + [F] * 4
    assert allowed[9].tolist() == [F] * 4 + [T] * 8  # one chunk to the left, not two
    assert bool(allowed.diagonal().all())


def test_chunk_mask_of_one_chunk_covering_everything_is_full_context():
    lengths = torch.tensor([6, 4])
    assert chunk_allowed(lengths, 6, 6).expand(2, 1, 6, 6).tolist() == (
        key_padding_allowed(lengths, 6).expand(2, 1, 6, 6).tolist()
    )


def test_encoder_mask_is_full_context_without_a_chunk_size():
    lengths = torch.tensor([3, 2])
    assert encoder_self_allowed(lengths, 3).tolist() == key_padding_allowed(lengths, 3).tolist()
    assert (
        encoder_self_allowed(lengths, 3, 2, 0).tolist() == chunk_allowed(lengths, 3, 2, 0).tolist()
    )


def test_chunk_size_below_one_is_refused():
    with pytest.raises(ValueError, match="chunk_size must be >= 1, got 0"):
        chunk_mask(4, 0)
