#!/usr/bin/env bash
# The project's test command (README, .ci/run): notebooks and library in sync, every notebook
# runs under nbdev_test, pytest over tests/. Ends with a line "N passed, M failed" counting notebooks.
set -uo pipefail
cd "$(dirname "$0")/.."
export PYTHONUNBUFFERED=1 MPLBACKEND=Agg
status=0

echo "== 1. the notebooks are the source: nbdev_export and nbdev_clean must change nothing"
snap() { { git ls-files -z -- nbs ustudents | xargs -0 sha1sum; git status --porcelain --untracked-files=all -- nbs ustudents | grep '^??'; } 2>/dev/null; }
before=$(snap)
nbdev_export && nbdev_clean || { echo "nbdev_export/nbdev_clean failed"; status=1; }
after=$(snap)
if [ "$before" != "$after" ]; then
  echo "FAIL: nbdev_export or nbdev_clean changed these files (run them and commit the result):"
  diff <(echo "$before") <(echo "$after") | sed -n 's/^> /  /p'
  status=1
fi
python tools/readme.py --check || status=1

echo "== 2. every notebook runs (nbdev_test; cells flagged notest/slow/gpu are skipped)"
log=$(mktemp)
nbdev_test --n_workers 0 --do_print --timing 2>&1 | tee "$log"
nb_rc=${PIPESTATUS[0]}
total=$(grep -c '^Starting ' "$log")
failed=$(awk '/nbdev Tests Failed/{f=1} f && /^\t.*\.ipynb$/{n++} END{print n+0}' "$log")
if [ "$nb_rc" -ne 0 ] && [ "$failed" -eq 0 ]; then failed=1; fi
if [ "$total" -eq 0 ]; then echo "FAIL: nbdev_test tested no notebook"; status=1; fi
[ "$failed" -ne 0 ] && status=1

echo "== 3. pytest: the installed package and its command line"
python -m pytest -q --durations=15 tests/ || status=1

echo "notebooks: $((total - failed)) passed, $failed failed"
exit $status
