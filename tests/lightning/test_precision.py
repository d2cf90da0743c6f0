import pytest

from asr.lightning.precision import auto_precision, cpu_flags

X86 = "processor\t: 0\nvendor_id\t: AuthenticAMD\nflags\t\t: fpu sse2 avx2 avx512f avx512_bf16\n"
ARM = "processor\t: 0\nFeatures\t: fp asimd sve bf16 i8mm\nCPU implementer\t: 0x41\n"


@pytest.mark.parametrize(
    "text, expected",
    [
        (X86, {"fpu", "sse2", "avx2", "avx512f", "avx512_bf16"}),
        (ARM, {"fp", "asimd", "sve", "bf16", "i8mm"}),
        ("processor\t: 0\nmodel name\t: something\n", set()),
    ],
)
def test_cpu_flags_reads_x86_and_arm_cpuinfo(tmp_path, text, expected):
    path = tmp_path / "cpuinfo"
    path.write_text(text + text.replace(": 0", ": 1").replace("fpu", "other"))  # 2nd CPU ignored
    assert cpu_flags(path) == expected


def test_cpu_flags_is_empty_without_a_cpuinfo(tmp_path):
    assert cpu_flags(tmp_path / "missing") == frozenset()


@pytest.mark.parametrize(
    "flags, expected",
    [
        ({"avx2", "avx512f", "avx512_bf16"}, "bf16-mixed"),
        ({"avx2", "amx_bf16", "amx_tile"}, "bf16-mixed"),
        ({"asimd", "bf16"}, "bf16-mixed"),
        ({"avx2", "avx512f", "avx512_vnni"}, "32-true"),  # AVX-512 alone emulates bf16
        (set(), "32-true"),
    ],
)
def test_auto_picks_bf16_only_where_the_cpu_has_native_bf16(flags, expected):
    assert auto_precision("cpu", frozenset(flags)) == expected


def test_auto_refuses_an_accelerator_it_cannot_judge():
    with pytest.raises(ValueError, match="trainer.precision=auto .* got 'mps'"):
        auto_precision("mps", frozenset())
