// What a WebGPU frame costs at the least on this browser's adapter (prints a table; never a
// test): a 1024 x 1024 canvas redrawn on every animation frame by four pages written for
// the purpose, in headless Chromium: a frame that only clears the canvas, one that also
// draws a constant colour over it, one that draws what an exact grey display needs at
// the least (a 512 x 512 16-bit texture, four texel loads per canvas pixel, the bilinear
// value and a window), and one that windows values kept at the canvas's size (one
// unfiltered sampled read a pixel, as the renderer's value cache does). The Hounsfield
// page's WebGPU redraw is measured against this floor (bench/peers.sh gives its own
// figure). A page whose WebGPU calls raise any error fails the run: a frame that draws
// nothing would be measured as fast.
//
//   node apps/hounsfield-web/bench/webgpu-floor.mjs [--seconds S]
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CHROMIUM_ARGS, serveFiles } from '../tests/common.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../../..');
const require = createRequire(path.join(root, 'target/node/'));
const { chromium } = require('playwright-core');
const i = process.argv.indexOf('--seconds');
const seconds = i > 0 ? Number(process.argv[i + 1]) : 2;

const page = `<!doctype html><meta charset="utf-8"><style>body{margin:0}canvas{width:1024px;height:1024px;display:block}</style>
<canvas id="c" width="1024" height="1024"></canvas>
<script type="module">
const mode = new URLSearchParams(location.search).get('mode');
const adapter = await navigator.gpu.requestAdapter();
const device = await adapter.requestDevice();
window.errors = [];
device.onuncapturederror = (e) => window.errors.push(e.error.message);
const context = document.getElementById('c').getContext('webgpu');
const format = navigator.gpu.getPreferredCanvasFormat();
context.configure({ device, format, alphaMode: 'opaque' });
const texture = device.createTexture({ size: [512, 512], format: 'r16uint', usage: GPUTextureUsage.TEXTURE_BINDING | GPUTextureUsage.COPY_DST });
const samples = new Uint16Array(512 * 512).map((_, k) => (k * 7) % 4096);
device.queue.writeTexture({ texture }, samples, { bytesPerRow: 1024 }, [512, 512]);
const screen = device.createTexture({ size: [1024, 1024], format: 'r32float', usage: GPUTextureUsage.TEXTURE_BINDING | GPUTextureUsage.COPY_DST });
device.queue.writeTexture({ texture: screen }, new Float32Array(1024 * 1024).map((_, k) => (k * 7) % 4096 - 1024), { bytesPerRow: 4096 }, [1024, 1024]);
const uniform = device.createBuffer({ size: 16, usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST });
const module = device.createShaderModule({ code: \`
@group(0) @binding(0) var samples: texture_2d<u32>;
@group(0) @binding(1) var<uniform> window: vec4f;
@group(0) @binding(2) var values: texture_2d<f32>;
@group(0) @binding(3) var nearest: sampler;
@vertex fn vs(@builtin(vertex_index) i: u32) -> @builtin(position) vec4f {
  let p = array(vec2f(-1, -1), vec2f(3, -1), vec2f(-1, 3));
  return vec4f(p[i], 0, 1);
}
@fragment fn constant() -> @location(0) vec4f { return vec4f(window.x, 0.5, 0.5, 1); }
fn at(p: vec2i) -> f32 { return f32(textureLoad(samples, clamp(p, vec2i(0), vec2i(511)), 0).x); }
@fragment fn grey(@builtin(position) p: vec4f) -> @location(0) vec4f {
  let q = p.xy * 0.5 - 0.25;
  let c = vec2i(floor(q));
  let f = q - floor(q);
  let v = mix(mix(at(c), at(c + vec2i(1, 0)), f.x), mix(at(c + vec2i(0, 1)), at(c + vec2i(1, 1)), f.x), f.y) - 1024.0;
  let g = clamp((v - (window.x - 0.5)) / (window.y - 1.0) + 0.5, 0.0, 1.0);
  return vec4f(g, g, g, 1);
}
@fragment fn cached(@builtin(position) p: vec4f) -> @location(0) vec4f {
  let v = textureSampleLevel(values, nearest, p.xy / 1024.0, 0.0).x;
  let g = clamp((v - (window.x - 0.5)) / (window.y - 1.0) + 0.5, 0.0, 1.0);
  return vec4f(g, g, g, 1);
}\` });
// Explicit layouts: an 'auto' layout would take the r32float values as filterable, which
// they are not, and the bind group would be invalid.
const fragment = GPUShaderStage.FRAGMENT;
const bindings = {
  constant: [[{ binding: 1, visibility: fragment, buffer: {} }], [{ binding: 1, resource: { buffer: uniform } }]],
  grey: [[{ binding: 0, visibility: fragment, texture: { sampleType: 'uint' } }, { binding: 1, visibility: fragment, buffer: {} }],
    [{ binding: 0, resource: texture.createView() }, { binding: 1, resource: { buffer: uniform } }]],
  cached: [[{ binding: 1, visibility: fragment, buffer: {} }, { binding: 2, visibility: fragment, texture: { sampleType: 'unfilterable-float' } },
    { binding: 3, visibility: fragment, sampler: { type: 'non-filtering' } }],
  [{ binding: 1, resource: { buffer: uniform } }, { binding: 2, resource: screen.createView() }, { binding: 3, resource: device.createSampler() }]],
}[mode];
const layout = bindings && device.createBindGroupLayout({ entries: bindings[0] });
const draw = layout && device.createRenderPipeline({
  layout: device.createPipelineLayout({ bindGroupLayouts: [layout] }),
  vertex: { module, entryPoint: 'vs' },
  fragment: { module, entryPoint: mode, targets: [{ format }] },
});
const group = layout && device.createBindGroup({ layout, entries: bindings[1] });
let k = 0;
function frame() {
  k++;
  device.queue.writeBuffer(uniform, 0, new Float32Array(mode !== 'constant' ? [40 + (k % 2) * 40, 400 - (k % 2) * 80, 0, 0] : [(k % 10) / 10, 0, 0, 0]));
  const encoder = device.createCommandEncoder();
  const pass = encoder.beginRenderPass({ colorAttachments: [{ view: context.getCurrentTexture().createView(), loadOp: 'clear', storeOp: 'store', clearValue: [(k % 10) / 10, 0, 0, 1] }] });
  if (draw) {
    pass.setPipeline(draw);
    pass.setBindGroup(0, group);
    pass.draw(3);
  }
  pass.end();
  device.queue.submit([encoder.finish()]);
}
window.run = (ms) => new Promise((ok) => {
  const t0 = performance.now();
  let n = 0;
  const tick = () => {
    frame();
    n++;
    if (performance.now() - t0 < ms) requestAnimationFrame(tick);
    else device.queue.onSubmittedWorkDone().then(() => ok(n * 1000 / (performance.now() - t0)));
  };
  requestAnimationFrame(tick);
});
window.ready = adapter.info ? \`\${adapter.info.vendor} \${adapter.info.architecture} \${adapter.info.description}\`.trim() : 'adapter';
</script>`;

