#!/usr/bin/env bash
# The README's two commands:  tools/dev.sh demo  (the main job)  and  tools/dev.sh test.
# Both run the same idempotent set-up first; `test` also installs what only the tests need (the
# dev tools, the js-ipfs node of tests/storage, Chromium for the browser tests).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

usage() {
  cat <<'USAGE'
usage: tools/dev.sh COMMAND [ARGS...]
  setup [--test]  install the project-local toolchain (.venv, node_modules); idempotent
                  (--test: also what only the tests need)
  demo [ARGS]     set up, then run the end-to-end demo (`ape run demo ARGS`)
  test [--slow]   set up for the tests, then run the gates and every test suite (--slow adds
                  the slow ones)
USAGE
}

step() { printf '\n==> %s\n' "$*"; }

run_tests() {
  local pytest_marker="not slow"
  if [ "${1:-}" = "--slow" ]; then pytest_marker="slow or not slow"; fi
  # shellcheck disable=SC1091
  . .venv/bin/activate
  step "gates: ruff, mypy --strict, forge fmt"
  ruff check .
  ruff format --check .
  mypy
  forge fmt --check
  step "static analysis: slither (a separate build, so the shared one is left alone)"
  rm -rf .build/slither
  FOUNDRY_OUT=.build/slither/out FOUNDRY_CACHE_PATH=.build/slither/cache \
    forge build --build-info --skip './tests/**' --quiet
  slither . 2> >(grep -v "unknown key: justifications" >&2)
  step "generated artifacts match their sources"
  python tools/circuits.py check
  step "Foundry suites"
  forge test
  step "pytest suites on anvil (ethereum:local:foundry)"
  # pytest exits 5 when it collects nothing: that is a failure here, as any non-zero code.
  ape test tests --network ethereum:local:foundry -m "$pytest_marker" -p no:cacheprovider
  step "contract suites on the test provider (ethereum:local:test)"
  ape test tests/contracts --network ethereum:local:test -m "not slow and not anvil_only" \
    -p no:cacheprovider
}

command="${1:-}"
[ $# -gt 0 ] && shift
case "$command" in
  setup) bash tools/setup.sh "$@" ;;
  demo) bash tools/setup.sh && exec .venv/bin/ape run demo "$@" ;;
  test) bash tools/setup.sh --test && run_tests "$@" ;;
  -h | --help | help) usage ;;
  *) usage >&2; exit 2 ;;
esac
