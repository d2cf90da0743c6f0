"""A small randomly initialised ASRModel and independent re-scorers for the decoding tests."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from asr.models import ASRModel

VOCAB = 8  # <blank>=0, <unk>=1, tokens 2..6, <sos/eos>=7
FEAT = 20


def tiny_model(vocab_size: int = VOCAB, seed: int = 0, eos_bias: float = 0.0) -> ASRModel:
    """Random weights made peakier than at init, so that searches disagree and end early."""
    torch.manual_seed(seed)
    model = ASRModel(
        vocab_size, feat_dim=FEAT, d_model=32, heads=2, encoder_layers=2, encoder_ffn_dim=64,
        decoder_layers=2, decoder_ffn_dim=64, dropout=0.0, specaug=None,
    )  # fmt: skip
    with torch.no_grad():
        model.decoder.out.weight.mul_(4.0)
        model.decoder.out.bias[model.sos_eos_id] += eos_bias
        model.ctc.proj.weight.mul_(4.0)
    return model.eval()


def encode(model: ASRModel, x: torch.Tensor, lens: torch.Tensor):
    with torch.inference_mode():
        memory, memory_lens = model.encode(x, lens)
        return memory, memory_lens, model.ctc_log_probs(memory)


def att_logprob(model: ASRModel, memory: torch.Tensor, memory_len: int, tokens: list[int]) -> float:
    """log P_att(tokens, <eos>) of one utterance by a teacher-forced forward pass."""
    eos = model.sos_eos_id
    ys_in = torch.tensor([[eos, *tokens]])
    with torch.inference_mode():
        logits = model.decoder(memory[None, :memory_len], torch.tensor([memory_len]), ys_in,
                               torch.tensor([len(tokens) + 1]))  # fmt: skip
    logp = logits[0].float().log_softmax(-1)
    return float(logp[torch.arange(len(tokens) + 1), torch.tensor([*tokens, eos])].sum())


def ctc_logprob(log_probs: torch.Tensor, length: int, tokens: list[int]) -> float:
    """log P_ctc(tokens) of one utterance's (T, V) log-probs, by ``F.ctc_loss``."""
    loss = F.ctc_loss(
        log_probs[:length, None].double(), torch.tensor([tokens], dtype=torch.long),
        torch.tensor([length]), torch.tensor([len(tokens)]), blank=0, reduction="sum",
    )  # fmt: skip
    return -float(loss)
