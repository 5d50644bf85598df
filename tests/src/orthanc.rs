//! A real PACS for the DICOMweb tests: Orthanc with its DICOMweb plugin (Debian `orthanc`,
//! `orthanc-dicomweb`), started on a free local port with its own configuration and
//! storage under `target/`, filled through its REST API, stopped when dropped.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const PLUGIN: &str = "/usr/share/orthanc/plugins/libOrthancDicomWeb.so";

/// A running Orthanc; killed on drop.
pub struct Orthanc {
    child: Child,
    pub port: u16,
    dir: PathBuf,
    /// `user:password` when authentication is on.
    credentials: Option<(String, String)>,
}

/// A free TCP port on 127.0.0.1.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free local port")
}

impl Orthanc {
    /// Starts Orthanc, or fails (skips only where missing oracles are allowed) when it is
    /// not installed.
    pub fn start(credentials: Option<(&str, &str)>) -> Option<Orthanc> {
        let binary = ["/usr/sbin/Orthanc", "/usr/bin/Orthanc"]
            .into_iter()
            .map(PathBuf::from)
            .find(|p| p.exists());
        let (Some(binary), true) = (binary, Path::new(PLUGIN).exists()) else {
            crate::missing("Orthanc with its DICOMweb plugin (Debian orthanc, orthanc-dicomweb)");
            return None;
        };
        let port = free_port();
        let dicom_port = free_port();
        let dir = crate::root().join(format!("target/orthanc/{}-{port}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("Orthanc's folder under target/");
        let users = credentials
            .map(|(u, p)| serde_json::json!({ u: p }))
            .unwrap_or(serde_json::json!({}));
        let config = serde_json::json!({
            "Name": "hounsfield-test",
            "StorageDirectory": dir.join("db"),
            "IndexDirectory": dir.join("db"),
            "HttpPort": port,
            "DicomPort": dicom_port,
            "RemoteAccessAllowed": false,
            "AuthenticationEnabled": credentials.is_some(),
            "RegisteredUsers": users,
            "Plugins": [PLUGIN],
            "DicomWeb": { "Enable": true, "Root": "/dicom-web/" },
        });
        let config_path = dir.join("orthanc.json");
        std::fs::write(&config_path, config.to_string()).expect("write Orthanc's configuration");
        let log = std::fs::File::create(dir.join("orthanc.log")).expect("Orthanc's log");
        let child = Command::new(binary)
            .arg(&config_path)
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("start Orthanc");
        let orthanc = Orthanc {
            child,
            port,
            dir,
            credentials: credentials.map(|(u, p)| (u.to_string(), p.to_string())),
        };
        let start = Instant::now();
        while orthanc.get("/system").map(|r| r.0) != Ok(200) {
            assert!(
                start.elapsed() < Duration::from_secs(30),
                "Orthanc did not answer within 30 s; see {}",
                orthanc.dir.join("orthanc.log").display()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        Some(orthanc)
    }

    /// The DICOMweb root.
    pub fn root(&self) -> String {
        format!("http://127.0.0.1:{}/dicom-web", self.port)
    }

    fn request(&self, method: &str, path: &str, body: &[u8]) -> Result<(u16, Vec<u8>), String> {
        let mut s = TcpStream::connect(("127.0.0.1", self.port)).map_err(|e| e.to_string())?;
        s.set_read_timeout(Some(Duration::from_secs(60))).ok();
        let auth = self
            .credentials
            .as_ref()
            .map(|(u, p)| {
                use base64::Engine;
                let token = base64::engine::general_purpose::STANDARD.encode(format!("{u}:{p}"));
                format!("Authorization: Basic {token}\r\n")
            })
            .unwrap_or_default();
        write!(
            s,
            "{method} {path} HTTP/1.0\r\nHost: 127.0.0.1\r\n{auth}Content-Length: {}\r\n\r\n",
            body.len()
        )
        .map_err(|e| e.to_string())?;
        s.write_all(body).map_err(|e| e.to_string())?;
        let mut out = Vec::new();
        s.read_to_end(&mut out).map_err(|e| e.to_string())?;
        let end = out
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .ok_or("no HTTP header")?;
        let status = String::from_utf8_lossy(&out[..end])
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse().ok())
            .ok_or("no HTTP status")?;
        Ok((status, out[end + 4..].to_vec()))
    }

    /// GET on Orthanc's own REST API (the oracle of the QIDO tests).
    pub fn get(&self, path: &str) -> Result<(u16, Vec<u8>), String> {
        self.request("GET", path, b"")
    }

    /// GET returning JSON, or a panic naming the request.
    pub fn get_json(&self, path: &str) -> serde_json::Value {
        let (status, body) = self.get(path).unwrap_or_else(|e| panic!("GET {path}: {e}"));
        assert_eq!(
            status,
            200,
            "GET {path}: {}",
            String::from_utf8_lossy(&body)
        );
        serde_json::from_slice(&body).unwrap_or_else(|e| panic!("GET {path}: {e}"))
    }

    /// Stores a file (`POST /instances`).
    pub fn upload(&self, file: &Path) {
        let bytes = std::fs::read(file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        let (status, body) = self
            .request("POST", "/instances", &bytes)
            .unwrap_or_else(|e| panic!("upload {}: {e}", file.display()));
        assert_eq!(
            status,
            200,
            "upload {}: {}",
            file.display(),
            String::from_utf8_lossy(&body)
        );
    }
}

impl Drop for Orthanc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(self.dir.join("db"));
    }
}
