"""Offline speech corpora from the Debian synthesizers (espeak-ng, flite, festival) + sox.

Shared by the synthetic recipes (egs/synth_en, egs/synth_zh): a recipe supplies sentences
and a voice inventory; this module draws utterances (seeded), renders them in parallel and
writes Kaldi data dirs. Every wav is 16 kHz mono 16-bit, made by sox in repeatable mode
(``-R``), so the same text and settings always give byte-identical audio.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import shutil
import subprocess
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import soundfile as sf
from tqdm import tqdm

SAMPLE_RATE = 16000

# What each engine needs on disk, and the Debian package that provides it.
_BINARIES = {"espeak": "espeak-ng", "flite": "flite", "festival": "festival", "mbrola": "mbrola"}
_PACKAGES = {"espeak-ng": "espeak-ng", "flite": "flite", "festival": "festival", "sox": "sox",
             "mbrola": "mbrola"}  # fmt: skip
MBROLA_DIR = Path("/usr/share/mbrola")
_FESTIVAL_VOICES = Path("/usr/share/festival/voices")
# festival voice -> (its directory, the packages it needs besides festival itself)
FESTIVAL_VOICE_PACKAGES: dict[str, tuple[Path, tuple[str, ...]]] = {
    "voice_kal_diphone": (_FESTIVAL_VOICES / "english/kal_diphone", ("festvox-kallpc16k",)),
    "voice_ked_diphone": (_FESTIVAL_VOICES / "english/ked_diphone", ("festvox-kdlpc16k",)),
    "voice_cmu_us_slt_arctic_hts": (
        _FESTIVAL_VOICES / "us/cmu_us_slt_arctic_hts",
        ("festvox-us-slt-hts",),
    ),
    "voice_rab_diphone": (_FESTIVAL_VOICES / "english/rab_diphone", ("festvox-rablpc16k",)),
    "voice_don_diphone": (_FESTIVAL_VOICES / "english/don_diphone", ("festvox-don",)),
    **{
        f"voice_{db}_mbrola": (
            _FESTIVAL_VOICES / f"english/{db}_mbrola",
            (f"festvox-{db}", "mbrola", f"mbrola-{db}"),
        )
        for db in ("us1", "us2", "us3", "en1")
    },
}
# Packages outside Debian main: the mbrola voices (non-free), mbrola and its festvox front-ends
# (contrib). tools/setup.sh enables both components in its own sources entry.
_CONTRIB_PREFIXES = ("mbrola", "festvox-us1", "festvox-us2", "festvox-us3", "festvox-en1")


class MissingSynthesizerError(RuntimeError):
    """A synthesizer binary or voice is not installed; the message names the apt package."""


@dataclass(frozen=True)
class Voice:
    """One synthetic voice. ``speaker`` is the identity used to split train/test: a recorded
    speaker behind two engines (flite ``slt`` and festival ``slt-hts``) shares one speaker.
    ``family`` groups voices for drawing and for scoring: ``espeak`` (formant synthesis) or
    ``recorded`` (a recorded speaker's diphones, units or HTS model)."""

    id: str  # Kaldi speaker id, e.g. "espeak-en-us-m3"
    engine: str  # "espeak" | "flite" | "festival" | "mbrola" (a database driven directly)
    name: str  # engine voice: "en-us+m3", "mb-us1", "slt", "voice_kal_diphone", "cn1"
    speaker: str
    gender: str  # "f" | "m"
    family: str  # "espeak" | "recorded"
    speed: tuple[float, float] = (0.9, 1.15)  # relative speaking rate, 1 = engine default
    pitch: tuple[float, float] = (0.0, 0.0)  # espeak: -p 0..99; flite/festival: sox cents

    @property
    def mbrola_db(self) -> str | None:
        """The mbrola database of the voice: espeak-ng's ``mb-*`` voices (``mb-de1-en`` ->
        de1) and the ``mbrola`` engine's own (its name)."""
        if self.engine == "mbrola":
            return self.name
        if self.engine != "espeak" or not self.name.startswith("mb-"):
            return None
        return self.name.split("-")[1]


@dataclass(frozen=True)
class Utterance:
    """What to render: the voice, the settings and the text spoken (= the transcript)."""

    id: str
    voice: Voice
    spoken: str  # text given to the synthesizer (pinyin for Mandarin)
    text: str  # transcript written to the Kaldi ``text`` file
    speed: float
    pitch: float


def requirements(voice: Voice) -> list[tuple[str, str]]:
    """What rendering ``voice`` needs: (binary on PATH or file/directory path, package)."""
    needs = [("sox", "sox"), (_BINARIES[voice.engine], _PACKAGES[_BINARIES[voice.engine]])]
    if voice.mbrola_db is not None:
        db = voice.mbrola_db
        needs += [("mbrola", "mbrola"), (str(MBROLA_DIR / db / db), f"mbrola-{db}")]
    if voice.engine == "festival":
        path, packages = FESTIVAL_VOICE_PACKAGES[voice.name]
        needs += [(str(path), p) for p in packages]
        if voice.name.endswith("_mbrola"):
            db = voice.name.removeprefix("voice_").removesuffix("_mbrola")
            needs.append((str(MBROLA_DIR / db / db), f"mbrola-{db}"))
        dicts = Path("/usr/share/festival/dicts")
        needs += [
            (str(dicts / "cmu"), "festlex-cmu"),
            (str(dicts / "wsj.wp39.poslexR"), "festlex-poslex"),
        ]
    return needs


def check_installed(voices: Iterable[Voice]) -> None:
    """Fail early, with the one command that installs everything missing, if a synthesizer,
    festival voice or mbrola database that ``voices`` need is not installed."""
    missing: dict[str, list[str]] = {}  # package -> what of it is missing
    for voice in voices:
        for what, package in requirements(voice):
            found = Path(what).exists() if what.startswith("/") else shutil.which(what)
            if not found and what not in missing.setdefault(package, []):
                missing[package].append(what)
    missing = {p: w for p, w in missing.items() if w}
    if not missing:
        return
    packages = sorted(missing)
    detail = "; ".join(f"{p} ({', '.join(missing[p])})" for p in packages)
    command = f"apt-get install -y --no-install-recommends {' '.join(packages)}"
    if any(p.startswith(_CONTRIB_PREFIXES) for p in packages):
        command = (
            f"bash tools/setup.sh (as root: it enables Debian contrib and non-free, "
            f"where these live), or `{command}` once they are enabled"
        )
    else:
        command = f"`{command}`"
    raise MissingSynthesizerError(f"not installed: {detail}; install with {command}")


def hash_fraction(text: str) -> float:
    """A stable number in [0, 1) from the text: the same sentence always lands in one split."""
    return int(hashlib.md5(text.encode("utf-8")).hexdigest()[:12], 16) / 16**12


def split_by_hash(sentences: Iterable[str], dev: float, test: float) -> dict[str, list[str]]:
    """Disjoint train/dev/test pools from a hash of each (normalized, de-duplicated) sentence."""
    pools: dict[str, list[str]] = {"train": [], "dev": [], "test": []}
    for s in sorted(set(sentences)):
        h = hash_fraction(s)
        pools["test" if h < test else "dev" if h < test + dev else "train"].append(s)
    return pools


def frequent_words(sentences: Iterable[str], size: int) -> set[str]:
    """The ``size`` most frequent whitespace-separated words (ties broken alphabetically)."""
    counts = Counter(w for s in sentences for w in s.split())
    return {w for w, _ in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:size]}


