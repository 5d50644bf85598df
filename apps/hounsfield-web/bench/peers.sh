#!/usr/bin/env bash
# The peer benchmark (prints tables; never a test): installs dwv and Cornerstone3D from npm
# at pinned versions under target/peers, bundles their benchmark pages with esbuild, builds
# the Hounsfield page when it is missing, and measures the three in one headless Chromium
# run (peers.mjs).
#
#   bash apps/hounsfield-web/bench/peers.sh [--runs N] [--seconds S]   (defaults: 5, 2)
set -euo pipefail
cd "$(dirname "$0")/../../.."
[ -f dist/web/index.html ] || bash apps/hounsfield-web/build.sh
bash apps/hounsfield-web/build.sh --tools-only   # wasm-bindgen, Playwright, pngjs (once)
dir=target/peers
pins="dwv@0.36.4 @cornerstonejs/core@5.14.0 @cornerstonejs/dicom-image-loader@5.14.0 esbuild@0.28.2 events@3.3.0"
if [ "$(cat "$dir/pins" 2>/dev/null)" != "$pins" ]; then
    mkdir -p "$dir"
    # shellcheck disable=SC2086
    npm install --prefix "$dir" --no-audit --no-fund --silent $pins
    echo "$pins" > "$dir/pins"
fi
rm -rf "$dir/src" "$dir/dist"
mkdir -p "$dir/src" "$dir/dist/dwv" "$dir/dist/cornerstone/wasm"
cp apps/hounsfield-web/bench/dwv.js apps/hounsfield-web/bench/cornerstone.js "$dir/src/"
# Node's modules, named by the codecs' Emscripten glue (on a branch the browser never
# takes) and by a URL library of vtk.js, resolve to a small stand-in.
cat > "$dir/src/node-shim.js" <<'JS'
export const domainToASCII = (d) => new URL(`http://${d}`).hostname;
export const domainToUnicode = (d) => d;
export default {};
JS
esbuild() {
    local shim=()
    for m in fs path module url crypto worker_threads; do shim+=("--alias:$m=./$dir/src/node-shim.js"); done
    "$dir/node_modules/.bin/esbuild" --bundle --minify --format=esm --log-level=warning "${shim[@]}" "$@"
}
esbuild "$dir/src/dwv.js" --outfile="$dir/dist/dwv/page.js"
esbuild "$dir/src/cornerstone.js" --outfile="$dir/dist/cornerstone/page.js"
# The image loader's decoding worker, next to the page (it is created from import.meta.url),
# and its codecs' wasm where wasmBasePath points.
loader="$dir/node_modules/@cornerstonejs/dicom-image-loader/dist/esm"
esbuild "$loader/decodeImageFrameWorker.js" --outfile="$dir/dist/cornerstone/decodeImageFrameWorker.js"
cp "$dir"/node_modules/@cornerstonejs/codec-*/dist/*.wasm "$dir/dist/cornerstone/wasm/"
node apps/hounsfield-web/bench/peers.mjs "$@"
