#!/usr/bin/env node
// Runs .tflite models on TensorFlow Lite itself, compiled to WebAssembly (npm @tensorflow/tfjs-tflite, its
// single-threaded, non-SIMD build), for Tessera's tests: an independent reference, never used to run a user's model.
//
// usage: tflite_reference.js [--xnnpack] MODEL.tflite INPUT.npy [INPUT.npy ...] OUTPUT_FOLDER
//        tflite_reference.js --jobs JOBS.json
// Each INPUT.npy is one inference's input (the model's single input tensor, int8, uint8 or float32);
// OUTPUT_FOLDER/<i>.npy receives the model's first output for input i, and OUTPUT_FOLDER/kernels.json the
// kernels that ran: TFLite's node types, and the XNNPACK operators inside any delegated partition. JOBS.json is
// a list of {"model", "inputs", "output", "xnnpack", "outputTensor"} objects with the same meaning; outputTensor,
// when given, is the index of a tensor of subgraph 0 to read as the output instead (an intermediate value).
//
// XNNPACK: the web build applies TFLite's default XNNPACK delegate, whose options enable its signed and unsigned
// 8-bit paths (flags QS8 | QU8 = 3) and which the web API cannot turn off. XNNPACK's int8 convolution and fully
// connected kernels requantize in float (accumulator times a float scale, rounded to nearest even), not with
// TFLite's fixed-point multiplier. By default this driver therefore sets that flags constant to 0 in the loaded
// module (one byte of the delegate-options code, checked against its expected bytes; the file on disk is not
// changed): XNNPACK then takes no 8-bit node and every int8 operator runs on TFLite's builtin kernels. --xnnpack
// (or "xnnpack": true) runs the stock module instead, XNNPACK included.
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

// In AcquireXNNPACKDelegate (TFLite's default-delegate factory): opts.num_threads = 0 (i64 store), opts.weights_cache
// = 0, opts.flags = 3 (local.get 1; i32.const 3; i32.store offset=4). The byte after that i32.const opcode is the flags.
const XNNPACK_OPTIONS_CODE = { offset: 3211453, bytes: '200142003702002001410036020820014103360204', flags: 17 };

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

async function loadInterpreter(xnnpack) {
  const folder = wasmFolder();
  const contents = {};
  for (const [name, expected] of Object.entries(FILES)) {
    const file = path.join(folder, name);
    if (!fs.existsSync(file)) fail(`${file} is missing: run scripts/setup.sh (it fetches @tensorflow/tfjs-tflite@${VERSION})`);
    contents[name] = fs.readFileSync(file);
    const actual = crypto.createHash('sha256').update(contents[name]).digest('hex');
    if (actual !== expected) fail(`${file}: sha256 ${actual}, expected ${expected}; do not use it`);
  }
  const wasm = Buffer.from(contents['tflite_web_api_cc.wasm']);
  if (!xnnpack) {
    const { offset, bytes, flags } = XNNPACK_OPTIONS_CODE;
    if (wasm.subarray(offset, offset + bytes.length / 2).toString('hex') !== bytes) fail('the XNNPACK delegate options code is not where expected');
    wasm[offset + flags] = 0;
  }
  const factory = require(path.join(folder, 'tflite_web_api_cc.js'));
  // TFLite's own "INFO: Created TensorFlow Lite XNNPACK delegate" line goes to stderr, not to our stdout.
  return factory({ wasmBinary: wasm, print: (t) => process.stderr.write(`${t}\n`), printErr: (t) => process.stderr.write(`${t}\n`) });
}

// A copy of the model whose subgraph 0 has tensor `index` as its first output (the flatbuffer's outputs vector
// is rewritten in place, 4 bytes): how a test reads an intermediate tensor. Root table -> Model.subgraphs (field
// 2) -> subgraph 0 -> SubGraph.outputs (field 2).
function withOutput(model, index) {
  const bytes = Buffer.from(model);
  const table = (position) => position + bytes.readUInt32LE(position);
  const field = (tablePosition, id) => {
    const vtable = tablePosition - bytes.readInt32LE(tablePosition);
    const offset = id * 2 + 4 < bytes.readUInt16LE(vtable) ? bytes.readUInt16LE(vtable + 4 + id * 2) : 0;
    if (offset === 0) fail('the model has no subgraph outputs to redirect');
    return tablePosition + offset;
  };
  const subgraphs = table(field(table(0), 2));
  const subgraph = table(subgraphs + 4);
  const outputs = table(field(subgraph, 2));
  if (bytes.readUInt32LE(outputs) < 1) fail('the model has no outputs');
  bytes.writeInt32LE(index, outputs + 4);
  return bytes;
}

