#!/usr/bin/env bash
# LibriSpeech: ESPnet2-style joint CTC/attention Transformer or Conformer, SentencePiece unigram 5000.
#   ./run.sh --stage -1                       # download (needs a network), then everything
#   ./run.sh --corpus-dir /data/LibriSpeech   # an extracted tree already on disk
#   ./run.sh --train-set train_960 --experiment ls960_conformer trainer=ddp trainer.num_nodes=2
# Stages: -1 download, 0 Kaldi dirs + cuts + CMVN, 1 Shar shards (--shar true), 2 tokenizer,
#         3 train, 4 average, 5 decode, 6 results. key=value arguments go to asr-train.
set -euo pipefail
cd "$(dirname "$0")"

stage=0
stop_stage=6
force=false
download_dir=downloads                 # stage -1 puts the tree in $download_dir/LibriSpeech
corpus_dir=                            # default: $download_dir/LibriSpeech
train_set=train-clean-100              # or train_960 (clean-100 + clean-360 + other-500)
eval_sets="dev-clean dev-other test-clean test-other"
speed_perturb=0.9,1.0,1.1              # as ESPnet's LibriSpeech recipes; "" for none
shar=false                             # stage 1: export training cuts to Shar shards
shar_shard_size=1000
vocab_size=5000
experiment=ls100_conformer             # conf/experiment/{ls100_transformer,ls100_conformer,ls960_conformer}
exp=
average_num=10
methods="attention_rescoring joint_ctc_attention"
beam=10                                # ESPnet2 LibriSpeech-100 decoding without LM: beam 10, CTC 0.3
ctc_weight=0.3
nj=4
usage="usage: $0 [--stage N] [--stop-stage M] [--force] [--corpus-dir DIR] [--train-set SET]
          [--experiment NAME] [--shar true] [--nj N] [key=value ...]"
. ../../tools/recipe.sh "$@"
. ../../tools/stages.sh
corpus_dir=${corpus_dir:-$download_dir/LibriSpeech}
exp=${exp:-exp/${experiment}_${train_set}}

train_parts() {
  case $1 in
    train_960) echo train-clean-100,train-clean-360,train-other-500 ;;
    *) echo "$1" ;;
  esac
}

download() {  # parts
  python local/download.py "$download_dir" --parts "$1"
}

prepare() {  # train_set eval_sets speed_perturb
  local train=$1 evals=$2 sp=$3 parts combine=() set
  parts=$(train_parts "$train")
  [ "$train" = train_960 ] && combine=(--combine "train_960=$parts")
  # ESPnet validates on dev-clean + dev-other together.
  python local/prepare_data.py "$corpus_dir" data --nj "$nj" \
    --parts "$parts,dev-clean,dev-other,${evals// /,}" --combine dev=dev-clean,dev-other \
    ${combine[@]+"${combine[@]}"}
  asr-prepare "data/$train" "data/$train" --cmvn ${sp:+--speed-perturb "$sp"}
  for set in dev $evals; do
    asr-prepare "data/$set" "data/$set"
  done
}

export_shar() {  # train_set shard_size
  rm -rf "data/$1/shar"
  python -m asr.recipes.shar "data/$1/cuts.jsonl.gz" "data/$1/shar" --shard-size "$2"
}

tokenizer() {  # train_set vocab_size
  asr-tokenizer --text "data/$1/cuts.jsonl.gz" --type unigram --vocab-size "$2" \
    --out data/tokenizer_unigram$2
}

run_stage -1 download download "$(train_parts "$train_set"),dev-clean,dev-other,${eval_sets// /,}"
run_stage 0 prepare prepare "$train_set" "$eval_sets" "$speed_perturb"
if [ "$shar" = true ]; then
  run_stage 1 shar export_shar "$train_set" "$shar_shard_size"
fi
run_stage 2 tokenizer tokenizer "$train_set" "$vocab_size"
run_stage 3 train train_model "$exp" "$experiment" "$train_set" \
  "data/tokenizer_unigram$vocab_size" ${overrides[@]+"${overrides[@]}"}
run_stage 4 average average_model "$exp" "$average_num"
run_stage 5 decode decode_sets "$exp" "$beam" "$ctc_weight" wer "$eval_sets" $methods
run_stage 6 results make_results "$exp"
