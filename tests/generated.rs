//! Transfer syntaxes and variants the public corpus lacks, produced at test time by
//! encoders nobody here wrote (`tests/scripts/generate_corpus.py`): DCMTK (JPEG lossless
//! with all seven predictors and a point transform, baseline, extended 12-bit,
//! progressive, 4:1:1, fragmented frames without offset table; JPEG-LS in every
//! interleave mode, near-lossless, custom thresholds; RLE), GDCM (JPEG 2000, JPEG-LS,
//! JPEG) and OpenJPH (HTJ2K lossless, lossless RPCL, lossy; grey and colour).
//!
//! Oracles: lossless files decode exactly to the source's pixels; near-lossless JPEG-LS
//! stays within NEAR of them (the standard's bound), a point transform of 1 within 1;
//! every file also matches pydicom (exact, or within 3 for lossy DCT JPEG). Where
//! pydicom disagrees, the file must match DCMTK's decompression of it instead (exactly;
//! within 1 for lossy colour JPEG, whose YCbCr conversion DCMTK does in integers), and the
//! table says so. Known pydicom deviations met here: it does not shift lossless JPEG
//! samples back by the point transform, and it keeps bits above Bits Stored that an
//! encoder left in JPEG-LS samples.

use hounsfield_conformance::{
    CorpusFile, Reference, corpus, dcmtk_decompress, generated_corpus, missing, print_table,
    pydicom_references,
};
use hounsfield_core::{Codec, DicomFile, Frame};

fn max_diff(a: &Frame, b: &Frame) -> Result<f64, String> {
    if a.samples.len() != b.samples.len() || a.color != b.color {
        return Err(format!(
            "{} {:?} samples vs {} {:?}",
            a.samples.len(),
            a.color,
            b.samples.len(),
            b.color
        ));
    }
    Ok((0..a.samples.len())
        .map(|i| (a.samples.get_f64(i) - b.samples.get_f64(i)).abs())
        .fold(0.0, f64::max))
}

/// Compares with DCMTK's decompression of the file: exactly, or within 1 for lossy JPEG
/// (DCMTK converts YCbCr with integer arithmetic). Returns the largest difference.
fn against_dcmtk(generated: &CorpusFile, file: &DicomFile, n: usize) -> Result<f64, String> {
    let ts = file.transfer_syntax();
    let dcmtk = dcmtk_decompress(generated)?;
    let reference = DicomFile::open(&dcmtk).map_err(|e| e.to_string())?;
    let tol = if ts.lossy && ts.codec == Codec::Jpeg {
        1.0
    } else {
        0.0
    };
    let mut worst = 0.0f64;
    for i in frames_to_check(n) {
        let ours = file.decode_frame(i).map_err(|e| e.to_string())?;
        let theirs = reference.decode_frame(i).map_err(|e| e.to_string())?;
        worst = worst.max(max_diff(&ours, &theirs)?);
    }
    if worst > tol {
        return Err(format!(
            "max |diff| {worst} from DCMTK's decompression, tolerance {tol}"
        ));
    }
    Ok(worst)
}

fn frames_to_check(n: usize) -> Vec<usize> {
    let mut v = vec![0, n / 2, n - 1];
    v.dedup();
    v
}