def within_vocabulary(sentences: Iterable[str], vocabulary: set[str]) -> list[str]:
    """The sentences all of whose words are in ``vocabulary``, in their order."""
    return [s for s in sentences if all(w in vocabulary for w in s.split())]


def closed_vocabulary(pools: dict[str, list[str]], size: int) -> dict[str, list[str]]:
    """Pools of a closed-vocabulary task (as WSJ's 5k): training sentences made only of the
    ``size`` most frequent training-pool words, and dev/test sentences made only of words that
    occur in those training sentences. A corpus that draws every training sentence therefore
    has no out-of-vocabulary word in dev or test."""
    vocabulary = frequent_words(pools["train"], size)
    train = within_vocabulary(pools["train"], vocabulary)
    heard = {w for s in train for w in s.split()}
    return {
        split: train if split == "train" else within_vocabulary(pool, heard)
        for split, pool in pools.items()
    }


def oov_rate(sentences: Iterable[str], vocabulary: set[str]) -> float:
    """Share of running words in ``sentences`` that are not in ``vocabulary``."""
    words = [w for s in sentences for w in s.split()]
    return sum(w not in vocabulary for w in words) / max(len(words), 1)


def draw_utterances(
    split: str,
    sentences: Sequence[tuple[str, str]],
    voices: Sequence[Voice],
    count: int,
    seed: int,
    family_share: Mapping[str, float] | None = None,
) -> list[Utterance]:
    """Draw ``count`` utterances for one split, deterministic for ``seed``.

    ``sentences`` are (spoken, transcript) pairs, used without replacement while they last.
    With ``family_share``, a voice family's share of utterances is its weight (renormalized
    over the families present); within a family every speaker is equally likely, and within a
    speaker every voice (engine) is. Without it, speakers take turns, so every speaker gets
    ``count / speakers`` utterances (±1) and none dominates a test set.
    """
    if not sentences or not voices:
        raise ValueError(f"split {split!r}: no sentences ({len(sentences)}) or voices")
    rng = random.Random(f"{seed}-{split}")
    by_speaker: dict[tuple[str, str], list[Voice]] = {}
    for v in voices:
        by_speaker.setdefault((v.family, v.speaker), []).append(v)
    speakers = sorted(by_speaker)
    families = sorted({family for family, _ in speakers})
    if family_share is not None:
        weights = [family_share.get(f, 0.0) for f in families]
        if sum(weights) <= 0:
            raise ValueError(f"split {split!r}: family_share gives no weight to {families}")
        within = {f: [s for s in speakers if s[0] == f] for f in families}
    order, turns = list(range(len(sentences))), list(range(len(speakers)))
    utts = []
    for i in range(count):
        if i % len(order) == 0:
            rng.shuffle(order)
        if family_share is None:
            if i % len(turns) == 0:
                rng.shuffle(turns)
            speaker = speakers[turns[i % len(turns)]]
        else:
            speaker = rng.choice(within[rng.choices(families, weights)[0]])
        spoken, text = sentences[order[i % len(order)]]
        voice = rng.choice(by_speaker[speaker])
        speed = round(rng.uniform(*voice.speed), 3)
        pitch = round(rng.uniform(*voice.pitch), 1)
        utt_id = f"{voice.id}-{split}{i:06d}"
        utts.append(Utterance(utt_id, voice, spoken, text, speed, pitch))
    return utts


