//! Lossy compression is said as the files say it: for every file of the corpus, the
//! overlay's LOSSY line comes from Lossy Image Compression (0028,2110), its Ratio
//! (0028,2112) and Method (0028,2114) as pydicom reads them, or from a lossy transfer
//! syntax.

use hounsfield_conformance::pydicom_per_file;
use hounsfield_core::series::InstanceInfo;

const SCRIPT: &str = r#"
import json, sys, pydicom
for path in sys.stdin.read().splitlines():
    try:
        d = pydicom.dcmread(path, stop_before_pixels=True)
    except Exception:
        print(json.dumps(None)); continue
    def values(v):
        if v is None: return []
        return [x for x in (v if isinstance(v, pydicom.multival.MultiValue) else [v])]
    flag = d.get("LossyImageCompression")
    print(json.dumps({
        "flag": None if flag is None else str(flag).strip(),
        "ratios": [float(x) for x in values(d.get("LossyImageCompressionRatio"))],
        "methods": [str(x).strip() for x in values(d.get("LossyImageCompressionMethod"))],
    }))
"#;

#[test]
fn lossy_marking_matches_pydicom() {
    let Some(answers) = pydicom_per_file(SCRIPT, |_| true) else {
        return;
    };
    let (mut lossy, mut checked) = (0, 0);
    for (f, file, theirs) in &answers {
        if theirs.is_null() {
            continue;
        }
        let info = InstanceInfo::from_file(file);
        let expected = theirs["flag"] == "01" || file.transfer_syntax().lossy;
        assert_eq!(
            info.lossy.is_some(),
            expected,
            "{}: lossy {:?}, pydicom {theirs}",
            f.label,
            info.lossy
        );
        if let Some(l) = &info.lossy {
            lossy += 1;
            let ratios: Vec<f64> = theirs["ratios"]
                .as_array()
                .map(|a| a.iter().filter_map(|v| v.as_f64()).collect())
                .unwrap_or_default();
            let methods: Vec<String> = theirs["methods"]
                .as_array()
                .map(|a| {
                    a.iter()
                        .filter_map(|v| v.as_str().map(String::from))
                        .collect()
                })
                .unwrap_or_default();
            assert_eq!(l.ratios, ratios, "{}: ratios", f.label);
            assert_eq!(l.methods, methods, "{}: methods", f.label);
        }
        checked += 1;
    }
    println!("{checked} files checked against pydicom, {lossy} marked LOSSY");
    assert!(
        lossy >= 30,
        "the corpus has at least 30 lossy files ({lossy})"
    );
}
