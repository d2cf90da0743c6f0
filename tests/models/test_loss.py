"""Loss normalisation: each part is summed within an utterance and averaged over the batch."""

import pytest
import torch


def test_batch_loss_is_the_mean_of_per_utterance_losses(build_model, make_batch, encoder_type):
    model = build_model(encoder_type, ctc_weight=0.3).eval()
    x_lens, y_lens = [80, 47, 30, 62], [6, 3, 1, 4]
    x, xl, ys, yl = make_batch(x_lens, y_lens)
    with torch.no_grad():
        batch = model(x, xl, ys, yl)
        alone = []
        for b, (t, u) in enumerate(zip(x_lens, y_lens, strict=True)):
            one = slice(b, b + 1)
            alone.append(model(x[one, :t], xl[one], ys[one, :u], yl[one]))
    for key in ("loss_ctc", "loss_att"):
        expected = torch.stack([out[key] for out in alone]).mean()
        torch.testing.assert_close(batch[key], expected, atol=1e-4, rtol=1e-5)
    torch.testing.assert_close(batch["loss"], 0.3 * batch["loss_ctc"] + 0.7 * batch["loss_att"])
    # per-utterance losses are sums, not per-token means: longer targets cost more
    assert alone[0]["loss_att"] > alone[2]["loss_att"]


def test_attention_loss_is_label_smoothed_cross_entropy_of_y_plus_eos(build_model, make_batch):
    model = build_model(ctc_weight=0.0, label_smoothing=0.1).eval()
    x, xl, ys, yl = make_batch([40], [3])
    with torch.no_grad():
        out = model(x, xl, ys, yl)
        memory, memory_lens = model.encode(x, xl)
        ys_in = torch.cat((torch.tensor([[model.sos_eos_id]]), ys), dim=1)
        logp = model.decoder(memory, memory_lens, ys_in, yl + 1)[0].log_softmax(-1)
    target = ys[0].tolist() + [model.sos_eos_id]
    nll = -logp[torch.arange(4), target]
    smooth = -logp.mean(-1)  # uniform over the vocabulary, as F.cross_entropy smooths
    expected = (0.9 * nll + 0.1 * smooth).sum()
    torch.testing.assert_close(out["loss_att"], expected, atol=1e-5, rtol=1e-5)
    assert torch.equal(out["loss"], out["loss_att"])
    assert model.ctc is None and out["loss_ctc"] is None


def test_add_sos_eos(build_model):
    model = build_model()
    eos = model.sos_eos_id
    ys = torch.tensor([[3, 4, 5], [6, -1, -1]])
    ys_in, ys_out, lens = model.add_sos_eos(ys, torch.tensor([3, 1]))
    assert ys_in.tolist() == [[eos, 3, 4, 5], [eos, 6, eos, eos]]
    assert ys_out.tolist() == [[3, 4, 5, eos], [6, eos, -1, -1]]
    assert lens.tolist() == [4, 2]


def test_accuracy_counts_real_target_tokens_only(build_model, make_batch):
    model = build_model().eval()
    x, xl, ys, yl = make_batch([50, 30], [4, 1])
    with torch.no_grad():
        out = model(x, xl, ys, yl)
        memory, memory_lens = model.encode(x, xl)
        ys_in, ys_out, ys_in_lens = model.add_sos_eos(ys, yl)
        pred = model.decoder(memory, memory_lens, ys_in, ys_in_lens).argmax(-1)
    real = ys_out >= 0
    assert real.sum() == 7  # 4 + 1 tokens, plus one <eos> each
    assert out["acc"].item() == pytest.approx(((pred == ys_out) & real).sum().item() / 7)


def test_ctc_only_model_has_no_decoder(build_model, make_batch):
    model = build_model(ctc_weight=1.0, decoder_layers=0).eval()
    assert model.decoder is None
    out = model(*make_batch([50, 30], [4, 2]))
    assert out["loss_att"] is None and out["acc"] is None
    assert torch.equal(out["loss"], out["loss_ctc"])


def test_unsolvable_ctc_utterance_counts_zero_not_inf(build_model, make_batch):
    """Only 3 encoder frames for 6 tokens: CTC is infeasible, zero_infinity keeps it finite."""
    model = build_model(ctc_weight=1.0, decoder_layers=0).eval()
    out = model(*make_batch([15], [6]))
    assert out["loss"].item() == 0.0


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (dict(ctc_weight=1.5), "ctc_weight must lie in"),
        (dict(ctc_weight=0.5, decoder_layers=0), "needs a decoder"),
        (dict(ctc_weight=0.5, use_ctc=False), "needs the CTC head"),
        (dict(encoder="lstm"), "encoder must be"),
        (dict(cmvn_mean=torch.zeros(3)), r"shape \(20,\)"),
    ],
)
def test_bad_configuration_is_refused(build_model, kwargs, message):
    with pytest.raises(ValueError, match=message):
        build_model(**kwargs)


def test_ctc_log_probs_without_a_head_is_a_clear_error(build_model):
    model = build_model(ctc_weight=0.0)
    with pytest.raises(RuntimeError, match="no CTC head"):
        model.ctc_log_probs(torch.zeros(1, 3, 32))


