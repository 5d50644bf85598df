#!/usr/bin/env bash
# Builds the browser viewer into dist/web (static files: index.html, app.js, worker.js,
# style.css, the wasm-bindgen glue and the optimised wasm). Installs what is missing: the
# wasm32 target, wasm-bindgen-cli at the version in Cargo.lock, and binaryen's wasm-opt
# (npm package, under target/node), with Playwright for the browser tests and Mozilla's
# web-ext for linting the Firefox extension. Also writes the extension (dist/extension,
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
if [ ! -x target/node/node_modules/.bin/wasm-opt ] || [ ! -x target/node/node_modules/.bin/web-ext ]; then
    command -v npm >/dev/null || { echo "npm is missing: apt-get install nodejs npm" >&2; exit 1; }
    mkdir -p target/node
    npm install --prefix target/node --no-audit --no-fund --silent binaryen@132.0.0 playwright-core@1.61.1 web-ext@10.7.0
fi
# `--tools-only`: just the tools (the test script uses wasm-bindgen-test-runner).
[ "${1:-}" = "--tools-only" ] && exit 0

cargo build --release --target wasm32-unknown-unknown -p hounsfield-web
# Build outputs live where cargo puts them (CARGO_TARGET_DIR when set).
target_dir=$(cargo metadata --format-version 1 --no-deps | sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')
rm -rf dist/web
mkdir -p dist/web
wasm-bindgen --target web --no-typescript --out-dir dist/web \
    "$target_dir/wasm32-unknown-unknown/release/hounsfield_web.wasm"
target/node/node_modules/.bin/wasm-opt -Oz --strip-debug \
    --enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext \
    --enable-mutable-globals --enable-reference-types --enable-multivalue \
    dist/web/hounsfield_web_bg.wasm -o dist/web/hounsfield_web_bg.wasm
cp apps/hounsfield-web/web/* dist/web/
wasm=$(stat -c %s dist/web/hounsfield_web_bg.wasm)
total=$(cat dist/web/* | gzip -9 | wc -c)
echo "dist/web: wasm $((wasm / 1024)) KiB; everything gzipped $((total / 1024)) KiB"
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
