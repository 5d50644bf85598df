#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| hounsfield_fuzz::codec_rle(data));
