"""The Hydra tree: every group combination composes and resolves; recipes extend the search path."""

from __future__ import annotations

import functools
import itertools
from pathlib import Path

import pytest
from hydra import compose, initialize_config_dir
from hydra.utils import instantiate
from omegaconf import OmegaConf
from omegaconf.errors import MissingMandatoryValue

from asr.bin.train import CONF_DIR
from asr.data.tokenizer import load_tokenizer
from asr.models import ASRModel, DynamicChunk
from tests.lightning.helpers import REPO


def paths(corpus: dict[str, Path]) -> list[str]:
    return [
        "exp_dir=exp/test",
        f"data.train_cuts={corpus['train']}",
        f"data.dev_cuts={corpus['dev']}",
        f"data.tokenizer={corpus['tokenizer']}",
        f"data.cmvn={corpus['cmvn']}",
    ]


@pytest.fixture(scope="module", autouse=True)
def hydra_conf():
    with initialize_config_dir(config_dir=str(CONF_DIR), version_base="1.3"):
        yield


def compose_train(overrides: list[str]):
    return compose("train", overrides=overrides)


def group_options(group: str) -> list[str]:
    return sorted(p.stem for p in (CONF_DIR / group).glob("*.yaml"))


# every model x trainer x optimizer, and every experiment (which picks its own groups)
COMBINATIONS = [
    *itertools.product(
        group_options("model"), group_options("trainer"), group_options("optim"), [None]
    ),
    *((None, None, None, experiment) for experiment in group_options("experiment")),
]


@pytest.mark.parametrize(("model", "trainer", "optim", "experiment"), COMBINATIONS)
def test_every_combination_composes_and_resolves(tiny_corpus, model, trainer, optim, experiment):
    groups = {"model": model, "trainer": trainer, "optim": optim}
    overrides = [f"{k}={v}" for k, v in groups.items() if v] + paths(tiny_corpus)
    if experiment:
        overrides.append(f"experiment={experiment}")
    cfg = OmegaConf.to_container(compose_train(overrides), resolve=True, throw_on_missing=True)
    assert cfg["model"]["vocab_size"] == load_tokenizer(tiny_corpus["tokenizer"]).vocab_size
    assert cfg["model"]["feat_dim"] == cfg["data"]["num_mel_bins"]
    assert cfg["trainer"]["use_distributed_sampler"] is False
    assert cfg["callbacks"]["checkpoint"]["dirpath"] == "exp/test/checkpoints"


def test_model_and_optimizer_instantiate_from_the_config(tiny_corpus):
    cfg = compose_train(["model=tiny", "trainer=gpu", *paths(tiny_corpus)])
    model = instantiate(cfg.model)
    assert isinstance(model, ASRModel)
    assert model.vocab_size == load_tokenizer(tiny_corpus["tokenizer"]).vocab_size
    optimizer = instantiate(cfg.optim.optimizer)
    assert isinstance(optimizer, functools.partial)
    assert instantiate(cfg.optim.scheduler)(optimizer(model.parameters())).get_last_lr()[0] > 0
    assert cfg.trainer.precision == "bf16-mixed" and cfg.trainer.accelerator == "gpu"


def test_feature_dimension_follows_the_data_config(tiny_corpus):
    cfg = compose_train(["model=tiny", "data.num_mel_bins=40", *paths(tiny_corpus)])
    assert cfg.model.feat_dim == 40


def test_mandatory_paths_must_be_given():
    cfg = compose_train(["exp_dir=x"])
    with pytest.raises(MissingMandatoryValue, match="train_cuts"):
        OmegaConf.to_container(cfg, resolve=True, throw_on_missing=True)


def test_recipe_config_folder_joins_through_the_search_path(tiny_corpus, tmp_path):
    recipe = tmp_path / "conf"
    (recipe / "experiment").mkdir(parents=True)
    (recipe / "model").mkdir()
    (recipe / "model" / "recipe_small.yaml").write_text(
        "defaults:\n  - tiny\n  - _self_\nd_model: 64\nencoder_layers: 2\n"
    )
    (recipe / "experiment" / "recipe_exp.yaml").write_text(
        "# @package _global_\ndefaults:\n  - override /model: recipe_small\n"
        "optim:\n  optimizer:\n    lr: 0.005\n"
    )
    cfg = compose_train(
        [f"hydra.searchpath=[file://{recipe}]", "experiment=recipe_exp", *paths(tiny_corpus)]
    )
    assert cfg.model.d_model == 64 and cfg.model.encoder_layers == 2
    assert cfg.model.heads == 4  # the rest comes from the shared conf/model/tiny.yaml
    assert cfg.optim.optimizer.lr == 0.005