const { server, base } = await serveFiles(() => null, (u, res) => {
  if (u.pathname !== '/floor.html') return false;
  res.writeHead(200, { 'content-type': 'text/html' }).end(page);
  return true;
});
const browser = await chromium.launch({ executablePath: process.env.CHROMIUM || '/usr/bin/chromium', headless: true, args: ['--headless', ...CHROMIUM_ARGS] });
const modes = [
  ['clear the canvas', 'clear'],
  ['clear, then a constant colour over it', 'constant'],
  ['an exact grey frame at the least: 4 texel loads, bilinear, window', 'grey'],
  ['a window over values kept at the canvas size: 1 unfiltered sampled read, window', 'cached'],
];
const rows = [];
let adapter = '';
try {
  for (const [label, mode] of modes) {
    const fps = [];
    for (let run = 0; run < 3; run++) {
      const context = await browser.newContext({ viewport: { width: 1024, height: 1024 } });
      const p = await context.newPage();
      await p.goto(`${base}/floor.html?mode=${mode}`);
      adapter = await p.waitForFunction(() => window.ready).then((h) => h.jsonValue());
      await p.evaluate(() => window.run(500));
      fps.push(await p.evaluate((ms) => window.run(ms), seconds * 1000));
      const errors = await p.evaluate(() => window.errors);
      if (errors.length > 0) throw new Error(`the '${mode}' page raised WebGPU errors: ${errors[0]}`);
      await context.close();
    }
    fps.sort((a, b) => a - b);
    rows.push(`| ${label} | ${fps[1].toFixed(1)} |`);
  }
} finally {
  await browser.close();
  server.close();
}
console.log(`WebGPU frames a second on a 1024 x 1024 canvas (median of 3 loads, ${seconds} s each); adapter: ${adapter}\n`);
console.log('| frame | frames/s |\n| --- | ---: |');
for (const r of rows) console.log(r);
