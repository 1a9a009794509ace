#!/usr/bin/env python3
"""Regenerates the NPU tables of docs/npu-results.md (docs/mlperf-tiny.md is written by `tessera bench mlperf-tiny`).

The NPU figures come from the bit-exactness tests of tests/Tessera.Npu.Tests (each prints one summary line per
model and configuration after proving the run identical to the integer executor), the CPU figures from
`tessera bench MODEL --backend cpu --compare ort` at the same input sizes. Prints Markdown to stdout.

    scripts/npu-results.py [--log FILE] [--no-bench] [--iters N]

--log reads a saved `dotnet test ... --logger "console;verbosity=detailed"` output instead of running the tests;
--bench-json DIR reads saved `tessera bench --json` files (DIR/<model>.json) instead of timing again.
"""
import argparse
import json
import os
import re
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FILTER = "|".join("FullyQualifiedName~" + n for n in [
    "Runs_bit_identical", "Int8_model_runs", "Detection_runs_bit_identical", "Recognition_runs_bit_identical",
    "Detection_at_640x640", "Recognition_at_48x320"])

SUMMARY = re.compile(
    r"(?P<label>.+?) on (?P<config>tiny|small|large): (?P<values>\d+) NPU-produced values identical; "
    r"'[a-z]+': (?P<cycles>\d+) cycles = (?P<latency>[\d.]+) us at (?P<clock>[\d.]+) MHz, (?P<fps>[\d.]+) inferences/s, "
    r"energy (?P<energy>[\d.]+) uJ/inference, (?P<tops>[\d.]+) effective TOPS/W, MAC utilization (?P<util>[\d.]+) %, "
    r"DRAM (?P<dram>\d+) bytes, NPU MACs (?P<npu>\d+) of (?P<macs>\d+) \((?P<fraction>[\d.]+) %\), "
    r"(?P<segments>\d+) NPU segments, (?P<cpu>\d+) CPU steps")

# Model label in the tests -> (bench model argument, --input-shape arguments) for the float model on the CPU.
BENCH = {
    "ppocr-cls 48x192": ("ppocr-cls", ["x=1x3x48x192"]),
    "ppocr-det [1,3,96,96]": ("ppocr-det", ["x=1x3x96x96"]),
    "ppocr-rec [1,3,48,96]": ("ppocr-rec", ["x=1x3x48x96"]),
    "ppocr-det [1,3,640,640]": ("ppocr-det", ["x=1x3x640x640"]),
    "ppocr-rec [1,3,48,320]": ("ppocr-rec", ["x=1x3x48x320"]),
    "blazeface-front 128x128": ("blazeface-front", []),
    "blazeface-back [1,256,256,3]": ("blazeface-back", []),
    # The model declares a fixed 1x3x224x224 input, which bench keeps: its CPU figures are at 224x224.
    "squeezenet [1,3,96,96]": ("tests/assets/models/squeezenet/squeezenet1.1_fp16.onnx", []),
}
CPU_NOTE = {"squeezenet [1,3,96,96]": " (224x224)"}


def test_log():
    command = ["dotnet", "test", "tests/Tessera.Npu.Tests", "-c", "Release", "--filter", FILTER,
               "--logger", "console;verbosity=detailed"]
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=True).stdout


def bench(model, shapes, iters):
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "bench.json")
        command = [os.path.join(ROOT, "tessera"), "bench", model, "--backend", "cpu", "--compare", "ort",
                   "--iters", str(iters), "--json", path]
        for shape in shapes:
            command += ["--input-shape", shape]
        subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=True)
        with open(path) as f:
            return json.load(f)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--log")
    parser.add_argument("--no-bench", action="store_true")
    parser.add_argument("--iters", type=int, default=20)
    parser.add_argument("--bench-json", help="folder of saved `tessera bench --json` files named by model label")
    args = parser.parse_args()
    text = open(args.log).read() if args.log else test_log()
    rows = {}
    for match in SUMMARY.finditer(text):
        rows.setdefault(match["label"].strip(), {})[match["config"]] = match.groupdict()
    if not rows:
        sys.exit("no summary lines found in the test output")
    order = {"tiny": 0, "small": 1, "large": 2}
    for label in sorted(l for l in rows if not l.endswith(".tflite")):
        cpu = None
        saved = os.path.join(args.bench_json, label.split(" ")[0] + ".json") if args.bench_json else None
        if saved and os.path.exists(saved):
            cpu = json.load(open(saved))
        elif not args.no_bench and label in BENCH:
            cpu = bench(*BENCH[label], args.iters)
        print(f"### {label}\n")
        print("| config | identical | cycles | latency | fps | energy/inference | DRAM bytes | NPU MAC fraction | MAC util. | ORT cpu | Tessera cpu |")
        print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
        for config, r in sorted(rows[label].items(), key=lambda p: order[p[0]]):
            note = CPU_NOTE.get(label, "")
            ort = f"{cpu['ort']['MedianMs']:.3f} ms{note}" if cpu and cpu.get("ort") else "-"
            own = f"{cpu['tessera']['MedianMs']:.3f} ms{note}" if cpu else "-"
            print(f"| {config} | yes ({r['values']} values) | {int(r['cycles']):,} | {r['latency']} us @ {float(r['clock']):g} MHz | {r['fps']} | "
                  f"{r['energy']} uJ | {int(r['dram']):,} | {r['fraction']} % of {int(r['macs']):,} | {r['util']} % | {ort} | {own} |")
        if cpu:
            print(f"\nCPU: median of {cpu['iterations']} runs, 1 thread, load average {cpu.get('loadAverage')}.")
        print()
    tflite = sorted(l for l in rows if l.endswith(".tflite"))
    if tflite:
        print("### MLPerf Tiny int8 (TFLite)\n")
        print("| model | config | cycles | latency | energy/inference | MAC util. | NPU MAC fraction | bit-identical |")
        print("| --- | --- | --- | --- | --- | --- | --- | --- |")
        for label in tflite:
            for config, r in sorted(rows[label].items(), key=lambda p: order[p[0]]):
                print(f"| {label} | {config} | {int(r['cycles']):,} | {r['latency']} us @ {float(r['clock']):g} MHz | {r['energy']} uJ | "
                      f"{r['util']} % | {r['fraction']} % of {int(r['macs']):,} | yes ({r['values']} values) |")


if __name__ == "__main__":
    main()
