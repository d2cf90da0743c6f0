#!/usr/bin/env bash
# Offline English recipe on a corpus synthesized here (espeak-ng, flite, festival).
#   ./run.sh                                  # every stage with the defaults
#   ./run.sh --stage 3 --stop-stage 3 trainer.max_epochs=5   # key=value: Hydra overrides for asr-train
#   ./run.sh --size 2000 --seed 1 --force     # smaller corpus, other seed, redo finished stages
#   ./run.sh --vocab-words 0                  # open vocabulary (default: the 2,000 commonest words)
#   ./run.sh --budget 60                      # the whole run in 60 minutes (default 30; 0: the
#                                             # experiment's own trainer.max_time, 25 min)
#   ./run.sh --full                           # up to 2 hours of training, regularized after 25 min
#   ./run.sh --lm-order 0                     # no word LM (default: a 3-gram, fused in one decode)
#   ./run.sh --streaming                      # dynamic chunk training; also decodes chunk by chunk
# Stages: 0 synthesize, 1 cuts + fbank + CMVN, 2 tokenizer + word LM, 3 train, 4 average,
#         5 decode test, 6 results, 7 pack the model into exp/synth_en/packed (asr-pack).
set -euo pipefail
cd "$(dirname "$0")"

stage=0
stop_stage=7
force=false
size=16000                # training utterances (about 2 s each: 16000 ~ 8.4 h)
hours=                    # if set: training hours instead of --size (~2.0 s per utterance)
dev_size=300
test_size=400
nj=2                      # parallel synthesizer processes
seed=0
vocab_words=2000          # closed vocabulary: the N most frequent words (0: open vocabulary)
token_type=unigram
vocab_size=256
experiment=synth_en       # conf/experiment/synth_en.yaml
exp=exp/synth_en
budget=30                 # minutes for the whole run (0: the experiment's trainer.max_time): training
budget_reserve=3          # gets what stages 0-2 left, less this for 4-7 (../../tools/stages.sh)
full=false                # --full: train up to 2 hours (conf/experiment/synth_en_full.yaml)
streaming=false           # --streaming: dynamic chunk training (synth_en_streaming.yaml) into
                          # exp/synth_en_streaming; stage 5 also decodes at each --stream-chunks
stream_chunks="8 16"      # chunk sizes in encoder frames (60 ms each at subsampling 6)
stream_methods="ctc_prefix_beam attention_rescoring"   # the streaming decodes (asr.decode.streaming)
average_num=5
methods="ctc_greedy attention_beam attention_rescoring joint_ctc_attention"
beam=10
ctc_weight=0.3
lm_order=3                # word n-gram on the training transcripts (0: none)
lm_weight=0.2             # its weight in joint_ctc_attention + word LM; chosen on dev (README)
done_dir=exp/.done
usage="usage: $0 [--stage N] [--stop-stage M] [--force] [--size UTTS | --hours H]
          [--vocab-words N] [--lm-order N] [--nj N] [--seed S] [--budget MIN]
          [--budget-reserve MIN] [--full | --streaming]
          [--stream-chunks \"8 16\"] [key=value ...]"
. ../../tools/recipe.sh "$@"
. ../../tools/stages.sh
if $full && $streaming; then echo "$0: --full and --streaming are separate experiments" >&2; exit 2; fi
if $full; then experiment=synth_en_full exp=exp/synth_en_full budget=0; fi
if $streaming; then
  experiment=synth_en_streaming exp=exp/synth_en_streaming
  # full-context rows for both streaming methods; attention_rescoring is already in $methods
  [[ " $methods " == *" ctc_prefix_beam "* ]] || methods="$methods ctc_prefix_beam"
else
  stream_chunks=""
fi
if [ -n "$hours" ]; then size=$(python -c "print(round($hours * 3600 / 2.0))"); fi

synthesize() {  # size dev_size test_size seed vocab_words
  python local/synthesize.py --out data --train-utts "$1" --dev-utts "$2" --test-utts "$3" \
    --seed "$4" --vocab-words "$5" --nj "$nj"
}

prepare() {
  asr-prepare data/train data/train --cmvn --precompute-features
  asr-prepare data/dev data/dev --precompute-features
  asr-prepare data/test data/test --precompute-features
}

text_models() {  # token_type vocab_size lm_order
  asr-tokenizer --text data/train/cuts.jsonl.gz --type "$1" --vocab-size "$2" --out data/tokenizer
  if [ "$3" -gt 0 ]; then
    asr-train-lm data/train/text --order "$3" --out "data/lm/${3}gram.json"
  fi
}

decode_test() {  # exp beam ctc_weight lm_order lm_weight "chunks" "stream_methods" methods...
  local exp=$1 beam=$2 ctc_weight=$3 lm_order=$4 lm_weight=$5 chunks=$6 stream=$7 chunk
  shift 7
  decode_sets "$exp" "$beam" "$ctc_weight" wer test "$@"
  if [ "$lm_order" -gt 0 ]; then
    decode_sets "$exp" "$beam" "$ctc_weight" wer test joint_ctc_attention -- \
      "lm=data/lm/${lm_order}gram.json" "lm_weight=$lm_weight"
  fi
  for chunk in $chunks; do  # streaming: the same model, chunk by chunk (decode/test_*_chunkN)
    decode_sets "$exp" "$beam" "$ctc_weight" wer test $stream -- "chunk_size=$chunk"
  done
}

run_stage 0 synthesize synthesize "$size" "$dev_size" "$test_size" "$seed" "$vocab_words"
run_stage 1 prepare prepare
run_stage 2 tokenizer text_models "$token_type" "$vocab_size" "$lm_order"
run_stage 3 train train_in_budget "$budget" "$budget_reserve" "$exp" "$experiment" train data/tokenizer \
  ${overrides[@]+"${overrides[@]}"}
run_stage 4 average average_model "$exp" "$average_num"
run_stage 5 decode decode_test "$exp" "$beam" "$ctc_weight" "$lm_order" "$lm_weight" \
  "$stream_chunks" "$stream_methods" $methods
run_stage 6 results make_results "$exp" test=data/test/utt2family
lm_pack=()  # the LM the defaults fuse, with the weight chosen on dev
if [ "$lm_order" -gt 0 ]; then lm_pack=("data/lm/${lm_order}gram.json" "$lm_weight"); fi
run_stage 7 pack pack_model "$exp" "$beam" "$ctc_weight" ${lm_pack[@]+"${lm_pack[@]}"}
