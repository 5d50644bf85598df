// Replays fuzz/regressions/TARGET/* through the fuzz targets built for wasm32 (32-bit
// usize, overflow checks on): every input must return; a trap (panic, overflow,
// unreachable) is reported with the input's path and the module is instantiated afresh.
// Usage: node fuzz.mjs MODULE.wasm REGRESSIONS_DIR. Exits 1 when any input traps.
import fs from 'node:fs';
import path from 'node:path';

const TARGETS = ['decode_file', 'codec_native', 'codec_rle', 'codec_jpeg', 'codec_jpegls',
  'codec_jpeg2000', 'palette_segmented', 'series_headers'];  // not DICOMweb: see fuzz/src/lib.rs
const [wasmPath, dir] = process.argv.slice(2);
const module = await WebAssembly.compile(fs.readFileSync(wasmPath));
let e = (await WebAssembly.instantiate(module, {})).exports;
let replayed = 0;
const failed = [];
for (const [index, target] of TARGETS.entries()) {
  const files = fs.readdirSync(path.join(dir, target)).sort();
  if (files.length === 0) failed.push(`${target}: no inputs`);
  for (const name of files) {
    const file = path.join(dir, target, name);
    const bytes = fs.readFileSync(file);
    try {
      const ptr = e.hf_alloc(bytes.length);
      new Uint8Array(e.memory.buffer, ptr, bytes.length).set(bytes);
      if (e.hf_fuzz(index, ptr, bytes.length) !== 0) throw new Error('unknown target');
    } catch (err) {
      failed.push(`${file}: ${err}`);
      e = (await WebAssembly.instantiate(module, {})).exports;
    }
    replayed += 1;
  }
}
console.log(`wasm32 fuzz regressions: ${replayed} inputs replayed, ${failed.length} failed`);
for (const f of failed) console.log(`  ${f}`);
process.exit(failed.length === 0 ? 0 : 1);
