//! Decode oracle: every image of the corpus decodes to the values pydicom (with pylibjpeg,
//! pylibjpeg-libjpeg, pylibjpeg-openjpeg, pylibjpeg-rle) gives — exactly for lossless
//! transfer syntaxes, within 3 for lossy DCT JPEG.
//!
//! Lossy JPEG: ISO 10918-1 lets decoders differ in the inverse DCT and chroma upsampling.
//! Our decoder follows IJG libjpeg (accurate integer IDCT, fancy upsampling), pydicom's
//! pylibjpeg-libjpeg is Thomas Richter's libjpeg, whose IDCT rounds differently. Where the
//! two differ by more than 3 (a handful of samples at saturated chroma edges), the frame
//! must match IJG libjpeg as DCMTK's `dcmdjpeg` decodes it, within 1 (the integer colour
//! conversion of libjpeg against the exact one here).
//!
//! Files pydicom cannot decode must give a clear error here too; where we decode them,
//! the result is checked against DCMTK's decompression of the same file.

use hounsfield_conformance::{
    CorpusFile, Reference, corpus, dcmtk_decompress, missing, print_table, pydicom_references,
};
use hounsfield_core::{Codec, DicomFile, Frame};

/// Largest difference accepted per syntax: lossy DCT JPEG decoders differ in their
/// inverse DCT and upsampling (ISO 10918-1 allows it); every other codec is exact.
fn tolerance(file: &DicomFile) -> f64 {
    let ts = file.transfer_syntax();
    if ts.codec == Codec::Jpeg && ts.lossy {
        3.0
    } else {
        0.0
    }
}

enum Outcome {
    Pass(String),
    Fail(String),
}

fn compare(frame: &Frame, reference: &[f64], shape: &[usize]) -> Result<f64, String> {
    let channels = frame.channels();
    let expected_shape: Vec<usize> = if channels == 1 {
        vec![frame.height as usize, frame.width as usize]
    } else {
        vec![frame.height as usize, frame.width as usize, channels]
    };
    if shape != expected_shape.as_slice() {
        return Err(format!("shape {expected_shape:?}, pydicom {shape:?}"));
    }
    if reference.len() != frame.samples.len() {
        return Err(format!(
            "{} samples, pydicom {}",
            frame.samples.len(),
            reference.len()
        ));
    }
    let mut worst = 0.0f64;
    for (i, &r) in reference.iter().enumerate() {
        let d = (frame.samples.get_f64(i) - r).abs();
        if d > worst || d.is_nan() {
            worst = if d.is_nan() { f64::INFINITY } else { d };
        }
    }
    Ok(worst)
}

