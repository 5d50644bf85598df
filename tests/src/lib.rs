//! Shared helpers of the conformance tests: the real-file corpus, the external oracles
//! (pydicom, DCMTK) and comparison utilities.
//!
//! The corpus is the PyPI wheels `pydicom==3.0.2` and `pydicom-data==1.0.0`, unpacked by
//! `scripts/setup-test-env.sh` under `target/testdata/`, plus `../shared/data`. A missing
//! corpus or oracle is a test failure (with the command that installs it), never a skip,
//! unless `HOUNSFIELD_ALLOW_MISSING_ORACLES=1` is set for a quick local run.

pub mod display;
pub mod heap;
pub mod orthanc;
pub mod xvfb;

use std::path::{Path, PathBuf};
use std::process::Command;

/// The workspace root.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("workspace root")
        .to_path_buf()
}

/// Where the setup script unpacks the wheels (`HOUNSFIELD_TESTDATA` overrides).
pub fn testdata_dir() -> PathBuf {
    std::env::var_os("HOUNSFIELD_TESTDATA")
        .map_or_else(|| root().join("target/testdata"), PathBuf::from)
}

/// The shared real data beside the checkout (`HOUNSFIELD_SHARED_DATA` overrides).
pub fn shared_data_dir() -> PathBuf {
    std::env::var_os("HOUNSFIELD_SHARED_DATA")
        .map_or_else(|| root().join("../shared/data"), PathBuf::from)
}

/// `rel` under the shared data (a file or a folder); when absent, a failure (or a loud
/// skip where allowed, see [`missing`]) and `None`.
pub fn shared(rel: &str) -> Option<PathBuf> {
    let p = shared_data_dir().join(rel);
    if p.exists() {
        Some(p)
    } else {
        missing(&p.display().to_string());
        None
    }
}

