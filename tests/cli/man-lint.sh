#!/bin/sh
# The man pages are clean under mandoc -Tlint (warnings and worse; style
# notes about pages not yet installed are expected in a build tree).
command -v mandoc >/dev/null 2>&1 || { echo "mandoc not installed"; exit 77; }
rc=0
for page in "$top_srcdir"/man/*.[1-9]; do
	out=$(mandoc -Tlint -W warning "$page" 2>&1 | grep -v "outdated mandoc.db")
	if [ -n "$out" ]; then
		echo "$out"
		rc=1
	fi
done
exit $rc
