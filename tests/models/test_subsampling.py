import pytest
import torch

from asr.models.subsampling import Conv2dSubsampling


@pytest.mark.parametrize("depthwise", [False, True])
@pytest.mark.parametrize(("factor", "min_len"), [(4, 7), (6, 11), (8, 15)])
def test_output_lengths_match_the_convolutions_for_every_length(factor, min_len, depthwise):
    sub = Conv2dSubsampling(
        feat_dim=min_len, d_model=4, factor=factor, channels=1, depthwise=depthwise
    )
    assert sub.min_len == min_len
    lengths = torch.arange(min_len, 2001)
    predicted = sub.output_lengths(lengths)
    with torch.no_grad():
        actual = [sub.conv(torch.zeros(1, 1, t, min_len)).shape[2] for t in lengths.tolist()]
    assert predicted.tolist() == actual
    assert predicted.min() == 1
    # roughly 1/factor of the input, never more
    assert (predicted * factor <= lengths).all()


@pytest.mark.parametrize("factor", [4, 6, 8])
def test_too_short_input_gives_zero_length_and_a_named_error(factor):
    sub = Conv2dSubsampling(feat_dim=16, d_model=4, factor=factor, channels=2)
    short = sub.min_len - 1
    assert sub.output_lengths(torch.tensor([0, 1, short])).tolist() == [0, 0, 0]
    with pytest.raises(ValueError, match=f"{short} frames.*{sub.min_len}"):
        sub(torch.zeros(1, short, 16), torch.tensor([short]))


def test_channels_are_independent_of_d_model():
    sub = Conv2dSubsampling(feat_dim=80, d_model=144, factor=4, channels=32)
    assert sub.conv[0].out_channels == 32
    out, lens = sub(torch.randn(2, 100, 80), torch.tensor([100, 60]))
    assert out.shape == (2, 24, 144)
    assert lens.tolist() == [24, 14]


def test_unknown_factor_is_refused():
    with pytest.raises(ValueError, match="factor"):
        Conv2dSubsampling(80, 64, factor=5)


def test_depthwise_front_end_is_separable_after_its_first_convolution():
    full = Conv2dSubsampling(80, 144, factor=8, channels=64)
    dw = Conv2dSubsampling(80, 144, factor=8, channels=64, depthwise=True)
    convs = [m for m in dw.conv if isinstance(m, torch.nn.Conv2d)]
    assert [c.groups for c in convs] == [1, 64, 1, 64, 1]  # full, (depthwise, pointwise) x 2
    assert [c.kernel_size for c in convs[1:]] == [(3, 3), (1, 1), (3, 3), (1, 1)]
    conv_params = [sum(p.numel() for p in s.conv.parameters()) for s in (full, dw)]
    assert conv_params[1] < conv_params[0] / 5
    x, lens = torch.randn(3, 120, 80), torch.tensor([120, 64, 15])
    out, out_lens = dw(x, lens)
    assert out.shape == (3, 14, 144) and out_lens.tolist() == [14, 7, 1]
    assert torch.equal(out_lens, full.output_lengths(lens))
    # a padded frame cannot reach a real output frame: the short utterance alone == in the batch
    alone, _ = dw(x[1:2, :64], lens[1:2])
    torch.testing.assert_close(alone[0, :7], out[1, :7])


@pytest.mark.parametrize("factor", [4, 6, 8])
def test_stride_and_input_frames_come_from_the_layout(factor):
    """n outputs read input_frames(n) inputs; the next output starts ``stride`` inputs later."""
    sub = Conv2dSubsampling(feat_dim=16, d_model=4, factor=factor, channels=2)
    assert sub.stride == factor  # x4 = 2·2, x6 = 2·3, x8 = 2·2·2
    for n in (1, 2, 7):
        length = sub.input_frames(n)
        assert sub.output_lengths(torch.tensor([length, length - 1])).tolist() == [n, n - 1]


@pytest.mark.parametrize("depthwise", [False, True])
@pytest.mark.parametrize("factor", [4, 6, 8])
def test_a_chunk_of_outputs_reads_only_its_own_input_frames(factor, depthwise):
    """Outputs [a, a + n) from input frames [a·stride, a·stride + input_frames(n)) alone equal
    those outputs of the whole input: what a streaming encoder relies on."""
    torch.manual_seed(0)
    sub = Conv2dSubsampling(feat_dim=16, d_model=8, factor=factor, channels=3, depthwise=depthwise)
    x = torch.randn(1, 200, 16)
    with torch.no_grad():
        full, _ = sub(x, torch.tensor([200]))
        for a, n in ((0, 1), (3, 4), (10, 6)):
            start = a * sub.stride
            part = x[:, start : start + sub.input_frames(n)]
            out, _ = sub(part, torch.tensor([part.shape[1]]))
            torch.testing.assert_close(out, full[:, a : a + n])
