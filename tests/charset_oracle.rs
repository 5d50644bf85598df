//! Specific Character Set: every file of pydicom's `charset_files` (Arabic, French,
//! German, Greek, Hebrew, Russian, Japanese with ISO 2022 IR 13 / 87, Korean with
//! ISO 2022 IR 149, Chinese in UTF-8 and GB18030, text in sequences) gives, for every SH,
//! LO, ST, PN, LT, UC and UT value of the data set and its sequences, the text pydicom
//! gives; in the tag browser (`DicomFile::elements`) and in the names the overlay shows.

use hounsfield_conformance::{missing, python, python_per_path, testdata_dir};
use hounsfield_core::{DicomFile, ElementNode};
use std::collections::BTreeMap;

const SCRIPT: &str = r#"
import json, sys, pydicom
TEXT = {"SH", "LO", "ST", "PN", "LT", "UC", "UT"}
def walk(ds, prefix, out):
    for e in ds:
        key = prefix + "%04X,%04X" % (e.tag.group, e.tag.element)
        if e.VR == "SQ":
            for i, item in enumerate(e.value):
                walk(item, key + "[%d]/" % i, out)
        elif e.VR in TEXT and e.value not in (None, ""):
            v = e.value
            if isinstance(v, pydicom.multival.MultiValue):
                v = "\\".join(str(x) for x in v)
            out[key] = str(v).strip(" \0")
for path in sys.stdin.read().splitlines():
    d = pydicom.dcmread(path, force=True)
    out = {}
    walk(d, "", out)
    print(json.dumps(out))
"#;

fn flatten(nodes: &[ElementNode], prefix: &str, out: &mut BTreeMap<String, String>) {
    for n in nodes {
        let key = format!("{prefix}{:04X},{:04X}", n.tag.0, n.tag.1);
        if n.vr == "SQ" {
            for (i, item) in n.items.iter().enumerate() {
                flatten(item, &format!("{key}[{i}]/"), out);
            }
        } else if ["SH", "LO", "ST", "PN", "LT", "UC", "UT"].contains(&n.vr.as_str()) {
            out.insert(key, n.value.clone());
        }
    }
}

#[test]
fn text_decodes_as_pydicom_decodes_it_in_every_character_set() {
    let dir = testdata_dir().join("pydicom-3.0.2/pydicom/data/charset_files");
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return missing("pydicom's charset_files (target/testdata)");
    };
    if !python().exists() {
        return missing("the pydicom oracle (target/venv)");
    }
    let mut files: Vec<_> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "dcm"))
        .collect();
    files.sort();
    assert!(files.len() >= 17, "only {} charset files", files.len());
    let paths: Vec<&std::path::Path> = files.iter().map(|f| f.as_path()).collect();
    let lines = python_per_path(SCRIPT, &paths);
    let (mut values, mut beyond_ascii) = (0, 0);
    let mut failures = Vec::new();
    for (path, line) in files.iter().zip(lines) {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().to_string())
            .unwrap_or_default();
        let theirs: BTreeMap<String, String> = serde_json::from_str(&line).expect("json");
        let file = DicomFile::open(path).unwrap_or_else(|e| panic!("{e}"));
        let mut ours = BTreeMap::new();
        flatten(&file.elements(), "", &mut ours);
        // Private elements (odd groups) are left out: pydicom gives them the VRs of its
        // private dictionary, where the file (implicit VR) says nothing.
        let public = theirs.iter().filter(|(k, _)| {
            let tag = k.rsplit('/').next().unwrap_or("");
            !u16::from_str_radix(tag.get(..4).unwrap_or(""), 16).is_ok_and(|g| g % 2 == 1)
        });
        for (key, expected) in public {
            values += 1;
            if !expected.is_ascii() {
                beyond_ascii += 1;
            }
            let got = ours.get(key).map(String::as_str).unwrap_or("<missing>");
            if got != expected {
                failures.push(format!("{name} {key}: ours {got:?}, pydicom {expected:?}"));
            }
        }
        // The overlay's patient name is the same text.
        if let Some(expected) = theirs.get("0010,0010") {
            let shown = file.identification().patient_name.unwrap_or_default();
            if &shown != expected {
                failures.push(format!(
                    "{name} overlay name: {shown:?}, pydicom {expected:?}"
                ));
            }
        }
    }
    println!(
        "character sets: {} files, {values} text values ({beyond_ascii} beyond ASCII) as pydicom",
        files.len()
    );
    assert!(
        failures.is_empty(),
        "{} differences:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(
        beyond_ascii >= 20,
        "only {beyond_ascii} values beyond ASCII were compared"
    );
}
