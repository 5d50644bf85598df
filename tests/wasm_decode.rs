//! The browser build decodes like the native one: the WebAssembly module of
//! `tests/wasm` (hounsfield-core without C code: `openjp2` for JPEG 2000, this crate's
//! JPEG and JPEG-LS decoders) runs in Node on a JPEG 2000, a colour JPEG-LS, RLE, JPEG
//! lossless, 12-bit JPEG and more, and must give the native samples byte for byte.
//!
//! The same module replays the fuzz regressions on 32-bit `usize` with overflow checks
//! on, so that wrap-arounds of lengths cannot hide behind 64-bit arithmetic.
//!
//! `scripts/test.sh` builds the module first (`cargo build --profile probe --target
//! wasm32-unknown-unknown -p hounsfield-wasm-probe`).

use hounsfield_conformance::{corpus, generated_corpus, missing, root};
use hounsfield_core::DicomFile;
use std::process::Command;

const FILES: &[&str] = &[
    "pydicom/MR_small_jp2klossless.dcm",
    "pydicom/GDCMJ2K_TextGBR.dcm",
    "pydicom-data/US1_J2KI.dcm",
    "pydicom/SC_rgb_jls_lossy_sample.dcm",
    "pydicom/SC_rgb_jls_lossy_line.dcm",
    "pydicom-data/emri_small_jpeg_ls_lossless.dcm",
    "pydicom/MR_small_RLE.dcm",
    "pydicom/SC_rgb_rle_32bit.dcm",
    "pydicom-data/JPGLosslessP14SV1_1s_1f_8b.dcm",
    "pydicom/SC_rgb_jpeg_gdcm.dcm",
    "pydicom/JPGExtended.dcm",
    "pydicom/SC_rgb_jpeg_dcmtk.dcm",
    "pydicom/image_dfl.dcm",
    "pydicom/ExplVR_BigEnd.dcm",
];

const GENERATED: &[&str] = &[
    "CT_small--htj2k",
    "US1_UNCR--htj2k-lossy",
    "emri_small--htj2k-rpcl",
    "US1_UNCR--jls-none",
    "SC_rgb_16bit--jls-sample",
    "US1_UNCR--jpeg-prog",
    "RG3_UNCR--jpeg-prog12",
    "CT_small--jpeg-ll-sv7",
];

/// The probe module, where cargo put it: CARGO_TARGET_DIR when set, else the
/// workspace's target/.
fn probe_module() -> Option<std::path::PathBuf> {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map_or_else(|| root().join("target"), std::path::PathBuf::from);
    let module = target.join("wasm32-unknown-unknown/probe/hounsfield_wasm_probe.wasm");
    module.exists().then_some(module)
}

#[test]
fn fuzz_regressions_run_to_completion_on_wasm32() {
    let Some(module) = probe_module() else {
        return missing("the WebAssembly probe module");
    };
    let status = Command::new("node")
        .arg(root().join("tests/wasm/fuzz.mjs"))
        .arg(&module)
        .arg(root().join("fuzz/regressions"))
        .status();
    match status {
        Err(e) => missing(&format!("Node.js ({e})")),
        Ok(s) => assert!(s.success(), "fuzz regressions trap on wasm32 (see above)"),
    }
}

#[test]
fn wasm_build_decodes_like_native() {
    let Some(corpus) = corpus() else {
        return missing("the test corpus");
    };
    let Some(module) = probe_module() else {
        return missing("the WebAssembly probe module");
    };
    let mut labels: Vec<String> = FILES.iter().map(|s| s.to_string()).collect();
    let mut paths: Vec<_> = FILES
        .iter()
        .map(|l| {
            corpus
                .iter()
                .find(|f| f.label == *l)
                .unwrap_or_else(|| panic!("{l} not in corpus"))
                .path
                .clone()
        })
        .collect();
    // HTJ2K, progressive JPEG and uninterleaved colour JPEG-LS from the generated corpus.
    let Some(generated) = generated_corpus(&corpus) else {
        return missing("the generated corpus (encoders)");
    };
    for name in GENERATED {
        let e = generated
            .iter()
            .find(|e| e["name"] == *name && e.get("error").is_none())
            .unwrap_or_else(|| panic!("{name} was not generated"));
        labels.push(name.to_string());
        paths.push(e["path"].as_str().unwrap_or_default().into());
    }
    let out = root().join("target/oracle/wasm");
    let _ = std::fs::remove_dir_all(&out);
    std::fs::create_dir_all(&out).expect("out dir");
    let status = Command::new("node")
        .arg(root().join("tests/wasm/decode.mjs"))
        .arg(&module)
        .arg(&out)
        .args(&paths)
        .status();
    match status {
        Err(e) => return missing(&format!("Node.js ({e})")),
        Ok(s) => assert!(s.success(), "node failed"),
    }
    for (i, (label, path)) in labels.iter().zip(&paths).enumerate() {
        let native = DicomFile::open(path)
            .and_then(|f| f.decode_frame(0))
            .unwrap_or_else(|e| panic!("{e}"));
        let wasm = std::fs::read(out.join(format!("{i}.bin"))).unwrap_or_else(|_| {
            let err = std::fs::read_to_string(out.join(format!("{i}.err"))).unwrap_or_default();
            panic!("{label}: the wasm build fails: {err}")
        });
        assert!(
            wasm == native.samples.to_le_bytes(),
            "{label}: wasm and native samples differ"
        );
        println!("{label}: {} bytes identical", wasm.len());
    }
}
