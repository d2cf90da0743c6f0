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
. ../../tools/stages.sh
if [ -n "$hours" ]; then size=$(python -c "print(round($hours * 3600 / 2.0))"); fi

synthesize() {  # size dev_size test_size seed
  python local/synthesize.py --out data --train-utts "$1" --dev-utts "$2" --test-utts "$3" \
    --seed "$4" --nj "$nj"
}

prepare() {
  asr-prepare data/train data/train --cmvn --precompute-features
  asr-prepare data/dev data/dev --precompute-features
  asr-prepare data/test data/test --precompute-features
}

tokenizer() {  # token_type vocab_size (0: no limit, for char)
  local size_opt=()
  [ "$2" -gt 0 ] && size_opt=(--vocab-size "$2")
  asr-tokenizer --text data/train/cuts.jsonl.gz --type "$1" ${size_opt[@]+"${size_opt[@]}"} \
    --out data/tokenizer
}

run_stage 0 synthesize synthesize "$size" "$dev_size" "$test_size" "$seed"
run_stage 1 prepare prepare
run_stage 2 tokenizer tokenizer "$token_type" "$vocab_size"
run_stage 3 train train_model "$exp" "$experiment" train data/tokenizer \
  ${overrides[@]+"${overrides[@]}"}
run_stage 4 average average_model "$exp" "$average_num"
run_stage 5 decode decode_sets "$exp" "$beam" "$ctc_weight" cer test $methods
run_stage 6 results make_results "$exp"
