#!/usr/bin/env bash
# The test command: installs what is missing, then runs formatting and lint checks, the
# browser-build checks and every test, printing the oracle tables.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup-test-env.sh

step() { echo; echo "=== $* ==="; }
step "cargo fmt --check"
cargo fmt --all --check
step "cargo clippy (native and wasm32)"
cargo clippy --workspace --all-targets -- -D warnings
cargo clippy --target wasm32-unknown-unknown -p hounsfield-core -p hounsfield-wasm-probe -- -D warnings
step "cargo check --target wasm32-unknown-unknown -p hounsfield-core"
cargo check --target wasm32-unknown-unknown -p hounsfield-core
step "WebAssembly probe module"
cargo build --release --target wasm32-unknown-unknown -p hounsfield-wasm-probe
step "unit and doc tests"
cargo test --workspace --exclude hounsfield-conformance
step "conformance tests (oracles: pydicom, DCMTK, GDCM, Node)"
cargo test -p hounsfield-conformance -- --nocapture --test-threads 1
echo
echo "all tests passed"
