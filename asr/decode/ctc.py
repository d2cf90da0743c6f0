"""CTC decoding on log-prob tensors: greedy (best path) and prefix beam search, both batched.

Prefix beam search runs over utterances × beams at once, one loop over frames. Each frame
extends every prefix by the frame's ``beam`` most likely non-blank tokens (WeNet's per-frame
pruning) and keeps every prefix unchanged (blank or repeated last token). Candidates that spell
the same prefix are merged by comparing 62-bit rolling hashes of their token sequences.
``CtcPrefixBeam`` holds that search's state, so a stream advances it chunk by chunk.
"""

from __future__ import annotations

import torch

from asr.decode.hypothesis import Hypothesis

NEG_INF = float("-inf")
_P1, _M1 = 1_000_003, 2_147_483_647  # two rolling hashes: multiplier, prime modulus
_P2, _M2 = 1_000_033, 2_147_483_629


def ctc_greedy(
    log_probs: torch.Tensor, lens: torch.Tensor, blank: int = 0
) -> list[list[Hypothesis]]:
    """Best-path decoding; the score is the log-probability of that single path."""
    best, path = log_probs.max(dim=-1)  # (B, T)
    valid = torch.arange(path.size(1), device=path.device)[None, :] < lens[:, None]
    prev = torch.nn.functional.pad(path, (1, 0), value=blank)[:, :-1]
    keep = valid & (path != blank) & (path != prev)
    scores = best.masked_fill(~valid, 0.0).sum(dim=1)
    return [
        [Hypothesis(p[k].tolist(), float(s))]
        for p, k, s in zip(path.cpu(), keep.cpu(), scores.cpu(), strict=True)
    ]


def ctc_prefix_beam(
    log_probs: torch.Tensor, lens: torch.Tensor, beam: int, blank: int = 0
) -> list[list[Hypothesis]]:
    """The ``beam`` most probable label sequences, scored by their total CTC log-probability."""
    tokens, tok_lens, scores = ctc_prefix_beam_tensors(log_probs, lens, beam, blank)
    return nbest_lists(tokens, tok_lens, scores)


