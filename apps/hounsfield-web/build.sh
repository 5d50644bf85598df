#!/usr/bin/env bash
# Builds the browser viewer into dist/web (static files: index.html, app.js, worker.js,
# style.css, the wasm-bindgen glue and the optimised wasm). Installs what is missing: the
# wasm32 target, wasm-bindgen-cli at the version in Cargo.lock, and binaryen's wasm-opt
# (npm package, under target/node), with Playwright and pngjs for the browser tests and
# Mozilla's web-ext for linting the Firefox extension. Also writes the extension (dist/extension,
# dist/extension-firefox and their zips).
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$(pwd)

if ! rustup target list --installed 2>/dev/null | grep -q wasm32-unknown-unknown; then
    rustup target add wasm32-unknown-unknown
fi
version=$(grep -A1 '^name = "wasm-bindgen"$' Cargo.lock | sed -n 's/^version = "\(.*\)"/\1/p')
if [ "$(wasm-bindgen --version 2>/dev/null | awk '{print $2}')" != "$version" ]; then
    echo "installing wasm-bindgen-cli $version (a few minutes, once)"
    cargo install wasm-bindgen-cli --version "$version"
fi
if [ ! -x target/node/node_modules/.bin/wasm-opt ] || [ ! -x target/node/node_modules/.bin/web-ext ] \
    || [ ! -x target/node/node_modules/.bin/tsc ] || [ ! -f target/node/node_modules/pngjs/package.json ]; then
    command -v npm >/dev/null || { echo "npm is missing: apt-get install nodejs npm" >&2; exit 1; }
    mkdir -p target/node
    npm install --prefix target/node --no-audit --no-fund --silent binaryen@132.0.0 playwright-core@1.61.1 web-ext@10.7.0 \
        typescript@5.9.3 pngjs@7.0.0
fi
# `--tools-only`: just the tools (the test script uses wasm-bindgen-test-runner).
[ "${1:-}" = "--tools-only" ] && exit 0

# The page's module, and the codec module it loads when a file needs JPEG 2000 / HTJ2K.
cargo build --profile web --target wasm32-unknown-unknown -p hounsfield-web -p hounsfield-web-codecs
# Build outputs live where cargo puts them (CARGO_TARGET_DIR when set).
target_dir=$(cargo metadata --format-version 1 --no-deps | sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')
rm -rf dist/web
mkdir -p dist/web
for module in hounsfield_web hounsfield_web_codecs; do
    wasm-bindgen --target web --no-typescript --out-dir dist/web \
        "$target_dir/wasm32-unknown-unknown/web/$module.wasm"
    target/node/node_modules/.bin/wasm-opt -Oz --strip-debug \
        --enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext --enable-simd \
        --enable-mutable-globals --enable-reference-types --enable-multivalue \
        "dist/web/${module}_bg.wasm" -o "dist/web/${module}_bg.wasm"
done
cp apps/hounsfield-web/web/* dist/web/
mkdir -p dist/web/examples
cp apps/hounsfield-web/examples/*.html dist/web/examples/
gz() { cat "$@" | gzip -9 | wc -c; }
first=$(gz dist/web/*.{html,css} dist/web/app.js dist/web/hounsfield.js dist/web/worker.js dist/web/codecs.js \
    dist/web/hounsfield_web.js dist/web/hounsfield_web_bg.wasm)
codecs=$(gz dist/web/hounsfield_web_codecs.js dist/web/hounsfield_web_codecs_bg.wasm)
echo "dist/web, gzipped: the page $((first / 1024)) KiB; its codec module (JPEG 2000, HTJ2K; loaded when a file needs it) $((codecs / 1024)) KiB"
echo "serve it with: bash apps/hounsfield-web/serve.sh (http://127.0.0.1:8080/)"
# The browser extension: the same page, wasm and workers, with a background script and
# one manifest source made into the Chromium and Firefox variants; a zip of each.
node apps/hounsfield-web/extension/package.mjs
python3 - <<'PY'
import os, zipfile
for d, z in [("dist/extension", "dist/hounsfield-extension-chromium.zip"),
             ("dist/extension-firefox", "dist/hounsfield-extension-firefox.zip")]:
    with zipfile.ZipFile(z, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as f:
        for name in sorted(os.listdir(d)):
            f.write(os.path.join(d, name), name)
    print(f"{z}: {os.path.getsize(z) // 1024} KiB")
PY
# The component as an npm package (dist/npm, packed into dist/hounsfield-viewer-VERSION.tgz):
# the module, its TypeScript declarations, the wasm-bindgen glue, the wasm, the worker and
# the codec module.
rm -rf dist/npm
mkdir -p dist/npm/examples
cp apps/hounsfield-web/npm/README.md apps/hounsfield-web/npm/hounsfield.d.ts dist/npm/
cp dist/web/hounsfield.js dist/web/hounsfield_web.js dist/web/hounsfield_web_bg.wasm dist/web/worker.js dist/web/codecs.js \
    dist/web/hounsfield_web_codecs.js dist/web/hounsfield_web_codecs_bg.wasm dist/npm/
cp apps/hounsfield-web/examples/two-viewers.html dist/npm/examples/
crate_version=$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -1)
node -e '
const fs = require("fs");
const p = JSON.parse(fs.readFileSync(process.argv[1], "utf8"));
p.version = process.argv[2];
fs.writeFileSync(process.argv[3], JSON.stringify(p, null, 2) + "\n");
' apps/hounsfield-web/npm/package.json "$crate_version" dist/npm/package.json
(cd dist/npm && npm pack --silent --pack-destination .. >/dev/null)
# The declarations type-check an embedder's code (the package resolved by its name).
mkdir -p target/npm-check/node_modules
rm -rf target/npm-check/node_modules/hounsfield-viewer
tar xzf "dist/hounsfield-viewer-$crate_version.tgz" -C target/npm-check/node_modules
mv target/npm-check/node_modules/package target/npm-check/node_modules/hounsfield-viewer
cp apps/hounsfield-web/npm/check.ts target/npm-check/
target/node/node_modules/.bin/tsc --noEmit --strict --target es2022 --module esnext \
    --moduleResolution bundler --lib es2022,dom,dom.iterable target/npm-check/check.ts
echo "dist/hounsfield-viewer-$crate_version.tgz: $(( $(stat -c %s "dist/hounsfield-viewer-$crate_version.tgz") / 1024 )) KiB"