RECIPE_EXPERIMENTS = sorted(REPO.glob("egs/*/asr1/conf/experiment/*.yaml"))


@pytest.mark.parametrize(
    "experiment",
    RECIPE_EXPERIMENTS,
    ids=[p.parents[3].name + "/" + p.stem for p in RECIPE_EXPERIMENTS],
)
def test_every_recipe_experiment_composes_as_run_sh_calls_it(tiny_corpus, experiment):
    conf = experiment.parents[1]  # egs/<corpus>/asr1/conf
    cfg = compose_train(
        [f"hydra.searchpath=[file://{conf}]", f"experiment={experiment.stem}", *paths(tiny_corpus)]
    )
    resolved = OmegaConf.to_container(cfg, resolve=True, throw_on_missing=True)
    assert resolved["model"]["vocab_size"] == load_tokenizer(tiny_corpus["tokenizer"]).vocab_size
    assert resolved["model"]["_target_"] == "asr.models.ASRModel"
    assert resolved["trainer"]["_target_"] == "pytorch_lightning.Trainer"


def test_synth_en_full_is_the_default_experiment_then_regularized_and_longer(tiny_corpus):
    conf = REPO / "egs" / "synth_en" / "asr1" / "conf"
    default, full = (
        OmegaConf.to_container(
            compose_train(
                [f"hydra.searchpath=[file://{conf}]", f"experiment={name}", *paths(tiny_corpus)]
            ),
            resolve=True,
        )
        for name in ("synth_en", "synth_en_full")
    )
    assert full["trainer"]["max_epochs"] == -1  # the time budget alone ends training
    assert full["trainer"].pop("max_time") == "00:02:00:00"
    assert default["trainer"].pop("max_time") == "00:00:25:00"
    warmup = full["callbacks"].pop("regularization_warmup")
    assert warmup["start_step"] > 4000  # the default run's length: it has no regularization
    assert default["model"].pop("dropout") == 0.0 and default["model"].pop("specaug") is None
    assert full["model"].pop("dropout") > 0.0 and full["model"].pop("specaug") is not None
    # one cosine schedule that decays over each run's own time budget (max_time)
    assert full["optim"]["scheduler"]["_target_"].endswith("warmup_cosine_budget")
    assert full["optim"]["scheduler"]["progress"] is None
    assert full == default  # data, optimizer, schedule and the rest of the model are the same


def test_slurm_launcher_follows_the_trainer_shape(tiny_corpus):
    """hydra/launcher=slurm: one task per GPU on every node, taken from the trainer config."""
    overrides = ["hydra/launcher=slurm", "trainer=ddp", "trainer.devices=4", "trainer.num_nodes=3"]
    cfg = compose("train", overrides=overrides + paths(tiny_corpus), return_hydra_config=True)
    launcher = cfg.hydra.launcher
    assert launcher._target_.endswith("SlurmLauncher")
    assert (launcher.nodes, launcher.tasks_per_node, launcher.gpus_per_node) == (3, 4, 4)


def test_synth_en_streaming_is_the_default_experiment_with_dynamic_chunks(tiny_corpus):
    conf = REPO / "egs" / "synth_en" / "asr1" / "conf"
    default, streaming = (
        OmegaConf.to_container(
            compose_train(
                [f"hydra.searchpath=[file://{conf}]", f"experiment={name}", *paths(tiny_corpus)]
            ),
            resolve=True,
        )
        for name in ("synth_en", "synth_en_streaming")
    )
    schedule = streaming["model"].pop("streaming")
    assert default["model"].pop("streaming") is None
    assert streaming == default  # data, optimizer, schedule and the rest of the model
    model = instantiate({**streaming["model"], "streaming": schedule})
    assert isinstance(model.streaming, DynamicChunk) and model.encoder.causal
    assert {8, 16} <= set(model.streaming.chunk_sizes)  # the sizes run.sh decodes at


def test_streaming_is_off_by_default_and_set_from_the_command_line(tiny_corpus):
    cfg = compose_train(["model=conformer", *paths(tiny_corpus)])
    assert cfg.model.streaming is None
    cfg = compose_train(
        [
            "model=tiny",
            "+model/streaming=dynamic_chunk",
            "model.streaming.chunk_sizes=[2,4]",
            "model.streaming.left_chunks=3",
            *paths(tiny_corpus),
        ]
    )
    assert cfg.model.d_model == 144  # the rest of the preset is kept
    model = instantiate(cfg.model)
    assert model.streaming.chunk_sizes == [2, 4] and model.streaming.left_chunks == 3
    assert model.streaming.full_context_prob == 0.5 and model.encoder.causal