function vectorToArray(vector) {
  const items = [];
  for (let i = 0; i < vector.size(); i++) items.push(vector.get(i));
  vector.delete();
  return items;
}

function createRunner(module, model, profiling) {
  const pointer = module._malloc(model.length);
  module.HEAPU8.set(model, pointer);
  const created = module.TFLiteWebModelRunner.CreateFromBufferAndOptions(pointer, model.length, {
    numThreads: -1, enableProfiling: profiling, maxProfilingBufferEntries: 4096,
  });
  if (!created.ok()) fail(`model: ${created.errorMessage()}`);
  const runner = created.value();
  return {
    runner,
    input: vectorToArray(runner.GetInputs()),
    output: vectorToArray(runner.GetOutputs())[0],
    dispose: () => {
      runner.delete();
      module._free(pointer);
    },
  };
}

function checked(input, file) {
  const value = readNpy(file);
  const target = input.data();
  if (value.data.constructor !== target.constructor) fail(`${file}: ${value.descr} data, the model's input is ${input.dataType}`);
  if (value.data.length !== target.length) fail(`${file}: ${value.data.length} values, the model's input ${input.shape} holds ${target.length}`);
  return value.data;
}

function feed(input, file) {
  input.data().set(checked(input, file));
}

function run(module, job) {
  const original = fs.readFileSync(job.model);
  const model = job.outputTensor === undefined ? original : withOutput(original, job.outputTensor);
  const session = createRunner(module, model, false);
  if (session.input.length !== 1) fail(`${job.model}: ${session.input.length} inputs, the driver feeds one`);
  const outputShape = String(session.output.shape).split(',').map(Number);
  // Every input is checked before anything is written.
  for (const file of job.inputs) checked(session.input[0], file);
  fs.mkdirSync(job.output, { recursive: true });
  job.inputs.forEach((file, i) => {
    feed(session.input[0], file);
    if (!session.runner.Infer()) fail(`${job.model}: inference failed on ${file}`);
    const result = session.output.data();
    writeAtomic(path.join(job.output, `${i}.npy`), npyBytes(new result.constructor(result), outputShape));
  });
  session.dispose();
  // The kernels: one profiled inference in an interpreter of its own (the profile lists TFLite's nodes; the
  // delegate's own section lists its XNNPACK operators, e.g. "Delegate/Convolution (NHWC, QC8) IGEMM:0").
  let nodes = [];
  let delegated = [];
  if (job.inputs.length > 0) {
    const profiled = createRunner(module, model, true);
    feed(profiled.input[0], job.inputs[0]);
    if (!profiled.runner.Infer()) fail(`${job.model}: inference failed on ${job.inputs[0]}`);
    nodes = vectorToArray(profiled.runner.GetProfilingResults()).map((p) => p.nodeType);
    const summary = profiled.runner.GetProfilingSummary();
    delegated = [...new Set([...summary.matchAll(/Delegate\/([^:\n]+):\d+/g)].map((m) => m[1].trim()))];
    profiled.dispose();
  }
  writeAtomic(path.join(job.output, 'kernels.json'), JSON.stringify({ nodes: [...new Set(nodes)].sort(), delegated: delegated.sort() }));
}

async function main() {
  let args = process.argv.slice(2);
  const xnnpack = args[0] === '--xnnpack';
  if (xnnpack) args = args.slice(1);
  let jobs;
  if (args.length === 2 && args[0] === '--jobs') {
    try {
      jobs = JSON.parse(fs.readFileSync(args[1], 'utf8'));
    } catch (e) {
      fail(`${args[1]}: ${e.message}`);
    }
  } else if (args.length >= 3) {
    jobs = [{ model: args[0], inputs: args.slice(1, -1), output: args[args.length - 1], xnnpack }];
  } else {
    fail('usage: tflite_reference.js [--xnnpack] MODEL.tflite INPUT.npy [INPUT.npy ...] OUTPUT_FOLDER | --jobs JOBS.json');
  }
  for (const job of jobs) {
    if (!fs.existsSync(job.model)) fail(`${job.model}: no such model`);
    for (const input of job.inputs) if (!fs.existsSync(input)) fail(`${input}: no such input`);
  }
  // One WebAssembly instance per setting: the stock module (XNNPACK's 8-bit paths on) and the patched one.
  const modules = {};
  for (const job of jobs) {
    const key = job.xnnpack ? 'xnnpack' : 'builtin';
    if (!modules[key]) modules[key] = await loadInterpreter(Boolean(job.xnnpack));
    run(modules[key], job);
  }
}

main().catch((e) => fail(e && e.stack ? e.stack : String(e)));
