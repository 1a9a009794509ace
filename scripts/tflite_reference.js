#!/usr/bin/env node
// Runs .tflite models on TensorFlow Lite itself, compiled to WebAssembly (npm @tensorflow/tfjs-tflite, its
// single-threaded, non-SIMD build), for Tessera's tests: an independent reference, never used to run a user's model.
//
// usage: tflite_reference.js MODEL.tflite INPUT.npy [INPUT.npy ...] OUTPUT_FOLDER
//        tflite_reference.js --jobs JOBS.json
// Each INPUT.npy is one inference's input (the model's single input tensor, int8, uint8 or float32);
// OUTPUT_FOLDER/<i>.npy receives the model's first output for input i, and OUTPUT_FOLDER/kernels.json the
// kernels that ran: TFLite's node types, and the XNNPACK operators inside any delegated partition. JOBS.json is
// a list of {"model", "inputs", "output"} objects with the same meaning (one WebAssembly instance for all).
// The interpreter files are read from $TESSERA_TFLITE_WASM, else <tessera cache>/tflite-wasm/<version>/
// (scripts/setup.sh puts them there); their sha256 is checked before they are loaded.
'use strict';
const crypto = require('crypto');
const fs = require('fs');
const os = require('os');
const path = require('path');

const VERSION = '0.0.1-alpha.10';
const FILES = {
  'tflite_web_api_cc.js': '08e963fcde11dc041feeac97ff711b3a157614edc98ff8bfa309557189b7368d',
  'tflite_web_api_cc.wasm': 'f1eb42f96ae91e5ef34e2f833f011373ca1c40fdc9d4062ec21eb07b886ea54f',
};

function fail(message) {
  process.stderr.write(`tflite_reference: ${message}\n`);
  process.exit(2);
}

function cacheRoot() {
  if (process.env.TESSERA_CACHE) return process.env.TESSERA_CACHE;
  const base = process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache');
  return path.join(base, 'tessera');
}

function wasmFolder() {
  return process.env.TESSERA_TFLITE_WASM || path.join(cacheRoot(), 'tflite-wasm', VERSION);
}

const NPY_TYPES = { '|i1': Int8Array, '|u1': Uint8Array, '<f4': Float32Array, '<i4': Int32Array };

function readNpy(file) {
  const bytes = fs.readFileSync(file);
  if (bytes.toString('latin1', 0, 6) !== '\x93NUMPY') fail(`${file}: not a .npy file`);
  const major = bytes[6];
  const headerLength = major === 1 ? bytes.readUInt16LE(8) : bytes.readUInt32LE(8);
  const start = major === 1 ? 10 : 12;
  const header = bytes.toString('latin1', start, start + headerLength);
  const descr = /'descr'\s*:\s*'([^']+)'/.exec(header);
  const shape = /'shape'\s*:\s*\(([^)]*)\)/.exec(header);
  if (!descr || !shape || /'fortran_order'\s*:\s*True/.test(header)) fail(`${file}: unsupported .npy header ${header.trim()}`);
  const type = NPY_TYPES[descr[1]];
  if (!type) fail(`${file}: unsupported .npy type ${descr[1]}`);
  const data = bytes.subarray(start + headerLength);
  return { type, descr: descr[1], data: new type(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength)) };
}

function npyBytes(array, shape) {
  const descr = Object.keys(NPY_TYPES).find((d) => array instanceof NPY_TYPES[d]);
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': (${shape.join(', ')}${shape.length === 1 ? ',' : ''}), }`;
  header += ' '.repeat(63 - ((10 + header.length) % 64)) + '\n';
  const prefix = Buffer.alloc(10);
  prefix.write('\x93NUMPY', 0, 'latin1');
  prefix[6] = 1;
  prefix[7] = 0;
  prefix.writeUInt16LE(header.length, 8);
  return Buffer.concat([prefix, Buffer.from(header, 'latin1'), Buffer.from(array.buffer, array.byteOffset, array.byteLength)]);
}

// Writes next to the target and renames, so a failed run never leaves a half-written output.
function writeAtomic(file, bytes) {
  const temporary = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(temporary, bytes);
  fs.renameSync(temporary, file);
}

