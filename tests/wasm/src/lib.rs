//! A minimal C-ABI over hounsfield-core for Node's WebAssembly API: copy a file into
//! memory with `hf_alloc`, decode frame `n` with `hf_decode`, then read the samples
//! (little endian) or the error text through `hf_out_ptr` / `hf_out_len`.

use hounsfield_core::DicomFile;
use std::cell::RefCell;

thread_local! {
    static OUT: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
}

/// Allocates `len` bytes for the caller to fill (never freed: the module is short-lived).
#[unsafe(no_mangle)]
pub extern "C" fn hf_alloc(len: usize) -> *mut u8 {
    let mut v = vec![0u8; len];
    let p = v.as_mut_ptr();
    std::mem::forget(v);
    p
}

/// Decodes frame `frame` of the `len` bytes at `ptr`: 0 on success (samples in the output
/// buffer), 1 on error (the message in the output buffer).
///
/// # Safety
/// `ptr` must point to `len` bytes obtained from `hf_alloc`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn hf_decode(ptr: *const u8, len: usize, frame: usize) -> i32 {
    let bytes = unsafe { std::slice::from_raw_parts(ptr, len) }.to_vec();
    let result = DicomFile::from_bytes("wasm", bytes).and_then(|f| f.decode_frame(frame));
    let (code, out) = match result {
        Ok(fr) => (0, fr.samples.to_le_bytes()),
        Err(e) => (1, e.to_string().into_bytes()),
    };
    OUT.with(|o| *o.borrow_mut() = out);
    code
}

#[unsafe(no_mangle)]
pub extern "C" fn hf_out_ptr() -> *const u8 {
    OUT.with(|o| o.borrow().as_ptr())
}

#[unsafe(no_mangle)]
pub extern "C" fn hf_out_len() -> usize {
    OUT.with(|o| o.borrow().len())
}

#[allow(dead_code)]
#[path = "../../../fuzz/src/lib.rs"]
mod targets;

/// The fuzz targets, in the order `hf_fuzz` numbers them.
const TARGETS: [fn(&[u8]); 8] = [
    targets::decode_file,
    targets::codec_native,
    targets::codec_rle,
    targets::codec_jpeg,
    targets::codec_jpegls,
    targets::codec_jpeg2000,
    targets::palette_segmented,
    targets::series_headers,
];

/// Runs fuzz target `target` (see `TARGETS`) on the `len` bytes at `ptr`: 0 when it
/// returns, -1 for an unknown target. A panic traps (the module is built with overflow
/// checks, profile `probe`).
///
/// # Safety
/// `ptr` must point to `len` bytes obtained from `hf_alloc`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn hf_fuzz(target: usize, ptr: *const u8, len: usize) -> i32 {
    let bytes = unsafe { std::slice::from_raw_parts(ptr, len) };
    match TARGETS.get(target) {
        Some(f) => {
            f(bytes);
            0
        }
        None => -1,
    }
}
