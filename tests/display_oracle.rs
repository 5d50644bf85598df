//! Display oracle: the CPU reference pipeline (`hounsfield render --cpu`) against DCMTK's
//! `dcm2pnm` / `dcmj2pnm` / `dcml2pnm` on every displayable file of the corpus, within 1 of
//! 8-bit output. The cases, and the documented deviations of DCMTK, are in
//! `tests/src/display.rs`.

use hounsfield_conformance::display::{Renderer, Row, check_file};
use hounsfield_conformance::{corpus, missing, print_table};
use rayon::prelude::*;
use std::process::Command;

#[test]
fn cpu_reference_matches_dcmtk() {
    let Some(files) = corpus() else {
        return missing("the test corpus (pydicom wheels and ../shared/data)");
    };
    if Command::new("dcm2pnm").arg("--version").output().is_err() {
        return missing("DCMTK (Debian package dcmtk)");
    }
    let rows: Vec<Row> = files
        .par_iter()
        .flat_map(|f| check_file(f, &Renderer::Cpu))
        .collect();
    let failures = rows.iter().filter(|r| !r.ok).count();
    let table: Vec<Vec<String>> = rows
        .iter()
        .map(|r| {
            vec![
                r.label.clone(),
                r.case.clone(),
                if r.ok { "ok" } else { "FAIL" }.into(),
                r.detail.clone(),
            ]
        })
        .collect();
    print_table(&["file", "case", "result", "detail"], &table);
    println!("\n{} comparisons, {failures} failures", rows.len());
    assert!(rows.len() > 500, "too few comparisons ran ({})", rows.len());
    assert_eq!(
        failures, 0,
        "CPU reference differs from DCMTK (table above)"
    );
}
