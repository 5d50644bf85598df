//! C allocation functions for the pure-Rust OpenJPEG port (`openjp2`) in the browser
//! build: it calls `malloc`, `calloc`, `realloc` and `free` as a C library would, and
//! `wasm32-unknown-unknown` has no C library. They are served by Rust's allocator, with
//! the size kept in a 16-byte header; `free(NULL)` and `realloc(NULL, n)` behave as in C.

use std::alloc::{Layout, alloc, alloc_zeroed, dealloc, realloc as rs_realloc};
use std::ffi::c_void;
use std::ptr::null_mut;

const HEADER: usize = 16;

fn layout(total: usize) -> Option<Layout> {
    Layout::from_size_align(total, HEADER).ok()
}

unsafe fn finish(base: *mut u8, total: usize) -> *mut c_void {
    if base.is_null() {
        return null_mut();
    }
    unsafe {
        (base as *mut usize).write(total);
        base.add(HEADER) as *mut c_void
    }
}

/// # Safety
/// C semantics: the result is freed with `free`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn malloc(size: usize) -> *mut c_void {
    let Some(total) = size.checked_add(HEADER) else {
        return null_mut();
    };
    let Some(l) = layout(total) else {
        return null_mut();
    };
    unsafe { finish(alloc(l), total) }
}

/// # Safety
/// C semantics: the result is freed with `free`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn calloc(n: usize, size: usize) -> *mut c_void {
    let Some(total) = n.checked_mul(size).and_then(|s| s.checked_add(HEADER)) else {
        return null_mut();
    };
    let Some(l) = layout(total) else {
        return null_mut();
    };
    unsafe { finish(alloc_zeroed(l), total) }
}

/// # Safety
/// `ptr` is null or came from these functions and was not freed.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn free(ptr: *mut c_void) {
    if ptr.is_null() {
        return;
    }
    unsafe {
        let base = (ptr as *mut u8).sub(HEADER);
        let total = (base as *const usize).read();
        if let Some(l) = layout(total) {
            dealloc(base, l);
        }
    }
}

/// # Safety
/// `ptr` is null or came from these functions and was not freed.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn realloc(ptr: *mut c_void, size: usize) -> *mut c_void {
    if ptr.is_null() {
        return unsafe { malloc(size) };
    }
    if size == 0 {
        unsafe { free(ptr) };
        return null_mut();
    }
    let Some(total) = size.checked_add(HEADER) else {
        return null_mut();
    };
    unsafe {
        let base = (ptr as *mut u8).sub(HEADER);
        let old = (base as *const usize).read();
        let Some(l) = layout(old) else {
            return null_mut();
        };
        finish(rs_realloc(base, l, total), total)
    }
}

/// `strcpy`, also imported by `openjp2`.
///
/// # Safety
/// C semantics: `src` is NUL-terminated and `dst` holds it.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn strcpy(
    dst: *mut std::ffi::c_char,
    src: *const std::ffi::c_char,
) -> *mut std::ffi::c_char {
    let mut i = 0;
    unsafe {
        loop {
            let c = *src.add(i);
            *dst.add(i) = c;
            if c == 0 {
                return dst;
            }
            i += 1;
        }
    }
}

/// The global allocator of the browser build: the system allocator, except that
/// `dealloc` of a null pointer does nothing. `openjp2` releases code-block buffers that
/// were never allocated (null) with `std::alloc::dealloc`, which natively reaches libc's
/// `free(NULL)` harmlessly but corrupts wasm's dlmalloc. Applications that install their
/// own allocator turn the `wasm-allocator` feature off and must tolerate the same.
#[cfg(feature = "wasm-allocator")]
struct NullTolerant;

#[cfg(feature = "wasm-allocator")]
unsafe impl std::alloc::GlobalAlloc for NullTolerant {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        unsafe { std::alloc::System.alloc(layout) }
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        unsafe { std::alloc::System.alloc_zeroed(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        if !ptr.is_null() {
            unsafe { std::alloc::System.dealloc(ptr, layout) }
        }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        unsafe { std::alloc::System.realloc(ptr, layout, new_size) }
    }
}

#[cfg(feature = "wasm-allocator")]
#[global_allocator]
static ALLOCATOR: NullTolerant = NullTolerant;
