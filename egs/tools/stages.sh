# Shared stage bodies for egs/*/asr1/run.sh: train, average, decode and the results table.
#
# A run.sh sources this file after recipe.sh and calls the functions through run_stage:
#
#   . ../../tools/recipe.sh "$@"
#   . ../../tools/stages.sh
#   run_stage 3 train train_model "$exp" "$experiment" train data/tokenizer \
#     ${overrides[@]+"${overrides[@]}"}
#
# Run from the recipe dir (run.sh does `cd "$(dirname "$0")"`): its Hydra configs are in
# conf/ and a data set SET is data/SET/cuts.jsonl.gz (data/dev is the validation set).
# Everything a stage's output depends on is a plain argument, so that run_stage's
# fingerprint (FUNC ARGS) changes, and the stage is redone, when any of it changes.

# train_model EXP EXPERIMENT TRAIN_SET TOKENIZER_DIR [key=value ...]
#   asr-train conf/experiment/EXPERIMENT.yaml into EXP on data/TRAIN_SET (its cuts and
#   cmvn.json) with the tokenizer in TOKENIZER_DIR, validating on data/dev; resumes from
#   EXP's last checkpoint (resume=auto). key=value arguments are Hydra overrides. Training and
#   decoding run under $asr_preload (tcmalloc, found by recipe.sh) and OpenMP wait policy
#   $asr_omp_wait (recipe.sh).
train_model() {
  local exp=$1 experiment=$2 train=$3 tokenizer=$4
  shift 4
  OMP_WAIT_POLICY=${asr_omp_wait:-PASSIVE} LD_PRELOAD=${asr_preload:-} asr-train "hydra.searchpath=[file://$PWD/conf]" \
    "experiment=$experiment" "exp_dir=$exp" "data.train_cuts=data/$train/cuts.jsonl.gz" \
    data.dev_cuts=data/dev/cuts.jsonl.gz "data.tokenizer=$tokenizer" \
    "data.cmvn=data/$train/cmvn.json" resume=auto "$@"
}

# train_budget STAGE TOTAL_MIN RESERVE_MIN
#   The training time left in a whole-run budget of TOTAL_MIN minutes, as trainer.max_time
#   (DD:HH:MM:SS): TOTAL_MIN less the seconds the finished stages before STAGE took (their
#   markers in $done_dir, as the results table shows them) and less RESERVE_MIN for the stages
#   after training. So the run fits its budget on a slow machine as on a fast one, and a
#   time-budget schedule (optim=adamw_cosine_budget) still completes. Never less than a third
#   of TOTAL_MIN: a machine too slow for the budget overruns it (said on stderr) rather than
#   train next to nothing.
train_budget() {
  local stage=$1 total=$(( $2 * 60 )) reserve=$(( $3 * 60 )) spent=0 marker n seconds
  for marker in "$done_dir"/*.done; do
    [ -e "$marker" ] || continue
    n=${marker##*/}
    [ "${n%%.*}" -lt "$stage" ] || continue
    seconds=$(sed -n 's/^seconds=//p' "$marker")
    spent=$(( spent + ${seconds:-0} ))
  done
  local left=$(( total - spent - reserve )) floor=$(( total / 3 ))
  if [ "$left" -lt "$floor" ]; then
    echo "training budget: stages before $stage took ${spent} s of the $2-minute run;" \
      "training for ${floor} s anyway, so the run will overrun its budget" >&2
    left=$floor
  fi
  printf '00:%02d:%02d:%02d\n' $(( left / 3600 )) $(( left % 3600 / 60 )) $(( left % 60 ))
}

# train_in_budget TOTAL_MIN RESERVE_MIN EXP EXPERIMENT TRAIN_SET TOKENIZER_DIR [key=value ...]
#   train_model with trainer.max_time from train_budget for stage 3 (TOTAL_MIN 0: the
#   experiment's own max_time). A trainer.max_time among the overrides still wins.
train_in_budget() {
  local total=$1 reserve=$2 max_time
  shift 2
  if [ "$total" -eq 0 ]; then
    train_model "$@"
    return
  fi
  max_time=$(train_budget 3 "$total" "$reserve")
  echo "training budget: trainer.max_time=$max_time of a $total-minute run"
  train_model "${@:1:4}" "trainer.max_time=$max_time" "${@:5}"  # before the overrides
}

# average_model EXP NUM
#   asr-average of EXP's NUM best checkpoints into EXP/average.pt.
average_model() {
  asr-average "$1" --num "$2" --mode best --out "$1/average.pt"
}

# decode_sets EXP BEAM CTC_WEIGHT METRIC SETS METHOD... [-- key=value ...]
#   asr-decode EXP/average.pt on each data set named in SETS (space-separated, e.g.
#   "dev test"), once per METHOD, scored by METRIC (wer or cer); writes
#   EXP/decode/<set>_<method>/. key=value arguments after -- go to every asr-decode (e.g.
#   lm=data/lm/3gram.json lm_weight=0.2, which writes <set>_<method>_lm/).
decode_sets() {
  local exp=$1 beam=$2 ctc_weight=$3 metric=$4 sets=$5 test_sets="" set method
  local methods=()
  shift 5
  while [ $# -gt 0 ] && [ "$1" != -- ]; do methods+=("$1"); shift; done
  if [ $# -gt 0 ]; then shift; fi
  for set in $sets; do test_sets+="${test_sets:+, }$set: data/$set/cuts.jsonl.gz"; done
  for method in "${methods[@]}"; do
    OMP_WAIT_POLICY=${asr_omp_wait:-PASSIVE} LD_PRELOAD=${asr_preload:-} asr-decode "exp_dir=$exp" "test_sets={$test_sets}" "method=$method" "beam=$beam" \
      "ctc_weight=$ctc_weight" checkpoint=average.pt "metric=$metric" "$@"
  done
}

# pack_model EXP BEAM CTC_WEIGHT [LM LM_WEIGHT]
#   asr-pack EXP's average.pt into EXP/packed, a self-contained model folder (safetensors
#   weights, config, tokenizer, CMVN, model card with EXP's results) whose decoding defaults are
#   joint CTC/attention with BEAM and CTC_WEIGHT, and the n-gram LM at LM with LM_WEIGHT when
#   given. Load it with Transcriber.from_pretrained or asr-transcribe --model EXP/packed.
pack_model() {
  local exp=$1 beam=$2 ctc_weight=$3 lm_args=()
  if [ $# -ge 5 ]; then lm_args=(--lm "$4" --lm-weight "$5"); fi
  asr-pack "$exp" "$exp/packed" --checkpoint average.pt --method joint_ctc_attention \
    --beam "$beam" --ctc-weight "$ctc_weight" ${lm_args[@]+"${lm_args[@]}"} --language en
}

# make_results EXP [SET=UTT2GROUP ...]
#   EXP/results.md (and stdout): error rate and RTF per decoded set and method, and the wall
#   time of each finished stage from the markers in $done_dir. Each SET=FILE adds the error
#   rate per group of SET's utterances (FILE: a Kaldi table "utt group", e.g. utt2family).
make_results() {
  local exp=$1 groups=() g
  shift
  for g in "$@"; do groups+=(--groups "$g"); done
  python -m asr.recipes.results "$exp" --done-dir "$done_dir" --out "$exp/results.md" \
    ${groups[@]+"${groups[@]}"}
}
