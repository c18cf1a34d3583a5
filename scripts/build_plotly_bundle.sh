#!/usr/bin/env bash
# Rebuild battlemap/assets/plotly-battlemap.min.js: plotly.js with only the traces the app
# draws (scattermap, choroplethmap, densitymap, bar, scatterpolar; scatter is in the core).
# 3.1 MB instead of the full 4.8 MB bundle, so the browser compiles ~1/3 less JS on first
# load. Needs node + npm and the npm registry; the version must match the plotly.js inside
# the installed plotly Python package (python -c "import plotly.offline as o;
# print(o.get_plotlyjs_version())").
set -euo pipefail
VERSION="${PLOTLYJS_VERSION:-$(python3 -c 'import plotly.offline as o; print(o.get_plotlyjs_version())')}"
OUT="$(cd "$(dirname "$0")/.." && pwd)/battlemap/assets/plotly-battlemap.min.js"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
cd "$WORK"
npm init -y >/dev/null
npm install --ignore-scripts --no-audit --no-fund "plotly.js@$VERSION" esbuild \
    esbuild-plugin-inline-css esbuild-plugin-environment esbuild-plugin-glsl stream-browserify
cat > entry.js <<'JS'
'use strict';
var Plotly = require('plotly.js/lib/core');
Plotly.register([
    require('plotly.js/lib/scattermap'),
    require('plotly.js/lib/choroplethmap'),
    require('plotly.js/lib/densitymap'),
    require('plotly.js/lib/bar'),
    require('plotly.js/lib/scatterpolar'),
]);
module.exports = Plotly;
JS
cat > build.js <<JS
const esbuild = require('esbuild');
const { environmentPlugin } = require('esbuild-plugin-environment');
const { glsl } = require('esbuild-plugin-glsl');
const InlineCSSPlugin = require('esbuild-plugin-inline-css');
esbuild.build({
  entryPoints: ['entry.js'], format: 'iife', globalName: 'Plotly', bundle: true, minify: true,
  legalComments: 'eof', target: 'es2016', outfile: '$OUT',
  banner: { js: '/* plotly.js v$VERSION (MIT, Plotly, Inc.) partial bundle for Battlemap: '
    + 'scattermap, choroplethmap, densitymap, bar, scatterpolar. Built by '
    + 'scripts/build_plotly_bundle.sh; bundled licences at the end. */' },
  plugins: [InlineCSSPlugin(), glsl({ minify: true }), environmentPlugin({ NODE_DEBUG: false })],
  alias: { regl: '@plotly/regl', stream: 'stream-browserify' },
  define: { global: 'window', 'define.amd': 'false' },
}).catch(() => process.exit(1));
JS
node build.js
echo "wrote $OUT"
