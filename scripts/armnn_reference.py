#!/usr/bin/python3
"""Runs a .tflite model on Arm NN's CpuRef backend (Debian python3-pyarmnn) for Tessera's tests.

usage: armnn_reference.py MODEL.tflite INPUT.npy [INPUT.npy ...] OUTPUT_FOLDER
Each INPUT.npy is one inference's input (the model's single input tensor); OUTPUT_FOLDER/<i>.npy receives
the model's first output for input i. One IRuntime serves every input (Arm NN allows one per process)."""
import os
import sys

import numpy as np
import pyarmnn as ann


def main():
    model, inputs, folder = sys.argv[1], sys.argv[2:-1], sys.argv[-1]
    parser = ann.ITfLiteParser()
    network = parser.CreateNetworkFromBinaryFile(model)
    graph = 0
    input_name = parser.GetSubgraphInputTensorNames(graph)[0]
    output_name = parser.GetSubgraphOutputTensorNames(graph)[0]
    input_binding = parser.GetNetworkInputBindingInfo(graph, input_name)
    output_binding = parser.GetNetworkOutputBindingInfo(graph, output_name)
    runtime = ann.IRuntime(ann.CreationOptions())
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


if __name__ == "__main__":
    main()
