#!/usr/bin/env bash
# AISHELL-1: ESPnet2-style joint CTC/attention Conformer on characters, scored by CER.
#   ./run.sh --stage -1                       # download (needs a network), then everything
#   ./run.sh --corpus-dir /data/aishell       # the folder that holds data_aishell/
#   ./run.sh trainer.devices=2                # key=value arguments go to asr-train
# Stages: -1 download, 0 Kaldi dirs + cuts + CMVN, 1 Shar shards (--shar true), 2 tokenizer,
#         3 train, 4 average, 5 decode, 6 results.
set -euo pipefail
cd "$(dirname "$0")"

stage=0
stop_stage=6
force=false
download_dir=downloads                 # stage -1 puts data_aishell in $download_dir/aishell
corpus_dir=                            # default: $download_dir/aishell
speed_perturb=0.9,1.0,1.1              # as ESPnet's AISHELL recipe; "" for none
shar=false
shar_shard_size=1000
experiment=aishell_conformer           # conf/experiment/aishell_conformer.yaml
exp=exp/aishell_conformer
average_num=10
methods="attention_rescoring joint_ctc_attention"
beam=10
ctc_weight=0.3
nj=4
usage="usage: $0 [--stage N] [--stop-stage M] [--force] [--corpus-dir DIR] [--shar true] [key=value ...]"
. ../../tools/recipe.sh "$@"
. ../../tools/stages.sh
corpus_dir=${corpus_dir:-$download_dir/aishell}

download() {
  python local/download.py "$download_dir"
}

prepare() {  # speed_perturb
  python local/prepare_data.py "$corpus_dir" data
  asr-prepare data/train data/train --cmvn ${1:+--speed-perturb "$1"}
  asr-prepare data/dev data/dev
  asr-prepare data/test data/test
}

export_shar() {  # shard_size
  rm -rf data/train/shar
  python -m asr.recipes.shar data/train/cuts.jsonl.gz data/train/shar --shard-size "$1"
}

tokenizer() {
  asr-tokenizer --text data/train/cuts.jsonl.gz --type char --out data/tokenizer_char
}

run_stage -1 download download
run_stage 0 prepare prepare "$speed_perturb"
if [ "$shar" = true ]; then
  run_stage 1 shar export_shar "$shar_shard_size"
fi
run_stage 2 tokenizer tokenizer
run_stage 3 train train_model "$exp" "$experiment" train data/tokenizer_char \
  ${overrides[@]+"${overrides[@]}"}
run_stage 4 average average_model "$exp" "$average_num"
run_stage 5 decode decode_sets "$exp" "$beam" "$ctc_weight" cer "dev test" $methods
run_stage 6 results make_results "$exp"