def _run(cmd: list[str], stdin: str | None = None) -> None:
    proc = subprocess.run(cmd, input=stdin, capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed ({proc.returncode}): {proc.stderr.strip()}")


def _to_16k(raw: Path, out: Path, pitch_cents: float) -> None:
    """Resample to 16 kHz mono s16, optional pitch shift, peak-normalize; repeatable (-R).

    ``gain -h`` leaves headroom so the effects never clip; the final ``gain -n`` normalizes.
    (sox's ``-G`` does the same but fails, "can't reclaim headroom", when no effect runs.)
    """
    effects = ["pitch", f"{pitch_cents:g}"] if pitch_cents else []
    _run(
        ["sox", "-R", str(raw), "-b", "16", "-c", "1", "-e", "signed-integer", str(out), "gain"]
        + ["-h", *effects, "rate", "-h", str(SAMPLE_RATE), "gain", "-n", "-1"]
    )


def _render_espeak(utt: Utterance, raw: Path) -> None:
    wpm = round(175 * utt.speed)
    pitch = round(utt.pitch) if utt.pitch else 50
    _run(
        ["espeak-ng", "-v", utt.voice.name, "-s", str(wpm), "-p", str(pitch), "-w", str(raw)],
        stdin=utt.spoken,
    )


# Front ends of the ``mbrola`` engine's voices: database -> a function from an utterance's
# ``spoken`` text to mbrola .pho text at the normal rate and pitch. A recipe registers the one
# its language needs (egs/synth_zh: pinyin for cn1); speed and pitch are applied here.
MBROLA_FRONTENDS: dict[str, Callable[[str], str]] = {}


def scale_pho(pho: str, speed: float, cents: float) -> str:
    """mbrola .pho text with every duration divided by ``speed`` and F0 raised by ``cents``."""
    factor = 2 ** (cents / 1200)
    lines = []
    for line in pho.splitlines():
        fields = line.split()
        if len(fields) < 2 or line.startswith(";"):
            lines.append(line)
            continue
        phoneme, ms, *targets = fields
        scaled = [phoneme, str(max(1, round(float(ms) / speed)))]
        for pos, hz in zip(targets[0::2], targets[1::2], strict=True):
            scaled += [pos, str(round(float(hz) * factor))]
        lines.append(" ".join(scaled))
    return "\n".join(lines) + "\n"


def _render_mbrola(utt: Utterance, raw: Path) -> None:
    db = utt.voice.name
    if db not in MBROLA_FRONTENDS:
        raise ValueError(f"no .pho front end registered for mbrola voice {db} (MBROLA_FRONTENDS)")
    pho = raw.with_suffix(".pho")
    pho.write_text(scale_pho(MBROLA_FRONTENDS[db](utt.spoken), utt.speed, utt.pitch))
    # -e: a diphone the database lacks becomes silence instead of a fatal error
    _run(["mbrola", "-e", str(MBROLA_DIR / db / db), str(pho), str(raw)])


def _render_flite(utt: Utterance, raw: Path) -> None:
    stretch = f"{1 / utt.speed:.3f}"
    _run(
        ["flite", "-voice", utt.voice.name, "--setf", f"duration_stretch={stretch}"]
        + ["-t", utt.spoken, "-o", str(raw)]
    )


def _scheme_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _render_festival_batch(utts: Sequence[Utterance], raws: Sequence[Path], tmp: Path) -> None:
    """One festival process for many utterances (its start-up costs ~0.3 s)."""
    lines = []
    for utt, raw in zip(utts, raws, strict=True):
        lines.append(f"({utt.voice.name})")
        lines.append(f"(Parameter.set 'Duration_Stretch {1 / utt.speed:.3f})")
        lines.append(
            f"(utt.save.wave (utt.synth (Utterance Text {_scheme_string(utt.spoken)})) "
            f"{_scheme_string(str(raw))} 'riff)"
        )
    script = tmp / "batch.scm"
    script.write_text("\n".join(lines) + "\n", encoding="utf-8")
    _run(["festival", "-b", str(script)])


def _render_chunk(utts: Sequence[Utterance], wav_dir: Path) -> int:
    """Render one chunk of utterances of a single engine to ``wav_dir/<id>.wav``."""
    with tempfile.TemporaryDirectory(prefix="synth-") as tmpdir:
        tmp = Path(tmpdir)
        raws = [tmp / f"{u.id}.raw.wav" for u in utts]
        if utts[0].voice.engine == "festival":
            _render_festival_batch(utts, raws, tmp)
        else:
            render: Callable[[Utterance, Path], None] = {
                "espeak": _render_espeak,
                "flite": _render_flite,
                "mbrola": _render_mbrola,
            }[utts[0].voice.engine]
            for utt, raw in zip(utts, raws, strict=True):
                render(utt, raw)
        for utt, raw in zip(utts, raws, strict=True):
            if not raw.is_file() or raw.stat().st_size <= 44:
                raise RuntimeError(f"{utt.voice.engine} produced no audio for {utt.id}")
            sox_pitch = utt.pitch if utt.voice.engine in ("flite", "festival") else 0.0
            _to_16k(raw, wav_dir / f"{utt.id}.wav", sox_pitch)
    return len(utts)


def render(utts: Sequence[Utterance], wav_dir: Path, nj: int = 2, chunk: int = 32) -> None:
    """Render all utterances with ``nj`` parallel workers and a progress bar.

    Work is grouped into single-engine chunks; each file depends only on its own utterance,
    so the result is the same whatever the scheduling.
    """
    wav_dir.mkdir(parents=True, exist_ok=True)
    by_engine: dict[str, list[Utterance]] = {}
    for u in utts:
        by_engine.setdefault(u.voice.engine, []).append(u)
    chunks = [
        group[i : i + chunk] for group in by_engine.values() for i in range(0, len(group), chunk)
    ]
    # Threads suffice: the work happens in the synthesizer and sox subprocesses.
    with (
        ThreadPoolExecutor(max_workers=max(1, nj)) as pool,
        tqdm(total=len(utts), desc="synthesizing", unit="utt") as bar,
    ):
        for done in pool.map(lambda c: _render_chunk(c, wav_dir), chunks):
            bar.update(done)


def write_kaldi_dir(out_dir: Path, utts: Sequence[Utterance], wav_dir: Path) -> None:
    """Write wav.scp (absolute paths), text, utt2spk, spk2utt and utt2family (the voice family
    of each utterance, for error rates per family) sorted by utterance id."""
    out_dir.mkdir(parents=True, exist_ok=True)
    utts = sorted(utts, key=lambda u: u.id)
    spk2utt: dict[str, list[str]] = {}
    with (
        (out_dir / "wav.scp").open("w", encoding="utf-8") as scp,
        (out_dir / "text").open("w", encoding="utf-8") as text,
        (out_dir / "utt2spk").open("w", encoding="utf-8") as u2s,
        (out_dir / "utt2family").open("w", encoding="utf-8") as u2f,
    ):
        for u in utts:
            scp.write(f"{u.id} {(wav_dir / f'{u.id}.wav').resolve()}\n")
            text.write(f"{u.id} {u.text}\n")
            u2s.write(f"{u.id} {u.voice.id}\n")
            u2f.write(f"{u.id} {u.voice.family}\n")
            spk2utt.setdefault(u.voice.id, []).append(u.id)
    with (out_dir / "spk2utt").open("w", encoding="utf-8") as s2u:
        for spk in sorted(spk2utt):
            s2u.write(f"{spk} {' '.join(spk2utt[spk])}\n")


def write_voice_table(path: Path, splits: dict[str, Sequence[Voice]]) -> None:
    """Document the voice split: one ``split voice engine name speaker gender family`` line each."""
    with path.open("w", encoding="utf-8") as f:
        f.write("split\tvoice\tengine\tname\tspeaker\tgender\tfamily\tspeed\tpitch\n")
        for split, voices in splits.items():
            for v in voices:
                f.write(
                    f"{split}\t{v.id}\t{v.engine}\t{v.name}\t{v.speaker}\t{v.gender}\t{v.family}\t"
                    f"{v.speed[0]}-{v.speed[1]}\t{v.pitch[0]}-{v.pitch[1]}\n"
                )


def parse_corpus_args(
    description: str | None,
    argv: list[str] | None,
    *,
    train_utts: int,
    dev_utts: int,
    test_utts: int,
    vocab_words: int | None = None,
) -> argparse.Namespace:
    """The options of a recipe's local/synthesize.py, with that corpus's split sizes as
    defaults: ``--out --train-utts --dev-utts --test-utts --seed --nj``, and
    ``--vocab-words`` when ``vocab_words`` is given."""
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--out", type=Path, default=Path("data"), help="output data dir")
    p.add_argument("--train-utts", type=int, default=train_utts)
    p.add_argument("--dev-utts", type=int, default=dev_utts)
    p.add_argument("--test-utts", type=int, default=test_utts)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--nj", type=int, default=2, help="parallel synthesizer processes")
    if vocab_words is not None:
        p.add_argument(
            "--vocab-words",
            type=int,
            default=vocab_words,
            help="closed vocabulary: keep sentences of the N most frequent training-pool words "
            "only, and dev/test sentences whose words all occur in the training pool (0: open)",
        )
    return p.parse_args(argv)


def build_corpus(
    out_dir: Path,
    drawn: dict[str, Sequence[Utterance]],
    voices: dict[str, Sequence[Voice]],
    nj: int = 2,
    extra: dict[str, dict[str, float]] | None = None,
) -> dict[str, dict[str, float]]:
    """Render every split's utterances into ``out_dir/wav``, write ``out_dir/<split>`` Kaldi
    dirs, ``voices.tsv`` and ``synth_summary.json`` (hours, and hours of audio per wall minute,
    plus the recipe's ``extra`` entries).
    """
    start = time.perf_counter()
    wav_dir = out_dir / "wav"
    shutil.rmtree(wav_dir, ignore_errors=True)  # files of an older, different corpus
    render([u for utts in drawn.values() for u in utts], wav_dir, nj=nj)
    summary: dict[str, dict[str, float]] = {}
    for split, utts in drawn.items():
        write_kaldi_dir(out_dir / split, utts, wav_dir)
        seconds = sum(sf.info(str(wav_dir / f"{u.id}.wav")).duration for u in utts)
        summary[split] = {
            "utterances": len(utts),
            "hours": round(seconds / 3600, 3),
            "voices": len({u.voice.id for u in utts}),
            "speakers": len({u.voice.speaker for u in utts}),
        }
    wall = time.perf_counter() - start
    hours = sum(s["hours"] for s in summary.values())
    summary["total"] = {
        "hours": round(hours, 3),
        "wall_seconds": round(wall, 1),
        "hours_per_wall_minute": round(hours / (wall / 60), 2),
        "nj": nj,
    }
    summary.update(extra or {})
    write_voice_table(out_dir / "voices.tsv", voices)
    (out_dir / "synth_summary.json").write_text(json.dumps(summary, indent=2) + "\n")
    return summary
