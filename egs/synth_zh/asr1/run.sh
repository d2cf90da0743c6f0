#!/usr/bin/env bash
# Offline Mandarin recipe: espeak-ng cmn-latn-pinyin reading pinyin, character transcripts, CER.
#   ./run.sh                                  # every stage with the defaults
#   ./run.sh --stage 3 --stop-stage 3 trainer.max_epochs=5   # key=value: Hydra overrides for asr-train
#   ./run.sh --size 2000 --seed 1 --force     # smaller corpus, other seed, redo finished stages
#   ./run.sh --lm-order 0                     # no character LM (default: a 4-gram, fused in one decode)
#   ./run.sh --budget 60                      # the whole run in 60 minutes (default 30; 0: the
#                                             # experiment's own trainer.max_time, 25 min)
# Stages: 0 synthesize, 1 cuts + CMVN, 2 tokenizers (characters, pinyin units) + character LM,
#         3 train, 4 average, 5 decode test, 6 results.
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
budget=30                 # minutes for the whole run (0: the experiment's trainer.max_time): training
budget_reserve=3          # gets what stages 0-2 left, less this for 4-6 (../../tools/stages.sh)
average_num=5
methods="ctc_greedy attention_beam attention_rescoring joint_ctc_attention"
beam=10
ctc_weight=0.3
lm_order=4                # character n-gram on data/lm_text, the training pool (0: none)
lm_weight=0.3             # the LM decode's settings, chosen on dev (README): its LM weight,
lm_ctc_weight=0.9         # a CTC weight that trusts the weak attention decoder less,
lm_pre_beam=40            # and more decoder candidates per hypothesis (default 1.5 x beam)
done_dir=exp/.done
usage="usage: $0 [--stage N] [--stop-stage M] [--force] [--size UTTS | --hours H]
          [--lm-order N] [--nj N] [--seed S] [--budget MIN] [--budget-reserve MIN]
          [key=value ...]"
. ../../tools/recipe.sh "$@"
. ../../tools/stages.sh
if [ -n "$hours" ]; then size=$(python -c "print(round($hours * 3600 / 2.0))"); fi

synthesize() {  # size dev_size test_size seed
  python local/synthesize.py --out data --train-utts "$1" --dev-utts "$2" --test-utts "$3" \
    --seed "$4" --nj "$nj"
}

prepare() {  # train and dev carry the pinyin units of the intermediate CTC (--aux-text)
  asr-prepare data/train data/train --cmvn --precompute-features --aux-text text_pinyin
  asr-prepare data/dev data/dev --precompute-features --aux-text text_pinyin
  asr-prepare data/test data/test --precompute-features
}

text_models() {  # token_type vocab_size (0: no limit, for char) lm_order
  local size_opt=()
  [ "$2" -gt 0 ] && size_opt=(--vocab-size "$2")
  asr-tokenizer --text data/train/cuts.jsonl.gz --type "$1" ${size_opt[@]+"${size_opt[@]}"} \
    --out data/tokenizer
  asr-tokenizer --text data/train/text_pinyin --text-format kaldi --type unit \
    --out data/tokenizer_pinyin
  if [ "$3" -gt 0 ]; then
    [ -f data/lm_text ] || { echo "data/lm_text is missing: redo stage 0 (--force)" >&2; return 1; }
    asr-train-lm data/lm_text --plain --unit char --order "$3" --out "data/lm/${3}gram.json"
  fi
}

decode_test() {  # exp beam ctc_weight lm_order lm_weight lm_ctc_weight lm_pre_beam methods...
  local exp=$1 beam=$2 ctc_weight=$3 lm_order=$4 lm_weight=$5 lm_ctc_weight=$6 lm_pre_beam=$7
  shift 7
  decode_sets "$exp" "$beam" "$ctc_weight" cer test "$@"
  if [ "$lm_order" -gt 0 ]; then
    decode_sets "$exp" "$beam" "$lm_ctc_weight" cer test joint_ctc_attention -- \
      "lm=data/lm/${lm_order}gram.json" "lm_weight=$lm_weight" "pre_beam=$lm_pre_beam"
  fi
}

run_stage 0 synthesize synthesize "$size" "$dev_size" "$test_size" "$seed"
run_stage 1 prepare prepare
run_stage 2 tokenizer text_models "$token_type" "$vocab_size" "$lm_order"
run_stage 3 train train_in_budget "$budget" "$budget_reserve" "$exp" "$experiment" train \
  data/tokenizer data.aux_tokenizer=data/tokenizer_pinyin ${overrides[@]+"${overrides[@]}"}
run_stage 4 average average_model "$exp" "$average_num"
run_stage 5 decode decode_test "$exp" "$beam" "$ctc_weight" "$lm_order" "$lm_weight" \
  "$lm_ctc_weight" "$lm_pre_beam" $methods
run_stage 6 results make_results "$exp"
