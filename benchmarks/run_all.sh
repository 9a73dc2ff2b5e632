#!/usr/bin/env bash
# Run every benchmark in order; each prints its tables and writes benchmarks/results/<name>.md.
# Usage: benchmarks/run_all.sh   (from anywhere; needs ../shared/data beside the repository for the ingest one)
set -euo pipefail
cd "$(dirname "$0")/.."

# An inherited MPLBACKEND=Agg would make the notebooks draw no charts (the pipeline removes it too).
unset MPLBACKEND

python benchmarks/bench_yearly_run.py
python benchmarks/make_national_data.py --months 12 60
python benchmarks/bench_ingest.py --months 12 60 --repeat 2
python benchmarks/bench_areas.py
python benchmarks/bench_national.py --months 12
