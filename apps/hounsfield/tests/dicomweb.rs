//! DICOMweb against a real PACS (Orthanc, started by the test): QIDO results against
//! Orthanc's own REST API, series and volumes over WADO-RS against the same files read
//! from disk, frames in their stored encoding, authentication and faults.

use hounsfield_conformance::orthanc::{Orthanc, free_port};
use hounsfield_conformance::{shared, testdata_dir};
use hounsfield_core::DicomFile;
use hounsfield_core::folder::Catalog;
use hounsfield_dicomweb::{ErrorKind, Options, Server, block_on};
use std::collections::BTreeSet;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

fn hounsfield(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_hounsfield"));
    c.args(args).env("XDG_RUNTIME_DIR", std::env::temp_dir());
    for k in [
        "HOUNSFIELD_DICOMWEB_USER",
        "HOUNSFIELD_DICOMWEB_PASSWORD",
        "HOUNSFIELD_DICOMWEB_TOKEN",
    ] {
        c.env_remove(k);
    }
    for (k, v) in env {
        c.env(k, v);
    }
    c.output().expect("run hounsfield")
}

fn ok(out: &Output) -> &[u8] {
    assert!(
        out.status.success(),
        "hounsfield failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    &out.stdout
}

fn json(out: &Output) -> serde_json::Value {
    serde_json::from_slice(ok(out)).expect("JSON output")
}

fn pydicom_file(name: &str) -> Option<PathBuf> {
    let p = [
        "pydicom-3.0.2/pydicom/data/test_files",
        "pydicom-data-1.0.0/data_store/data",
    ]
    .iter()
    .map(|d| testdata_dir().join(d).join(name))
    .find(|p| p.exists());
    if p.is_none() {
        hounsfield_conformance::missing(&format!("the pydicom test file {name}"));
    }
    p
}

fn uid(file: &DicomFile, tag: hounsfield_core::Tag) -> String {
    file.attributes().string(tag).expect("a UID")
}

/// The resource URL of a file stored in Orthanc.
fn url_of(root: &str, file: &Path, level: usize) -> String {
    let f = DicomFile::open(file).expect("open");
    use hounsfield_core::tags::*;
    let mut u = format!("{root}/studies/{}", uid(&f, STUDY_INSTANCE_UID));
    if level >= 1 {
        u += &format!("/series/{}", uid(&f, SERIES_INSTANCE_UID));
    }
    if level >= 2 {
        u += &format!("/instances/{}", uid(&f, SOP_INSTANCE_UID));
    }
    u
}

fn same_png(a: &Path, b: &Path) {
    let (wa, ha, ra) = hounsfield_conformance::read_png_rgb(a);
    let (wb, hb, rb) = hounsfield_conformance::read_png_rgb(b);
    assert_eq!((wa, ha), (wb, hb), "{} vs {}", a.display(), b.display());
    assert!(ra == rb, "{} and {} differ", a.display(), b.display());
}

#[test]
fn orthanc_searches_series_volumes_and_frames_match_disk() {
    let (Some(ct), Some(mr)) = (shared("ct-philips-brain"), shared("mr-transfer-syntaxes")) else {
        return;
    };
    let extra: Vec<PathBuf> = [
        "emri_small_jpeg_ls_lossless.dcm",
        "SC_rgb_rle_2frame.dcm",
        "examples_palette.dcm",
    ]
    .iter()
    .filter_map(|n| pydicom_file(n))
    .collect();
    let Some(orthanc) = Orthanc::start(None) else {
        return;
    };
    let root = orthanc.root();
    let (ct_files, _) = hounsfield_core::folder::expand(std::slice::from_ref(&ct));
    let mr_files: Vec<PathBuf> = (1..=9).map(|k| mr.join(format!("{k}.dcm"))).collect();
    for f in ct_files.iter().chain(&mr_files).chain(&extra) {
        if DicomFile::open(f).is_ok_and(|d| d.has_pixel_data()) {
            orthanc.upload(f);
        }
    }
    let out_dir =
        hounsfield_conformance::root().join(format!("target/dicomweb-test-{}", orthanc.port));
    std::fs::create_dir_all(&out_dir).expect("output folder");

    // QIDO-RS against Orthanc's own listing of its studies.
    let rest = orthanc.get_json("/studies?expand");
    let rest_studies: Vec<(String, String, String)> = rest
        .as_array()
        .expect("array")
        .iter()
        .map(|s| {
            let t = &s["MainDicomTags"];
            let p = &s["PatientMainDicomTags"];
            (
                t["StudyInstanceUID"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string(),
                p["PatientName"].as_str().unwrap_or_default().to_string(),
                t["StudyDate"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect();
    let uids = |v: &serde_json::Value| -> BTreeSet<String> {
        v.as_array()
            .expect("array")
            .iter()
            .map(|s| {
                s["study_instance_uid"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string()
            })
            .collect()
    };
    let all = json(&hounsfield(&["query", &root, "--json"], &[]));
    let expect: BTreeSet<String> = rest_studies.iter().map(|s| s.0.clone()).collect();
    assert_eq!(uids(&all), expect, "all studies");
    assert!(expect.len() >= 3, "the uploads make several studies");
    let (name, date) = (&rest_studies[0].1, &rest_studies[0].2);
    let prefix: String = name.chars().take(2).collect();
    let wild = json(&hounsfield(
        &[
            "query",
            &root,
            "--patient-name",
            &format!("{prefix}*"),
            "--json",
        ],
        &[],
    ));
    let expect: BTreeSet<String> = rest_studies
        .iter()
        .filter(|s| s.1.starts_with(&prefix))
        .map(|s| s.0.clone())
        .collect();
    assert!(
        !expect.is_empty() && expect.len() < rest_studies.len(),
        "the name filter must select some studies, not all"
    );
    assert_eq!(uids(&wild), expect, "Patient's Name {prefix}*");
    let range = format!("{date}-{date}");
    let dated = json(&hounsfield(
        &["query", &root, "--study-date", &range, "--json"],
        &[],
    ));
    let expect: BTreeSet<String> = rest_studies
        .iter()
        .filter(|s| &s.2 == date)
        .map(|s| s.0.clone())
        .collect();
    assert!(
        !expect.is_empty() && expect.len() < rest_studies.len(),
        "the date filter must select some studies, not all"
    );
    assert_eq!(uids(&dated), expect, "Study Date {range}");
    let paged = json(&hounsfield(
        &["query", &root, "--limit", "1", "--offset", "1", "--json"],
        &[],
    ));
    assert_eq!(paged.as_array().map(Vec::len), Some(1), "limit 1");
    assert!(uids(&all).is_superset(&uids(&paged)));

    // The CT series: the same series report and the same volume, value for value.
    let ct_url = url_of(
        &root,
        &ct_files
            .iter()
            .find(|f| DicomFile::open(f).is_ok_and(|d| d.has_pixel_data()))
            .expect("a CT slice")
            .clone(),
        1,
    );
    let strip = |mut v: serde_json::Value| {
        for s in v["series"].as_array_mut().expect("series") {
            s.as_object_mut().expect("object").remove("files");
        }
        v
    };
    let from_web = strip(json(&hounsfield(&["info", &ct_url, "--json"], &[])));
    let from_disk = strip(json(&hounsfield(
        &["info", ct.to_str().unwrap_or_default(), "--json"],
        &[],
    )));
    assert_eq!(
        from_web["series"], from_disk["series"],
        "info over DICOMweb and from disk"
    );
    let disk = Catalog::scan(std::slice::from_ref(&ct));
    let disk_volume = disk.volume(0).expect("disk volume");
    let server = Server::new(&root, Options::default()).expect("server");
    let parsed = hounsfield_dicomweb::DicomWebUrl::parse(&ct_url).expect("url");
    let metas = block_on(server.series_metadata(
        parsed.study.as_deref().unwrap_or_default(),
        parsed.series.as_deref().unwrap_or_default(),
    ))
    .expect("metadata");
    assert_eq!(metas.len(), disk.instances.len(), "instances");
    let order: Vec<usize> = (0..metas.len()).collect();
    let files = block_on(server.fetch_instances(&metas, &order, &|_| {}, &Default::default()));
    let files: Vec<Arc<DicomFile>> = files.into_iter().map(|r| r.expect("fetched")).collect();
    let web = Catalog::from_files(files);
    let web_volume = web.volume(0).expect("volume over DICOMweb");
    assert_eq!(
        web_volume.data, disk_volume.data,
        "the volume, value for value"
    );
    assert_eq!(web_volume.modality, disk_volume.modality);
    for (plane, extra) in [
        ("sagittal", vec![]),
        ("axial", vec!["--slab", "20", "--mode", "mip"]),
    ] {
        let (a, b) = (
            out_dir.join(format!("web-{plane}.png")),
            out_dir.join(format!("disk-{plane}.png")),
        );
        let mut args = vec![
            "render",
            &ct_url,
            "--plane",
            plane,
            "-o",
            a.to_str().unwrap_or_default(),
            "--cpu",
        ];
        args.extend(extra.iter().copied());
        ok(&hounsfield(&args, &[]));
        let disk_arg = ct.to_str().unwrap_or_default().to_string();
        args[1] = &disk_arg;
        args[5] = b.to_str().unwrap_or_default();
        ok(&hounsfield(&args, &[]));
        same_png(&a, &b);
    }

    // Every transfer syntax: frames arrive in the stored encoding and decode here to the
    // values the file gives; the renders are the same.
    for f in mr_files.iter().chain(&extra) {
        let disk = DicomFile::open(f).expect("open");
        let url = url_of(&root, f, 2);
        let parsed = hounsfield_dicomweb::DicomWebUrl::parse(&url).expect("url");
        let metas = block_on(server.series_metadata(
            parsed.study.as_deref().unwrap_or_default(),
            parsed.series.as_deref().unwrap_or_default(),
        ))
        .expect("metadata");
        let meta = metas
            .iter()
            .find(|m| Some(&m.sop_instance_uid) == parsed.instance.as_ref())
            .expect("the instance in its series' metadata");
        let web = block_on(server.fetch_instance(meta)).expect("frames");
        let frames = disk.image().expect("image").number_of_frames as usize;
        assert_eq!(
            web.image().expect("image").number_of_frames as usize,
            frames
        );
        // Big endian is the one syntax a server may not keep (it sends little endian).
        if !disk.transfer_syntax().big_endian {
            assert_eq!(
                web.transfer_syntax().uid,
                disk.transfer_syntax().uid,
                "{}: frames in the stored encoding",
                f.display()
            );
        }
        for k in 0..frames {
            let (a, b) = (
                web.decode_frame(k).expect("decode"),
                disk.decode_frame(k).expect("decode"),
            );
            assert!(
                a.samples == b.samples,
                "{} frame {k}: values differ",
                f.display()
            );
        }
        let last = frames.to_string();
        let (a, b) = (out_dir.join("web.png"), out_dir.join("disk.png"));
        ok(&hounsfield(
            &[
                "render",
                &url,
                "--frame",
                &last,
                "-o",
                a.to_str().unwrap_or_default(),
                "--cpu",
            ],
            &[],
        ));
        ok(&hounsfield(
            &[
                "render",
                f.to_str().unwrap_or_default(),
                "--frame",
                &last,
                "-o",
                b.to_str().unwrap_or_default(),
                "--cpu",
            ],
            &[],
        ));
        same_png(&a, &b);
        eprintln!(
            "{}: {} frames in {} over DICOMweb, equal to disk",
            f.display(),
            frames,
            web.transfer_syntax().name
        );
    }
    let _ = std::fs::remove_dir_all(&out_dir);
}

#[test]
fn authentication_right_and_wrong_credentials() {
    let Some(mr) = shared("mr-transfer-syntaxes/1.dcm") else {
        return;
    };
    let Some(orthanc) = Orthanc::start(Some(("reader", "s3cret-pass"))) else {
        return;
    };
    orthanc.upload(&mr);
    let root = orthanc.root();
    let url = url_of(&root, &mr, 1);
    let good = [
        ("HOUNSFIELD_DICOMWEB_USER", "reader"),
        ("HOUNSFIELD_DICOMWEB_PASSWORD", "s3cret-pass"),
    ];
    let studies = json(&hounsfield(&["query", &root, "--json"], &good));
    assert_eq!(studies.as_array().map(Vec::len), Some(1));
    let info = json(&hounsfield(&["info", &url, "--json"], &good));
    assert_eq!(info["series"].as_array().map(Vec::len), Some(1));
    let png = std::env::temp_dir().join(format!("hounsfield-auth-{}.png", orthanc.port));
    ok(&hounsfield(
        &[
            "render",
            &url,
            "-o",
            png.to_str().unwrap_or_default(),
            "--cpu",
        ],
        &good,
    ));
    let _ = std::fs::remove_file(&png);
    for env in [
        vec![
            ("HOUNSFIELD_DICOMWEB_USER", "reader"),
            ("HOUNSFIELD_DICOMWEB_PASSWORD", "wrong-guess"),
        ],
        vec![],
    ] {
        for args in [vec!["query", root.as_str()], vec!["info", url.as_str()]] {
            let out = hounsfield(&args, &env);
            let err = String::from_utf8_lossy(&out.stderr);
            assert!(
                !out.status.success(),
                "{args:?} without the right password succeeded"
            );
            assert!(err.contains("HTTP 401") && err.contains(&root), "{err}");
            assert!(
                !err.contains("wrong-guess") && !err.contains("s3cret"),
                "a password in: {err}"
            );
        }
    }
    // Credentials in the URL work too and never show in messages.
    let with = root.replace("http://", "http://reader:s3cret-pass@");
    ok(&hounsfield(&["query", &with], &[]));
}

/// A server that answers like a DICOMweb server with faults chosen by the test: frames
/// cut short or failing, instances failing, or no answer at all.
struct FaultyServer {
    port: u16,
    mode: Arc<AtomicUsize>,
}

const TRUNCATED: usize = 0;
const HEALTHY: usize = 1;
const SILENT: usize = 2;

impl FaultyServer {
    fn start(metadata: Vec<u8>, frame: Vec<u8>) -> FaultyServer {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = listener.local_addr().expect("addr").port();
        let mode = Arc::new(AtomicUsize::new(TRUNCATED));
        let m = mode.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let (metadata, frame, m) = (metadata.clone(), frame.clone(), m.clone());
                std::thread::spawn(move || {
                    serve(stream, &metadata, &frame, m.load(Ordering::SeqCst))
                });
            }
        });
        FaultyServer { port, mode }
    }
}

fn serve(mut s: std::net::TcpStream, metadata: &[u8], frame: &[u8], mode: usize) {
    let mut buf = [0u8; 4096];
    let n = s.read(&mut buf).unwrap_or(0);
    let req = String::from_utf8_lossy(&buf[..n]).to_string();
    let path = req.split_whitespace().nth(1).unwrap_or("").to_string();
    let reply = |s: &mut std::net::TcpStream, status: &str, ct: &str, body: &[u8]| {
        let _ = write!(
            s,
            "HTTP/1.1 {status}\r\nContent-Type: {ct}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
            body.len()
        );
        let _ = s.write_all(body);
    };
    if mode == SILENT {
        std::thread::sleep(std::time::Duration::from_secs(5));
        return;
    }
    if path.ends_with("/metadata") {
        return reply(&mut s, "200 OK", "application/dicom+json", metadata);
    }
    let boundary = "3a7c0e4f-aaaa-bbbb-cccc-0123456789abcdef0123456789abcdef";
    let mut body = format!("--{boundary}\r\nContent-Type: application/octet-stream; transfer-syntax=1.2.840.10008.1.2.1\r\n\r\n").into_bytes();
    body.extend_from_slice(frame);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    let ct = format!(
        "multipart/related; type=\"application/octet-stream; transfer-syntax=1.2.840.10008.1.2.1\"; boundary={boundary}"
    );
    match mode {
        TRUNCATED if path.contains("/frames/") => {
            // Cut in the middle of the frame: a well-formed header, half the body.
            reply(&mut s, "200 OK", &ct, &body[..body.len() / 2])
        }
        TRUNCATED => reply(
            &mut s,
            "500 Internal Server Error",
            "text/plain",
            b"storage failure",
        ),
        _ if path.contains("/frames/") => reply(&mut s, "200 OK", &ct, &body),
        _ => reply(&mut s, "404 Not Found", "text/plain", b""),
    }
}

#[test]
fn faults_give_clear_errors_and_a_retry_works() {
    let Some(file) = shared("mr-transfer-syntaxes/1.dcm") else {
        return;
    };
    let disk = DicomFile::open(&file).expect("open");
    let frame = disk.encoded_frame(0).expect("native frame").into_owned();
    // The metadata as a real server wrote it: Orthanc's, for the same file.
    let Some(orthanc) = Orthanc::start(None) else {
        return;
    };
    orthanc.upload(&file);
    let path = url_of("", &file, 1) + "/metadata";
    let (status, metadata) = orthanc.get(&format!("/dicom-web{path}")).expect("metadata");
    assert_eq!(status, 200);
    drop(orthanc);

    let fake = FaultyServer::start(metadata, frame);
    let root = format!("http://127.0.0.1:{}/dicom-web", fake.port);
    let options = Options {
        timeout: std::time::Duration::from_secs(2),
        ..Options::default()
    };
    let server = Server::new(&root, options).expect("server");
    let parsed =
        hounsfield_dicomweb::DicomWebUrl::parse(&format!("{root}{path}").replace("/metadata", ""))
            .expect("url");
    let (st, se) = (
        parsed.study.unwrap_or_default(),
        parsed.series.unwrap_or_default(),
    );
    let metas = block_on(server.series_metadata(&st, &se)).expect("metadata from the fake server");
    // Frames cut short, and the whole instance fails too: an error naming both.
    let Err(e) = block_on(server.fetch_instance(&metas[0])) else {
        panic!("a truncated body was accepted");
    };
    let msg = e.to_string();
    assert!(
        msg.contains(&root) && msg.contains("HTTP 500") && msg.contains("cut short"),
        "{msg}"
    );
    // The same server healthy again: the retry gives the file's values.
    fake.mode.store(HEALTHY, Ordering::SeqCst);
    let web = block_on(server.fetch_instance(&metas[0])).expect("the retry works");
    assert!(
        web.decode_frame(0).expect("decode").samples
            == disk.decode_frame(0).expect("decode").samples
    );
    // Cached: no request needed even when the server goes silent.
    fake.mode.store(SILENT, Ordering::SeqCst);
    assert!(block_on(server.fetch_instance(&metas[0])).is_ok());
    // A silent server: a time-out, named as such.
    let Err(e) = block_on(server.series_metadata(&st, &se)) else {
        panic!("a silent server gave metadata");
    };
    assert!(
        matches!(e.kind, ErrorKind::Unreachable(_)) && e.to_string().contains("timed out"),
        "{e}"
    );
    // No server at all, from the command line: a clear message and a failure status.
    let down = format!("http://127.0.0.1:{}/dicom-web", free_port());
    let out = hounsfield(&["query", &down], &[]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success() && err.contains("cannot reach the server") && err.contains(&down),
        "{err}"
    );
}
