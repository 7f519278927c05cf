#!/usr/bin/env bash
# The whole test suite, as CI runs it (`.ci/run`): every crate's tests, then the examples
# in the documentation. With cargo-nextest installed each test runs in a process of its own
# — on 2 cores the suite takes about half the time it takes in `cargo test`'s shared
# processes — and the test databases' templates are shared per run (testkit::postgres);
# without it, plain `cargo test --workspace`. Arguments go to the test runner, e.g.
#   scripts/test.sh -p web --test api circles::
set -euo pipefail
cd "$(dirname "$0")/.."

if cargo nextest --version >/dev/null 2>&1; then
    cargo nextest run --workspace --no-fail-fast "$@"
    if [ "$#" -eq 0 ]; then
        cargo test --workspace --doc
    fi
else
    cargo test --workspace "$@"
fi
