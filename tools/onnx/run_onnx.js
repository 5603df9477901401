#!/usr/bin/env node
// Runs a model.onnx from quantscope in ONNX Runtime (onnxruntime-node, CPU) on float32 waveforms.
//
//   node tools/onnx/run_onnx.js --model model.onnx --out-dir DIR [--threads 1] [--repeat N]
//        [--profile PREFIX] [--optimized FILE] WAVE.f32 ...
//
// Each WAVE.f32 is raw little-endian float32 samples (already normalized as the model expects);
// DIR/<basename>.out.f32 receives the output "logits" tensor's values. Prints one JSON object:
// {"outputs": [{"input", "shape", "file", "ms"}], "median_ms", "kernels": {op type: count}}.
// --repeat runs every input N more times after a warm-up run and reports the median time per run;
// --profile writes ONNX Runtime's profile (its kernels: "kernels" counts the node ops it ran);
// --optimized writes the graph after ONNX Runtime's optimizations (QDQ fusions included).
'use strict';
const fs = require('fs');
const path = require('path');
const ort = require('onnxruntime-node');

function parse(argv) {
  const a = {threads: 1, repeat: 0, inputs: []};
  for (let i = 0; i < argv.length; ++i) {
    const k = argv[i];
    const next = () => {
      if (i + 1 >= argv.length) throw new Error(`${k} needs a value`);
      return argv[++i];
    };
    if (k === '--model') a.model = next();
    else if (k === '--out-dir') a.outDir = next();
    else if (k === '--threads') a.threads = Number(next());
    else if (k === '--repeat') a.repeat = Number(next());
    else if (k === '--profile') a.profile = next();
    else if (k === '--optimized') a.optimized = next();
    else if (k.startsWith('--')) throw new Error(`unknown option ${k}`);
    else a.inputs.push(k);
  }
  if (!a.model) throw new Error('--model is required');
  return a;
}

function readWave(file) {
  const buf = fs.readFileSync(file);
  return new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.length - (buf.length % 4)));
}

async function main() {
  const a = parse(process.argv.slice(2));
  const options = {
    executionProviders: ['cpu'],
    intraOpNumThreads: a.threads,
    interOpNumThreads: 1,
    graphOptimizationLevel: 'all',
  };
  if (a.profile) {
    options.enableProfiling = true;
    options.profileFilePrefix = a.profile;
  }
  if (a.optimized) options.optimizedModelFilePath = a.optimized;
  const session = await ort.InferenceSession.create(a.model, options);
  const inputName = session.inputNames[0], outputName = session.outputNames[0];
  const outputs = [];
  const times = [];
  for (const file of a.inputs) {
    const wave = readWave(file);
    const feeds = {[inputName]: new ort.Tensor('float32', wave, [1, wave.length])};
    let t0 = process.hrtime.bigint();
    const result = await session.run(feeds);
    let ms = Number(process.hrtime.bigint() - t0) / 1e6;
    const y = result[outputName];
    const entry = {input: file, shape: y.dims, ms};
    if (a.outDir) {
      entry.file = path.join(a.outDir, path.basename(file) + '.out.f32');
      fs.writeFileSync(entry.file, Buffer.from(y.data.buffer, y.data.byteOffset, y.data.byteLength));
    }
    for (let r = 0; r < a.repeat; ++r) {
      t0 = process.hrtime.bigint();
      await session.run(feeds);
      times.push(Number(process.hrtime.bigint() - t0) / 1e6);
    }
    outputs.push(entry);
  }
  const report = {outputs};
  if (times.length) {
    times.sort((x, y) => x - y);
    report.median_ms = times[Math.floor(times.length / 2)];
    report.runs = times.length;
  }
  if (a.profile) {
    // endProfiling() returns nothing in onnxruntime-node: the file is PREFIX_<date>.json.
    session.endProfiling();
    const dir = path.dirname(path.resolve(a.profile)), base = path.basename(a.profile) + '_';
    const file = fs.readdirSync(dir).filter((f) => f.startsWith(base) && f.endsWith('.json'))
        .map((f) => path.join(dir, f)).sort((x, y) => fs.statSync(y).mtimeMs - fs.statSync(x).mtimeMs)[0];
    const kernels = {};
    for (const e of JSON.parse(fs.readFileSync(file, 'utf8'))) {
      if (e.cat === 'Node' && e.args && e.args.op_name && e.name.endsWith('_kernel_time'))
        kernels[e.args.op_name] = (kernels[e.args.op_name] || 0) + 1;
    }
    report.profile = file;
    report.kernels = kernels;
  }
  process.stdout.write(JSON.stringify(report) + '\n');
}

main().catch((e) => {
  process.stderr.write('run_onnx: ' + String(e && e.message ? e.message : e).split('\n')[0] + '\n');
  process.exit(2);
});
