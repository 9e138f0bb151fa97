#!/usr/bin/env node
// Runs an ONNX file in ONNX Runtime (the npm package onnxruntime-node) on a
// batch of float32 inputs and writes every output as raw float32.
//
//   node ort_run.js PACKAGE_DIR MODEL.onnx INPUT.bin N,C,H,W OUT_DIR [BATCH]
//
// PACKAGE_DIR  the onnxruntime-node package folder (.../node_modules/onnxruntime-node)
// INPUT.bin    N*C*H*W little-endian float32 values, row-major (NCHW)
// OUT_DIR      receives output<i>.bin (raw float32, row-major) for each model
//              output and header.json:
//              {"runtime": "ONNX Runtime 1.30.0", "outputs":
//               [{"name": "logits", "dims": [N, K], "file": "output0.bin"}]}
// BATCH        images per session.run (default 16); outputs are concatenated.
//
// Exit status 0 on success; otherwise a one-line reason on stderr and 2.
'use strict';
const fs = require('fs');
const path = require('path');

function fail(message) {
  process.stderr.write('ort_run: ' + message + '\n');
  process.exit(2);
}

async function main() {
  const args = process.argv.slice(2);
  if (args.length < 5) fail('usage: ort_run.js PACKAGE_DIR MODEL.onnx INPUT.bin N,C,H,W OUT_DIR [BATCH]');
  const [packageDir, modelPath, inputPath, shapeText, outDir] = args;
  const batch = args.length > 5 ? parseInt(args[5], 10) : 16;
  const shape = shapeText.split(',').map((s) => parseInt(s, 10));
  if (shape.length !== 4 || shape.some((d) => !(d > 0))) fail('the shape must be N,C,H,W with positive sizes: ' + shapeText);
  if (!(batch > 0)) fail('the batch size must be positive: ' + args[5]);

  let ort, version = '?';
  try {
    ort = require(path.resolve(packageDir));
  } catch (e) {
    fail('cannot load onnxruntime-node from ' + packageDir + ': ' + String(e.message).split('\n')[0]);
  }
  try {
    version = JSON.parse(fs.readFileSync(path.join(packageDir, 'package.json'), 'utf8')).version;
  } catch (e) { /* the version is informative only */ }

  const bytes = fs.readFileSync(inputPath);
  const per = shape[1] * shape[2] * shape[3];
  if (bytes.length !== shape[0] * per * 4) fail('the input holds ' + bytes.length + ' bytes, the shape needs ' + shape[0] * per * 4);
  const input = new Float32Array(bytes.buffer, bytes.byteOffset, bytes.length / 4);

  const session = await ort.InferenceSession.create(modelPath, {
    executionProviders: ['cpu'],
    graphOptimizationLevel: 'all',
    intraOpNumThreads: 2,
  });
  if (session.inputNames.length !== 1) fail('the model has ' + session.inputNames.length + ' inputs; expected one');
  const names = session.outputNames;
  const chunks = names.map(() => []);
  const dims = names.map(() => null);
  for (let i = 0; i < shape[0]; i += batch) {
    const n = Math.min(batch, shape[0] - i);
    const x = new ort.Tensor('float32', input.slice(i * per, (i + n) * per), [n, shape[1], shape[2], shape[3]]);
    const result = await session.run({ [session.inputNames[0]]: x });
    names.forEach((name, k) => {
      const t = result[name];
      if (t.type !== 'float32') fail('output ' + name + ' is ' + t.type + ', not float32');
      chunks[k].push(Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength));
      const d = t.dims.slice();
      if (dims[k] === null) dims[k] = d; else dims[k][0] += d[0];
    });
  }
  const outputs = names.map((name, k) => {
    const file = 'output' + k + '.bin';
    fs.writeFileSync(path.join(outDir, file), Buffer.concat(chunks[k]));
    return { name, dims: dims[k], file };
  });
  fs.writeFileSync(path.join(outDir, 'header.json'), JSON.stringify({ runtime: 'ONNX Runtime ' + version, outputs }));
}

main().catch((e) => fail(String(e && e.message ? e.message : e).split('\n').slice(0, 3).join(' ')));
