#!/usr/bin/env bash
# The test command: installs what is missing, then runs formatting and lint checks, the
# browser-build checks and every test, printing the oracle tables.
set -euo pipefail
cd "$(dirname "$0")/.."
# The GPU tests need an adapter (lavapipe on machines without a GPU, installed by the set-up step):
# without one they fail, unless the caller opts out with HOUNSFIELD_REQUIRE_GPU=0.
export HOUNSFIELD_REQUIRE_GPU="${HOUNSFIELD_REQUIRE_GPU:-1}"
# Vulkan loaders want a runtime directory; lavapipe needs nothing else.
export XDG_RUNTIME_DIR="${XDG_RUNTIME_DIR:-$(mktemp -d)}"

# Each step prints its start; the table at the end gives the time each step took.
timings=()
step_name=""
step_start=$SECONDS
step_end() {
    if [ -n "$step_name" ]; then
        local t=$((SECONDS - step_start))
        timings+=("$(printf '| %3d:%02d | %s |' $((t / 60)) $((t % 60)) "$step_name")")
    fi
}
step() {
    step_end
    step_name="$*"
    step_start=$SECONDS
    echo; echo "=== $* ==="
}
step "set-up: what is missing (Debian packages, Rust targets and tools, Python, Node, test data)"
bash scripts/setup-test-env.sh
step "cargo fmt --check"
cargo fmt --all --check
step "cargo clippy (native and wasm32)"
cargo clippy --workspace --all-targets -- -D warnings
cargo clippy --target wasm32-unknown-unknown -p hounsfield-codecs -p hounsfield-dicom -p hounsfield-pipeline -p hounsfield-volume -p hounsfield-measure -p hounsfield-layers -p hounsfield-core -p hounsfield-render -p hounsfield-viewer \
    -p hounsfield-dicomweb -p hounsfield-web -p hounsfield-web-codecs -p hounsfield-wasm-probe -- -D warnings
# The page's own module as built: the core without JPEG 2000 (the codec module has it).
cargo clippy --target wasm32-unknown-unknown -p hounsfield-web -p hounsfield-web-codecs -- -D warnings
step "cargo check --target wasm32-unknown-unknown (core, renderer, DICOMweb client)"
cargo check --target wasm32-unknown-unknown -p hounsfield-core
cargo check --target wasm32-unknown-unknown -p hounsfield-render
cargo check --target wasm32-unknown-unknown -p hounsfield-dicomweb
step "WebAssembly probe module"
cargo build --profile probe --target wasm32-unknown-unknown -p hounsfield-wasm-probe
# Every `cargo test` below selects the whole workspace (and picks tests by name), so that
# all of them share one build: a narrower selection would unify features differently and
# compile the crates a second time.
step "unit and doc tests (the renderer's examples too: headless and plane against hounsfield render)"
cargo test --workspace --exclude hounsfield-conformance -- --skip e2e::
step "viewer and examples end to end (Xvfb, xdotool, screen captures)"
cargo test --workspace --test viewer_e2e --test examples -- --nocapture --test-threads 1 e2e::
step "conformance tests (oracles: pydicom, DCMTK, GDCM, Node, the CPU reference on the GPU)"
conformance=()
for t in tests/*.rs; do conformance+=(--test "$(basename "$t" .rs)"); done
cargo test --workspace "${conformance[@]}" -- --nocapture --test-threads 1
step "library crates: rustdoc without warnings"
RUSTDOCFLAGS="-D warnings" cargo doc --no-deps -p hounsfield-codecs -p hounsfield-dicom -p hounsfield-pipeline -p hounsfield-volume -p hounsfield-measure -p hounsfield-layers -p hounsfield-core -p hounsfield-render -p hounsfield-viewer \
    -p hounsfield-dicomweb
step "the core's WebAssembly tests in headless Chromium (wasm-bindgen-test-runner, chromedriver)"
bash apps/hounsfield-web/build.sh --tools-only
CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER=wasm-bindgen-test-runner CHROMEDRIVER=/usr/bin/chromedriver \
    cargo test --target wasm32-unknown-unknown -p hounsfield-core --test browser
step "browser build (wasm-bindgen, wasm-opt) and its end-to-end test in headless Chromium"
bash apps/hounsfield-web/build.sh
cargo test --workspace --no-run --quiet   # target/debug/hounsfield, built above
target_dir=$(cargo metadata --format-version 1 --no-deps | sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')
# Both drawing paths of the page: WebGPU (on SwiftShader here) and the CPU pipeline.
HOUNSFIELD_RENDERER=webgpu HOUNSFIELD_BIN="$target_dir/debug/hounsfield" node apps/hounsfield-web/tests/e2e.mjs
HOUNSFIELD_RENDERER=cpu HOUNSFIELD_BIN="$target_dir/debug/hounsfield" node apps/hounsfield-web/tests/e2e.mjs
step "viewer benchmark, smoke run (the real run: hounsfield bench viewer, 1,000 slices)"
"$target_dir/debug/hounsfield" bench viewer "${HOUNSFIELD_SHARED_DATA:-../shared/data}/ct-philips-brain" --steps 10 --volume-budget 4
step "planes benchmark, smoke run (the real run: hounsfield bench planes, 1,000 slices)"
"$target_dir/debug/hounsfield" bench planes "${HOUNSFIELD_SHARED_DATA:-../shared/data}/ct-philips-brain" --repeats 1
step "peer benchmark, smoke run (one load each; the real run: bash apps/hounsfield-web/bench/peers.sh)"
bash apps/hounsfield-web/bench/peers.sh --runs 1 --seconds 0.5
step "what a WebGPU frame costs at the least here, smoke run (the real run: node apps/hounsfield-web/bench/webgpu-floor.mjs)"
node apps/hounsfield-web/bench/webgpu-floor.mjs --seconds 0.3
step "the page with a series, smoke run (the real run: node apps/hounsfield-web/bench/series.mjs FOLDER)"
node apps/hounsfield-web/bench/series.mjs --seconds 0.5
step "browser extension (Chromium with dist/extension loaded; web-ext lint of the Firefox build)"
HOUNSFIELD_BIN="$target_dir/debug/hounsfield" node apps/hounsfield-web/tests/extension.mjs
step "library crates packaged as crates.io would build them"
# Cargo treats the packaged crates as registry crates: it unpacks them once per version
# and reuses what it compiled of them on the next run, stale after a change. Remove both
# first (last step: the next run rebuilds these crates once).
rm -rf "${CARGO_HOME:-$HOME/.cargo}"/registry/src/*/hounsfield-{codecs,dicom,pipeline,volume,measure,layers,core,render,viewer,dicomweb}-[0-9]*
cargo clean --quiet -p hounsfield-codecs -p hounsfield-dicom -p hounsfield-pipeline -p hounsfield-volume -p hounsfield-measure -p hounsfield-layers -p hounsfield-core -p hounsfield-render -p hounsfield-viewer -p hounsfield-dicomweb
cargo package --allow-dirty -p hounsfield-codecs -p hounsfield-dicom -p hounsfield-pipeline -p hounsfield-volume -p hounsfield-measure -p hounsfield-layers -p hounsfield-core -p hounsfield-render -p hounsfield-viewer -p hounsfield-dicomweb
step_end
echo
echo "| min:s | step |"
echo "| ---: | --- |"
printf '%s\n' "${timings[@]}"
echo
echo "build folder: $(du -sh "$target_dir" 2>/dev/null | cut -f1); disk: $(df -h --output=avail "$target_dir" 2>/dev/null | tail -1 | tr -d ' ') free"
echo
echo "all tests passed"
