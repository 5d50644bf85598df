//! Pixel Padding Value and Range (PS3.3 C.7.5.1.1.2) are left out of min-max windows:
//! for every grey file of the corpus with a Pixel Padding Value, the padding range and the
//! data range of frame 0 (modality values of the stored values that are not padding)
//! equal what pydicom and NumPy compute from the same file.

use hounsfield_conformance::pydicom_per_file;
use hounsfield_core::pipeline::{
    GreyPipeline, RenderOptions, VoiSelection, data_range, range_window,
};

const SCRIPT: &str = r#"
import json, sys, pydicom, numpy as np
sys.path.insert(0, "tests/scripts")
from padding import padding_range
from pydicom.pixels import apply_modality_lut
for path in sys.stdin.read().splitlines():
    try:
        d = pydicom.dcmread(path)
        if "PixelPaddingValue" not in d or not str(d.PhotometricInterpretation).startswith("MONOCHROME"):
            print(json.dumps(None)); continue
        a = d.pixel_array
        if int(d.get("NumberOfFrames", 1) or 1) > 1:
            a = a[0]
        lo, hi = padding_range(d)
        keep = (a < lo) | (a > hi)
        m = apply_modality_lut(a.astype(np.float64), d)
        print(json.dumps({"padding": [lo, hi], "padded": int((~keep).sum()),
            "range": [float(m[keep].min()), float(m[keep].max())] if keep.any() else None}))
    except Exception as e:
        print(json.dumps(None))
"#;

#[test]
fn min_max_windows_leave_pixel_padding_out_as_pydicom_finds_it() {
    let Some(answers) = pydicom_per_file(SCRIPT, |d| {
        d.display_parameters(0)
            .is_ok_and(|p| p.pixel_padding.is_some())
    }) else {
        return;
    };
    let (mut checked, mut with_padded_pixels) = (0, 0);
    for (f, file, theirs) in &answers {
        if theirs.is_null() {
            continue;
        }
        let params = file.display_parameters(0).expect("parameters");
        let padding = params.pixel_padding.expect("padding");
        assert_eq!(
            [padding.low, padding.high],
            [
                theirs["padding"][0].as_i64().unwrap_or(i64::MIN),
                theirs["padding"][1].as_i64().unwrap_or(i64::MIN)
            ],
            "{}: padding range",
            f.label
        );
        let frame = file.decode_frame(0).expect("decode");
        if let Some(range) = theirs["range"].as_array() {
            let expected = (
                range[0].as_f64().unwrap_or(f64::NAN),
                range[1].as_f64().unwrap_or(f64::NAN),
            );
            let (lo, hi) = data_range(&params, &frame);
            assert!(
                (lo - expected.0).abs() < 1e-9 && (hi - expected.1).abs() < 1e-9,
                "{}: data range ({lo}, {hi}), pydicom {expected:?}",
                f.label
            );
            // The min-max window the pipeline resolves spans that range, however many
            // pixels are padding.
            let options = RenderOptions {
                voi: VoiSelection::DataRange,
                ..Default::default()
            };
            let pipeline = GreyPipeline::resolve(&params, &frame, &options).expect("resolve");
            let (center, width) = pipeline.window().expect("a window");
            let (c, w) = range_window(expected);
            assert!(
                (center - c).abs() < 1e-9 && (width - w).abs() < 1e-9,
                "{}: min-max window ({center}, {width}), from pydicom's range ({c}, {w})",
                f.label
            );
        }
        if theirs["padded"].as_u64().unwrap_or(0) > 0 {
            with_padded_pixels += 1;
        }
        checked += 1;
    }
    println!("padding: {checked} files checked, {with_padded_pixels} with padded pixels");
    assert!(
        checked >= 10,
        "only {checked} files with Pixel Padding Value were checked"
    );
    assert!(
        with_padded_pixels >= 1,
        "no file had padded pixels: the exclusion was not exercised"
    );
}
