#!/usr/bin/env bash
# Installs what is missing and starts the viewer on its embedded real sample
# (pydicom's CT_small.dcm). Extra arguments are passed on: `bash scripts/view.sh DIR`.
set -euo pipefail
cd "$(dirname "$0")/.."

sudo_if_needed() {
    if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

# Vulkan (Mesa's drivers include lavapipe, a CPU device for machines without a GPU) and
# the X11 / Wayland client libraries the window opens with.
packages=(mesa-vulkan-drivers libvulkan1 libx11-6 libx11-xcb1 libxcursor1 libxrandr2 libxi6
          libxkbcommon0 libxkbcommon-x11-0 libwayland-client0 gcc make)
missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    echo "view: installing ${missing[*]}"
    sudo_if_needed apt-get update -qq
    sudo_if_needed env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
if ! command -v cargo >/dev/null; then
    echo "view: cargo is missing; install Rust with rustup (https://rustup.rs)" >&2
    exit 1
fi
cargo build --release -p hounsfield
# Where cargo put it (CARGO_TARGET_DIR when set).
target_dir=$(cargo metadata --format-version 1 --no-deps | sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')
if [ -z "${DISPLAY:-}" ] && [ -z "${WAYLAND_DISPLAY:-}" ]; then
    echo "view: no display (DISPLAY / WAYLAND_DISPLAY unset), so no window can open here." >&2
    echo "view: rendering the sample headless instead: target/CT_small.png" >&2
    mkdir -p target
    "$target_dir/release/hounsfield" render crates/hounsfield-viewer/assets/CT_small.dcm -o target/CT_small.png
    exit 0
fi
exec "$target_dir/release/hounsfield" "$@"
