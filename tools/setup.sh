#!/usr/bin/env bash
# Idempotent set-up of zkfed's project-local toolchain: .venv/ (Python) and node_modules/ (npm).
# It installs only from the package registries and never downloads a binary of its own; a second
# run with unchanged manifests only re-checks stamps and links, and prints one line.
#
#   tools/setup.sh          what the CLI, the web app and the demo need
#   tools/setup.sh --test   also what only the test suites need: the dev tools (pytest, ruff, mypy,
#                           slither, Playwright), the js-ipfs node under tools/ipfs (tests/storage)
#                           and Debian's Chromium (browser tests); `tools/dev.sh test` and CI
set -euo pipefail

for_tests=""
case "${1:-}" in
  "") ;;
  --test) for_tests=1 ;;
  *) printf 'usage: tools/setup.sh [--test]\n' >&2; exit 2 ;;
esac

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
venv="$root/.venv"
stamps="$venv/.zkfed-stamps"
solc_version="0.8.28"

say() { printf '[setup] %s\n' "$*"; }
# pip warns about every find-links folder of this machine's config that lacks a package.
pip_install() {
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check "$@" \
    2> >(grep -v '^WARNING: Location' >&2)
}
die() { printf '[setup] error: %s\n' "$*" >&2; exit 1; }
digest() { cat "$@" | sha256sum | cut -d' ' -f1; }
fresh() { [ -f "$stamps/$1" ] && [ "$(cat "$stamps/$1")" = "$2" ]; }
stamp() { mkdir -p "$stamps"; printf '%s' "$2" > "$stamps/$1"; }

python_bin="${PYTHON:-python3.11}"
command -v "$python_bin" >/dev/null || die "Python 3.11 is required (looked for '$python_bin'); set PYTHON to its path."
command -v node >/dev/null || die "Node.js 20 or newer is required and 'node' is not on PATH."
node_major="$(node -p 'process.versions.node.split(".")[0]')"
[ "$node_major" -ge 20 ] || die "Node.js 20 or newer is required; found $(node --version)."

case "$(uname -m)" in
  x86_64) arch=amd64 ;;
  aarch64 | arm64) arch=arm64 ;;
  *) die "unsupported machine architecture $(uname -m) (Foundry's npm packages ship amd64 and arm64)." ;;
esac

# --- tests only: Debian's Chromium, for the web app's browser tests (Playwright drives it; it never
# downloads a browser of its own) ----------------------------------------------------------------
if [ -n "$for_tests" ] && ! command -v chromium >/dev/null 2>&1; then
  if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
    say "installing Debian's chromium for the browser tests ..."
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  else
    say "warning: chromium is missing; install Debian's 'chromium' package for the browser tests."
  fi
fi

# --- npm toolchain -----------------------------------------------------------------------------
npm_key="$(digest package.json package-lock.json)"
if ! fresh npm "$npm_key" || [ ! -d node_modules ]; then
  say "installing the npm toolchain (Foundry, solc, circom2, snarkjs, circomlib) ..."
  npm ci --no-audit --no-fund --loglevel=error
  npm_done=1
fi

# --- tests only: the test IPFS node (js-ipfs, ~1,000 npm packages; only tests/storage starts it) --
ipfs_key="$(digest tools/ipfs/package.json tools/ipfs/package-lock.json)"
if [ -n "$for_tests" ] && { ! fresh ipfs "$ipfs_key" || [ ! -d tools/ipfs/node_modules ]; }; then
  say "installing the test IPFS node (js-ipfs) under tools/ipfs ..."
  npm ci --prefix tools/ipfs --no-audit --no-fund --loglevel=error
  ipfs_done=1
fi

# --- Python environment ------------------------------------------------------------------------
if [ ! -x "$venv/bin/python" ]; then
  say "creating .venv with $("$python_bin" --version)"
  "$python_bin" -m venv "$venv"
fi
py_key="$(digest pyproject.toml tools/constraints.txt)"
native_key="$(digest client/zkfed/native/groth16.c setup.py pyproject.toml)"
# Stamp "python": installed with the test tools (extra "dev"), which serves a user too;
# "python-user": installed without them.
if [ -n "$for_tests" ]; then
  extras="dev,groth16py" py_stamps="python python-user"
  fresh python "$py_key" && py_fresh=1 || py_fresh=""
