#!/usr/bin/env bash
# Installs what the build and the tests need on a fresh Debian machine; does nothing for
# what is already there. Safe to run again.
#
#  - Debian packages: DCMTK, GDCM and dicom3tools (the oracles; dciodvfy checks the Structured Reports), OpenJPH (HTJ2K test files), Orthanc and
#    its DICOMweb plugin (the PACS of the DICOMweb tests, started by the tests), Python's
#    venv, Node.js (the WebAssembly test), a C compiler (OpenJPEG is built from source),
#    Mesa's Vulkan drivers (lavapipe: a GPU for machines without one); Xvfb, xdotool,
#    ImageMagick and the X client libraries (the viewer's end-to-end test in a window);
#    Chromium and npm (the browser build's end-to-end test; wasm-opt and Playwright come
#    from npm, wasm-bindgen-cli from cargo, both installed by apps/hounsfield-web/build.sh);
#  - the wasm32-unknown-unknown Rust target;
#  - target/venv: pydicom 3.0.2 with pylibjpeg and its plugins (the decode oracle), and
#    dicomweb-client (the peer of `bench dicomweb`), highdicom (reads the Structured Reports back),
#    matplotlib and SciPy (colour maps and resampling: the fusion oracle);
#  - target/testdata: the pydicom 3.0.2 and pydicom-data 1.0.0 wheels, unpacked.
set -euo pipefail
cd "$(dirname "$0")/.."

sudo_if_needed() {
    if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

packages=(dcmtk dicom3tools libgdcm-tools openjph-tools orthanc orthanc-dicomweb python3-venv python3-pip chromium chromium-driver gcc g++ make pkg-config
          mesa-vulkan-drivers libvulkan1
          xvfb xdotool imagemagick libx11-6 libx11-xcb1 libxcursor1 libxrandr2 libxi6 libxkbcommon0
          libxkbcommon-x11-0)
missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# Node.js and npm from Debian unless some other Node.js (e.g. NodeSource's, which brings
# its own npm) is there already.
command -v node >/dev/null || missing+=(nodejs)
command -v npm >/dev/null || missing+=(npm)
if [ ${#missing[@]} -gt 0 ]; then
    echo "setup: installing ${missing[*]}"
    sudo_if_needed apt-get update -qq
    sudo_if_needed env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if ! command -v cargo >/dev/null; then
    echo "setup: cargo is missing; install Rust with rustup (https://rustup.rs)" >&2
    exit 1
fi
if ! rustup target list --installed 2>/dev/null | grep -q wasm32-unknown-unknown; then
    rustup target add wasm32-unknown-unknown
fi

PY=${PYTHON:-python3}
if [ ! -x target/venv/bin/python ]; then
    mkdir -p target
    "$PY" -m venv target/venv
fi
if ! target/venv/bin/python -c "import pydicom, pylibjpeg, libjpeg, openjpeg, rle, numpy, dicomweb_client" 2>/dev/null; then
    target/venv/bin/python -m pip install -q --disable-pip-version-check \
        pydicom==3.0.2 pylibjpeg==2.1.0 pylibjpeg-libjpeg==2.5.0 pylibjpeg-openjpeg==2.6.0 \
        pylibjpeg-rle==2.2.0 "numpy>=1.26" dicomweb-client==0.61.2
fi
# highdicom reads the Structured Reports back (sr_oracle). Without its pyjpegls
# dependency, which pydicom would take up as another JPEG-LS decoder beside the decode
# oracle's.
if ! target/venv/bin/python -c "import highdicom" 2>/dev/null; then
    target/venv/bin/python -m pip install -q --disable-pip-version-check \
        "typing-extensions>=4" "packaging>=17.1" "pillow>=8.3"
    target/venv/bin/python -m pip install -q --disable-pip-version-check --no-deps highdicom==0.28.2
fi

# matplotlib's colour maps (jet, viridis) and SciPy's resampling are the fusion oracle's.
if ! target/venv/bin/python -c "import matplotlib, scipy" 2>/dev/null; then
    target/venv/bin/python -m pip install -q --disable-pip-version-check matplotlib==3.9.4 scipy==1.14.1
fi

mkdir -p target/testdata
cd target/testdata
if [ ! -d pydicom-3.0.2/pydicom/data/test_files ] || [ ! -d pydicom-data-1.0.0/data_store/data ]; then
    ../venv/bin/python -m pip download -q --disable-pip-version-check --no-deps -d . pydicom==3.0.2 pydicom-data==1.0.0
    ../venv/bin/python - <<'PY'
import zipfile
for wheel, prefix, dest in [
    ("pydicom-3.0.2-py3-none-any.whl", "pydicom/data/", "pydicom-3.0.2"),
    ("pydicom_data-1.0.0-py3-none-any.whl", "data_store/data/", "pydicom-data-1.0.0"),
]:
    with zipfile.ZipFile(wheel) as z:
        z.extractall(dest, [n for n in z.namelist() if n.startswith(prefix)])
PY
fi
echo "setup: ready (DCMTK $(dcm2pnm --version 2>/dev/null | head -1 | awk '{print $3}'), pydicom $(../venv/bin/python -c 'import pydicom; print(pydicom.__version__)'))"
