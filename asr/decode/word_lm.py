"""N-gram LM scores for token prefixes: shallow fusion of a word or character LM into beam search.

A hypothesis spells words out in tokens whose pieces mark a word start with ``▁`` (SentencePiece,
or characters with the space token). Its LM score is the log of the LM probability of every
sentence that begins with what it has spelled: the completed words' probabilities times the
probability that the next word starts with the partial word (``NgramLM.range_prob``, a
look-ahead over the vocabulary's prefix tree in the manner of Hori et al., 2018). The score so
only falls as tokens are added, reaches ``log P(sentence)`` at ``<eos>``, and is ``-inf`` for a
spelling no vocabulary word begins with: decoding is restricted to the LM's vocabulary.

A character LM (``NgramLM.unit == "char"``, for scripts written without spaces) has no partial
words: each character a token spells is one LM unit, scored as it is spelled.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import torch

from asr.data.tokenizer import Tokenizer
from asr.lm.ngram import NgramLM

NEG_INF = float("-inf")
SPACE = "▁"


@dataclass(frozen=True)
class WordState:
    """Completed words (last ``order - 1`` ids), their log-probability, the partial word."""

    history: tuple[int, ...]
    done: float
    partial: str | None  # None: nothing spelled yet


class WordLMScorer:
    """Batched LM scores for the beam search (the shape of ``CtcPrefixScorer``'s interface).

    ``pieces[i]`` is token ``i``'s text; tokens in ``invalid`` (blank, unk, ...) score ``-inf``.
    """

    def __init__(self, lm: NgramLM, pieces: list[str], invalid: set[int]):
        if lm.unit == "word" and not any(p.startswith(SPACE) for p in pieces):
            raise ValueError(
                "a word LM needs word boundaries (pieces starting with '▁'); "
                "for text without spaces train a character LM (asr-train-lm --unit char)"
            )
        self.lm = lm
        self.pieces = pieces
        self.invalid = invalid
        self._prefix_log = lru_cache(maxsize=1 << 18)(lm.prefix_log_prob)

    @classmethod
    def for_tokenizer(cls, lm: NgramLM, tokenizer: Tokenizer) -> WordLMScorer:
        """The scorer of a tokenizer's pieces (``<blank>``, ``<unk>``, ``<sos/eos>``: invalid)."""
        invalid = {tokenizer.blank_id, tokenizer.unk_id, tokenizer.sos_eos_id}
        return cls(lm, tokenizer.pieces, invalid)

    def init_state(self, n: int) -> list[WordState]:
        start = (self.lm.bos_id,) * (self.lm.order - 1)
        return [WordState(start, 0.0, None)] * n

    def score(self, state: WordState) -> float:
        """Log-probability of the sentences that begin like ``state``."""
        if state.partial is None:
            return 0.0
        return state.done + self._prefix_log(state.history, state.partial)

    def step(self, state: WordState, token: int) -> WordState | None:
        """``state`` extended by ``token``; None when no vocabulary word can follow."""
        if token in self.invalid:
            return None
        piece = self.pieces[token]
        if self.lm.unit == "char":
            return self._spell_chars(state, piece.replace(SPACE, ""))
        if piece.startswith(SPACE):
            state = self._close(state)
            if state is None:
                return None
            partial = piece[len(SPACE) :]
        else:
            partial = (state.partial or "") + piece
        extended = WordState(state.history, state.done, partial)
        return extended if self.score(extended) > NEG_INF else None

    def final_score(self, state: WordState) -> float:
        """Log-probability of the sentence ``state`` spells, ``</s>`` included."""
        closed = self._close(state)
        if closed is None:
            return NEG_INF
        return closed.done + self.lm.log_prob(closed.history, self.lm.eos_id)

    def extend(
        self, states: list[WordState], cand: torch.Tensor, alive: torch.Tensor
    ) -> torch.Tensor:
        """Scores (N, C) of each state extended by each of its candidates (N, C).

        Rows of dead hypotheses (``alive`` False) stay at ``-inf`` without being scored.
        """
        out = torch.full(cand.shape, NEG_INF)
        for n in alive.nonzero().flatten().tolist():
            for c, token in enumerate(cand[n].tolist()):
                extended = self.step(states[n], token)
                if extended is not None:
                    out[n, c] = self.score(extended)
        return out.to(cand.device)

    def final(self, states: list[WordState], alive: torch.Tensor) -> torch.Tensor:
        """Scores (N,) of each state ended by ``</s>``."""
        flags = alive.tolist()
        out = [self.final_score(s) if a else NEG_INF for s, a in zip(states, flags, strict=True)]
        return torch.tensor(out, dtype=torch.float32, device=alive.device)

    def advance(
        self, states: list[WordState], rows: list[int], tokens: list[int]
    ) -> list[WordState]:
        """The states the search keeps: ``states[rows[i]]`` extended by ``tokens[i]`` (a row
        the search keeps dead, at ``-inf``, keeps its old state)."""
        return [self.step(states[r], t) or states[r] for r, t in zip(rows, tokens, strict=True)]

    def _spell_chars(self, state: WordState, chars: str) -> WordState | None:
        """``state`` followed by ``chars``, each a complete unit of a character LM."""
        for char in chars:
            state = self._close(WordState(state.history, state.done, char))
            if state is None:
                return None
        return WordState(state.history, state.done, "")

    def _close(self, state: WordState) -> WordState | None:
        """The partial word completed; None if it is not in the vocabulary."""
        if not state.partial:
            return state
        word = self.lm.ids.get(state.partial)
        if word is None:
            return None
        done = state.done + self.lm.log_prob(state.history, word)
        history = (state.history + (word,))[1:] if self.lm.order > 1 else state.history
        return WordState(history, done, "")
