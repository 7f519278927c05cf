#!/usr/bin/env bash
# First contentful paint and page weight of the dashboard on cold loads (fresh Chromium
# profile, empty cache), against the real server built in release mode.
#
#   scripts/measure-fcp.sh            # 7 cold loads
#   FCP_RUNS=20 scripts/measure-fcp.sh
#   PROFILE=dev scripts/measure-fcp.sh   # skip the release build (slower server)
#
# Needs Debian's chromium and chromium-driver (see .ci/run). A measurement, not a test:
# the numbers depend on the machine, so nothing here passes or fails on them.
set -euo pipefail
cd "$(dirname "$0")/.."

profile_flag=(--release)
if [ "${PROFILE:-release}" = "dev" ]; then profile_flag=(); fi

FCP_RUNS="${FCP_RUNS:-7}" cargo test "${profile_flag[@]}" -p web --test api \
    browser::measure_dashboard_first_contentful_paint -- --ignored --nocapture 2>&1 |
    grep -E '^FCP|SKIPPED|panicked|^error' || { echo "no measurement printed" >&2; exit 1; }