async function loadInterpreter() {
  const folder = wasmFolder();
  const contents = {};
  for (const [name, expected] of Object.entries(FILES)) {
    const file = path.join(folder, name);
    if (!fs.existsSync(file)) fail(`${file} is missing: run scripts/setup.sh (it fetches @tensorflow/tfjs-tflite@${VERSION})`);
    contents[name] = fs.readFileSync(file);
    const actual = crypto.createHash('sha256').update(contents[name]).digest('hex');
    if (actual !== expected) fail(`${file}: sha256 ${actual}, expected ${expected}; do not use it`);
  }
  const factory = require(path.join(folder, 'tflite_web_api_cc.js'));
  // TFLite's own "INFO: Created TensorFlow Lite XNNPACK delegate" line goes to stderr, not to our stdout.
  return factory({ wasmBinary: contents['tflite_web_api_cc.wasm'], print: (t) => process.stderr.write(`${t}\n`), printErr: (t) => process.stderr.write(`${t}\n`) });
}

function vectorToArray(vector) {
  const items = [];
  for (let i = 0; i < vector.size(); i++) items.push(vector.get(i));
  vector.delete();
  return items;
}

function run(module, job) {
  const model = fs.readFileSync(job.model);
  const pointer = module._malloc(model.length);
  module.HEAPU8.set(model, pointer);
  const created = module.TFLiteWebModelRunner.CreateFromBufferAndOptions(pointer, model.length, {
    numThreads: -1, enableProfiling: true, maxProfilingBufferEntries: 1024,
  });
  if (!created.ok()) fail(`${job.model}: ${created.errorMessage()}`);
  const runner = created.value();
  const inputs = vectorToArray(runner.GetInputs());
  const outputs = vectorToArray(runner.GetOutputs());
  if (inputs.length !== 1) fail(`${job.model}: ${inputs.length} inputs, the driver feeds one`);
  const input = inputs[0];
  const output = outputs[0];
  const outputShape = String(output.shape).split(',').map(Number);
  fs.mkdirSync(job.output, { recursive: true });
  let profile = null;
  job.inputs.forEach((file, i) => {
    const value = readNpy(file);
    const target = input.data();
    if (value.data.constructor !== target.constructor) fail(`${file}: ${value.descr} data, the model's input is ${input.dataType}`);
    if (value.data.length !== target.length) fail(`${file}: ${value.data.length} values, the model's input ${input.shape} holds ${target.length}`);
    target.set(value.data);
    if (!runner.Infer()) fail(`${job.model}: inference failed on ${file}`);
    const result = output.data();
    writeAtomic(path.join(job.output, `${i}.npy`), npyBytes(new result.constructor(result), outputShape));
    if (profile === null) profile = runner.GetProfilingSummary();
  });
  const nodes = vectorToArray(runner.GetProfilingResults()).map((p) => p.nodeType);
  // The delegate's own profile lists its XNNPACK operators, e.g. "Delegate/Convolution (NHWC, QC8) IGEMM:0".
  const delegated = [...new Set([...(profile || '').matchAll(/Delegate\/([^:\n]+):\d+/g)].map((m) => m[1].trim()))];
  writeAtomic(path.join(job.output, 'kernels.json'), JSON.stringify({ nodes: [...new Set(nodes)].sort(), delegated: delegated.sort() }));
  runner.delete();
  module._free(pointer);
}

async function main() {
  const args = process.argv.slice(2);
  let jobs;
  if (args.length === 2 && args[0] === '--jobs') {
    try {
      jobs = JSON.parse(fs.readFileSync(args[1], 'utf8'));
    } catch (e) {
      fail(`${args[1]}: ${e.message}`);
    }
  } else if (args.length >= 3) {
    jobs = [{ model: args[0], inputs: args.slice(1, -1), output: args[args.length - 1] }];
  } else {
    fail('usage: tflite_reference.js MODEL.tflite INPUT.npy [INPUT.npy ...] OUTPUT_FOLDER | --jobs JOBS.json');
  }
  for (const job of jobs) if (!fs.existsSync(job.model)) fail(`${job.model}: no such model`);
  const module = await loadInterpreter();
  for (const job of jobs) run(module, job);
}

main().catch((e) => fail(e && e.stack ? e.stack : String(e)));
