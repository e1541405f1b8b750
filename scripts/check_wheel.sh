#!/usr/bin/env bash
# What a user installs, tested as a user would: build the wheel, install it into a fresh venv next
# to the newest pandas/numpy/scipy/scikit-learn/statsmodels, and run every command from a folder
# outside the repository. Fails on a data file missing from the wheel, a top-level module other
# than `coprod`, a downgraded library, or any command that fails.
# Usage: scripts/check_wheel.sh [PYTHON]   (default python3; run from anywhere)
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
py=${1:-python3}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
say() { printf '\n== %s\n' "$*"; }

say "build the wheel"
"$py" -m venv "$work/build-env"
"$work/build-env/bin/pip" install -q --upgrade pip setuptools wheel >/dev/null
"$work/build-env/bin/pip" wheel -q --no-deps -w "$work/dist" "$repo" >/dev/null
whl=$(ls "$work"/dist/coprod-*.whl)
echo "$whl"

say "wheel contents: one top-level package, every data file the code ships"
(cd "$repo" && git ls-files instrument analysis reports) > "$work/tracked.txt"
"$py" - "$whl" "$work/tracked.txt" <<'PY'
import sys, zipfile
names = set(zipfile.ZipFile(sys.argv[1]).namelist())
tracked = open(sys.argv[2]).read().split()
top = sorted({n.split("/")[0] for n in names if not n.split("/")[0].endswith((".dist-info", ".data"))})
bad = []
if top != ["coprod"]:
    bad.append(f"top-level entries {top}, expected only ['coprod']")
missing = [f for f in tracked if f"coprod/{f}" not in names and not f.endswith((".pyc",))]
if missing:
    bad.append("missing from the wheel: " + ", ".join(missing))
if bad:
    sys.exit("\n".join(bad))
print(f"ok: {len(tracked)} tracked files under coprod/, top level {top}")
PY

say "fresh venv: newest scientific stack first, then the wheel; nothing may be downgraded"
"$py" -m venv "$work/venv"
pip="$work/venv/bin/pip"
"$pip" install -q --upgrade pip >/dev/null
stack=(pandas numpy scipy scikit-learn statsmodels)
"$pip" install -q --upgrade "${stack[@]}"
"$pip" list --format=freeze > "$work/before.txt"
"$pip" install -q "$whl"
"$pip" list --format=freeze > "$work/after.txt"
"$py" - "$work/before.txt" "$work/after.txt" "${stack[@]}" <<'PY'
import sys
def read(p):
    return {l.split("==")[0].lower(): l.split("==")[1] for l in open(p).read().split() if "==" in l}
before, after = read(sys.argv[1]), read(sys.argv[2])
changed = [f"{k} {before[k]} -> {after.get(k)}" for k in sys.argv[3:] if before.get(k) != after.get(k)]
if changed:
    sys.exit("installing coprod changed: " + ", ".join(changed))
print("unchanged: " + ", ".join(f"{k} {after[k]}" for k in sys.argv[3:]))
PY

say "run every command from outside the repository"
run="$work/run"; mkdir -p "$run"; cd "$run"
export PATH="$work/venv/bin:$PATH"
[[ $(command -v coprod) == "$work/venv/bin/coprod" ]]
for mod in analysis instrument reports; do
  if python -c "import $mod" 2>/dev/null; then echo "a top-level '$mod' module is installed" >&2; exit 1; fi
done
python -c "import coprod, coprod.analysis.sem, coprod.reports.env; assert coprod.__file__.startswith('$work/venv'), coprod.__file__; print('import coprod', coprod.__version__, 'from', coprod.__file__)"
coprod --help >/dev/null
coprod --version
coprod instrument check --quiet
for fmt in xlsform limesurvey redcap qualtrics qualtrics-qsf html codebook; do
  for lang in en da; do
    coprod instrument build --format "$fmt" --lang "$lang" --out "build/$fmt-$lang" --quiet 2>>build-warnings.txt
    coprod instrument build --format "$fmt" --lang "$lang" --sector voluntary --seed 3 --out "build/$fmt-$lang-vol" --quiet 2>>build-warnings.txt
  done
done
echo "instrument build: $(ls build | wc -l) outputs, $(wc -l < build-warnings.txt) platform warnings"
coprod demo --out demo --quiet
for f in demo/study/report.html demo/study/results.json demo/by_service_area/index.html demo/instrument/questionnaire.html; do
  [[ -s $f ]] || { echo "coprod demo wrote no $f" >&2; exit 1; }
done
coprod validate demo/data/kobo_export.csv >/dev/null
coprod analyze demo/data/kobo_export.csv --out analyze-instrument --bootstrap 20 --quiet
[[ -s analyze-instrument/report.html && -s analyze-instrument/results.json ]]
cp "$repo/tests/fixtures/conformance/ml_three_groups/data.csv" spec-data.csv
python - "$repo/tests/fixtures/conformance/ml_three_groups/spec.json" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
spec = {"scales": s["scales"], "cfa": s["cfa_model"], "sem": s["sem_model"], "group": s["group"], "seed": 1}
json.dump(spec, open("spec.json", "w"), indent=1)
PY
coprod analyze spec-data.csv --spec spec.json --out analyze-spec --quiet
python -c "import json; r = json.load(open('analyze-spec/results.json')); assert not r['errors'], r['errors']; print('spec mode: cfa chisq', round(r['cfa']['fit']['chisq'], 3), 'df', r['cfa']['fit']['df'])"
for fmt in csv xlsx sav dta kobo limesurvey redcap qualtrics; do
  ext=$fmt; case $fmt in kobo|limesurvey|redcap|qualtrics) ext=csv;; esac
  coprod simulate --n 150 --seed 1 --format "$fmt" --out "sim-$fmt.$ext" --quiet
  coprod validate "sim-$fmt.$ext" >/dev/null
done
coprod compare demo/data/kobo_export.csv --by service_area --out compare --lang da --quiet
[[ -s compare/index.html ]]
# the study store and the planner (issue 14)
coprod study init study --quiet
coprod study add study sim-kobo.csv --municipality Aarhus --wave 2026 --quiet 2>/dev/null
coprod study add study sim-limesurvey.csv --municipality Odense --wave 2026 --quiet 2>/dev/null
coprod study add study sim-redcap.csv --municipality Vejle --wave 2027 --quiet 2>/dev/null
printf 'municipality,sector,invited\nAarhus,municipal,100\n' > invited.csv
coprod study invited study invited.csv --quiet
coprod study list study --json > study-list.json
coprod compare study --by municipality --out compare-study --quiet
[[ -s compare-study/index.html ]]
coprod plan --n-per-group 20,30 --groups 2 --reps 2 --seed 1 --workers 1 --out plan --quiet
[[ -s plan/plan.csv && -s plan/plan.svg ]]
echo
echo "wheel check passed: $(basename "$whl")"