fn check(file: &CorpusFile, reference: &Reference) -> (String, String, Outcome) {
    let opened = DicomFile::open(&file.path);
    let (syntax, photometric) = match &opened {
        Ok(f) => (
            f.transfer_syntax().uid.clone(),
            f.image()
                .map(|d| d.photometric_interpretation.to_string())
                .unwrap_or_else(|_| "-".into()),
        ),
        Err(_) => ("-".into(), "-".into()),
    };
    let outcome = match (reference, &opened) {
        (Reference::NoPixelData, Ok(f)) if !f.has_pixel_data() => {
            Outcome::Pass("no pixel data (both)".into())
        }
        (Reference::NoPixelData, Ok(_)) => {
            Outcome::Fail("we see pixel data, pydicom does not".into())
        }
        (Reference::NoPixelData, Err(e)) => {
            Outcome::Pass(format!("no pixel data; we reject it: {}", e.kind))
        }
        (Reference::Failed(why), Err(e)) => {
            Outcome::Pass(format!("both fail; ours: {}; pydicom: {why}", e.kind))
        }
        (Reference::Failed(why), Ok(f)) => match f.decode_all_frames() {
            Err(e) => Outcome::Pass(format!("both fail; ours: {}; pydicom: {why}", e.kind)),
            Ok(frames) => match against_dcmtk(file, &frames) {
                Ok(worst) if worst <= tolerance(f) => Outcome::Pass(format!(
                    "pydicom cannot ({why}); DCMTK agrees, max |diff| {worst}"
                )),
                Ok(worst) => {
                    Outcome::Fail(format!("pydicom cannot ({why}); DCMTK differs by {worst}"))
                }
                Err(e) => Outcome::Fail(format!("pydicom cannot ({why}); no second oracle: {e}")),
            },
        },
        (Reference::Decoded { .. }, Err(e)) => Outcome::Fail(format!("we fail to open: {e}")),
        (
            Reference::Decoded {
                frames,
                compared,
                shape,
                dtype,
            },
            Ok(f),
        ) => {
            let tol = tolerance(f);
            let n = f.image().map(|d| d.number_of_frames as usize);
            match n {
                Err(e) => Outcome::Fail(format!("we fail: {e}")),
                Ok(n) if n != *frames => Outcome::Fail(format!("{n} frames, pydicom {frames}")),
                Ok(_) => {
                    let mut worst = 0.0f64;
                    let mut problem = None;
                    for (i, values) in compared {
                        match f.decode_frame(*i) {
                            Err(e) => {
                                problem = Some(format!("frame {i}: {e}"));
                                break;
                            }
                            Ok(frame) => match compare(&frame, values, shape) {
                                Err(m) => {
                                    problem = Some(format!("frame {i}: {m}"));
                                    break;
                                }
                                Ok(d) => worst = worst.max(d),
                            },
                        }
                    }
                    let lossy_jpeg =
                        f.transfer_syntax().codec == Codec::Jpeg && f.transfer_syntax().lossy;
                    match problem {
                        Some(p) => Outcome::Fail(p),
                        None if worst > tol && lossy_jpeg => {
                            let frames: Result<Vec<Frame>, _> =
                                compared.iter().map(|(i, _)| f.decode_frame(*i)).collect();
                            match frames.map_err(|e| e.to_string()).and_then(|fr| {
                                let idx: Vec<usize> = compared.iter().map(|(i, _)| *i).collect();
                                against_dcmtk_frames(file, &fr, &idx)
                            }) {
                                Ok(d) if d <= 1.0 => Outcome::Pass(format!(
                                    "pydicom (Richter libjpeg) max |diff| {worst}; IJG libjpeg (dcmdjpeg) max |diff| {d}"
                                )),
                                Ok(d) => Outcome::Fail(format!(
                                    "max |diff| {worst} vs pydicom, {d} vs dcmdjpeg"
                                )),
                                Err(e) => Outcome::Fail(format!(
                                    "max |diff| {worst} vs pydicom; dcmdjpeg: {e}"
                                )),
                            }
                        }
                        None if worst > tol => Outcome::Fail(format!(
                            "max |diff| {worst} > {tol} over frames {compared_list}",
                            compared_list = compared.len()
                        )),
                        None if worst == 0.0 => {
                            Outcome::Pass(format!("exact ({} frames, {dtype})", compared.len()))
                        }
                        None => Outcome::Pass(format!(
                            "max |diff| {worst} <= {tol} ({} frames)",
                            compared.len()
                        )),
                    }
                }
            }
        }
    };
    (syntax, photometric, outcome)
}

/// Largest difference between our frames and DCMTK's decompression of the same file.
fn against_dcmtk(file: &CorpusFile, frames: &[Frame]) -> Result<f64, String> {
    let idx: Vec<usize> = (0..frames.len()).collect();
    against_dcmtk_frames(file, frames, &idx)
}

fn against_dcmtk_frames(
    file: &CorpusFile,
    frames: &[Frame],
    indices: &[usize],
) -> Result<f64, String> {
    let path = dcmtk_decompress(file)?;
    let reference = DicomFile::open(&path).map_err(|e| e.to_string())?;
    let mut worst = 0.0f64;
    for (frame, &i) in frames.iter().zip(indices) {
        let r = reference.decode_frame(i).map_err(|e| e.to_string())?;
        if r.samples.len() != frame.samples.len() {
            return Err(format!(
                "frame {i}: {} samples, DCMTK {}",
                frame.samples.len(),
                r.samples.len()
            ));
        }
        for k in 0..r.samples.len() {
            worst = worst.max((r.samples.get_f64(k) - frame.samples.get_f64(k)).abs());
        }
    }
    Ok(worst)
}

#[test]
fn decode_matches_pydicom_on_the_corpus() {
    let Some(files) = corpus() else {
        return missing("the test corpus (pydicom wheels and ../shared/data)");
    };
    let Some(references) = pydicom_references(&files) else {
        return missing("the pydicom oracle (target/venv with pydicom and pylibjpeg)");
    };
    let mut rows = Vec::new();
    let mut failures = 0;
    for (file, reference) in files.iter().zip(&references) {
        let (syntax, photometric, outcome) = check(file, reference);
        let (status, text) = match outcome {
            Outcome::Pass(t) => ("ok", t),
            Outcome::Fail(t) => {
                failures += 1;
                ("FAIL", t)
            }
        };
        rows.push(vec![
            file.label.clone(),
            syntax,
            photometric,
            status.to_string(),
            text,
        ]);
    }
    print_table(
        &["file", "syntax", "photometric", "result", "detail"],
        &rows,
    );
    println!("\n{} files, {} failures", files.len(), failures);
    assert_eq!(
        failures, 0,
        "decode regressions against pydicom (table above)"
    );
}