/// Reads an 8-bit PNG (grey, grey + alpha, RGB or RGBA) as RGB rows: width, height, bytes.
pub fn read_png_rgb(path: &Path) -> (u32, u32, Vec<u8>) {
    let file = std::fs::File::open(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut decoder = png::Decoder::new(std::io::BufReader::new(file));
    decoder.set_transformations(png::Transformations::EXPAND | png::Transformations::STRIP_16);
    let mut reader = decoder
        .read_info()
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut buf = vec![0; reader.output_buffer_size()];
    let info = reader
        .next_frame(&mut buf)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    buf.truncate(info.buffer_size());
    let rgb = match info.color_type.samples() {
        3 => buf,
        4 => buf
            .chunks_exact(4)
            .flat_map(|p| [p[0], p[1], p[2]])
            .collect(),
        1 => buf.iter().flat_map(|&g| [g, g, g]).collect(),
        2 => buf
            .chunks_exact(2)
            .flat_map(|p| [p[0], p[0], p[0]])
            .collect(),
        n => panic!("{}: {n} channels", path.display()),
    };
    (info.width, info.height, rgb)
}

/// The Python of the test virtual environment (`HOUNSFIELD_PYTHON` overrides).
pub fn python() -> PathBuf {
    std::env::var_os("HOUNSFIELD_PYTHON")
        .map_or_else(|| root().join("target/venv/bin/python"), PathBuf::from)
}

/// Runs `script` with the test Python (in the repository root) with `args`; returns its
/// standard output, panicking with its standard error when it fails.
pub fn run_python<S: AsRef<std::ffi::OsStr>>(script: &str, args: &[S]) -> Vec<u8> {
    let out = std::process::Command::new(python())
        .args(["-c", script])
        .args(args)
        .current_dir(root())
        .output()
        .expect("run python");
    assert!(
        out.status.success(),
        "the Python script failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// Runs `script` with the test Python, one path per line on its standard input, and
/// returns its output lines: the pydicom oracles answer one JSON line per path. Panics
/// when the script fails or does not answer once per path.
pub fn python_per_path(script: &str, paths: &[&Path]) -> Vec<String> {
    use std::io::Write;
    let mut child = std::process::Command::new(python())
        .args(["-c", script])
        .current_dir(root())
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("run python");
    {
        let mut stdin = child.stdin.take().expect("stdin");
        for p in paths {
            writeln!(stdin, "{}", p.display()).expect("write the list");
        }
    }
    let out = child.wait_with_output().expect("python output");
    assert!(out.status.success(), "the pydicom script failed");
    let lines: Vec<String> = String::from_utf8(out.stdout)
        .expect("utf-8")
        .lines()
        .map(str::to_string)
        .collect();
    assert_eq!(lines.len(), paths.len(), "one answer per file");
    lines
}

/// Every corpus file that opens and that `keep` accepts, with pydicom's answer for it
/// (`script` as [`python_per_path`] runs it, one JSON value per file). None, having said
/// so through [`missing`], when the corpus or the pydicom oracle is missing.
pub fn pydicom_per_file(
    script: &str,
    keep: impl Fn(&hounsfield_core::DicomFile) -> bool,
) -> Option<Vec<(CorpusFile, hounsfield_core::DicomFile, serde_json::Value)>> {
    let Some(files) = corpus() else {
        missing("the test corpus (pydicom wheels and ../shared/data)");
        return None;
    };
    if !python().exists() {
        missing("the pydicom oracle (target/venv)");
        return None;
    }
    let opened: Vec<_> = files
        .into_iter()
        .filter_map(|f| {
            hounsfield_core::DicomFile::open(&f.path)
                .ok()
                .map(|d| (f, d))
        })
        .filter(|(_, d)| keep(d))
        .collect();
    let paths: Vec<&Path> = opened.iter().map(|(f, _)| f.path.as_path()).collect();
    let lines = python_per_path(script, &paths);
    Some(
        opened
            .into_iter()
            .zip(lines)
            .map(|((f, d), line)| {
                let value = serde_json::from_str(&line).expect("the oracle answers JSON");
                (f, d, value)
            })
            .collect(),
    )
}

/// Runs `tests/scripts/SCRIPT SOURCE OUT`, SOURCE the shared real CT
/// (`ct-philips-brain`), into `out` (emptied first), once the Python modules `needs` import;
/// returns the JSON the script prints. None, having said so, when the series or a module
/// is missing; panics with the script's standard error when it fails.
pub fn made_from_ct(script: &str, needs: &str, out: &Path) -> Option<serde_json::Value> {
    let source = shared("ct-philips-brain")?;
    if !std::process::Command::new(python())
        .args(["-c", &format!("import {needs}")])
        .status()
        .is_ok_and(|s| s.success())
    {
        missing(&format!("{needs} in target/venv"));
        return None;
    }
    let _ = std::fs::remove_dir_all(out);
    std::fs::create_dir_all(out).expect("output folder");
    let made = std::process::Command::new(python())
        .arg(root().join("tests/scripts").join(script))
        .arg(&source)
        .arg(out)
        .output()
        .unwrap_or_else(|e| panic!("run {script}: {e}"));
    assert!(
        made.status.success(),
        "{script}: {}",
        String::from_utf8_lossy(&made.stderr)
    );
    Some(serde_json::from_slice(&made.stdout).unwrap_or_else(|e| panic!("{script}: {e}")))
}

/// Makes multi-stack and 4D series from real CT slices with `tests/scripts/make_4d.py`
/// into `out` (emptied first), and returns what the script says of their organisation:
/// for each folder, its stacks, their time points, their frames in slice order as
/// [file name, frame, sum of stored values]. None, having said so, when the source series
/// or the pydicom oracle is missing.
pub fn make_4d(out: &Path) -> Option<serde_json::Value> {
    made_from_ct("make_4d.py", "pydicom", out)
}

/// Makes DICOM Segmentations of three slices of the shared CT with highdicom
/// (`tests/scripts/make_seg.py`) into `out` (emptied first): `binary.seg.dcm`,
/// `fractional.seg.dcm`, `labelmap.seg.dcm`, `unreferenced.seg.dcm`, and per source slice
/// highdicom's masks (`UID.NAME.npy`). Returns what the script says: the slices (`path`,
/// `uid`, segment numbers) and highdicom's colours of the segments (`rgb`). None, having
/// said so, when the series or highdicom is missing.
pub fn make_segmentations(out: &Path) -> Option<serde_json::Value> {
    made_from_ct("make_seg.py", "highdicom, PIL", out)
}

/// The `hounsfield` command line, `target/<profile>/hounsfield` next to the running
/// test's `deps` folder (`cargo test --workspace` builds it).
pub fn hounsfield_bin() -> PathBuf {
    let exe = std::env::current_exe().expect("the test's path");
    let bin = exe
        .parent()
        .and_then(Path::parent)
        .expect("target/<profile>")
        .join(format!("hounsfield{}", std::env::consts::EXE_SUFFIX));
    assert!(
        bin.exists(),
        "{} is missing: `cargo test --workspace` builds it",
        bin.display()
    );
    bin
}

/// Whether a missing oracle may be skipped (local convenience only; CI never sets it).
pub fn allow_missing() -> bool {
    std::env::var("HOUNSFIELD_ALLOW_MISSING_ORACLES").is_ok_and(|v| v == "1")
}

/// Fails (or, when allowed, skips loudly) because something the test needs is absent.
/// Returns normally only when skipping is allowed.
pub fn missing(what: &str) {
    let msg = format!(
        "{what} is missing: run `bash scripts/setup-test-env.sh` (the README's test command does)"
    );
    if allow_missing() {
        eprintln!("\n*** SKIPPED: {msg} ***\n");
    } else {
        panic!("{msg}");
    }
}

/// One file of the corpus.
#[derive(Debug, Clone)]
pub struct CorpusFile {
    /// A stable, unique, filesystem-safe name (`pydicom/test_files/CT_small.dcm` → `pydicom__test_files__CT_small.dcm`).
    pub name: String,
    /// A short name for tables.
    pub label: String,
    pub path: PathBuf,
}

const NOT_DICOM: &[&str] = &["txt", "md", "png", "json", "dump", "icc", "gz", "py", "pyc"];

fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<_> = rd.filter_map(|e| e.ok()).map(|e| e.path()).collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            walk(&p, out);
        } else if !p
            .extension()
            .and_then(|e| e.to_str())
            .is_some_and(|e| NOT_DICOM.contains(&e.to_ascii_lowercase().as_str()))
        {
            out.push(p);
        }
    }
}

