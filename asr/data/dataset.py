"""Map-style dataset over lhotse cut batches: cuts in, one padded :class:`Batch` out.

The sampler (``asr.data.loader``) chooses which cuts form a batch; this turns them into
tensors, computing fbank on the fly (or loading precomputed features). A cut whose audio or
features fail to load is dropped from its batch, logged and counted, never raised mid-epoch;
a batch where every cut failed comes back as ``Batch.empty`` (``len(batch) == 0``). With an
auxiliary tokenizer, a cut without an auxiliary transcript is dropped the same way (never
trained without its second target).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import torch
from lhotse import CutSet
from lhotse.cut import Cut
from torch.nn.utils.rnn import pad_sequence

from asr.data.batch import Batch
from asr.data.features import cut_features
from asr.data.prepare import aux_transcript
from asr.data.tokenizer import Tokenizer

log = logging.getLogger(__name__)


def pad_tokens(tokens: Sequence[Sequence[int]]) -> tuple[torch.Tensor, torch.Tensor]:
    """Token lists → ``(B, U)`` int64 padded with -1, and their ``(B,)`` lengths."""
    ys = pad_sequence(
        [torch.as_tensor(t, dtype=torch.int64) for t in tokens],
        batch_first=True,
        padding_value=-1,
    )
    return ys, torch.tensor([len(t) for t in tokens], dtype=torch.int64)


def collate(
    feats: Sequence[torch.Tensor],
    tokens: Sequence[Sequence[int]],
    ids: Sequence[str],
    aux_tokens: Sequence[Sequence[int]] | None = None,
) -> Batch:
    """Pad ``(T_i, d)`` features with 0 and token lists with -1 into one :class:`Batch`."""
    x = pad_sequence([f.float() for f in feats], batch_first=True, padding_value=0.0)
    ys, y_lens = pad_tokens(tokens)
    aux_ys, aux_lens = pad_tokens(aux_tokens) if aux_tokens is not None else (None, None)
    return Batch(
        x=x,
        x_lens=torch.tensor([f.shape[0] for f in feats], dtype=torch.int64),
        ys=ys,
        y_lens=y_lens,
        ids=list(ids),
        aux_ys=aux_ys,
        aux_lens=aux_lens,
    )


class AsrDataset(torch.utils.data.Dataset):
    """``dataset[cuts] -> Batch``; use with a lhotse sampler and ``batch_size=None``.

    ``dither`` > 0 for training only. ``aux_tokenizer`` encodes each cut's auxiliary transcript
    into ``Batch.aux_ys``. ``num_failed`` counts cuts dropped in this process (each DataLoader
    worker has its own count; ``Batch.dropped`` carries them to the loop).
    """

    def __init__(
        self,
        tokenizer: Tokenizer,
        num_mel_bins: int = 80,
        dither: float = 0.0,
        aux_tokenizer: Tokenizer | None = None,
    ) -> None:
        self.tokenizer = tokenizer
        self.aux_tokenizer = aux_tokenizer
        self.num_mel_bins = num_mel_bins
        self.dither = dither
        self.num_failed = 0

    def _features(self, cut: Cut) -> torch.Tensor | None:
        try:
            feats = cut_features(cut, self.num_mel_bins, self.dither)
        except Exception as e:  # any decoding failure: drop the cut, never end the epoch
            log.warning("dropping cut %s: cannot load audio/features: %s", cut.id, e)
            return None
        if feats.shape[0] == 0:
            log.warning("dropping cut %s: audio shorter than one frame", cut.id)
            return None
        return feats

    def __getitem__(self, cuts: CutSet) -> Batch:
        feats, tokens, ids, dropped = [], [], [], []
        aux_tokens: list[list[int]] | None = [] if self.aux_tokenizer is not None else None
        for cut in cuts:
            aux = aux_transcript(cut)
            if aux_tokens is not None and not aux:
                log.warning("dropping cut %s: no auxiliary transcript (asr-prepare --aux-text)",
                            cut.id)  # fmt: skip
                dropped.append(cut.id)
                continue
            f = self._features(cut)
            if f is None:
                dropped.append(cut.id)
                continue
            text = " ".join(s.text or "" for s in cut.supervisions)
            feats.append(f)
            tokens.append(self.tokenizer.encode(text))
            if aux_tokens is not None:
                aux_tokens.append(self.aux_tokenizer.encode(aux))
            ids.append(cut.id)
        self.num_failed += len(dropped)
        if not feats:
            return Batch.empty(self.num_mel_bins, dropped)
        batch = collate(feats, tokens, ids, aux_tokens)
        batch.dropped = dropped
        return batch