/// `DicomFile::open_header` reads the start of a file up to its pixel data: on every file
/// of the corpus it gives what reading the whole file gives, less the encoded pixels; and
/// on a file cut just after its pixel data's header it still does, so it read no pixel.
#[test]
fn a_header_read_alone_equals_the_whole_files_header() {
    let Some(files) = corpus() else {
        missing("the test corpus (run scripts/setup-test-env.sh)");
        return;
    };
    let (mut compared, mut cut) = (0, 0);
    let tmp = std::env::temp_dir().join(format!("hounsfield-header-{}", std::process::id()));
    std::fs::create_dir_all(&tmp).unwrap_or_else(|e| panic!("{}: {e}", tmp.display()));
    for f in &files {
        let Ok(bytes) = std::fs::read(&f.path) else {
            continue;
        };
        let Ok(whole) = DicomFile::from_bytes(f.path.display().to_string(), bytes.clone()) else {
            continue;
        };
        let header = DicomFile::open_header(&f.path).unwrap_or_else(|e| {
            panic!(
                "{}: the whole file opens, its header alone not: {e}",
                f.label
            )
        });
        assert_eq!(header.meta(), whole.meta(), "{}", f.label);
        assert_eq!(
            header.transfer_syntax(),
            whole.transfer_syntax(),
            "{}",
            f.label
        );
        same_dataset(&header, &whole, &f.label);
        assert_eq!(header.notes(), whole.notes(), "{}", f.label);
        assert_eq!(
            header.has_pixel_data(),
            whole.has_pixel_data(),
            "{}",
            f.label
        );
        assert_eq!(
            format!("{:?}", header.image()),
            format!("{:?}", whole.image()),
            "{}",
            f.label
        );
        if whole.has_pixel_data() {
            assert_eq!(header.encoded_len(), 0, "{}", f.label);
            assert!(header.decode_frame(0).is_err(), "{}", f.label);
        }
        compared += 1;
        // Native pixel data of 64 KiB or more, not deflated: the file cut 16 bytes into its
        // pixel data opens as a header alone, and as a whole file not.
        if whole.has_pixel_data()
            && !whole.transfer_syntax().deflated
            && !whole.transfer_syntax().is_encapsulated()
            && bytes.len() > 256 << 10
        {
            let Some(at) = whole.image().ok().and_then(|i| {
                let value = i.rows as usize
                    * i.columns as usize
                    * i.number_of_frames.max(1) as usize
                    * i.samples_per_pixel as usize
                    * (i.bits_allocated as usize).div_ceil(8);
                find_pixel_data(&bytes, value)
            }) else {
                continue;
            };
            let short = tmp.join(f.name.clone());
            std::fs::write(&short, &bytes[..at + 16])
                .unwrap_or_else(|e| panic!("{}: {e}", short.display()));
            let header = DicomFile::open_header(&short)
                .unwrap_or_else(|e| panic!("{}: cut after its pixel data's header: {e}", f.label));
            same_dataset(&header, &whole, &f.label);
            assert!(
                DicomFile::open(&short).is_err(),
                "{}: the cut file opens whole",
                f.label
            );
            cut += 1;
        }
    }
    let _ = std::fs::remove_dir_all(&tmp);
    println!(
        "{compared} headers equal to their whole files'; {cut} read from files cut after their pixel data's header"
    );
    assert!(compared > 150, "only {compared} files compared");
    assert!(cut > 10, "only {cut} cut files read");
}

/// Where the (7FE0,0010) tag of a native file's Pixel Data of `value` bytes starts
/// (little endian): just before its value, which ends the file but for padding.
fn find_pixel_data(bytes: &[u8], value: usize) -> Option<usize> {
    let from = bytes.len().checked_sub(value + 64)?;
    bytes[from..]
        .windows(4)
        .position(|w| w == [0xE0, 0x7F, 0x10, 0x00])
        .map(|k| from + k)
}

/// Asserts that `header` holds the attributes of `whole` up to its pixel data (those after
/// it, Data Set Trailing Padding and Digital Signatures, are not read), showing the first
/// that differs. Elements are compared by what they print: dicom-object's equality of
/// sequences does not hold between two reads of the same file.
fn same_dataset(header: &DicomFile, whole: &DicomFile, label: &str) {
    let short = |d: &str| d.chars().take(400).collect::<String>();
    let before_pixels = |d: &DicomFile| {
        d.dataset()
            .iter()
            .filter(|e| e.header().tag.group() <= 0x7FE0)
            .map(|e| format!("{e:?}"))
            .collect::<Vec<_>>()
    };
    let (a, b) = (before_pixels(header), before_pixels(whole));
    for (x, y) in a.iter().zip(&b) {
        assert!(
            x == y,
            "{label}: the header has {}\nthe whole file {}",
            short(x),
            short(y)
        );
    }
    assert_eq!(a.len(), b.len(), "{label}");
}
