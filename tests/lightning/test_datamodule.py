"""The datamodule: a restored epoch continues after its trained batches; the epoch length."""

from __future__ import annotations

import pytest

from asr.data.tokenizer import UnitTokenizer, load_tokenizer
from asr.errors import InputError
from asr.lightning.datamodule import ASRDataModule


def datamodule(corpus) -> ASRDataModule:
    return ASRDataModule(
        str(corpus["train"]),
        str(corpus["dev"]),
        load_tokenizer(corpus["tokenizer"]),
        max_duration=3,
        num_buckets=2,
        num_workers=0,
        seed=3,
        buffer_size=100,
    )


def epoch_ids(loader, epoch: int | None = None) -> list[list[str]]:
    if epoch is not None:
        loader.sampler.set_epoch(epoch)
    return [batch.ids for batch in loader]


def test_restored_state_skips_the_trained_batches_of_its_epoch_only(tiny_corpus):
    reference = datamodule(tiny_corpus).train_dataloader()
    full = {epoch: epoch_ids(reference, epoch) for epoch in (1, 2)}
    assert full[1] != full[2]  # a new shuffle every epoch

    resumed = datamodule(tiny_corpus)
    resumed.load_state_dict({"epoch": 1, "batches_done": 3})
    loader = resumed.train_dataloader()  # Lightning draws before it calls set_epoch on resume
    assert epoch_ids(loader) == full[1][3:]
    assert epoch_ids(loader, 2) == full[2]  # the next epoch is whole


def test_batches_per_epoch_is_the_length_of_epoch_zero(tiny_corpus):
    dm = datamodule(tiny_corpus)
    count = dm.batches_per_epoch()
    assert count == len(epoch_ids(dm.train_dataloader(), 0)) > 2
    assert dm.batches_per_epoch(world_size=2) < count  # one rank's share


def test_an_aux_tokenizer_refuses_cuts_prepared_without_aux_transcripts(tiny_corpus):
    units = UnitTokenizer.train(["a b", "c"])
    text = load_tokenizer(tiny_corpus["tokenizer"])
    plain = ASRDataModule(
        str(tiny_corpus["train"]), str(tiny_corpus["dev"]), text, aux_tokenizer=units
    )
    with pytest.raises(InputError, match=r"train\.jsonl\.gz: cut .* asr-prepare --aux-text"):
        plain.setup("fit")
    datamodule(tiny_corpus).setup("fit")  # without one: no such requirement
