// Decodes frame 1 of each file with the WebAssembly build of hounsfield-core.
// Usage: node decode.mjs MODULE.wasm OUT_DIR FILE...
// Writes OUT_DIR/<i>.bin (samples, little endian) or OUT_DIR/<i>.err (the message).
import fs from 'node:fs';

const [wasmPath, outDir, ...files] = process.argv.slice(2);
const { instance } = await WebAssembly.instantiate(fs.readFileSync(wasmPath), {});
const e = instance.exports;
for (const [i, file] of files.entries()) {
  const bytes = fs.readFileSync(file);
  const ptr = e.hf_alloc(bytes.length);
  new Uint8Array(e.memory.buffer, ptr, bytes.length).set(bytes);
  const started = performance.now();
  const code = e.hf_decode(ptr, bytes.length, 0);
  const ms = performance.now() - started;
  const out = new Uint8Array(e.memory.buffer, e.hf_out_ptr(), e.hf_out_len()).slice();
  fs.writeFileSync(`${outDir}/${i}.${code === 0 ? 'bin' : 'err'}`, out);
  console.log(`${file}: ${code === 0 ? `${out.length} bytes` : 'error'} in ${ms.toFixed(1)} ms`);
}