else
  extras="groth16py" py_stamps="python-user"
  { fresh python-user "$py_key" || fresh python "$py_key"; } && py_fresh=1 || py_fresh=""
fi
if [ -z "$py_fresh" ]; then
  say "installing Python packages (CPU torch first, so nothing pulls a CUDA build) ..."
  pip_install --upgrade pip
  pip_install torch==2.13.0
  pip_install -c tools/constraints.txt -e ".[$extras]"
  "$venv/bin/python" -c 'import torch; assert not torch.version.cuda, "a CUDA torch was installed"'
  for name in $py_stamps; do stamp "$name" "$py_key"; done
  stamp native "$native_key" # the editable install built it (checked just below)
fi

# --- zkfed's native prover (C extension zkfed._groth16): rebuilt when its source changes -------
if ! fresh native "$native_key" || ! "$venv/bin/python" -c 'import zkfed._groth16' 2>/dev/null; then
  say "building zkfed's native Groth16 prover (C) ..."
  pip_install --no-deps -e .
  "$venv/bin/python" -c 'import zkfed._groth16' 2>/dev/null \
    || die "zkfed's native prover did not build; a C compiler (gcc) and the Python headers are required."
  stamp native "$native_key"
fi

# --- links: after `. .venv/bin/activate` every tool below is the project's own ---------------
link() { ln -sfn "$1" "$venv/bin/$2"; }
for tool in anvil forge cast; do
  binary="$root/node_modules/@foundry-rs/$tool-linux-$arch/bin/$tool"
  [ -x "$binary" ] || die "npm did not install $tool for linux-$arch; remove node_modules and run again."
  link "$binary" "$tool"
done
link "$root/tools/solc.cjs" solc
link "$root/node_modules/.bin/snarkjs" snarkjs
link "$root/node_modules/.bin/circom2" circom2
# py-solc-x (ape-solidity) finds compilers as solc-v<version> under SOLCX_BINARY_PATH.
mkdir -p "$venv/solcx"
ln -sfn "$root/tools/solc.cjs" "$venv/solcx/solc-v$solc_version"
# Every interpreter of the venv, activated or not, sees the project's tools and compiler path:
# ape-foundry looks for anvil on PATH, ape-solidity for solc under SOLCX_BINARY_PATH.
site="$("$venv/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')"
# Replaced only when it changes, so an interpreter starting meanwhile never reads half a file.
cat > "$site/zkfed_toolchain.pth.new" <<EOF
import os; os.environ.setdefault("SOLCX_BINARY_PATH", "$venv/solcx"); os.environ["PATH"] = "$venv/bin" + os.pathsep + os.environ.get("PATH", "") if "$venv/bin" not in os.environ.get("PATH", "").split(os.pathsep) else os.environ["PATH"]
EOF
if cmp -s "$site/zkfed_toolchain.pth.new" "$site/zkfed_toolchain.pth"; then
  rm "$site/zkfed_toolchain.pth.new"
else
  mv "$site/zkfed_toolchain.pth.new" "$site/zkfed_toolchain.pth"
fi
[ -n "${npm_done:-}" ] && stamp npm "$npm_key"
[ -n "${ipfs_done:-}" ] && stamp ipfs "$ipfs_key"

# --- circuits: compile and the development (INSECURE) Groth16 keys; skipped when up to date -----
# `circuits.py setup` compiles each variant before its keys. Its "X: up to date" lines are dropped:
# only what it rebuilds is shown, under one header line.
"$venv/bin/python" tools/circuits.py setup | awk '
  /: (zkey )?up to date$/ { next }
  !shown { print "[setup] building circuits and development keys (first run ~1 min) ..."; shown = 1 }
  { print; fflush() }'

"$venv/bin/solc" --version | grep -q "Version: $solc_version" || die "the solc wrapper does not run."
say "ready${for_tests:+ for the tests}: . .venv/bin/activate  (python, ape, zkfed, anvil, forge, cast, solc)"
