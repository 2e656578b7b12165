#!/bin/sh
# Renders the README's screenshots from samples/: the nightly job over the
# sample fleet, LibreOffice (headless) turns the workbook into a PDF, and
# pdftoppm turns the Summary page and the first "Past deadline" page into
# PNG files in docs/.  Run by `make screenshots`.
set -eu
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
./ddmreport run --db "$tmp/demo.db" --out "$tmp/out" --as-of 2026-11-26T12:00:00Z \
	--org "Example Corp" --display-tz Europe/Berlin --quiet samples/ || test $? = 65
SOURCE=$tmp/out/ddmreport.xlsx
soffice "-env:UserInstallation=file://$tmp/profile" --headless \
	--convert-to pdf --outdir "$tmp" "$SOURCE" >/dev/null
pdf=$tmp/ddmreport.pdf
pages=$(pdfinfo "$pdf" | awk '/^Pages:/ {print $2}')
detail=
p=1
while [ "$p" -le "$pages" ]; do
	if pdftotext -f "$p" -l "$p" "$pdf" - | grep -q "Devices below the target OS version"; then
		detail=$p
		break
	fi
	p=$((p + 1))
done
test -n "$detail"
pdftoppm -png -r 110 -f 1 -l 1 -singlefile "$pdf" docs/summary
pdftoppm -png -r 110 -f "$detail" -l "$detail" -singlefile "$pdf" docs/past-deadline
echo "docs/summary.png docs/past-deadline.png (page $detail)"
