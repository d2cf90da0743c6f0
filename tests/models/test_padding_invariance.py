"""An utterance inside a padded batch gets the same outputs as when run alone."""

import pytest
import torch

from asr.models import DynamicChunk

X_LENS = [93, 41, 15]
Y_LENS = [5, 7, 2]


def check_invariance(model, x, xl, ys, yl):
    model.eval()
    with torch.no_grad():
        memory, memory_lens = model.encode(x, xl)
        ys_in, _, ys_in_lens = model.add_sos_eos(ys, yl)
        logits = model.decoder(memory, memory_lens, ys_in, ys_in_lens)
        for b in range(x.shape[0]):
            t, u = int(xl[b]), int(yl[b])
            mem_b, mem_len_b = model.encode(x[b : b + 1, :t], xl[b : b + 1])
            n = int(mem_len_b)
            assert int(memory_lens[b]) == n
            torch.testing.assert_close(memory[b, :n], mem_b[0], atol=1e-5, rtol=1e-5)
            assert torch.all(memory[b, n:] == 0)
            in_b, _, in_lens_b = model.add_sos_eos(ys[b : b + 1, :u], yl[b : b + 1])
            logits_b = model.decoder(mem_b, mem_len_b, in_b, in_lens_b)
            torch.testing.assert_close(logits[b, : u + 1], logits_b[0], atol=1e-5, rtol=1e-5)


def test_encoder_and_decoder_are_padding_invariant(build_model, make_batch, encoder_type):
    model = build_model(encoder_type, specaug=None)
    check_invariance(model, *make_batch(X_LENS, Y_LENS))


@pytest.mark.parametrize("subsampling", [6, 8])
def test_padding_invariant_with_other_subsampling(build_model, make_batch, subsampling):
    model = build_model("conformer", subsampling=subsampling)
    check_invariance(model, *make_batch(X_LENS, Y_LENS))


def test_post_norm_transformer_is_padding_invariant(build_model, make_batch):
    check_invariance(build_model("transformer", pre_norm=False), *make_batch(X_LENS, Y_LENS))


def test_garbage_in_padding_does_not_change_real_outputs(build_model, make_batch, encoder_type):
    """Padding that is not zero (e.g. after CMVN) must still be invisible."""
    model = build_model(encoder_type).eval()
    x, xl, ys, yl = make_batch(X_LENS, Y_LENS)
    noisy = x.clone()
    noisy[1, X_LENS[1] :] = 1e3
    noisy_ys = ys.masked_fill(ys < 0, 5)
    with torch.no_grad():
        clean, memory_lens = model.encode(x, xl)
        torch.testing.assert_close(model.encode(noisy, xl)[0], clean)
        noisy_in, _, ys_in_lens = model.add_sos_eos(noisy_ys, yl)
        clean_in, _, _ = model.add_sos_eos(ys, yl)
        torch.testing.assert_close(
            model.decoder(clean, memory_lens, noisy_in, ys_in_lens),
            model.decoder(clean, memory_lens, clean_in, ys_in_lens),
        )


@pytest.mark.parametrize(("chunk", "left"), [(1, -1), (4, -1), (5, 1)])
def test_chunk_masked_encoder_is_padding_invariant(
    build_model, make_batch, encoder_type, chunk, left
):
    """Chunks start at every utterance's frame 0, so padding moves no chunk boundary."""
    model = build_model(encoder_type, streaming=DynamicChunk(), specaug=None).eval()
    x, xl, _, _ = make_batch(X_LENS, Y_LENS)
    noisy = x.masked_fill(torch.arange(x.shape[1])[None, :, None] >= xl[:, None, None], 1e3)
    with torch.no_grad():
        memory, memory_lens = model.encode(noisy, xl, chunk, left)
        for b in range(x.shape[0]):
            alone, n = model.encode(x[b : b + 1, : int(xl[b])], xl[b : b + 1], chunk, left)
            torch.testing.assert_close(memory[b, : int(n)], alone[0], atol=1e-5, rtol=1e-5)
            assert torch.all(memory[b, int(n) :] == 0)
