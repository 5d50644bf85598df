//! DICOMweb URLs: a service root, optionally with a study, a series and an instance.

use crate::Auth;
use crate::error::{Error, ErrorKind};

/// A DICOMweb URL split into its service root and the resources it names.
///
/// ```
/// use hounsfield_dicomweb::DicomWebUrl;
/// let u = DicomWebUrl::parse("http://pacs:8042/dicom-web/studies/1.2.3/series/4.5")?;
/// assert_eq!(u.root, "http://pacs:8042/dicom-web");
/// assert_eq!(u.study.as_deref(), Some("1.2.3"));
/// assert_eq!(u.series.as_deref(), Some("4.5"));
/// // Credentials in the URL move to the authentication and out of the URL.
/// let u = DicomWebUrl::parse("https://ann:secret@pacs/wado/studies/1.2")?;
/// assert_eq!(u.root, "https://pacs/wado");
/// assert!(u.auth.is_some());
/// # Ok::<(), hounsfield_dicomweb::Error>(())
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct DicomWebUrl {
    /// The service root, without a trailing slash and without credentials.
    pub root: String,
    /// Study Instance UID, after `/studies/`.
    pub study: Option<String>,
    /// Series Instance UID, after `/series/`.
    pub series: Option<String>,
    /// SOP Instance UID, after `/instances/`.
    pub instance: Option<String>,
    /// User name and password that were written in the URL.
    pub auth: Option<Auth>,
}

impl std::fmt::Debug for DicomWebUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DicomWebUrl")
            .field("root", &self.root)
            .field("study", &self.study)
            .field("series", &self.series)
            .field("instance", &self.instance)
            .field("auth", &self.auth.as_ref().map(|_| "(hidden)"))
            .finish()
    }
}

/// Whether `s` looks like an HTTP(S) URL (what the command line and the viewers treat as
/// a DICOMweb source rather than a path).
pub fn is_url(s: &str) -> bool {
    let l = s.get(..8).unwrap_or(s).to_ascii_lowercase();
    l.starts_with("http://") || l.starts_with("https://")
}

impl DicomWebUrl {
    /// Parses `ROOT[/studies/UID[/series/UID[/instances/UID]]]`.
    pub fn parse(s: &str) -> Result<DicomWebUrl, Error> {
        let bad = |m: &str| Error::new(&redact(s), "", ErrorKind::Url(m.to_string()));
        let mut url = reqwest::Url::parse(s.trim()).map_err(|e| {
            // Host names are taken in ASCII only (no Unicode IDNA tables are built in).
            match s.trim().split('/').nth(2) {
                Some(host) if !host.is_ascii() => {
                    bad("a host name with letters outside ASCII: give its ASCII (xn--) form")
                }
                _ => bad(&e.to_string()),
            }
        })?;
        if url.scheme() != "http" && url.scheme() != "https" {
            return Err(bad("only http and https are supported"));
        }
        let auth = if !url.username().is_empty() {
            let user = percent_decode(url.username());
            let password = url.password().map(percent_decode).unwrap_or_default();
            Some(Auth::Basic { user, password })
        } else {
            None
        };
        let _ = url.set_username("");
        let _ = url.set_password(None);
        url.set_query(None);
        url.set_fragment(None);
        let segments: Vec<String> = url
            .path_segments()
            .map(|s| s.filter(|x| !x.is_empty()).map(percent_decode).collect())
            .unwrap_or_default();
        let mut root_segments = segments.len();
        let (mut study, mut series, mut instance) = (None, None, None);
        if let Some(k) = segments.iter().position(|x| x == "studies") {
            root_segments = k;
            let rest = &segments[k..];
            let uid = |i: usize, name: &str| -> Result<Option<String>, Error> {
                match (rest.get(i), rest.get(i + 1)) {
                    (None, _) => Ok(None),
                    (Some(n), Some(v)) if n == name && valid_uid(v) => Ok(Some(v.clone())),
                    (Some(n), None) if n == name => Err(bad(&format!("no UID after /{name}/"))),
                    (Some(n), Some(v)) if n == name => {
                        Err(bad(&format!("{v:?} after /{name}/ is not a UID")))
                    }
                    (Some(n), _) => Err(bad(&format!("unexpected /{n}/ in the path"))),
                }
            };
            study = uid(0, "studies")?;
            series = if study.is_some() {
                uid(2, "series")?
            } else {
                None
            };
            instance = if series.is_some() {
                uid(4, "instances")?
            } else {
                None
            };
            if rest.len() > 6 {
                return Err(bad("the path goes on after the instance"));
            }
        }
        let mut root = format!(
            "{}://{}",
            url.scheme(),
            url.host_str().ok_or_else(|| bad("no host"))?
        );
        if let Some(p) = url.port() {
            root.push_str(&format!(":{p}"));
        }
        for s in &segments[..root_segments] {
            root.push('/');
            root.push_str(s);
        }
        Ok(DicomWebUrl {
            root,
            study,
            series,
            instance,
            auth,
        })
    }
}

/// Whether `s` is a UID (PS3.5 9.1: digits and dots, at most 64 characters).
pub(crate) fn valid_uid(s: &str) -> bool {
    !s.is_empty() && s.len() <= 64 && s.bytes().all(|b| b.is_ascii_digit() || b == b'.')
}

fn percent_decode(s: &str) -> String {
    percent_encoding::percent_decode_str(s)
        .decode_utf8_lossy()
        .into_owned()
}

/// `s` with any `user:password@` removed, for messages.
///
/// ```
/// assert_eq!(hounsfield_dicomweb::redact("http://ann:pw@pacs/wado"), "http://pacs/wado");
/// ```
pub fn redact(s: &str) -> String {
    match (s.find("://"), s.find('@')) {
        (Some(a), Some(b)) if b > a && !s[a + 3..b].contains('/') => {
            format!("{}{}", &s[..a + 3], &s[b + 1..])
        }
        _ => s.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roots_and_resources() {
        let u = DicomWebUrl::parse("http://127.0.0.1:8042/dicom-web/").unwrap();
        assert_eq!(u.root, "http://127.0.0.1:8042/dicom-web");
        assert_eq!(u.study, None);
        let u = DicomWebUrl::parse("http://h/studies/1.2/series/3.4/instances/5.6").unwrap();
        assert_eq!(u.root, "http://h");
        assert_eq!(u.instance.as_deref(), Some("5.6"));
        assert!(DicomWebUrl::parse("http://h/studies/1.2/frames/3").is_err());
        assert!(DicomWebUrl::parse("http://h/studies/").is_err());
        assert!(DicomWebUrl::parse("http://h/studies/abc").is_err());
        assert!(DicomWebUrl::parse("ftp://h/").is_err());
        let e = DicomWebUrl::parse("http://bücher.example/dicom-web").unwrap_err();
        assert!(e.to_string().contains("(xn--) form"), "{e}");
        let u = DicomWebUrl::parse("http://xn--bcher-kva.example/dicom-web").unwrap();
        assert_eq!(u.root, "http://xn--bcher-kva.example/dicom-web");
        let e = DicomWebUrl::parse("http://u:p%40ss@h/x/studies/x").unwrap_err();
        assert!(!e.to_string().contains("p%40ss"), "{e}");
        let u = DicomWebUrl::parse("http://u:p%40ss@h/x/studies/1").unwrap();
        assert_eq!(
            u.auth,
            Some(Auth::Basic {
                user: "u".into(),
                password: "p@ss".into()
            })
        );
        assert!(!format!("{u:?}").contains("p@ss"));
    }
}
