"""Tokenizers behind one interface: characters, whole words/units, or SentencePiece BPE/unigram.

Fixed ids everywhere (docs/architecture.md): ``<blank>`` = 0, ``<unk>`` = 1,
``<sos/eos>`` = ``vocab_size - 1``. Characters the tokenizer does not know become ``<unk>``
and are counted in ``unk_counts`` so a recipe can log what its text normalisation missed.
"""

from __future__ import annotations

import io
import json
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Protocol

import sentencepiece as spm

BLANK = "<blank>"
UNK = "<unk>"
SOS_EOS = "<sos/eos>"
SPACE = "▁"  # U+2581, the word boundary, as in SentencePiece
CONFIG_NAME = "tokenizer.json"
SP_MODEL_NAME = "tokenizer.model"


class Tokenizer(Protocol):
    """What models, training and decoding rely on."""

    vocab_size: int
    blank_id: int
    unk_id: int
    sos_eos_id: int

    @property
    def pieces(self) -> list[str]: ...

    def encode(self, text: str) -> list[int]: ...

    def decode(self, ids: Sequence[int]) -> str: ...

    def save(self, path: str | Path) -> None: ...


def _is_cjk(ch: str) -> bool:
    return unicodedata.name(ch, "").startswith(("CJK UNIFIED", "CJK COMPATIBILITY"))


class CharTokenizer:
    """One token per character.

    With ``keep_space`` (English) the word boundary is the token ``▁``; without it (Chinese,
    where spaces in transcripts are segmentation artefacts) spaces are dropped and ``decode``
    joins characters directly.
    """

    blank_id = 0
    unk_id = 1

    def __init__(self, chars: Sequence[str], keep_space: bool = True) -> None:
        chars = [c for c in chars if c not in (BLANK, UNK, SOS_EOS)]
        if len(set(chars)) != len(chars):
            raise ValueError("CharTokenizer: duplicate characters in the vocabulary")
        self.keep_space = keep_space
        self.tokens = [BLANK, UNK, *chars, SOS_EOS]
        self._ids = {t: i for i, t in enumerate(self.tokens)}
        self.unk_counts: Counter[str] = Counter()

    @property
    def vocab_size(self) -> int:
        return len(self.tokens)

    @property
    def sos_eos_id(self) -> int:
        return self.vocab_size - 1

    @property
    def pieces(self) -> list[str]:
        """Each id's text; the space token ``▁`` starts a word (with ``keep_space``)."""
        return list(self.tokens)

    @classmethod
    def train(cls, texts: Iterable[str], keep_space: bool | None = None) -> CharTokenizer:
        """Vocabulary of every character in ``texts``, sorted by frequency then code point.

        ``keep_space=None`` decides from the text: spaces are dropped when most characters
        are CJK ideographs.
        """
        counts: Counter[str] = Counter()
        for text in texts:
            counts.update(text)
        spaces = {c for c in counts if c.isspace()}
        n_cjk = sum(n for c, n in counts.items() if _is_cjk(c))
        n_chars = sum(n for c, n in counts.items() if c not in spaces)
        if keep_space is None:
            keep_space = n_cjk * 2 < n_chars
        chars = sorted((c for c in counts if c not in spaces), key=lambda c: (-counts[c], c))
        if keep_space:
            chars = [SPACE, *(c for c in chars if c != SPACE)]
        return cls(chars, keep_space=keep_space)

    def _symbols(self, text: str) -> list[str]:
        words = text.split()
        if not self.keep_space:
            return [c for w in words for c in w]
        return [c for i, w in enumerate(words) for c in ([SPACE] if i else []) + list(w)]

    def encode(self, text: str) -> list[int]:
        ids = []
        for sym in self._symbols(text):
            i = self._ids.get(sym, self.unk_id)
            if i == self.unk_id:
                self.unk_counts[sym] += 1
            ids.append(i)
        return ids

    def decode(self, ids: Sequence[int]) -> str:
        out = "".join(self.tokens[i] for i in ids if i not in (self.blank_id, self.sos_eos_id))
        return out.replace(SPACE, " ").strip() if self.keep_space else out

    def save(self, path: str | Path) -> None:
        """Write ``path/tokenizer.json``."""
        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        data = {"type": "char", "keep_space": self.keep_space, "tokens": self.tokens}
        (path / CONFIG_NAME).write_text(json.dumps(data, ensure_ascii=False, indent=1))