def test_intermediate_ctc_mixes_the_ctc_loss_of_a_middle_layer(
    build_model, make_batch, encoder_type
):
    """(1 − w)·CTC(final) + w·CTC(layer 1 of 2): layer 1's CTC is that of the same model cut
    after its first layer (whose encoder then ends, with its final norm, at that layer)."""
    base = build_model(encoder_type, ctc_weight=0.3).eval()
    inter = build_model(encoder_type, ctc_weight=0.3, intermediate_ctc_layer=1,
                        intermediate_ctc_weight=0.4).eval()  # fmt: skip
    inter.load_state_dict(base.state_dict())  # intermediate CTC adds no parameters
    cut = build_model(encoder_type, ctc_weight=0.3, encoder_layers=1).eval()
    cut.load_state_dict(base.state_dict(), strict=False)
    x, xl, ys, yl = make_batch([80, 47, 30], [6, 3, 1])
    with torch.no_grad():
        full, mixed, lower = base(x, xl, ys, yl), inter(x, xl, ys, yl), cut(x, xl, ys, yl)
        torch.testing.assert_close(inter.encode(x, xl)[0], base.encode(x, xl)[0])
    expected = 0.6 * full["loss_ctc"] + 0.4 * lower["loss_ctc"]
    torch.testing.assert_close(mixed["loss_ctc"], expected)
    torch.testing.assert_close(mixed["loss_att"], full["loss_att"])
    assert not torch.isclose(mixed["loss_ctc"], full["loss_ctc"])
    for bad, match in (({"intermediate_ctc_layer": 2}, "below"),
                       ({"intermediate_ctc_layer": 1, "intermediate_ctc_weight": 1.0}, r"\[0, 1\)"),
                       ({"intermediate_ctc_layer": 1, "ctc_weight": 0.0}, "CTC head")):  # fmt: skip
        with pytest.raises(ValueError, match=match):
            build_model(encoder_type, **bad)


def test_utterances_too_short_for_ctc_are_counted_not_lost_silently(build_model, make_batch):
    from asr.models.ctc import min_frames

    ys = torch.tensor([[5, 5, 2, 2, 2], [3, 4, 3, -1, -1], [7, -1, -1, -1, -1]])
    assert min_frames(ys, torch.tensor([5, 3, 1])).tolist() == [8, 3, 1]  # 5 ∅ 5 2 ∅ 2 ∅ 2
    model = build_model(ctc_weight=0.5).eval()  # x4: 80 frames -> 19, 30 -> 6
    x, xl, ys, yl = make_batch([80, 30, 30], [6, 8, 2])
    with torch.no_grad():
        out = model(x, xl, ys, yl)
        memory, memory_lens = model.encode(x, xl)
        alone = model.ctc.loss(memory[1:2], memory_lens[1:2], ys[1:2], yl[1:2])
    assert memory_lens.tolist() == [19, 6, 6] and int(out["ctc_infeasible"]) == 1
    assert float(alone) == 0.0  # what CTC gives it (zero_infinity): nothing to learn from


def test_intermediate_ctc_with_its_own_vocabulary_learns_the_aux_targets(build_model, make_batch):
    """Hierarchical CTC: layer 1's CTC reads its own head and the aux targets; the final CTC and
    the decoder are those of the model without it, and inference (encode) is unchanged."""
    base = build_model("conformer", ctc_weight=0.3).eval()
    hier = build_model(
        "conformer",
        ctc_weight=0.3,
        intermediate_ctc_layer=1,
        intermediate_ctc_weight=0.4,
        intermediate_ctc_vocab_size=5,
    ).eval()
    missing, unexpected = hier.load_state_dict(base.state_dict(), strict=False)
    assert sorted(missing) == ["aux_ctc.proj.bias", "aux_ctc.proj.weight"] and not unexpected
    assert hier.aux_ctc.proj.out_features == 5
    x, xl, ys, yl = make_batch([80, 47, 30], [6, 3, 1])
    aux = torch.tensor([[2, 3, 4, 2], [3, 3, -1, -1], [4, -1, -1, -1]])
    aux_lens = torch.tensor([4, 2, 1])
    with torch.no_grad():
        full = base(x, xl, ys, yl)
        out = hier(x, xl, ys, yl, aux, aux_lens)
        other = hier(x, xl, ys, yl, torch.where(aux > 0, 6 - aux, aux), aux_lens)
        torch.testing.assert_close(hier.encode(x, xl)[0], base.encode(x, xl)[0])
    torch.testing.assert_close(out["loss_att"], full["loss_att"])
    assert not torch.isclose(out["loss_ctc"], other["loss_ctc"])  # the aux targets count
    lower = build_model("conformer", ctc_weight=0.3, encoder_layers=1).eval()
    lower.load_state_dict(base.state_dict(), strict=False)  # the model cut after layer 1
    with torch.no_grad():
        memory, memory_lens = lower.encode(x, xl)
        aux_loss = hier.aux_ctc.loss(memory, memory_lens, aux, aux_lens) / 3
    torch.testing.assert_close(out["loss_ctc"], 0.6 * full["loss_ctc"] + 0.4 * aux_loss)
    torch.testing.assert_close(out["loss_inter"], aux_loss)
    assert full["loss_inter"] is None
    long = torch.cat((aux, torch.full((3, 8), 2)), dim=1)  # utterance 3: 9 units, 30 frames
    with torch.no_grad():
        frames = hier.encode(x, xl)[1]
        too_long = hier(x, xl, ys, yl, long, torch.tensor([4, 2, 9]))
    assert frames[2] < 9 <= frames[0] and full["ctc_infeasible"] == 0
    assert too_long["ctc_infeasible"] == 1  # counted like the final CTC's infeasible targets
    with pytest.raises(ValueError, match="aux_ys"):
        hier(x, xl, ys, yl)
    with pytest.raises(ValueError, match="aux_ys"):
        base(x, xl, ys, yl, aux, aux_lens)
    with pytest.raises(ValueError, match="needs intermediate_ctc_layer"):
        build_model("conformer", intermediate_ctc_vocab_size=5)
