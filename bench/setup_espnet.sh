#!/usr/bin/env bash
# Create bench/.venv-espnet with ESPnet2, the peer that bench/peer_espnet.py compares against.
#
# ESPnet is never a dependency of this project: it lives in its own venv, next to the
# benchmark that uses it. A plain `pip install espnet` fails on this machine (its dependency
# ci_sdr declares a git-URL requirement that pip refuses), so ESPnet itself goes in with
# --no-deps and the dependencies that the ASR model path needs are listed by hand
# (install recipe measured in shared/ENV.md, "The ESPnet2 peer"). torch is pinned on every line:
# ENV.md's `setuptools<74` would make pip fall back to torch 2.12.1 (torch 2.14.1 needs
# setuptools>=77), and nothing on ESPnet's ASR path uses pkg_resources, so that pin is dropped.
# Same torch as the project's venv, so both sides of the comparison run the same kernels.
#
# Idempotent: re-running reuses the venv and skips the install when ESPnet already builds on the
# pinned torch.
# Usage: bash bench/setup_espnet.sh [PYTHON]   (default: python3)
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
venv="$here/.venv-espnet"
python="${1:-python3}"

if [[ ! -x "$venv/bin/python" ]]; then
    "$python" -m venv "$venv"
fi
pip=("$venv/bin/python" -m pip install --quiet)

torch_pin="torch==2.14.1"

check() {
    "$venv/bin/python" - <<'PY'
import torch

assert torch.__version__.startswith("2.14.1"), f"torch {torch.__version__}, want 2.14.1"
import espnet2.bin.asr_inference  # noqa: F401  (the trainer and decoder of peer_espnet_train.py)
import espnet2.bin.asr_train  # noqa: F401
from espnet2.asr.ctc import CTC
from espnet2.asr.decoder.transformer_decoder import TransformerDecoder
from espnet2.asr.encoder.transformer_encoder import TransformerEncoder
from espnet2.asr.espnet_model import ESPnetASRModel

vocab = 100
encoder = TransformerEncoder(
    80, output_size=144, attention_heads=4, linear_units=576, num_blocks=6, input_layer="conv2d"
)
decoder = TransformerDecoder(vocab, 144, attention_heads=4, linear_units=576, num_blocks=3)
model = ESPnetASRModel(
    vocab_size=vocab,
    token_list=[str(i) for i in range(vocab)],
    frontend=None,
    specaug=None,
    normalize=None,
    preencoder=None,
    encoder=encoder,
    postencoder=None,
    decoder=decoder,
    ctc=CTC(vocab, 144),
    joint_network=None,
)
n = sum(p.numel() for p in model.parameters())
print(f"ESPnet2 ESPnetASRModel builds: {n / 1e6:.2f} M parameters")
PY
}

if check 2>/dev/null; then
    exit 0
fi

"${pip[@]}" "$torch_pin" "torchaudio==2.11.0"
"${pip[@]}" --no-deps espnet
"${pip[@]}" "$torch_pin" packaging configargparse typeguard humanfriendly scipy filelock \
    librosa "jamo==0.4.1" PyYAML soundfile h5py kaldiio torch_complex nltk "numpy>=2" protobuf \
    hydra-core opt-einsum sentencepiece editdistance "importlib-metadata<5" lightning
# What espnet2.bin.asr_train and asr_inference import beyond the model (shared/peer_espnet.md);
# ci_sdr without its dependencies: it declares a git-URL one that pip refuses.
"${pip[@]}" "$torch_pin" einops g2p_en espnet_tts_frontend fast_bss_eval tensorboard matplotlib
"${pip[@]}" --no-deps ci_sdr
check
