#!/usr/bin/env bash
# Idempotent set-up: Debian packages (synthesizers, text corpora, libsndfile, tcmalloc), a venv
# in .venv, and the project installed into it. Safe to run again; it only does what is missing.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

debs=(espeak-ng sox flite festival festvox-kallpc16k festvox-kdlpc16k festvox-us-slt-hts
      festlex-cmu festlex-poslex fortunes fortunes-min fortunes-zh wordnet-base libsndfile1
      libtcmalloc-minimal4 git)
# Recorded voices from Debian contrib (mbrola, festvox-*1..3 front-ends) and non-free (the
# mbrola databases: free for non-commercial, non-military use only). The recipes' voice
# inventories (egs/synth_*/asr1/local) use every one; tests/recipes check this list covers them.
mbrola_dbs=(us1 us2 us3 en1 de1 de2 de3 de4 de5 de6 fr1 fr4 nl2 af1 gr2 hu1 pl1 ro1 sw1 sw2 cn1)
debs+=(mbrola "${mbrola_dbs[@]/#/mbrola-}" festvox-us1 festvox-us2 festvox-us3 festvox-en1
       festvox-rablpc16k festvox-don)
contrib_list=/etc/apt/sources.list.d/asr-contrib-nonfree.sources

# The Debian mirror and release this machine already uses, for an entry enabling contrib and
# non-free next to main (nothing is written when they are enabled already).
contrib_entry() {
  local uri suite
  uri=$(grep -hsoE '^URIs:[[:space:]]*[^[:space:]]+' /etc/apt/sources.list.d/*.sources \
        | awk '$2 ~ /debian\/?$/ {print $2; exit}')
  [ -n "$uri" ] || uri=$(awk '$1 == "deb" && $2 ~ /debian\/?$/ {print $2; exit}' \
                         /etc/apt/sources.list 2>/dev/null)
  suite=$(. /etc/os-release && echo "${VERSION_CODENAME:-}")
  printf 'Types: deb\nURIs: %s\nSuites: %s\nComponents: contrib non-free\n' \
    "${uri:-http://deb.debian.org/debian}" "${suite:-bookworm}"
  printf 'Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg\n'
}
contrib_enabled() {
  [ -f "$contrib_list" ] || grep -hsqE '^(Components:.*[[:space:]]non-free([[:space:]]|$)|deb[[:space:]].*[[:space:]]non-free([[:space:]]|$))' \
    /etc/apt/sources.list /etc/apt/sources.list.d/*.sources /etc/apt/sources.list.d/*.list
}

installed=$(dpkg-query -W -f='${Package} ${Status}\n' "${debs[@]}" 2>/dev/null \
  | awk '$NF == "installed" {print $1}' || true)
missing=()
for p in "${debs[@]}"; do
  grep -qx "$p" <<<"$installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    echo "setup: installing Debian packages: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    if ! contrib_enabled; then
      echo "setup: enabling Debian contrib and non-free in $contrib_list (mbrola voices)"
      contrib_entry >"$contrib_list"
    fi
    apt-get update -q
    apt-get install -y -q --no-install-recommends "${missing[@]}"
  else
    echo "setup: missing Debian packages; run this script as root, or:" >&2
    contrib_enabled || {
      echo "  # enable contrib and non-free (mbrola voices) with this file as $contrib_list:" >&2
      contrib_entry | sed 's/^/  #   /' >&2
    }
    echo "  apt-get update && apt-get install -y --no-install-recommends ${missing[*]}" >&2
    exit 1
  fi
fi

py=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  echo "setup: creating .venv with $($py --version)"
  "$py" -m venv .venv
fi
stamp=.venv/.asr-installed
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
  echo "setup: pip install -e '.[dev]' (first time: a few minutes, ~6 GB for torch)"
  .venv/bin/python -m pip install -q --upgrade pip >/dev/null
  .venv/bin/python -m pip install -q -e '.[dev]'
  touch "$stamp"
fi
