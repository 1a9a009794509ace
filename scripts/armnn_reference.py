#!/usr/bin/python3
"""Runs .tflite models on Arm NN's CpuRef backend (Debian python3-pyarmnn) for Tessera's tests.

usage: armnn_reference.py MODEL.tflite INPUT.npy [INPUT.npy ...] OUTPUT_FOLDER
       armnn_reference.py --jobs JOBS.json
Each INPUT.npy is one inference's input (the model's single input tensor); OUTPUT_FOLDER/<i>.npy receives
the model's first output for input i. JOBS.json is a list of {"model", "inputs", "output"} objects with the
same meaning, so a test class can run several models in one process. One IRuntime serves everything
(Arm NN allows one per process)."""
import json
import os
import sys

import numpy as np
import pyarmnn as ann


def run(runtime, model, inputs, folder):
    parser = ann.ITfLiteParser()
    network = parser.CreateNetworkFromBinaryFile(model)
    graph = 0
    input_name = parser.GetSubgraphInputTensorNames(graph)[0]
    output_name = parser.GetSubgraphOutputTensorNames(graph)[0]
    input_binding = parser.GetNetworkInputBindingInfo(graph, input_name)
    output_binding = parser.GetNetworkOutputBindingInfo(graph, output_name)
    optimized, _ = ann.Optimize(network, [ann.BackendId("CpuRef")], runtime.GetDeviceSpec(), ann.OptimizerOptions())
    network_id, _ = runtime.LoadNetwork(optimized)
    os.makedirs(folder, exist_ok=True)
    for i, path in enumerate(inputs):
        data = np.load(path)
        input_tensors = ann.make_input_tensors([input_binding], [data])
        output_tensors = ann.make_output_tensors([output_binding])
        runtime.EnqueueWorkload(network_id, input_tensors, output_tensors)
        result = ann.workload_tensors_to_ndarray(output_tensors)[0]
        np.save(os.path.join(folder, f"{i}.npy"), result)
    runtime.UnloadNetwork(network_id)


def main():
    runtime = ann.IRuntime(ann.CreationOptions())
    if len(sys.argv) == 3 and sys.argv[1] == "--jobs":
        with open(sys.argv[2], encoding="utf-8") as f:
            jobs = json.load(f)
        for job in jobs:
            run(runtime, job["model"], job["inputs"], job["output"])
    else:
        run(runtime, sys.argv[1], sys.argv[2:-1], sys.argv[-1])


if __name__ == "__main__":
    main()