/// Every candidate file of the corpus, in a stable order. Returns `None` when a part of
/// the corpus is absent.
pub fn corpus() -> Option<Vec<CorpusFile>> {
    let td = testdata_dir();
    let roots = [
        ("pydicom", td.join("pydicom-3.0.2/pydicom/data/test_files")),
        ("palettes", td.join("pydicom-3.0.2/pydicom/data/palettes")),
        (
            "pydicom-data",
            td.join("pydicom-data-1.0.0/data_store/data"),
        ),
        ("shared", shared_data_dir()),
    ];
    let mut out = Vec::new();
    for (prefix, dir) in roots {
        if !dir.is_dir() {
            return None;
        }
        let mut files = Vec::new();
        walk(&dir, &mut files);
        for path in files {
            let rel = path
                .strip_prefix(&dir)
                .unwrap_or(&path)
                .to_string_lossy()
                .replace('\\', "/");
            out.push(CorpusFile {
                name: format!("{prefix}__{}", rel.replace('/', "__")),
                label: format!("{prefix}/{rel}"),
                path,
            });
        }
    }
    Some(out)
}

/// The pydicom reference of one file.
#[derive(Debug, Clone)]
pub enum Reference {
    /// pydicom decoded it: the compared frames with their samples as f64.
    Decoded {
        frames: usize,
        compared: Vec<(usize, Vec<f64>)>,
        shape: Vec<usize>,
        dtype: String,
    },
    /// The file has no pixel data.
    NoPixelData,
    /// pydicom could not decode it, with its message.
    Failed(String),
}

/// Runs the pydicom reference script over `files` (cached under `target/oracle/pydicom`)
/// and loads the results. Returns `None` when Python or pydicom is unavailable.
pub fn pydicom_references(files: &[CorpusFile]) -> Option<Vec<Reference>> {
    let py = python();
    if !py.exists() {
        return None;
    }
    let out = root().join("target/oracle/pydicom");
    std::fs::create_dir_all(&out).ok()?;
    let list = out.join("files.tsv");
    let text: String = files
        .iter()
        .map(|f| format!("{}\t{}\n", f.name, f.path.display()))
        .collect();
    std::fs::write(&list, text).ok()?;
    let status = Command::new(&py)
        .arg(root().join("tests/scripts/pydicom_reference.py"))
        .arg(&out)
        .arg(&list)
        .status()
        .ok()?;
    if !status.success() {
        return None;
    }
    Some(
        files
            .iter()
            .map(|f| load_reference(&out.join(&f.name)))
            .collect(),
    )
}

fn load_reference(dir: &Path) -> Reference {
    let Some(json) = std::fs::read_to_string(dir.join("manifest.json"))
        .ok()
        .and_then(|t| serde_json::from_str::<serde_json::Value>(&t).ok())
    else {
        return Reference::Failed("no manifest written".into());
    };
    let usizes = |key: &str| -> Vec<usize> {
        json[key]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|v| v.as_u64())
                    .map(|v| v as usize)
                    .collect()
            })
            .unwrap_or_default()
    };
    match json["status"].as_str().unwrap_or("?") {
        "no-pixel-data" => Reference::NoPixelData,
        "ok" => {
            let dtype = json["dtype"].as_str().unwrap_or("").to_string();
            let compared = usizes("compared")
                .into_iter()
                .map(|i| {
                    let bytes =
                        std::fs::read(dir.join(format!("frame_{i}.bin"))).unwrap_or_default();
                    (i, decode_dtype(&dtype, &bytes))
                })
                .collect();
            Reference::Decoded {
                frames: json["frames"].as_u64().unwrap_or(1) as usize,
                compared,
                shape: usizes("shape"),
                dtype,
            }
        }
        _ => Reference::Failed(json["error"].as_str().unwrap_or("unknown").to_string()),
    }
}

