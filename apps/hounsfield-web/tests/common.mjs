// What the browser tests share: a PNG reader, the native render to compare with, the
// comparison, and the Chromium flags for WebGPU on SwiftShader.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';

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

// ---- a small PNG reader (8-bit grey, grey+alpha, RGB, RGBA; not interlaced) ----
export function readPng(file) {
  const buf = fs.readFileSync(file);
  let pos = 8;
  let width = 0;
  let height = 0;
  let type = 0;
  const idat = [];
  while (pos < buf.length) {
    const len = buf.readUInt32BE(pos);
    const kind = buf.toString('latin1', pos + 4, pos + 8);
    const data = buf.subarray(pos + 8, pos + 8 + len);
    if (kind === 'IHDR') {
      width = data.readUInt32BE(0);
      height = data.readUInt32BE(4);
      if (data[8] !== 8 || data[12] !== 0) throw new Error(`${file}: unsupported PNG`);
      type = data[9];
    } else if (kind === 'IDAT') idat.push(data);
    pos += 12 + len;
  }
  const channels = { 0: 1, 4: 2, 2: 3, 6: 4 }[type];
  const raw = zlib.inflateSync(Buffer.concat(idat));
  const stride = width * channels;
  const out = Buffer.alloc(height * stride);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)];
    const line = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
    for (let x = 0; x < stride; x++) {
      const a = x >= channels ? out[y * stride + x - channels] : 0;
      const b = y > 0 ? out[(y - 1) * stride + x] : 0;
      const c = x >= channels && y > 0 ? out[(y - 1) * stride + x - channels] : 0;
      let v = line[x];
      if (filter === 1) v += a;
      else if (filter === 2) v += b;
      else if (filter === 3) v += (a + b) >> 1;
      else if (filter === 4) {
        const p = a + b - c;
        const pa = Math.abs(p - a);
        const pb = Math.abs(p - b);
        const pc = Math.abs(p - c);
        v += pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
      }
      out[y * stride + x] = v & 255;
    }
  }
  // As RGB.
  const rgb = Buffer.alloc(width * height * 3);
  for (let i = 0; i < width * height; i++) {
    for (let k = 0; k < 3; k++) rgb[i * 3 + k] = out[i * channels + (channels < 3 ? 0 : k)];
  }
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

