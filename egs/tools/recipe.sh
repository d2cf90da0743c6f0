# Shared helpers for egs/*/asr1/run.sh: option parsing and a stage runner with done-markers.
#
# A run.sh declares its options as shell variables with defaults, then sources this file
# with its arguments:
#
#   stage=0 stop_stage=100 nj=2 force=false
#   . ../../tools/recipe.sh "$@"
#   run_stage 0 synthesize synthesize_corpus "$size" "$seed"
#
# Options: `--name value` or `--name=value` sets the variable `name` (dashes become
# underscores); an option whose default is true/false may be given bare (`--force`).
# An unknown option is an error. Arguments of the form key=value, and everything after `--`,
# are collected in the array `overrides` (Hydra overrides passed through to training).
#
# Stages: `run_stage N NAME FUNC [ARGS...]` runs `FUNC ARGS...` when stage <= N <= stop_stage.
# On success it writes the marker $done_dir/N.NAME.done holding FUNC ARGS (the stage's
# fingerprint) and its wall time. A stage whose marker matches is skipped; a stage whose
# arguments changed, whose marker is missing (never run, failed, or interrupted half-way),
# or that is forced with --force, is run again from the start. Running a stage removes the
# markers of all later stages: what was made from its old output is made again.

overrides=()
# Set up the project (Debian packages, .venv, package install; idempotent and quick when done)
# and put the venv's python and asr-* CLIs first on PATH. ASR_SKIP_SETUP=1 skips the check.
_recipe_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
if [ "${ASR_SKIP_SETUP:-0}" != 1 ]; then
  bash "$_recipe_root/tools/setup.sh" || exit $?
fi
if [ -x "$_recipe_root/.venv/bin/python" ]; then
  export PATH="$_recipe_root/.venv/bin:$PATH"
fi
# tcmalloc for training and decoding (train_model and decode_sets in stages.sh run under
# LD_PRELOAD=$asr_preload), when installed (tools/setup.sh installs it): CPU training frees and
# re-allocates the same multi-MB activations every step, which glibc hands back to the kernel
# and faults in again; tcmalloc keeps them (bench/allocator.py). Not preloaded everywhere: the
# synthesizers' thousands of short processes start slower under it (1,000 synth_en utterances:
# 20.5 s against 16.0 s).
# ASR_TCMALLOC=0 leaves it out; an LD_PRELOAD already set is kept as it is.
# OpenMP threads that spin while they wait (OMP_WAIT_POLICY=ACTIVE) for training and decoding
# (train_model and decode_sets run under OMP_WAIT_POLICY=$asr_omp_wait): a recipe runs alone on
# its machine, and there a synth_en training step took 0.24-0.31 s spinning against 0.42 s with
# the CLIs' passive default, measured in the training loop itself (docs/benchmarks.md). Beside a
# busy process spinning loses (bench/omp_wait.py): on a machine shared with other jobs set
# OMP_WAIT_POLICY=PASSIVE in the environment, which is kept.
asr_omp_wait=${OMP_WAIT_POLICY:-ACTIVE}
asr_preload=${LD_PRELOAD:-}
if [ "${ASR_TCMALLOC:-1}" = 1 ] && [ -z "$asr_preload" ] && [ "$(uname)" = Linux ]; then
  asr_preload=$(python3 -c \
    "import ctypes.util; print(ctypes.util.find_library('tcmalloc_minimal') or '')")
fi
: "${stage:=0}" "${stop_stage:=100}" "${force:=false}" "${done_dir:=exp/.done}"

_recipe_die() {
  echo "$(basename "$0"): $*" >&2
  [ -n "${usage:-}" ] && echo "$usage" >&2
  exit 2
}

_recipe_parse() {
  local arg name var value
  while [ $# -gt 0 ]; do
    arg=$1
    shift
    case $arg in
      --help | -h)
        echo "${usage:-usage: $(basename "$0") [--option value ...] [key=value ...]}"
        exit 0
        ;;
      --)
        overrides+=("$@")
        return 0
        ;;
      --*)
        name=${arg#--}
        name=${name%%=*}
        var=${name//-/_}
        if [[ ! $var =~ ^[A-Za-z_][A-Za-z0-9_]*$ ]] || ! declare -p "$var" >/dev/null 2>&1 \
          || [ "$var" = overrides ]; then
          _recipe_die "unknown option --$name"
        fi
        if [[ $arg == *=* ]]; then
          value=${arg#*=}
        elif [[ ${!var} == true || ${!var} == false ]] \
          && { [ $# -eq 0 ] || [[ $1 == -* || $1 == *=* ]]; }; then
          value=true
        elif [ $# -gt 0 ]; then
          value=$1
          shift
        else
          _recipe_die "option --$name needs a value"
        fi
        printf -v "$var" '%s' "$value"
        ;;
      *=*)
        overrides+=("$arg")
        ;;
      *)
        _recipe_die "unexpected argument '$arg' (options are --name value; overrides key=value)"
        ;;
    esac
  done
}

_recipe_parse "$@"

run_stage() {
  local n=$1 name=$2
  shift 2
  if [ "$n" -lt "$stage" ] || [ "$n" -gt "$stop_stage" ]; then
    return 0
  fi
  local marker="$done_dir/$n.$name.done" fingerprint="$*"
  if [ "$force" != true ] && [ -f "$marker" ] && [ "$(head -n 1 "$marker")" = "$fingerprint" ]; then
    echo "== stage $n ($name): already done, skipping (--force to redo; marker $marker)"
    return 0
  fi
  [ -f "$marker" ] && [ "$force" != true ] && echo "== stage $n ($name): arguments changed, redoing"
  mkdir -p "$done_dir"
  local m
  for m in "$done_dir"/*.done; do
    [ -e "$m" ] || continue
    m=${m##*/}
    if [ "${m%%.*}" -ge "$n" ]; then rm -f "$done_dir/$m"; fi
  done
  echo "== stage $n ($name): started $(date -u +%FT%TZ)"
  local start=$SECONDS rc=0 had_e=false
  [[ $- == *e* ]] && had_e=true
  set +e
  (
    set -euo pipefail
    "$@"
  )
  rc=$?
  [ "$had_e" = true ] && set -e
  if [ "$rc" -ne 0 ]; then
    echo "== stage $n ($name): FAILED (exit $rc); re-run with --stage $n" >&2
    exit "$rc"
  fi
  printf '%s\nseconds=%d\n' "$fingerprint" "$((SECONDS - start))" >"$marker.tmp"
  mv "$marker.tmp" "$marker"
  echo "== stage $n ($name): done in $((SECONDS - start)) s"
}