#[test]
fn generated_files_decode_to_their_sources() {
    let Some(files) = corpus() else {
        return missing("the test corpus");
    };
    let Some(entries) = generated_corpus(&files) else {
        return missing("the encoders (target/venv, dcmtk, libgdcm-tools, openjph-tools)");
    };
    let generated: Vec<CorpusFile> = entries
        .iter()
        .filter(|e| e.get("error").is_none())
        .map(|e| {
            let name = e["name"].as_str().unwrap_or_default().to_string();
            CorpusFile {
                label: name.clone(),
                name: format!("generated__{name}"),
                path: e["path"].as_str().unwrap_or_default().into(),
            }
        })
        .collect();
    let references = pydicom_references(&generated).expect("pydicom references");

    let mut rows = Vec::new();
    let mut failures = 0;
    let mut syntaxes = std::collections::BTreeSet::new();
    for e in &entries {
        let name = e["name"].as_str().unwrap_or_default();
        let tool = e["tool"].as_str().unwrap_or_default();
        if let Some(err) = e.get("error") {
            rows.push(vec![
                name.to_string(),
                "-".into(),
                "skip".into(),
                format!("{tool} refused: {}", err.as_str().unwrap_or("")),
            ]);
            continue;
        }
        let idx = generated
            .iter()
            .position(|g| g.label == name)
            .expect("generated");
        let result = (|| -> Result<String, String> {
            let file = DicomFile::open(&generated[idx].path).map_err(|e| e.to_string())?;
            let source = DicomFile::open(e["source"].as_str().unwrap_or_default())
                .map_err(|e| e.to_string())?;
            let ts = file.transfer_syntax().clone();
            syntaxes.insert(ts.name);
            let n = file.image().map_err(|e| e.to_string())?.number_of_frames as usize;
            let lossless = e["lossless"].as_bool().unwrap_or(false);
            let near = e["near"].as_f64();
            let point_transform = tool.contains("+pt");
            let mut notes = Vec::new();
            for i in frames_to_check(n) {
                let ours = file.decode_frame(i).map_err(|e| e.to_string())?;
                let src = source.decode_frame(i).map_err(|e| e.to_string())?;
                if ours.color != src.color {
                    // The encoder changed the colour model (palette to RGB for lossy JPEG).
                    notes.push("colour model changed by the encoder".into());
                    break;
                }
                let d = max_diff(&ours, &src)?;
                let bound = if lossless {
                    Some(0.0)
                } else if let Some(near) = near {
                    Some(near)
                } else if point_transform {
                    Some(1.0)
                } else {
                    None
                };
                if let Some(b) = bound
                    && d > b
                {
                    return Err(format!(
                        "frame {i}: max |diff| {d} from the source, bound {b}"
                    ));
                }
                if i == 0 {
                    notes.push(format!("source max |diff| {d}"));
                }
            }
            match &references[idx] {
                Reference::Decoded { compared, .. } => {
                    let tol = if ts.codec == Codec::Jpeg && ts.lossy {
                        3.0
                    } else {
                        0.0
                    };
                    let mut worst = 0.0f64;
                    for (i, values) in compared {
                        let ours = file.decode_frame(*i).map_err(|e| e.to_string())?;
                        if values.len() != ours.samples.len() {
                            return Err(format!(
                                "frame {i}: {} samples, pydicom {}",
                                ours.samples.len(),
                                values.len()
                            ));
                        }
                        for (k, v) in values.iter().enumerate() {
                            worst = worst.max((ours.samples.get_f64(k) - v).abs());
                        }
                    }
                    if worst > tol {
                        // pydicom disagrees: DCMTK's decompression decides.
                        let d = against_dcmtk(&generated[idx], &file, n)?;
                        notes.push(format!(
                            "pydicom deviates by {worst}; DCMTK agrees within {d}"
                        ));
                    } else {
                        notes.push(format!("pydicom max |diff| {worst}"));
                    }
                }
                Reference::Failed(why) => {
                    let d = against_dcmtk(&generated[idx], &file, n)?;
                    notes.push(format!(
                        "pydicom cannot ({}); DCMTK agrees within {d}",
                        why.chars().take(40).collect::<String>()
                    ));
                }
                Reference::NoPixelData => return Err("pydicom sees no pixel data".into()),
            }
            Ok(notes.join("; "))
        })();
        let ts = DicomFile::open(&generated[idx].path)
            .map(|f| f.transfer_syntax().uid.clone())
            .unwrap_or_default();
        match result {
            Ok(t) => rows.push(vec![name.to_string(), ts, "ok".into(), t]),
            Err(t) => {
                failures += 1;
                rows.push(vec![name.to_string(), ts, "FAIL".into(), t]);
            }
        }
    }
    print_table(&["file", "syntax", "result", "detail"], &rows);
    println!(
        "\n{} generated files, {failures} failures; syntaxes: {syntaxes:?}",
        rows.len()
    );
    assert!(
        syntaxes.iter().any(|s| s.contains("High-Throughput")),
        "HTJ2K files were generated"
    );
    assert_eq!(failures, 0, "generated files (table above)");
}
