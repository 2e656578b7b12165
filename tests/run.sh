#!/bin/sh
# Runs every test suite and prints one closing line "N passed, N failed".
#   unit suites: build/tests/test_* (C, one binary per module)
#   end-to-end:  tests/e2e/test_*.py run by tests/e2e/runner.py against ./ddmreport
# DDM_WRAP (e.g. valgrind ...) wraps every program run; DDM_E2E_FILTER picks
# end-to-end tests by substring.
set -u
cd "$(dirname "$0")/.." || exit 70
passed=0
failed=0
log=$(mktemp)
trap 'rm -f "$log"' EXIT

tally() {
	# The last "N passed, N failed" line of a suite's output.
	line=$(grep -E '[0-9]+ passed, [0-9]+ failed' "$log" | tail -n 1)
	p=$(echo "$line" | sed -E 's/^(.*[^0-9])?([0-9]+) passed.*/\2/')
	f=$(echo "$line" | sed -E 's/.* ([0-9]+) failed.*/\1/')
	if [ -z "$line" ]; then
		echo "  no summary from $1: counted as a failure"
		p=0
		f=1
	elif [ "$2" != 0 ] && [ "$f" = 0 ]; then
		echo "  $1 exited $2 with no failed test: counted as a failure"
		f=1
	fi
	passed=$((passed + p))
	failed=$((failed + f))
}

for t in build/tests/test_*; do
	[ -x "$t" ] || continue
	${DDM_WRAP:-} "$t" >"$log" 2>&1
	rc=$?
	grep -E '^FAIL|passed, [0-9]+ failed' "$log"
	tally "$t" "$rc"
done

/usr/bin/python3 tests/e2e/runner.py >"$log" 2>&1
rc=$?
cat "$log"
tally e2e "$rc"

echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
