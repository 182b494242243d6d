#!/usr/bin/env bash
# Front-end libraries, from the npm registry into static/js/vendor/, pinned. Run it to update a
# library (change its version here), then commit what it wrote. Nothing is loaded from a CDN.
set -euo pipefail
cd "$(dirname "$0")/.."
IDB_KEYVAL=6.3.0  # IndexedDB as a key-value store: the phone's entries waiting to upload

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack --silent "idb-keyval@$IDB_KEYVAL" >/dev/null && tar xzf "idb-keyval-$IDB_KEYVAL.tgz")
{
  echo "/* idb-keyval $IDB_KEYVAL (Apache-2.0), https://www.npmjs.com/package/idb-keyval — vendored by scripts/vendor.sh */"
  cat "$work/package/dist/umd.js"
  echo
} > static/js/vendor/idb-keyval.js
cp "$work/package/LICENCE" static/js/vendor/idb-keyval.LICENCE
echo "static/js/vendor/idb-keyval.js: $(wc -c < static/js/vendor/idb-keyval.js) bytes"
