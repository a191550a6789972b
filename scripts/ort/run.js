#!/usr/bin/env node
// Runs an exported ONNX model in onnxruntime (CPU) for Distillery's export checks and benchmarks.
//
//   node run.js [--threads N] MODEL IN.bin N C H W OUT.bin
//       reads N float32 inputs of shape CxHxW from IN.bin, runs them in chunks and writes the float32
//       outputs to OUT.bin; prints {"samples", "output_shape", "ms", "onnxruntime"} as JSON.
//   node run.js --bench [--threads N] MODEL N C H W ITERS
//       times ITERS runs of one random batch of N after a warm-up; prints {"ms_per_batch", ...} as JSON.
//
// --threads N sets intraOpNumThreads (0 or absent: onnxruntime's default). --chunk N sets the batch of
// mode 1 (default 256). Any failure: one line on stderr and exit status 1.
'use strict';

const fs = require('fs');

function fail(message) {
  process.stderr.write(`run.js: ${message}\n`);
  process.exit(1);
}

let ort;
try {
  ort = require('onnxruntime-node');
} catch (e) {
  fail(`onnxruntime-node is not installed in ${__dirname} (run scripts/setup.sh): ${e.message.split('\n')[0]}`);
}

function positiveInt(text, what, allowZero = false) {
  if (!/^[0-9]+$/.test(text || '')) fail(`${what}: expected a whole number, got '${text}'`);
  const n = Number(text);
  if (!allowZero && n === 0) fail(`${what}: expected a positive number, got '${text}'`);
  return n;
}

function parseArgs(argv) {
  const opts = { bench: false, threads: 0, chunk: 256, rest: [] };
  for (let i = 0; i < argv.length; ++i) {
    const a = argv[i];
    if (a === '--bench') opts.bench = true;
    else if (a === '--threads') opts.threads = positiveInt(argv[++i], '--threads', true);
    else if (a === '--chunk') opts.chunk = positiveInt(argv[++i], '--chunk');
    else if (a.startsWith('--')) fail(`unknown option '${a}'`);
    else opts.rest.push(a);
  }
  return opts;
}

async function openSession(model, threads) {
  if (!fs.existsSync(model)) fail(`model ${model} not found`);
  const options = {
    executionProviders: ['cpu'],
    graphOptimizationLevel: 'all',
    executionMode: 'sequential',
    interOpNumThreads: 1,
  };
  if (threads > 0) options.intraOpNumThreads = threads;
  try {
    return await ort.InferenceSession.create(model, options);
  } catch (e) {
    fail(`cannot load ${model}: ${e.message.split('\n')[0]}`);
  }
}

async function runFile(opts) {
  if (opts.rest.length !== 7) fail('usage: node run.js [--threads N] MODEL IN.bin N C H W OUT.bin');
  const [model, inFile] = opts.rest;
  const n = positiveInt(opts.rest[2], 'N');
  const c = positiveInt(opts.rest[3], 'C');
  const h = positiveInt(opts.rest[4], 'H');
  const w = positiveInt(opts.rest[5], 'W');
  const outFile = opts.rest[6];
  const per = c * h * w;
  let bytes;
  try {
    bytes = fs.readFileSync(inFile);
  } catch (e) {
    fail(`cannot read ${inFile}: ${e.message}`);
  }
  if (bytes.length !== n * per * 4)
    fail(`${inFile} holds ${bytes.length} bytes, expected ${n * per * 4} (${n}x${c}x${h}x${w} float32)`);

  const session = await openSession(model, opts.threads);
  const inputName = session.inputNames[0];
  const outputName = session.outputNames[0];
  const out = fs.openSync(outFile, 'w');
  let outputShape = null;
  const start = process.hrtime.bigint();
  try {
    for (let first = 0; first < n; first += opts.chunk) {
      const count = Math.min(opts.chunk, n - first);
      // A copy: the file buffer need not be 4-byte aligned.
      const data = new Float32Array(count * per);
      new Uint8Array(data.buffer).set(bytes.subarray(first * per * 4, (first + count) * per * 4));
      const feeds = { [inputName]: new ort.Tensor('float32', data, [count, c, h, w]) };
      let result;
      try {
        result = await session.run(feeds);
      } catch (e) {
        fail(`onnxruntime failed on ${model}: ${e.message.split('\n')[0]}`);
      }
      const y = result[outputName];
      if (y.type !== 'float32') fail(`output '${outputName}' is ${y.type}, expected float32`);
      if (y.dims[0] !== count) fail(`output batch ${y.dims[0]} does not match the input batch ${count}`);
      outputShape = y.dims.slice(1);
      fs.writeSync(out, Buffer.from(y.data.buffer, y.data.byteOffset, y.data.byteLength));
    }
  } finally {
    fs.closeSync(out);
  }
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  process.stdout.write(
    JSON.stringify({ samples: n, output_shape: outputShape, ms, onnxruntime: ort.env.versions.node }) + '\n');
}

async function bench(opts) {
  if (opts.rest.length !== 6) fail('usage: node run.js --bench [--threads N] MODEL N C H W ITERS');
  const model = opts.rest[0];
  const [n, c, h, w] = opts.rest.slice(1, 5).map((t, i) => positiveInt(t, ['N', 'C', 'H', 'W'][i]));
  const iters = positiveInt(opts.rest[5], 'ITERS');
  const session = await openSession(model, opts.threads);
  const data = new Float32Array(n * c * h * w);
  // A fixed pseudo-random input (the values do not matter for the time, only that they are not all zero).
  let seed = 12345;
  for (let i = 0; i < data.length; ++i) {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    data[i] = seed / 2147483648 * 2 - 1;
  }
  const feeds = { [session.inputNames[0]]: new ort.Tensor('float32', data, [n, c, h, w]) };
  try {
    const warmup = Math.max(3, Math.ceil(iters / 10));
    for (let i = 0; i < warmup; ++i) await session.run(feeds);
    const times = [];
    for (let i = 0; i < iters; ++i) {
      const t0 = process.hrtime.bigint();
      await session.run(feeds);
      times.push(Number(process.hrtime.bigint() - t0) / 1e6);
    }
    times.sort((a, b) => a - b);
    const mean = times.reduce((s, t) => s + t, 0) / times.length;
    process.stdout.write(JSON.stringify({
      ms_per_batch: mean,
      median_ms: times[Math.floor(times.length / 2)],
      min_ms: times[0],
      batch: n,
      iters,
      threads: opts.threads,
      onnxruntime: ort.env.versions.node,
    }) + '\n');
  } catch (e) {
    fail(`onnxruntime failed on ${model}: ${e.message.split('\n')[0]}`);
  }
}

const opts = parseArgs(process.argv.slice(2));
(opts.bench ? bench(opts) : runFile(opts)).catch((e) => fail(e && e.message ? e.message : String(e)));
