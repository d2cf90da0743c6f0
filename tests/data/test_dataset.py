"""Dataset + collate: Batch shapes, pad values, features per cut, failed cuts dropped."""

from __future__ import annotations

import pytest
import torch
from lhotse import CutSet
from lhotse.utils import fastcopy

from asr.data.batch import Batch
from asr.data.dataset import AsrDataset, collate
from asr.data.features import cut_features, precompute_features
from asr.data.loader import make_dataloader, make_sampler
from asr.data.prepare import prepare_kaldi_dir
from asr.data.tokenizer import CharTokenizer, UnitTokenizer

from .fixtures import write_kaldi_dir

# lhotse suggests lazy manifests for its sampler; these small tests hold cuts in memory.
pytestmark = pytest.mark.filterwarnings("ignore:You are using DynamicBucketingSampler")


@pytest.fixture(scope="module")
def cuts(tmp_path_factory) -> CutSet:
    data = write_kaldi_dir(tmp_path_factory.mktemp("kaldi"), n_utts=6, seed=0)
    return prepare_kaldi_dir(data, progress=False)[0]


@pytest.fixture(scope="module")
def tokenizer(cuts) -> CharTokenizer:
    return CharTokenizer.train(c.supervisions[0].text for c in cuts)


def test_collate_shapes_and_pad_values():
    feats = [torch.randn(5, 3) + 10, torch.randn(2, 3) + 10, torch.randn(7, 3) + 10]
    tokens = [[4, 5], [6], [7, 8, 9, 2]]
    b = collate(feats, tokens, ["a", "b", "c"])
    assert b.x.shape == (3, 7, 3) and b.x.dtype == torch.float32
    assert b.x_lens.tolist() == [5, 2, 7] and b.x_lens.dtype == torch.int64
    assert b.ys.shape == (3, 4) and b.ys.dtype == torch.int64
    assert b.y_lens.tolist() == [2, 1, 4] and b.y_lens.dtype == torch.int64
    for i, (f, t) in enumerate(zip(feats, tokens, strict=True)):
        torch.testing.assert_close(b.x[i, : len(f)], f)
        assert (b.x[i, len(f) :] == 0).all()
        assert b.ys[i, : len(t)].tolist() == t
        assert (b.ys[i, len(t) :] == -1).all()
    assert b.ids == ["a", "b", "c"] and len(b) == 3


def test_dataset_batch_matches_per_cut_features_and_tokens(cuts, tokenizer):
    ds = AsrDataset(tokenizer)
    subset = cuts.subset(first=4)
    b = ds[subset]
    assert b.ids == [c.id for c in subset] and b.dropped == []
    for i, cut in enumerate(subset):
        f = cut_features(cut)
        assert b.x_lens[i] == f.shape[0]
        torch.testing.assert_close(b.x[i, : f.shape[0]], f)
        assert b.ys[i, : b.y_lens[i]].tolist() == tokenizer.encode(cut.supervisions[0].text)


def _broken(cut):
    rec = cut.recording
    source = fastcopy(rec.sources[0], source="/nonexistent/audio.wav")
    return fastcopy(cut, recording=fastcopy(rec, sources=[source]))


def test_failed_cut_is_dropped_and_counted_not_raised(cuts, tokenizer):
    ds = AsrDataset(tokenizer)
    good = list(cuts.subset(first=3))
    batch_cuts = CutSet.from_cuts([good[0], _broken(good[1]), good[2]])
    b = ds[batch_cuts]
    assert b.ids == [good[0].id, good[2].id]
    assert b.dropped == [good[1].id] and ds.num_failed == 1
    assert b.x.shape[0] == b.ys.shape[0] == 2


def test_all_failed_gives_empty_marker_batch(cuts, tokenizer):
    ds = AsrDataset(tokenizer, num_mel_bins=80)
    b = ds[CutSet.from_cuts([_broken(c) for c in cuts.subset(first=2)])]
    assert isinstance(b, Batch) and len(b) == 0
    assert b.x.shape == (0, 0, 80) and b.ys.shape == (0, 0)
    assert len(b.dropped) == 2 and ds.num_failed == 2


@pytest.mark.parametrize("num_workers", [0, 2])
def test_dataloader_yields_every_cut_once(cuts, tokenizer, num_workers):
    sampler = make_sampler(cuts, max_duration=4.0, num_buckets=2, seed=3)
    loader = make_dataloader(AsrDataset(tokenizer), sampler, num_workers=num_workers)
    ids = [i for b in loader for i in b.ids]
    assert sorted(ids) == sorted(c.id for c in cuts)


def test_dither_only_changes_values_and_precomputed_features_are_used(cuts, tokenizer, tmp_path):
    subset = cuts.subset(first=2)
    plain = AsrDataset(tokenizer)[subset]
    torch.manual_seed(0)
    dithered = AsrDataset(tokenizer, dither=1.0)[subset]
    assert torch.equal(plain.x_lens, dithered.x_lens)
    assert not torch.equal(plain.x, dithered.x)
    stored = precompute_features(subset, tmp_path / "feats", progress=False)
    for cut in stored:  # the audio is no longer needed once features are stored
        cut.recording = None
    from_disk = AsrDataset(tokenizer)[stored]
    torch.testing.assert_close(from_disk.x, plain.x)
    assert torch.equal(from_disk.ys, plain.ys)


def test_aux_targets_are_encoded_padded_and_a_cut_without_them_is_dropped(cuts):
    units = {c.id: " ".join(["a", "b", "c"][: 1 + i % 3]) for i, c in enumerate(cuts)}
    keep = [c.id for c in cuts][1:]
    with_aux = CutSet.from_cuts(
        fastcopy(c, supervisions=[fastcopy(c.supervisions[0], custom={"aux_text": units[c.id]})])
        if c.id in keep else c
        for c in cuts
    )  # fmt: skip
    aux_tok = UnitTokenizer.train(units.values())
    text_tok = CharTokenizer.train(c.supervisions[0].text for c in cuts)
    batch = AsrDataset(text_tok, num_mel_bins=40, aux_tokenizer=aux_tok)[with_aux]
    assert batch.ids == keep and batch.dropped == [cuts[0].id]
    for i, cut_id in enumerate(batch.ids):
        expected = aux_tok.encode(units[cut_id])
        assert batch.aux_lens[i] == len(expected)
        assert batch.aux_ys[i, : len(expected)].tolist() == expected
        assert (batch.aux_ys[i, len(expected) :] == -1).all()
    assert batch.model_args()[4] is batch.aux_ys
    plain = AsrDataset(text_tok, num_mel_bins=40)[with_aux]  # no aux tokenizer: all kept
    assert len(plain) == len(cuts) and plain.aux_ys is None and plain.to("cpu").aux_ys is None


def test_one_utterance_of_a_batch_keeps_its_targets_without_padding():
    b = collate([torch.ones(5, 3), torch.ones(2, 3)], [[4, 5], [6]], ["a", "b"], [[2], [3, 2, 4]])
    one = b.one(1)
    assert one.ids == ["b"] and one.x.shape == (1, 2, 3) and one.ys.tolist() == [[6]]
    assert one.aux_ys.tolist() == [[3, 2, 4]] and one.aux_lens.tolist() == [3]
    assert collate([torch.ones(5, 3)], [[4]], ["a"]).one(0).aux_ys is None