class UnitTokenizer(CharTokenizer):
    """One token per whitespace-separated unit of the text (phones, pinyin initials/finals):
    for targets a pronunciation front end spells, such as an auxiliary CTC's. ``decode`` joins
    the units with spaces."""

    def __init__(self, units: Sequence[str]) -> None:
        super().__init__(units, keep_space=True)

    @classmethod
    def train(cls, texts: Iterable[str]) -> UnitTokenizer:  # type: ignore[override]
        """Vocabulary of every unit in ``texts``, sorted by frequency then spelling."""
        counts: Counter[str] = Counter()
        for text in texts:
            counts.update(text.split())
        return cls(sorted(counts, key=lambda u: (-counts[u], u)))

    def _symbols(self, text: str) -> list[str]:
        return text.split()

    def decode(self, ids: Sequence[int]) -> str:
        return " ".join(self.tokens[i] for i in ids if i not in (self.blank_id, self.sos_eos_id))

    def save(self, path: str | Path) -> None:
        """Write ``path/tokenizer.json``."""
        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        data = {"type": "unit", "tokens": self.tokens}
        (path / CONFIG_NAME).write_text(json.dumps(data, ensure_ascii=False, indent=1))


class SentencePieceTokenizer:
    """SentencePiece BPE or unigram pieces, ids shifted into the project's fixed layout.

    The SentencePiece model owns ids ``0 .. n-1`` with ``<blank>`` as its padding piece at 0
    and ``<unk>`` at 1; ``<sos/eos>`` is appended as id ``n``.
    """

    blank_id = 0
    unk_id = 1

    def __init__(self, model_proto: bytes) -> None:
        self.model_proto = model_proto
        self.sp = spm.SentencePieceProcessor(model_proto=model_proto)
        if self.sp.id_to_piece(0) != BLANK or self.sp.unk_id() != 1:
            raise ValueError("SentencePiece model must have <blank> at id 0 and <unk> at id 1")
        self.unk_counts: Counter[str] = Counter()

    @property
    def vocab_size(self) -> int:
        return self.sp.get_piece_size() + 1

    @property
    def sos_eos_id(self) -> int:
        return self.vocab_size - 1

    @property
    def pieces(self) -> list[str]:
        """Each id's text, as SentencePiece spells it: ``▁`` starts a word."""
        return [self.sp.id_to_piece(i) for i in range(self.sp.get_piece_size())] + [SOS_EOS]

    @classmethod
    def train(
        cls,
        texts: Iterable[str],
        vocab_size: int,
        model_type: str = "bpe",
        character_coverage: float = 1.0,
    ) -> SentencePieceTokenizer:
        """Train on ``texts``; ``vocab_size`` counts ``<blank>``, ``<unk>`` and ``<sos/eos>``."""
        if model_type not in ("bpe", "unigram"):
            raise ValueError(f"model_type must be 'bpe' or 'unigram', got {model_type!r}")
        model = io.BytesIO()
        spm.SentencePieceTrainer.train(
            sentence_iterator=(t for t in texts if t.strip()),
            model_writer=model,
            vocab_size=vocab_size - 1,
            model_type=model_type,
            character_coverage=character_coverage,
            pad_id=0,
            pad_piece=BLANK,
            unk_id=1,
            unk_piece=UNK,
            bos_id=-1,
            eos_id=-1,
            minloglevel=2,
        )
        return cls(model.getvalue())

    def encode(self, text: str) -> list[int]:
        ids = []
        for piece in self.sp.encode(text, return_type="proto").pieces:
            if piece.id == self.unk_id:
                self.unk_counts.update(piece.surface)
            ids.append(piece.id)
        return ids

    def decode(self, ids: Sequence[int]) -> str:
        return self.sp.decode([int(i) for i in ids if i not in (self.blank_id, self.sos_eos_id)])

    def save(self, path: str | Path) -> None:
        """Write ``path/tokenizer.model`` and ``path/tokenizer.json``."""
        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        (path / SP_MODEL_NAME).write_bytes(self.model_proto)
        data = {"type": "sentencepiece", "model": SP_MODEL_NAME, "vocab_size": self.vocab_size}
        (path / CONFIG_NAME).write_text(json.dumps(data, indent=1))


def load_tokenizer(path: str | Path) -> CharTokenizer | UnitTokenizer | SentencePieceTokenizer:
    """Load what :meth:`save` wrote; ``path`` is the directory or its ``tokenizer.json``."""
    path = Path(path)
    config = path / CONFIG_NAME if path.is_dir() else path
    if not config.is_file():
        raise FileNotFoundError(f"no tokenizer at {path} (expected {config})")
    data = json.loads(config.read_text(encoding="utf-8"))
    if data.get("type") == "char":
        return CharTokenizer(data["tokens"], keep_space=data["keep_space"])
    if data.get("type") == "unit":
        return UnitTokenizer(data["tokens"])
    if data.get("type") == "sentencepiece":
        return SentencePieceTokenizer((config.parent / data["model"]).read_bytes())
    raise ValueError(f"{config}: unknown tokenizer type {data.get('type')!r}")
