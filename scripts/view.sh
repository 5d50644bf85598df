#!/usr/bin/env bash
# Installs what is missing and shows the embedded real sample (CT_small.dcm): its
# description, and a PNG rendered through the display pipeline.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v cargo >/dev/null; then
    echo "view: cargo is missing; install Rust with rustup (https://rustup.rs)" >&2
    exit 1
fi
sample=apps/hounsfield/assets/CT_small.dcm
cargo build --release -p hounsfield
./target/release/hounsfield info "$sample"
./target/release/hounsfield render "$sample" --window 40,400 -o target/CT_small.png
echo "rendered target/CT_small.png"