def ctc_prefix_beam_tensors(
    log_probs: torch.Tensor, lens: torch.Tensor, beam: int, blank: int = 0
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Prefix beam search as tensors: tokens (B, K, T) padded with -1, lengths and scores (B, K).

    Hypotheses are sorted best first; slots holding no prefix score ``-inf``.
    """
    B, T, V = log_probs.shape
    search = CtcPrefixBeam(B, beam, V, blank, log_probs.device, capacity=max(T, 1))
    search.advance(log_probs, lens)
    return search.nbest_tensors()


class CtcPrefixBeam:
    """The prefix beam search's state over B utterances × K beams, advanced frames at a time.

    ``advance`` may be called once with every frame (``ctc_prefix_beam``) or chunk after chunk
    as a stream's frames arrive: the search is frame-synchronous, so both give the same n-best.
    ``nbest_tensors`` reads the current n-best (a streaming partial result) without changing it.
    """

    def __init__(
        self,
        batch: int,
        beam: int,
        vocab_size: int,
        blank: int = 0,
        device: torch.device | str | None = None,
        capacity: int = 1,
    ):
        if beam < 1:
            raise ValueError(f"beam must be >= 1, got {beam}")
        B, K = batch, beam
        self.K, self.C, self.blank = K, min(beam, vocab_size - 1), blank
        self.frames = 0
        self.pb = torch.full((B, K), NEG_INF, device=device)
        self.pb[:, 0] = 0.0
        self.pnb = torch.full((B, K), NEG_INF, device=device)
        self.tokens = torch.full((B, K, capacity), -1, dtype=torch.long, device=device)
        self.tok_lens = torch.zeros(B, K, dtype=torch.long, device=device)
        self.last = torch.full((B, K), -1, dtype=torch.long, device=device)
        self.h1 = torch.zeros(B, K, dtype=torch.long, device=device)
        self.h2 = torch.zeros(B, K, dtype=torch.long, device=device)
        n_cand = K + K * self.C
        self.earlier = torch.ones(n_cand, n_cand, dtype=torch.bool, device=device).tril(-1)
        self.is_ext = torch.arange(n_cand, device=device) >= K
        self.blank_idx = torch.tensor([blank], device=device)
        self.parent_of = torch.cat(
            [torch.arange(K, device=device), torch.arange(K * self.C, device=device) // self.C]
        )

    def advance(self, log_probs: torch.Tensor, lens: torch.Tensor | None = None) -> None:
        """Extend the search by frames (B, T, V); utterance b reads its first ``lens[b]`` only
        (None: all T)."""
        B, T, _ = log_probs.shape
        K, C = self.K, self.C
        log_probs = log_probs.float()
        if lens is None:
            lens = torch.full((B,), T, device=log_probs.device)
        grow = self.frames + T - self.tokens.size(2)  # a prefix grows by one token a frame at most
        if grow > 0:
            self.tokens = torch.nn.functional.pad(self.tokens, (0, grow), value=-1)
        self.frames += T
        pb, pnb, tokens, tok_lens = self.pb, self.pnb, self.tokens, self.tok_lens
        last, h1, h2 = self.last, self.h1, self.h2
        for t in range(T):
            lp = log_probs[:, t]  # (B, V)
            lp_blank = lp[:, self.blank : self.blank + 1]
            lp_last = lp.gather(1, last.clamp(min=0)).masked_fill(last < 0, NEG_INF)
            p_any = torch.logaddexp(pb, pnb)
            # Candidates 0..K-1 keep the prefix; K.. extend prefix k by the frame's top-C tokens.
            ext_lp, ext_tok = lp.index_fill(1, self.blank_idx, NEG_INF).topk(C, dim=1)
            same = ext_tok[:, None, :] == last[:, :, None]  # (B, K, C)
            ext_pnb = torch.where(same, pb[:, :, None], p_any[:, :, None]) + ext_lp[:, None, :]
            c_pb = torch.cat([p_any + lp_blank, torch.full_like(ext_pnb, NEG_INF).flatten(1)], 1)
            c_pnb = torch.cat([pnb + lp_last, ext_pnb.flatten(1)], 1)
            new_tok = torch.cat(
                [torch.full_like(last, -1), ext_tok[:, None, :].expand(B, K, C).flatten(1)], 1
            )
            c_h1 = torch.cat(
                [h1, ((h1[:, :, None] * _P1 + ext_tok[:, None, :] + 1) % _M1).flatten(1)], 1
            )
            c_h2 = torch.cat(
                [h2, ((h2[:, :, None] * _P2 + ext_tok[:, None, :] + 1) % _M2).flatten(1)], 1
            )
            # Merge candidates spelling the same prefix; keep the first of each group.
            eq = (c_h1[:, :, None] == c_h1[:, None, :]) & (c_h2[:, :, None] == c_h2[:, None, :])
            m_pb = c_pb[:, None, :].masked_fill(~eq, NEG_INF).logsumexp(2)
            m_pnb = c_pnb[:, None, :].masked_fill(~eq, NEG_INF).logsumexp(2)
            total = torch.logaddexp(m_pb, m_pnb).masked_fill((eq & self.earlier).any(2), NEG_INF)
            top, sel = total.topk(K, dim=1)  # (B, K)
            dead = top == NEG_INF  # an empty slot, or a merged duplicate: must carry no probability

            parent = self.parent_of[sel]
            ext = self.is_ext[sel]
            tok = new_tok.gather(1, sel)
            n_tokens = tokens.gather(1, parent[:, :, None].expand(B, K, tokens.size(2)))
            old_len = tok_lens.gather(1, parent)
            put = torch.where(ext, tok, n_tokens.gather(2, old_len[:, :, None])[..., 0])
            n_tokens.scatter_(2, old_len[:, :, None], put[:, :, None])
            upd = (t < lens)[:, None]
            pb = torch.where(upd, m_pb.gather(1, sel).masked_fill(dead, NEG_INF), pb)
            pnb = torch.where(upd, m_pnb.gather(1, sel).masked_fill(dead, NEG_INF), pnb)
            tokens = torch.where(upd[:, :, None], n_tokens, tokens)
            tok_lens = torch.where(upd, old_len + ext.long(), tok_lens)
            last = torch.where(upd, torch.where(ext, tok, last.gather(1, parent)), last)
            h1 = torch.where(upd, c_h1.gather(1, sel), h1)
            h2 = torch.where(upd, c_h2.gather(1, sel), h2)
        self.pb, self.pnb, self.tokens, self.tok_lens = pb, pnb, tokens, tok_lens
        self.last, self.h1, self.h2 = last, h1, h2

    def nbest_tensors(self) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Tokens (B, K, L) padded with -1, lengths and scores (B, K), best first."""
        scores, order = torch.logaddexp(self.pb, self.pnb).sort(dim=1, descending=True)
        tokens = self.tokens.gather(1, order[:, :, None].expand_as(self.tokens))
        tok_lens = self.tok_lens.gather(1, order)
        positions = torch.arange(tokens.size(2), device=tokens.device)[None, None, :]
        pad = positions >= tok_lens[:, :, None]
        return tokens.masked_fill(pad, -1), tok_lens, scores


def nbest_lists(
    tokens: torch.Tensor, lens: torch.Tensor, scores: torch.Tensor
) -> list[list[Hypothesis]]:
    """(B, K, L) tokens, (B, K) lengths and scores → n-best lists, dropping ``-inf`` slots."""
    out = []
    for toks, ls, ss in zip(tokens.tolist(), lens.tolist(), scores.tolist(), strict=True):
        out.append(
            [Hypothesis(t[:n], s) for t, n, s in zip(toks, ls, ss, strict=True) if s > NEG_INF]
        )
    return out
