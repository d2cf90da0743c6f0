import torch

from asr.models.mask import causal_mask, decoder_self_allowed, key_padding_allowed, make_pad_mask

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
