#!/usr/bin/env bash
# Benchmarks (figures to report, not timed tests). Builds the release binary, then measures on SQLite
# and PostgreSQL:
#   1. import of a 100,000-row attendances.csv (rows/s, peak RSS);
#   2. demo-data --people P --weeks W: import + reconcile + every commissioner's return, end to end
#      (wall time, visits/s, peak RSS), beside sqlite3's own .import of the same attendances.csv;
#   3. the same for 20,000 people x 1 week.
# Usage: tests/bench/run.sh [PEOPLE WEEKS]   (default 2000 4). Needs /usr/bin/time, sqlite3, psql.
set -euo pipefail
cd "$(dirname "$0")/../.."
PEOPLE=${1:-2000}
WEEKS=${2:-4}
PG_ADMIN=${PG_ADMIN:-postgres://postgres@127.0.0.1:5432/postgres}
cargo build --release --bin isf >/dev/null 2>&1
ISF=$PWD/target/release/isf
WORK=$(mktemp -d "${TMPDIR:-/tmp}/isf-bench.XXXXXX")
trap 'rm -rf "$WORK"' EXIT

measure() { # measure LABEL COMMAND...: prints wall seconds and peak RSS (MiB)
    local label=$1; shift
    /usr/bin/time -f "%e %M" -o "$WORK/time" "$@" >"$WORK/out" 2>"$WORK/err" || { cat "$WORK/err" >&2; return 1; }
    read -r secs kib <"$WORK/time"
    printf '%-58s %8.2f s %8.1f MiB\n' "$label" "$secs" "$(echo "$kib / 1024" | bc -l)"
    LAST_SECS=$secs
}

fresh_pg() { psql "$PG_ADMIN" -qc "DROP DATABASE IF EXISTS $1 WITH (FORCE)" -c "CREATE DATABASE $1" >/dev/null 2>&1; echo "${PG_ADMIN%/*}/$1"; }

echo "== 1. 100,000-row attendances.csv (unplanned attendances on the basic scenario's people)"
mkdir -p "$WORK/att"
cp ../shared/acceptance/basic/input/*.csv "$WORK/att/"
python3 - "$WORK/att/attendances.csv" <<'PY'
import datetime, sys
base = datetime.datetime(2026, 3, 2, 9, 0)
with open(sys.argv[1], "a") as f:
    for i in range(100000 - 43):
        t = base + datetime.timedelta(minutes=7 * i)
        a = t.strftime("%Y-%m-%dT%H:%M:00Z"); b = (t + datetime.timedelta(minutes=30)).strftime("%Y-%m-%dT%H:%M:00Z")
        f.write(f"AT-B{i:06d},,P-ANN,W-DAN,{a},{b},ecm,true\n")
PY
ROWS=$(($(wc -l <"$WORK/att/attendances.csv") - 1))
measure "SQLite: isf import ($ROWS attendance rows)" "$ISF" --database "sqlite://$WORK/att.db?mode=rwc" import "$WORK/att"
echo "    $(echo "$ROWS / $LAST_SECS" | bc) rows/s"
IMPORT_SECS=$LAST_SECS
measure "SQLite: isf import again (no-op)" "$ISF" --database "sqlite://$WORK/att.db?mode=rwc" import "$WORK/att"
measure "sqlite3 .import of the same attendances.csv (the floor)" sqlite3 "$WORK/floor-att.db" ".mode csv" ".import $WORK/att/attendances.csv attendances"
echo "    isf import takes $(echo "scale=1; $IMPORT_SECS / $LAST_SECS" | bc) x the floor"
URL=$(fresh_pg isf_bench_att)
measure "PostgreSQL: isf import ($ROWS attendance rows)" "$ISF" --database "$URL" import "$WORK/att"
echo "    $(echo "$ROWS / $LAST_SECS" | bc) rows/s"
psql "$PG_ADMIN" -qc "DROP DATABASE IF EXISTS isf_bench_att WITH (FORCE)" >/dev/null 2>&1

end_to_end() { # end_to_end PEOPLE WEEKS
    local people=$1 weeks=$2 dir="$WORK/demo-$1-$2"
    measure "demo-data --people $people --weeks $weeks" "$ISF" demo-data --people "$people" --weeks "$weeks" --seed 7 --out "$dir"
    local visits through commissioners
    visits=$(($(wc -l <"$dir/visits.csv") - 1))
    through=$(python3 -c "import csv,sys; print(max(r['planned_start'][:10] for r in csv.DictReader(open(sys.argv[1]))))" "$dir/visits.csv")
    commissioners=$(python3 -c "import csv,sys; print(' '.join(r['commissioner_ref'] for r in csv.DictReader(open(sys.argv[1]))))" "$dir/commissioners.csv")
    local from=$(python3 -c "import csv,sys; print(min(r['planned_start'][:10] for r in csv.DictReader(open(sys.argv[1]))))" "$dir/visits.csv")
    echo "    $visits visits, $(($(wc -l <"$dir/attendances.csv") - 1)) attendances, $from to $through"
    for engine in sqlite postgres; do
        local url
        if [ $engine = sqlite ]; then url="sqlite://$dir/isf.db?mode=rwc"; else url=$(fresh_pg "isf_bench_e2e"); fi
        # Each step on its own (wall, peak RSS), then the three as one run end to end.
        measure "$engine: import" "$ISF" --database "$url" import "$dir"
        if [ $engine = sqlite ]; then SQLITE_IMPORT_SECS=$LAST_SECS; fi
        measure "$engine: reconcile --through $through" "$ISF" --database "$url" reconcile --through "$through"
        measure "$engine: returns of all $(echo $commissioners | wc -w) commissioners" "$ISF" --database "$url" returns --from "$from" --to "$through" --out "$dir/returns-$engine"
        if [ $engine = sqlite ]; then rm -f "$dir"/isf.db*; else url=$(fresh_pg "isf_bench_e2e"); fi
        cat >"$WORK/e2e.sh" <<SH
set -e
"$ISF" --database "$url" import "$dir" >/dev/null
"$ISF" --database "$url" reconcile --through "$through" >/dev/null
"$ISF" --database "$url" returns --from "$from" --to "$through" --out "$dir/returns-$engine" >/dev/null
SH
        measure "$engine: import + reconcile + all returns (end to end)" bash "$WORK/e2e.sh"
        echo "    $(echo "$visits / $LAST_SECS" | bc) visits/s end to end (peak RSS is the largest single command)"
    done
    psql "$PG_ADMIN" -qc "DROP DATABASE IF EXISTS isf_bench_e2e WITH (FORCE)" >/dev/null 2>&1
    local floor_db="$WORK/floor.db"
    rm -f "$floor_db"
    measure "sqlite3 .import of the same attendances.csv (the floor)" sqlite3 "$floor_db" ".mode csv" ".import $dir/attendances.csv attendances"
    echo "    isf's whole import (all $(ls "$dir"/*.csv | wc -l) files, checked, with the ledger) takes $(echo "scale=1; $SQLITE_IMPORT_SECS / $LAST_SECS" | bc) x the floor"
}

echo "== 2. end to end, $PEOPLE people x $WEEKS weeks"
end_to_end "$PEOPLE" "$WEEKS"
echo "== 3. end to end, 20000 people x 1 week"
end_to_end 20000 1
