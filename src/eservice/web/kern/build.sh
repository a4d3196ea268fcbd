#!/usr/bin/env bash
# Rebuild static/kern.css and the vendored fonts from the pinned KERN release (see UPDATE.md).
# Needs npm (for `npm pack` and the Sass compiler); run via `make kern-css`. The output is
# committed, so neither npm nor network is needed to run or test eservice.
set -euo pipefail
KERN_VERSION="${KERN_VERSION:-2.7.2}"
SASS_VERSION="${SASS_VERSION:-1.94.2}"
HERE="$(cd "$(dirname "$0")" && pwd)"
STATIC="$HERE/../static"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
cd "$WORK"
npm pack --silent "@kern-ux/native@$KERN_VERSION" >/dev/null
tar xzf "kern-ux-native-$KERN_VERSION.tgz"
npm install --silent --no-save --prefix "$WORK/tool" "sass@$SASS_VERSION" >/dev/null
cp "$HERE/eservice-kern.scss" package/src/scss/
"$WORK/tool/node_modules/.bin/sass" --no-source-map --style=compressed \
  package/src/scss/eservice-kern.scss "$STATIC/kern.css"
mkdir -p "$STATIC/fonts"
for weight in Regular Medium SemiBold; do
  cp "package/dist/fonts/fira-sans/FiraSans-$weight.woff2" "$STATIC/fonts/"
done
cp package/LICENSE.md "$HERE/LICENSE-KERN.md"
echo "kern.css from @kern-ux/native@$KERN_VERSION: $(wc -c < "$STATIC/kern.css") bytes"
