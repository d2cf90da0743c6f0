"""CTC prefix scores for label-synchronous search (joint CTC/attention), vectorized over time too.

For a prefix ``g`` the scorer keeps the forward variables ``r_n[t]`` (paths spelling ``g`` whose
frame ``t`` emits its last label) and ``r_b[t]`` (frame ``t`` is blank). Extending ``g`` by ``c``
gives the prefix score ``ψ = log Σ_t φ[t-1]·x_t(c)`` (Watanabe et al., 2017), where ``φ`` counts
the paths of ``g`` after which ``c`` may start. The forward recursions

    r_n(h)[t] = x_t(c)·(r_n(h)[t-1] + φ[t-1])
    r_b(h)[t] = x_t(blank)·(r_b(h)[t-1] + r_n(h)[t-1])

are linear, so each is solved for all frames at once with cumulative sums of log-probabilities and
``logcumsumexp`` (float64 keeps the cancellation error near 1e-12): no loop over frames. Ranking
candidates needs only ψ (``extend``, all hypotheses × candidates at once); the recursions run only
for the extensions the search keeps (``advance``).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

NEG_INF = float("-inf")


@dataclass
class CtcPrefixState:
    """Forward variables of N prefixes: ``r`` (T, 2, N) = (r_n, r_b); ``last`` label or -1."""

    r: torch.Tensor
    last: torch.Tensor


def _linear_recursion(x_cum: torch.Tensor, inflow: torch.Tensor) -> torch.Tensor:
    """log y[t] for y[t] = exp(x[t])·(y[t-1] + exp(inflow[t])), y[-1] = 0, given x_cum = cumsum(x).

    y[t] = Σ_{s<=t} exp(inflow[s] + x_cum[t] − x_cum[s-1]); all tensors (T, ...).
    """
    x_before = torch.cat([torch.zeros_like(x_cum[:1]), x_cum[:-1]])
    return x_cum + torch.logcumsumexp(inflow - x_before, dim=0)


class CtcPrefixScorer:
    """Prefix scores of candidate extensions, for hypotheses drawn from a batch of utterances."""

    def __init__(self, log_probs: torch.Tensor, lens: torch.Tensor, blank: int, eos: int):
        T = log_probs.size(1)
        self.x = log_probs.double().transpose(0, 1)  # (T, B, V)
        self.blank_cum = self.x[:, :, blank].cumsum(0)  # (T, B)
        self.valid = torch.arange(T, device=lens.device)[:, None] < lens[None, :]  # (T, B)
        self.last_frame = (lens - 1).clamp(min=0)
        self.blank, self.eos = blank, eos

    def init_state(self, utt: torch.Tensor) -> CtcPrefixState:
        """States of the empty prefix for hypotheses of utterances ``utt`` (N,)."""
        r_b = self.blank_cum[:, utt]
        return CtcPrefixState(
            torch.stack([torch.full_like(r_b, NEG_INF), r_b], 1), utt.new_full(utt.shape, -1)
        )

    def final(self, state: CtcPrefixState, utt: torch.Tensor) -> torch.Tensor:
        """log P_ctc(g | x) of each whole prefix (the score of appending ``<eos>``), (N,)."""
        end = self.last_frame[utt]
        n = torch.arange(utt.numel(), device=utt.device)
        return torch.logaddexp(state.r[end, 0, n], state.r[end, 1, n]).float()

    def extend(self, state: CtcPrefixState, utt: torch.Tensor, cand: torch.Tensor) -> torch.Tensor:
        """Prefix scores (N, C) of ``g·c`` for candidates ``cand`` (N, C) of hypotheses ``g``.

        A candidate equal to blank or ``<eos>`` gets ``-inf`` here; score ``<eos>`` with ``final``.
        Only ψ is needed to rank candidates; forward variables are computed for the chosen ones
        (``advance``).
        """
        xs = self.x[:, utt[:, None], cand]  # (T, N, C)
        inflow = self._inflow(state, cand)
        valid = self.valid[:, utt][:, :, None]
        psi = (inflow + xs).masked_fill(~valid, NEG_INF).logsumexp(0)
        return psi.masked_fill((cand == self.blank) | (cand == self.eos), NEG_INF).float()

    def advance(
        self, state: CtcPrefixState, utt: torch.Tensor, tokens: torch.Tensor
    ) -> CtcPrefixState:
        """The states of ``g·tokens`` (one token (N,) per hypothesis of ``state``)."""
        inflow = self._inflow(state, tokens[:, None])[..., 0]  # (T, N)
        r_n = _linear_recursion(self.x[:, utt, tokens].cumsum(0), inflow)
        r_b_inflow = torch.cat([torch.full_like(r_n[:1], NEG_INF), r_n[:-1]])
        r_b = _linear_recursion(self.blank_cum[:, utt], r_b_inflow)
        return CtcPrefixState(torch.stack([r_n, r_b], dim=1), tokens)

    @staticmethod
    def _inflow(state: CtcPrefixState, cand: torch.Tensor) -> torch.Tensor:
        """(T, N, C): φ[t-1], the paths of ``g`` after which ``c`` may start at frame t."""
        r_n, r_b = state.r[:, 0], state.r[:, 1]  # (T, N)
        same = (cand == state.last[:, None])[None]
        phi = torch.where(same, r_b[:, :, None], torch.logaddexp(r_n, r_b)[:, :, None])
        # At t = 0 a path may start with c only when g is empty (φ[-1] = 1).
        start = torch.zeros_like(phi[:1]).masked_fill((state.last >= 0)[None, :, None], NEG_INF)
        return torch.cat([start, phi[:-1]])

    def select(self, state: CtcPrefixState, index: torch.Tensor) -> CtcPrefixState:
        """Reorder / repeat hypotheses."""
        return CtcPrefixState(state.r[:, :, index], state.last[index])