/// The sources of the generated corpus (`tests/scripts/generate_corpus.py`).
pub const GENERATED_SOURCES: &[&str] = &[
    "pydicom/CT_small.dcm",
    "pydicom/MR_small.dcm",
    "shared/mr-12bit/12bitUnsigned.dcm",
    "pydicom-data/SC_rgb.dcm",
    "pydicom-data/US1_UNCR.dcm",
    "pydicom-data/emri_small.dcm",
    "pydicom-data/RG3_UNCR.dcm",
    "pydicom-data/SC_rgb_16bit.dcm",
    "pydicom-data/OBXXXX1A.dcm",
];

/// Runs the corpus generator (cached under `target/generated`) and returns its manifest
/// entries. `None` when the encoders or Python are missing.
pub fn generated_corpus(corpus: &[CorpusFile]) -> Option<Vec<serde_json::Value>> {
    if !python().exists() || Command::new("ojph_compress").arg("-h").output().is_err() {
        return None;
    }
    let sources: Vec<PathBuf> = GENERATED_SOURCES
        .iter()
        .map(|l| {
            corpus
                .iter()
                .find(|f| f.label == *l)
                .map(|f| f.path.clone())
        })
        .collect::<Option<_>>()?;
    let out = root().join("target/generated");
    let status = Command::new(python())
        .arg(root().join("tests/scripts/generate_corpus.py"))
        .arg(&out)
        .args(&sources)
        .status()
        .ok()?;
    if !status.success() {
        return None;
    }
    let text = std::fs::read_to_string(out.join("manifest.json")).ok()?;
    let manifest: serde_json::Value = serde_json::from_str(&text).ok()?;
    manifest["files"].as_array().cloned()
}

/// Decompresses a corpus file with DCMTK (`dcmdjpeg` for JPEG, `dcmdjpls` for JPEG-LS,
/// `dcmdrle` for RLE, `dcmconv +te` for native data; GDCM's `gdcmconv --raw` for JPEG
/// 2000, which DCMTK does not decode) into `target/oracle/dcmtk/`,
/// cached; returns the path of the uncompressed copy.
pub fn dcmtk_decompress(file: &CorpusFile) -> Result<PathBuf, String> {
    let dir = root().join("target/oracle/dcmtk");
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    let out = dir.join(format!("{}.dcm", file.name));
    if out.exists() {
        return Ok(out);
    }
    let opened = hounsfield_core::DicomFile::open(&file.path).map_err(|e| e.to_string())?;
    let uid = opened.transfer_syntax().uid.clone();
    let (tool, args): (&str, Vec<String>) = match opened.transfer_syntax().codec {
        hounsfield_core::Codec::Jpeg => ("dcmdjpeg", vec![]),
        hounsfield_core::Codec::JpegLs => ("dcmdjpls", vec![]),
        hounsfield_core::Codec::Rle => ("dcmdrle", vec![]),
        hounsfield_core::Codec::Jpeg2000 => ("gdcmconv", vec!["--raw".into()]),
        // Native data: DCMTK re-encodes it as explicit VR little endian with a meta group.
        hounsfield_core::Codec::Native => ("dcmconv", vec!["+te".into()]),
        _ => return Err(format!("no decompressor for {uid}")),
    };
    let tmp = out.with_extension("tmp");
    let output = Command::new(tool)
        .args(&args)
        .arg(&file.path)
        .arg(&tmp)
        .output()
        .map_err(|e| format!("{tool} is not installed ({e}); run scripts/setup-test-env.sh"))?;
    if !output.status.success() {
        return Err(format!(
            "{tool} failed: {}",
            String::from_utf8_lossy(&output.stderr).trim()
        ));
    }
    std::fs::rename(&tmp, &out).map_err(|e| e.to_string())?;
    Ok(out)
}

