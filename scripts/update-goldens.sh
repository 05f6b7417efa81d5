#!/bin/sh
# Rewrites Tests/ReportsTests/Golden/* after an intended output change.
#
# The golden tests never write a golden file: on a mismatch they print the
# diff and leave the new text in .build/golden-actual/. This script runs the
# unit tests once, copies what they left over the goldens, runs them again
# (they must pass now) and shows the diff to review before committing.
set -eu
cd "$(dirname "$0")/.."
export PATH=/opt/swift/usr/bin:$PATH
rm -rf .build/golden-actual
swift build --build-tests >/dev/null
swift test --skip-build --filter ReportsTests >/dev/null 2>&1 || true
if [ ! -d .build/golden-actual ] || [ -z "$(ls .build/golden-actual)" ]; then
    echo "update-goldens: every golden file already matches"
    exit 0
fi
for file in .build/golden-actual/*; do
    cp "$file" Tests/ReportsTests/Golden/
    echo "update-goldens: updated Golden/$(basename "$file")"
done
rm -rf .build/golden-actual
swift test --skip-build --filter ReportsTests >/dev/null
git --no-pager diff --stat -- Tests/ReportsTests/Golden
echo "update-goldens: review 'git diff Tests/ReportsTests/Golden' before committing"
