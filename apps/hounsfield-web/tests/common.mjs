// What the browser tests share: reading PNG files, the native render to compare with, the
// comparison, and the Chromium flags for WebGPU on SwiftShader.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

// pngjs, installed by build.sh under target/node.
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const { PNG } = createRequire(path.join(root, 'target/node/'))('pngjs');

// The canvas pixels of the viewers `expr` names in `page` (one, or an array of them), as
// {width, height, data}: brought over as base64, in a fraction of the time a JSON array of
// millions of numbers takes.
export async function canvasPixels(page, expr = 'window.hounsfield') {
  const encoded = await page.evaluate((expr) => {
    const b64 = (p) => {
      let s = '';
      for (let i = 0; i < p.data.length; i += 0x8000) s += String.fromCharCode.apply(null, p.data.subarray(i, i + 0x8000));
      return { width: p.width, height: p.height, b64: btoa(s) };
    };
    // eslint-disable-next-line no-eval
    const v = (0, eval)(expr);
    return Array.isArray(v) ? v.map((x) => b64(x.pixels())) : b64(v.pixels());
  }, expr);
  const decode = (e) => ({ width: e.width, height: e.height, data: Buffer.from(e.b64, 'base64') });
  return Array.isArray(encoded) ? encoded.map(decode) : decode(encoded);
}

// Prints each check; `failures()` counts the failed ones.
export function checker() {
  let failed = 0;
  const check = (ok, what) => {
    console.log(`${ok ? 'ok  ' : 'FAIL'} ${what}`);
    if (!ok) failed++;
  };
  return { check, failures: () => failed };
}

// Exits with a message naming what is missing when a prerequisite ([path, what]) is absent.
export function requirePaths(prerequisites) {
  for (const [p, what] of prerequisites) {
    if (!fs.existsSync(p)) {
      console.error(`missing: ${what} at ${p}`);
      process.exit(1);
    }
  }
}

// Debian's Chromium, headless, WebGPU on SwiftShader (a CPU Vulkan device).
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-quic',
  '--enable-unsafe-webgpu',
  '--enable-features=Vulkan',
  '--use-vulkan=swiftshader',
  '--use-angle=swiftshader',
];

// A PNG file as {width, height, rgb} (pngjs, any bit depth and colour type).
export function readPng(file) {
  const { width, height, data } = PNG.sync.read(fs.readFileSync(file));
  const rgb = Buffer.alloc(width * height * 3);
  for (let i = 0; i < width * height; i++) data.copy(rgb, i * 3, i * 4, i * 4 + 3);
  return { width, height, rgb };
}

// The native render of `file` at the canvas size, with `args`, by the binary `bin`
// (PNG files under `tmp`).
export const nativeRenderer = (bin, tmp) => (file, size, args) => {
  const out = path.join(tmp, `native-${Math.random().toString(36).slice(2)}.png`);
  // The GPU unless the caller asks for the CPU reference (`--cpu`).
  const renderer = args.includes('--cpu') ? [] : ['--renderer', 'gpu'];
  execFileSync(bin, ['render', file, '-o', out, '--size', `${size[0]}x${size[1]}`, '--filter', 'linear', ...renderer, ...args], {
    env: { ...process.env, XDG_RUNTIME_DIR: tmp },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  return readPng(out);
};

// Largest difference between the canvas (RGBA) and a native render (RGB), over the whole
// canvas or the rectangle `rect` of it (device pixels) that `ref` covers.
export function maxDiff(pixels, ref, rect = [0, 0, pixels.width, pixels.height]) {
  const [x0, y0, w, h] = rect;
  if (w !== ref.width || h !== ref.height) return 999;
  let worst = 0;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const i = ((y0 + y) * pixels.width + x0 + x) * 4;
      const j = (y * w + x) * 3;
      for (let k = 0; k < 3; k++) worst = Math.max(worst, Math.abs(pixels.data[i + k] - ref.rgb[j + k]));
    }
  }
  return worst;
}


// A local HTTP server on a free port for the browser tests and the benchmark: `resolve`
// maps a decoded URL path to a file (or null), `handle(url, res)` may answer a request
// itself (returns true). Resolves to {server, base}.
const TYPES = { '.html': 'text/html', '.js': 'text/javascript', '.mjs': 'text/javascript', '.wasm': 'application/wasm', '.css': 'text/css', '.json': 'application/json' };
export async function serveFiles(resolve, handle = () => false) {
  const server = http.createServer((req, res) => {
    const url = new URL(req.url, 'http://x');
    if (handle(url, res)) return;
    const file = resolve(decodeURIComponent(url.pathname));
    if (!file || !fs.existsSync(file) || fs.statSync(file).isDirectory()) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': TYPES[path.extname(file)] || 'application/octet-stream' });
    fs.createReadStream(file).pipe(res);
  });
  await new Promise((ok) => server.listen(0, '127.0.0.1', ok));
  return { server, base: `http://127.0.0.1:${server.address().port}` };
}

// Chromium's renderer processes (Linux /proc): each fresh context's page gets its own,
// where its workers run too.
export function rendererProcesses() {
  return fs.readdirSync('/proc').filter((pid) => {
    try {
      return /^\d+$/.test(pid) && fs.readFileSync(`/proc/${pid}/cmdline`, 'latin1').includes('--type=renderer');
    } catch {
      return false;
    }
  });
}

// The private memory (USS: what a process holds alone, not the shared libraries) of the
// processes `pids`, in bytes.
export function privateMemory(pids) {
  return pids.reduce((sum, pid) => {
    try {
      const t = fs.readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
      const kb = (k) => Number((t.match(new RegExp(`${k}:\\s+(\\d+) kB`)) || [0, 0])[1]);
      return sum + (kb('Private_Clean') + kb('Private_Dirty')) * 1024;
    } catch {
      return sum;
    }
  }, 0);
}