/// Reads little-endian numpy data of dtype `dtype` (`<u2`, `|u1`, `<f4`, ...) as f64.
pub fn decode_dtype(dtype: &str, b: &[u8]) -> Vec<f64> {
    let kind = dtype.trim_start_matches(['<', '|', '=', '>']);
    match kind {
        "u1" | "b1" => b.iter().map(|&x| f64::from(x)).collect(),
        "i1" => b.iter().map(|&x| f64::from(x as i8)).collect(),
        "u2" => b
            .chunks_exact(2)
            .map(|c| f64::from(u16::from_le_bytes([c[0], c[1]])))
            .collect(),
        "i2" => b
            .chunks_exact(2)
            .map(|c| f64::from(i16::from_le_bytes([c[0], c[1]])))
            .collect(),
        "u4" => b
            .chunks_exact(4)
            .map(|c| f64::from(u32::from_le_bytes([c[0], c[1], c[2], c[3]])))
            .collect(),
        "i4" => b
            .chunks_exact(4)
            .map(|c| f64::from(i32::from_le_bytes([c[0], c[1], c[2], c[3]])))
            .collect(),
        "f4" => b
            .chunks_exact(4)
            .map(|c| f64::from(f32::from_le_bytes([c[0], c[1], c[2], c[3]])))
            .collect(),
        "f8" => b
            .chunks_exact(8)
            .map(|c| f64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]))
            .collect(),
        other => panic!("unexpected dtype {other}"),
    }
}

/// Prints a table with aligned columns.
pub fn print_table(header: &[&str], rows: &[Vec<String>]) {
    let mut widths: Vec<usize> = header.iter().map(|h| h.len()).collect();
    for r in rows {
        for (i, c) in r.iter().enumerate() {
            if i < widths.len() {
                widths[i] = widths[i].max(c.chars().count());
            }
        }
    }
    let line = |cells: Vec<String>| {
        let mut s = String::new();
        for (i, c) in cells.iter().enumerate() {
            let w = widths.get(i).copied().unwrap_or(0);
            if i + 1 == cells.len() {
                s.push_str(c);
            } else {
                s.push_str(&format!("{c:<w$}  "));
            }
        }
        println!("{}", s.trim_end());
    };
    line(header.iter().map(|h| h.to_string()).collect());
    line(widths.iter().map(|w| "-".repeat(*w)).collect());
    for r in rows {
        line(r.clone());
    }
}

/// A headless GPU (lavapipe on machines without one). Without an adapter: a failure when
/// `HOUNSFIELD_REQUIRE_GPU=1` (as `.ci/run` sets), else `None` after a loud message.
pub fn gpu() -> Option<hounsfield_render::headless::Headless> {
    let g = hounsfield_render::headless::Headless::for_tests()?;
    println!(
        "GPU: {} ({:?}, {:?})",
        g.adapter_info().name,
        g.adapter_info().backend,
        g.adapter_info().device_type
    );
    Some(g)
}

/// Runs `hounsfield render FILE ARGS -o OUT`, panicking with its standard error when it
/// fails; returns its standard error (what it says it drew).
pub fn render_to(file: &Path, args: &[&str], out: &Path) -> String {
    let o = std::process::Command::new(hounsfield_bin())
        .arg("render")
        .arg(file)
        .args(args)
        .arg("-o")
        .arg(out)
        .output()
        .expect("hounsfield render");
    let said = String::from_utf8_lossy(&o.stderr).to_string();
    assert!(o.status.success(), "{said}");
    said
}

/// The grid `hounsfield render --plane` says its plane has ("plane pixel (0, 0) at (x, y, z) mm;
/// columns along (..), rows along (..); S mm pixels" on its standard error `said`) and
/// the size of its PNG `png`, as JSON {origin, column_step, row_step, rows, columns}.
pub fn said_grid(said: &str, png: &Path) -> serde_json::Value {
    let line = said
        .lines()
        .find(|l| l.contains("plane pixel (0, 0) at"))
        .unwrap_or_else(|| panic!("no plane geometry said: {said}"));
    let numbers: Vec<f64> = line
        .split(|c: char| !(c.is_ascii_digit() || c == '.' || c == '-'))
        .filter_map(|t| t.parse().ok())
        .collect();
    // (0, 0), origin, u, v, spacing.
    let n = &numbers[numbers.len() - 10..];
    let (w, h, _) = read_png_rgb(png);
    serde_json::json!({
        "origin": [n[0], n[1], n[2]],
        "column_step": [n[3] * n[9], n[4] * n[9], n[5] * n[9]],
        "row_step": [n[6] * n[9], n[7] * n[9], n[8] * n[9]],
        "rows": h, "columns": w,
    })
}
