#!/usr/bin/env bash
# The browser libraries the API serves itself, vendored from the npm registry: uPlot (the
# explorer's charts), Swagger UI (/docs) and ReDoc (/redoc). The versions below are the one place
# they are pinned. To update one: change its version here, run this script (it needs npm), run
# `make test-browser`, and commit what it rewrote under src/assetwatch/api/static/vendor/.
set -euo pipefail

UPLOT_VERSION=1.6.32
SWAGGER_UI_VERSION=5.36.0
REDOC_VERSION=2.5.4

cd "$(dirname "$0")/.."
VENDOR=src/assetwatch/api/static/vendor
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

# unpack NAME VERSION: the package's tarball, as npm publishes it, into $WORK/NAME
unpack() {
  (cd "$WORK" && npm pack --silent "$1@$2" >/dev/null)
  mkdir -p "$WORK/$1"
  tar -xzf "$WORK/$1-$2.tgz" -C "$WORK/$1" --strip-components=1
}

# copy NAME DEST FILE...: files of the unpacked package NAME into $VENDOR/DEST, replacing it
copy() {
  local name=$1 dest=$VENDOR/$2
  shift 2
  rm -rf "$dest" && mkdir -p "$dest"
  for file in "$@"; do cp "$WORK/$name/$file" "$dest/"; done
}

unpack uplot "$UPLOT_VERSION"
copy uplot uplot LICENSE dist/uPlot.esm.js dist/uPlot.min.css
unpack swagger-ui-dist "$SWAGGER_UI_VERSION"
copy swagger-ui-dist swagger-ui LICENSE NOTICE swagger-ui-bundle.js \
  swagger-ui-bundle.js.LICENSE.txt swagger-ui.css
unpack redoc "$REDOC_VERSION"
copy redoc redoc LICENSE bundles/redoc.standalone.js
# ReDoc 2's sidebar footer ("API docs by Redocly") loads its logo from Redocly's CDN, which the
# pages' Content-Security-Policy forbids: an empty inline image takes its place (the link stays).
sed -i 's|https://cdn.redoc.ly/redoc/logo-mini.svg|data:image/svg+xml,%3Csvg xmlns=%22http://www.w3.org/2000/svg%22/%3E|' \
  "$VENDOR/redoc/redoc.standalone.js"
# The bundles name their source maps, which are not shipped: drop the reference (the browser
# would fetch the missing file and log a 404).
sed -i -E '/^(\/\/|\/\*)# sourceMappingURL=[^ ]*(\*\/)?$/d' "$VENDOR"/*/*.js "$VENDOR"/*/*.css
printf 'uplot %s\nswagger-ui-dist %s\nredoc %s\n' \
  "$UPLOT_VERSION" "$SWAGGER_UI_VERSION" "$REDOC_VERSION" > "$VENDOR/VERSIONS"
echo "vendored into $VENDOR:" && cat "$VENDOR/VERSIONS"
