//! The examples run as a user runs them: `headless` on a real CT, with the file's window
//! and with `--window`, writes a PNG equal, within 1, to the CPU reference pipeline of the
//! same file and window.
//!
//! The example binaries are the ones `cargo test` builds next to this test.

use hounsfield_core::DicomFile;
use hounsfield_core::pipeline::{RenderOptions, VoiSelection, render_frame};
use std::path::{Path, PathBuf};
use std::process::Command;

fn shared_data() -> PathBuf {
    std::env::var_os("HOUNSFIELD_SHARED_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data"))
}

/// `target/<profile>/examples/NAME`, next to this test's `deps` folder.
fn example(name: &str) -> PathBuf {
    let exe = std::env::current_exe().expect("the test's path");
    let dir = exe
        .parent()
        .and_then(Path::parent)
        .expect("target/<profile>");
    let path = dir.join("examples").join(name);
    assert!(
        path.exists(),
        "{} is missing: `cargo test -p hounsfield-render` builds it",
        path.display()
    );
    path
}

fn read_rgba(path: &Path) -> (u32, u32, Vec<u8>) {
    let decoder = png::Decoder::new(std::fs::File::open(path).expect("the PNG"));
    let mut reader = decoder.read_info().expect("a PNG");
    let mut buf = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut buf).expect("PNG data");
    assert_eq!(info.color_type, png::ColorType::Rgba);
    buf.truncate(info.buffer_size());
    (info.width, info.height, buf)
}

#[test]
fn headless_example_equals_the_cpu_reference() {
    let data = shared_data();
    let ct = data.join("ct-philips-brain/I100");
    assert!(
        ct.exists(),
        "{} is missing: run `bash scripts/setup-test-env.sh`",
        ct.display()
    );
    let out_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/examples-test");
    std::fs::create_dir_all(&out_dir).expect("output folder");
    let cases: Vec<(PathBuf, Option<(f64, f64)>)> =
        vec![(ct.clone(), None), (ct.clone(), Some((-600.0, 1500.0)))];
    for (k, (file, window)) in cases.iter().enumerate() {
        let out = out_dir.join(format!("headless-{k}.png"));
        let mut cmd = Command::new(example("headless"));
        cmd.arg(file)
            .arg(&out)
            .env("XDG_RUNTIME_DIR", std::env::temp_dir());
        if let Some((c, w)) = window {
            cmd.arg("--window").arg(format!("{c},{w}"));
        }
        let run = cmd.output().expect("run the example");
        assert!(
            run.status.success(),
            "headless failed: {}",
            String::from_utf8_lossy(&run.stderr)
        );
        let (w, h, rgba) = read_rgba(&out);
        let dicom = DicomFile::open(file).expect("the file");
        let frame = dicom.decode_frame(0).expect("decode");
        let params = dicom.display_parameters(0).expect("parameters");
        let options = RenderOptions {
            voi: window.map_or(VoiSelection::Default, |(center, width)| {
                VoiSelection::Window { center, width }
            }),
            ..RenderOptions::default()
        };
        let reference = render_frame(&frame, &params, &options).expect("CPU reference");
        assert_eq!((w, h), (reference.width, reference.height));
        let channels = reference.channels as usize;
        let worst = rgba
            .chunks_exact(4)
            .zip(reference.pixels.chunks_exact(channels))
            .flat_map(|(g, c)| {
                (0..3).map(move |i| g[i].abs_diff(c[if channels == 1 { 0 } else { i }]))
            })
            .max()
            .unwrap_or(0);
        println!(
            "headless example, {} window {window:?}: {w} x {h}, max diff {worst} vs the CPU reference",
            file.file_name().unwrap_or_default().to_string_lossy()
        );
        assert!(worst <= 1, "the example's PNG differs by {worst}");
    }
}
