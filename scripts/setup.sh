#!/usr/bin/env bash
# Installs every dependency headcount needs from Debian's archive (idempotent)
# and builds it in Release mode (-O3, native CPU) into build/.
# Usage: scripts/setup.sh [--no-build]
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(g++ cmake ninja-build pkg-config libeigen3-dev libcli11-dev nlohmann-json3-dev liblinear-dev
          libgtest-dev libgmock-dev libbenchmark-dev libsqlite3-dev sqlite3 openmpi-bin libopenmpi-dev
          libzip-dev  # reads PyTorch .pt state dicts (zip archives)
          clang libclang-rt-14-dev libomp-dev)  # clang + its runtimes: fuzzing (scripts/fuzz.sh)
# The HTML report: Chromium for --png and the browser test; node/npm only when
# npm is missing (the report's JavaScript libraries come from the npm registry).
packages+=(chromium)
# The Python package (python/, docs/PYTHON.md): pybind11 and Python's headers
# build the extension; a venv (python3-venv) that sees Debian's numpy, pandas,
# matplotlib and torch holds the package; pytest runs its tests, torch checks
# parity with PyTorch, nbclient + ipykernel execute the notebooks.
packages+=(python3-dev python3-venv pybind11-dev python3-pybind11 python3-numpy python3-pandas python3-pytest
           python3-matplotlib python3-nbclient python3-nbformat python3-ipykernel python3-torch)
command -v npm >/dev/null 2>&1 || packages+=(nodejs npm)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}"
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# Vega, Vega-Lite and Vega-Embed for report.html (inlined by the build), at the
# versions pinned in report/package-lock.json; skipped when already installed.
if ! cmp -s report/package-lock.json report/node_modules/.package-lock.json.installed 2>/dev/null; then
  echo "setup: installing the report's JavaScript libraries (npm ci in report/)"
  (cd report && npm ci --no-audit --no-fund --loglevel=error)
  cp report/package-lock.json report/node_modules/.package-lock.json.installed
fi

[ "${1:-}" = "--no-build" ] && exit 0
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release -DHEADCOUNT_PYTHON=ON >/dev/null
ninja -C build

# The Python package, installed into .venv (which also sees Debian's packages):
# a .pth file puts python/ (the pure-Python package) and build/python (the
# extension) on its path, so a rebuild needs no reinstall. Then
# `.venv/bin/python3 -c "import headcount"`, or `source .venv/bin/activate`.
[ -x .venv/bin/python3 ] || /usr/bin/python3 -m venv --system-site-packages .venv
site=$(.venv/bin/python3 -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
printf '%s\n%s\n' "$PWD/python" "$PWD/build/python" > "$site/headcount.pth"
.venv/bin/python3 -c 'import headcount' || { echo "setup: the Python package does not import (see above)"; exit 1; }
