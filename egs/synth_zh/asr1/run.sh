#!/usr/bin/env bash
# Offline Mandarin recipe: espeak-ng cmn-latn-pinyin reading pinyin, character transcripts, CER.
#   ./run.sh                                  # every stage with the defaults
#   ./run.sh --stage 3 --stop-stage 3 trainer.max_epochs=5   # key=value: Hydra overrides for asr-train
#   ./run.sh --size 2000 --seed 1 --force     # smaller corpus, other seed, redo finished stages
# Stages: 0 synthesize, 1 cuts + CMVN, 2 tokenizer, 3 train, 4 average, 5 decode test, 6 results.
set -euo pipefail
cd "$(dirname "$0")"

stage=0
stop_stage=6
force=false
size=4000                 # training utterances (about 2 s each)
hours=                    # if set: training hours instead of --size (~2.0 s per utterance)
dev_size=200
test_size=300
nj=2                      # parallel synthesizer processes
seed=0
token_type=char
vocab_size=0              # char: every training character
experiment=synth_zh       # conf/experiment/synth_zh.yaml
exp=exp/synth_zh
average_num=5
methods="ctc_greedy attention_beam attention_rescoring joint_ctc_attention"
beam=10
ctc_weight=0.3
done_dir=exp/.done
usage="usage: $0 [--stage N] [--stop-stage M] [--force] [--size UTTS | --hours H]
          [--nj N] [--seed S] [key=value ...]"
. ../../tools/recipe.sh "$@"
if [ -n "$hours" ]; then size=$(python -c "print(round($hours * 3600 / 2.0))"); fi

synthesize() {  # size dev_size test_size seed
  python local/synthesize.py --out data --train-utts "$1" --dev-utts "$2" --test-utts "$3" \
    --seed "$4" --nj "$nj"
}

prepare() {
  asr-prepare data/train data/train --cmvn
  asr-prepare data/dev data/dev
  asr-prepare data/test data/test
}

tokenizer() {  # token_type vocab_size (0: no limit, for char)
  local size_opt=()
  [ "$2" -gt 0 ] && size_opt=(--vocab-size "$2")
  asr-tokenizer --text data/train/cuts.jsonl.gz --type "$1" ${size_opt[@]+"${size_opt[@]}"} \
    --out data/tokenizer
}

train() {  # experiment exp [overrides...]
  local experiment=$1 exp=$2
  shift 2
  asr-train "hydra.searchpath=[file://$PWD/conf]" "experiment=$experiment" "exp_dir=$exp" \
    data.train_cuts=data/train/cuts.jsonl.gz data.dev_cuts=data/dev/cuts.jsonl.gz \
    data.tokenizer=data/tokenizer data.cmvn=data/train/cmvn.json resume=auto "$@"
}

average() {  # exp num
  asr-average "$1" --num "$2" --mode best --out "$1/average.pt"
}

decode() {  # exp beam ctc_weight methods...
  local exp=$1 beam=$2 ctc_weight=$3 method
  shift 3
  for method in "$@"; do
    asr-decode "exp_dir=$exp" "test_sets={test: data/test/cuts.jsonl.gz}" "method=$method" \
      "beam=$beam" "ctc_weight=$ctc_weight" checkpoint=average.pt metric=cer
  done
}

results() {  # exp
  python -m asr.recipes.results "$1" --done-dir "$done_dir" --out "$1/results.md"
}

run_stage 0 synthesize synthesize "$size" "$dev_size" "$test_size" "$seed"
run_stage 1 prepare prepare
run_stage 2 tokenizer tokenizer "$token_type" "$vocab_size"
run_stage 3 train train "$experiment" "$exp" ${overrides[@]+"${overrides[@]}"}
run_stage 4 average average "$exp" "$average_num"
run_stage 5 decode decode "$exp" "$beam" "$ctc_weight" $methods
run_stage 6 results results "$exp"
