//! `hounsfield bench dicomweb URL`: a series over DICOMweb, time to the first image and to
//! the whole series decoded, against Python's dicomweb-client + pydicom in the same run.

use crate::dicomweb::connect;
use hounsfield_dicomweb::{Cancel, Server, block_on, display_order};
use std::path::Path;
use std::process::{Command, ExitCode};
use std::sync::Mutex;
use std::time::Instant;

const PYTHON_CLIENT: &str = r#"
import json, sys, time
from dicomweb_client.api import DICOMwebClient
root, study, series = sys.argv[1:4]
t0 = time.perf_counter()
c = DICOMwebClient(url=root)
meta = c.retrieve_series_metadata(study, series)
sop = meta[0]["00080018"]["Value"][0]
ds = c.retrieve_instance(study, series, sop)
ds.pixel_array
first = time.perf_counter() - t0
t0 = time.perf_counter()
c = DICOMwebClient(url=root)
n = 0
for ds in c.retrieve_series(study, series):
    ds.pixel_array
    n += 1
whole = time.perf_counter() - t0
print(json.dumps({"first_ms": first * 1e3, "whole_ms": whole * 1e3, "instances": n}))
"#;

/// One load as the viewer does it ([`Server::load`]): metadata, then every instance
/// decoded as it arrives (on the other cores, as the viewer's loader does), like the
/// Python client's `pixel_array` of each instance. Returns the time to the first slice
/// in display order decoded, to the last instance decoded, and the instance count.
fn ours(url: &str) -> Result<(f64, f64, usize), String> {
    let t0 = Instant::now();
    let (server, parsed): (Server, _) = connect(url)?;
    if parsed.series.is_none() {
        return Err("bench dicomweb needs ROOT/studies/UID/series/UID".into());
    }
    let first_ms: Mutex<Option<f64>> = Mutex::new(None);
    let failure: Mutex<Option<String>> = Mutex::new(None);
    let fail = |e: String| {
        failure
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get_or_insert(e);
    };
    let mut n = 0;
    let result = rayon::scope(|scope| {
        let first_k = std::cell::Cell::new(None);
        block_on(server.load(
            &parsed,
            &mut |metas| {
                let order = display_order(metas);
                first_k.set(order.first().copied());
                order
            },
            &mut |k, r| match r {
                Ok(f) => {
                    n += 1;
                    let fail = &fail;
                    if first_k.get() == Some(k) {
                        // The slice on screen: decoded at once, ahead of the rest.
                        match f.decode_all_frames() {
                            Ok(_) => {
                                *first_ms.lock().unwrap_or_else(|p| p.into_inner()) =
                                    Some(t0.elapsed().as_secs_f64() * 1e3);
                            }
                            Err(e) => fail(e.to_string()),
                        }
                    } else {
                        scope.spawn(move |_| {
                            if let Err(e) = f.decode_all_frames() {
                                fail(e.to_string());
                            }
                        });
                    }
                }
                Err(e) => fail(e.to_string()),
            },
            &Cancel::default(),
        ))
    });
    result.map_err(|e| e.to_string())?;
    if let Some(e) = failure.into_inner().unwrap_or_else(|p| p.into_inner()) {
        return Err(e);
    }
    let first = first_ms.into_inner().unwrap_or_else(|p| p.into_inner());
    Ok((
        first.unwrap_or(f64::NAN),
        t0.elapsed().as_secs_f64() * 1e3,
        n,
    ))
}

pub fn run(url: &str, runs: usize, python: &Path) -> Result<ExitCode, String> {
    let parsed = hounsfield_dicomweb::DicomWebUrl::parse(url).map_err(|e| e.to_string())?;
    let (mut first, mut whole, mut n) = (Vec::new(), Vec::new(), 0);
    let (mut py_first, mut py_whole) = (Vec::new(), Vec::new());
    let mut py_error = None;
    for _ in 0..runs {
        let (f, w, k) = ours(url)?;
        first.push(f);
        whole.push(w);
        n = k;
        let out = Command::new(python)
            .arg("-c")
            .arg(PYTHON_CLIENT)
            .arg(&parsed.root)
            .arg(parsed.study.as_deref().unwrap_or_default())
            .arg(parsed.series.as_deref().unwrap_or_default())
            .output();
        match out {
            Ok(o) if o.status.success() => {
                let v: serde_json::Value =
                    serde_json::from_slice(&o.stdout).map_err(|e| e.to_string())?;
                py_first.push(v["first_ms"].as_f64().unwrap_or(f64::NAN));
                py_whole.push(v["whole_ms"].as_f64().unwrap_or(f64::NAN));
            }
            Ok(o) => py_error = Some(String::from_utf8_lossy(&o.stderr).trim().to_string()),
            Err(e) => py_error = Some(format!("{}: {e}", python.display())),
        }
    }
    let med = |v: Vec<f64>| crate::bench::median(v);
    println!(
        "series: {n} instances from {} (median of {runs} runs)",
        parsed.root
    );
    println!("| | Hounsfield | dicomweb-client + pydicom | ratio |");
    println!("| --- | ---: | ---: | ---: |");
    let (f, w) = (med(first), med(whole));
    match py_error {
        None => {
            let (pf, pw) = (med(py_first), med(py_whole));
            println!("| first image | {f:.0} ms | {pf:.0} ms | {:.1}x |", pf / f);
            println!(
                "| whole series decoded | {w:.0} ms | {pw:.0} ms | {:.1}x |",
                pw / w
            );
        }
        Some(e) => {
            println!("| first image | {f:.0} ms | (failed) | |");
            println!("| whole series decoded | {w:.0} ms | (failed) | |");
            eprintln!("hounsfield: the Python client failed: {e}");
        }
    }
    Ok(ExitCode::SUCCESS)
}
