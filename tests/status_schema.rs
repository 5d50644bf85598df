//! One status schema: the keys that `hounsfield_viewer::status::Status` serialises (the
//! native viewer's status file and the browser's `status()` both write that struct) are
//! the fields that the npm package declares for `Status` in
//! `apps/hounsfield-web/npm/hounsfield.d.ts`, less the browser's own `canvas`, `adapter`
//! and `error`. A key added on one side only fails here.

use hounsfield_viewer::model::Model;
use hounsfield_viewer::status::{Drawing, DrawingPath, SeriesStatus, Status};
use std::collections::BTreeSet;

/// The browser's keys beside the shared ones.
const BROWSER_ONLY: [&str; 3] = ["canvas", "adapter", "error"];

/// Field names of `export interface NAME { ... }` in the declarations.
fn declared(dts: &str, name: &str) -> BTreeSet<String> {
    let start = format!("export interface {name} {{");
    let body = dts
        .split_once(&start)
        .unwrap_or_else(|| panic!("no interface {name} in hounsfield.d.ts"))
        .1;
    let body = &body[..body.find("\n}").expect("end of the interface")];
    body.lines()
        .map(str::trim)
        .filter(|l| !l.starts_with("/*") && !l.starts_with('*'))
        .filter_map(|l| {
            l.split_once(':')
                .map(|(k, _)| k.trim_end_matches('?').to_string())
        })
        .filter(|k| k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') && !k.is_empty())
        .collect()
}

fn keys(value: serde_json::Value) -> BTreeSet<String> {
    match value {
        serde_json::Value::Object(map) => map.keys().cloned().collect(),
        other => panic!("not an object: {other}"),
    }
}

#[test]
fn status_keys_are_the_declared_ones() {
    let dts = std::fs::read_to_string(
        hounsfield_conformance::root().join("apps/hounsfield-web/npm/hounsfield.d.ts"),
    )
    .expect("hounsfield.d.ts");
    let drawing = Drawing {
        renderer: DrawingPath::Cpu,
        frames_drawn: 0,
        image_drawn: false,
    };
    let status = serde_json::to_value(Status::of(&Model::new(), drawing)).expect("serialises");
    let mut ours = keys(status);
    ours.extend(BROWSER_ONLY.map(String::from));
    assert_eq!(
        ours,
        declared(&dts, "Status"),
        "Status: Rust (left) and hounsfield.d.ts (right)"
    );
    assert_eq!(
        serde_json::to_value(DrawingPath::Webgpu).ok(),
        Some("webgpu".into())
    );

    let series = SeriesStatus {
        label: String::new(),
        series_instance_uid: None,
        instances: 0,
        decoded: 0,
        stacks: 1,
        time_points: 1,
        time_axis: None,
        current: false,
    };
    let ours = keys(serde_json::to_value(series).expect("serialises"));
    assert_eq!(
        ours,
        declared(&dts, "SeriesStatus"),
        "SeriesStatus: Rust (left) and hounsfield.d.ts (right)"
    );
}
