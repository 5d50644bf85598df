#!/usr/bin/env bash
# Serves dist/web (built by apps/hounsfield-web/build.sh) on http://127.0.0.1:${PORT:-8080}/.
set -euo pipefail
cd "$(dirname "$0")/../.."
[ -f dist/web/index.html ] || bash apps/hounsfield-web/build.sh
exec python3 -m http.server "${PORT:-8080}" --bind 127.0.0.1 --directory dist/web
