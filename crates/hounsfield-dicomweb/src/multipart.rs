//! `multipart/related` bodies (RFC 2387, RFC 2046) and the media types that describe
//! them, as DICOMweb servers send them (PS3.18 8.7).
//!
//! Parameters may be quoted strings holding `;` and `=` (`type="application/octet-stream;
//! transfer-syntax=1.2.840.10008.1.2.1"`), boundaries may be long, and every part may carry
//! its own `Content-Type` with a `transfer-syntax` parameter.

use std::fmt;

/// A parsed media type: `type/subtype` in lower case and its parameters (names in lower
/// case, values unquoted).
///
/// ```
/// use hounsfield_dicomweb::multipart::MediaType;
/// let t = MediaType::parse(
///     r#"multipart/related; type="application/octet-stream; transfer-syntax=1.2.840.10008.1.2.4.80"; boundary=abc"#,
/// );
/// assert_eq!(t.essence, "multipart/related");
/// assert_eq!(t.param("boundary"), Some("abc"));
/// let inner = MediaType::parse(t.param("type").unwrap());
/// assert_eq!(inner.param("transfer-syntax"), Some("1.2.840.10008.1.2.4.80"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct MediaType {
    /// `type/subtype`, lower case, without parameters.
    pub essence: String,
    /// Parameters in order of appearance.
    pub params: Vec<(String, String)>,
}

impl MediaType {
    /// Parses a `Content-Type` value; never fails (odd input gives odd but bounded output).
    pub fn parse(s: &str) -> MediaType {
        let bytes = s.as_bytes();
        let mut i = 0;
        let essence_end = s.find(';').unwrap_or(s.len());
        let essence = s[..essence_end].trim().to_ascii_lowercase();
        i += essence_end;
        let mut params = Vec::new();
        while i < bytes.len() {
            // at ';'
            i += 1;
            let name_start = i;
            while i < bytes.len() && bytes[i] != b'=' && bytes[i] != b';' {
                i += 1;
            }
            let name = s[name_start..i].trim().to_ascii_lowercase();
            if i >= bytes.len() || bytes[i] == b';' {
                if !name.is_empty() {
                    params.push((name, String::new()));
                }
                continue;
            }
            i += 1; // '='
            while i < bytes.len() && bytes[i] == b' ' {
                i += 1;
            }
            let mut value = String::new();
            if i < bytes.len() && bytes[i] == b'"' {
                i += 1;
                let mut chars = s[i..].char_indices();
                let mut end = s.len() - i;
                while let Some((k, c)) = chars.next() {
                    match c {
                        '\\' => {
                            if let Some((_, n)) = chars.next() {
                                value.push(n);
                            }
                        }
                        '"' => {
                            end = k + 1;
                            break;
                        }
                        c => value.push(c),
                    }
                }
                i += end;
                while i < bytes.len() && bytes[i] != b';' {
                    i += 1;
                }
            } else {
                let start = i;
                while i < bytes.len() && bytes[i] != b';' {
                    i += 1;
                }
                value = s[start..i].trim().to_string();
            }
            if !name.is_empty() {
                params.push((name, value));
            }
        }
        MediaType { essence, params }
    }

    /// The value of parameter `name` (lower case), if present.
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

impl fmt::Display for MediaType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.essence)?;
        for (n, v) in &self.params {
            write!(f, "; {n}=\"{v}\"")?;
        }
        Ok(())
    }
}

/// One body part: its headers and its content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Part {
    /// Header names in lower case, values trimmed.
    pub headers: Vec<(String, String)>,
    /// The content, exactly as sent.
    pub body: Vec<u8>,
}

impl Part {
    /// The value of header `name` (lower case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// The part's media type, if it names one.
    pub fn media_type(&self) -> Option<MediaType> {
        self.header("content-type").map(MediaType::parse)
    }
}

/// Splits a `multipart/related` body at `boundary`.
///
/// Accepts CRLF and bare LF line ends, a preamble and an epilogue, and transport padding
/// after boundaries. A body without its closing delimiter (`--boundary--`) is an error
/// naming the part that was cut, so a truncated transfer never passes as fewer frames.
///
/// ```
/// use hounsfield_dicomweb::multipart::parse;
/// let body = b"--b\r\nContent-Type: application/octet-stream\r\n\r\nAB\r\n--b\r\n\r\nCD\r\n--b--\r\n";
/// let parts = parse(body, "b")?;
/// assert_eq!(parts.len(), 2);
/// assert_eq!(parts[0].body, b"AB");
/// assert_eq!(parts[1].body, b"CD");
/// assert!(parse(&body[..30], "b").is_err());
/// # Ok::<(), String>(())
/// ```
pub fn parse(body: &[u8], boundary: &str) -> Result<Vec<Part>, String> {
    if boundary.is_empty() || boundary.len() > 200 {
        return Err(format!(
            "the multipart boundary has {} characters (1 to 200 allowed)",
            boundary.len()
        ));
    }
    let delimiter = format!("--{boundary}");
    let finder = memchr::memmem::Finder::new(delimiter.as_bytes());
    // Delimiters count only at the start of the body or of a line.
    let find_from = |from: usize| -> Option<usize> {
        let mut at = from;
        while let Some(k) = finder.find(&body[at..]) {
            let pos = at + k;
            if pos == 0 || body[pos - 1] == b'\n' {
                return Some(pos);
            }
            at = pos + 1;
        }
        None
    };
    let mut pos = find_from(0).ok_or("no multipart boundary in the body")?;
    let mut parts = Vec::new();
    loop {
        let mut i = pos + delimiter.len();
        if body[i..].starts_with(b"--") {
            return Ok(parts);
        }
        while i < body.len() && (body[i] == b' ' || body[i] == b'\t') {
            i += 1;
        }
        if body[i..].starts_with(b"\r\n") {
            i += 2;
        } else if body[i..].starts_with(b"\n") {
            i += 1;
        } else {
            return Err(format!(
                "part {} is cut short after its boundary (body of {} bytes)",
                parts.len() + 1,
                body.len()
            ));
        }
        // Headers, up to an empty line.
        let mut headers = Vec::new();
        loop {
            let line_end = memchr::memchr(b'\n', &body[i..])
                .map(|k| i + k)
                .ok_or_else(|| format!("the headers of part {} are cut short", parts.len() + 1))?;
            let line = &body[i..line_end];
            let line = line.strip_suffix(b"\r").unwrap_or(line);
            i = line_end + 1;
            if line.is_empty() {
                break;
            }
            let line = String::from_utf8_lossy(line);
            if let Some((n, v)) = line.split_once(':') {
                headers.push((n.trim().to_ascii_lowercase(), v.trim().to_string()));
            }
        }
        let next = find_from(i).ok_or_else(|| {
            format!(
                "part {} has no closing boundary: the body ({} bytes) was cut short",
                parts.len() + 1,
                body.len()
            )
        })?;
        // The line break before the delimiter belongs to it.
        let mut end = next;
        if end > i && body[end - 1] == b'\n' {
            end -= 1;
            if end > i && body[end - 1] == b'\r' {
                end -= 1;
            }
        }
        let part = Part {
            headers,
            body: body[i..end].to_vec(),
        };
        if let Some(n) = part
            .header("content-length")
            .and_then(|v| v.parse::<usize>().ok())
            && n != part.body.len()
        {
            return Err(format!(
                "part {} says Content-Length {n} but holds {} bytes",
                parts.len() + 1,
                part.body.len()
            ));
        }
        parts.push(part);
        pos = next;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoted_parameters_keep_semicolons_and_equals() {
        let t = MediaType::parse(
            "Multipart/Related; type=\"image/jls; transfer-syntax=1.2.840.10008.1.2.4.80\"; boundary=fc1e-22",
        );
        assert_eq!(t.essence, "multipart/related");
        assert_eq!(
            t.param("type"),
            Some("image/jls; transfer-syntax=1.2.840.10008.1.2.4.80")
        );
        assert_eq!(t.param("boundary"), Some("fc1e-22"));
        let t = MediaType::parse("a/b; x=\"q\\\"uote\"; y=2");
        assert_eq!(t.param("x"), Some("q\"uote"));
        assert_eq!(t.param("y"), Some("2"));
        // Unterminated quotes and empty parameters stay bounded.
        let t = MediaType::parse("a/b; x=\"never closed; y=3");
        assert_eq!(t.param("x"), Some("never closed; y=3"));
        assert_eq!(MediaType::parse(";;=;").essence, "");
    }

    fn body(boundary: &str, parts: &[&[u8]], nl: &str) -> Vec<u8> {
        let mut v = b"preamble".to_vec();
        v.extend_from_slice(nl.as_bytes());
        for p in parts {
            v.extend_from_slice(format!("--{boundary}{nl}Content-Type: application/octet-stream; transfer-syntax=1.2.840.10008.1.2.5{nl}{nl}").as_bytes());
            v.extend_from_slice(p);
            v.extend_from_slice(nl.as_bytes());
        }
        v.extend_from_slice(format!("--{boundary}--{nl}epilogue").as_bytes());
        v
    }

    #[test]
    fn parts_with_binary_content_crlf_and_lf() {
        let boundary = "a8ab69c6-2493-4b56-8f53-2e4583335c0f-4e60fc89-4e9e-4037-8962-db41652e9";
        // Binary content holding CR, LF and a near-delimiter that is not at a line start.
        let a: &[u8] = b"\r\n\x00\xff--a8ab69c6\r\n";
        let b: &[u8] = format!("x--{boundary}y").into_bytes().leak();
        for nl in ["\r\n", "\n"] {
            let parts = parse(&body(boundary, &[a, b, b""], nl), boundary).unwrap();
            assert_eq!(parts.len(), 3);
            assert_eq!(parts[0].body, a);
            assert_eq!(parts[1].body, b);
            assert!(parts[2].body.is_empty());
            let t = parts[0].media_type().unwrap();
            assert_eq!(t.param("transfer-syntax"), Some("1.2.840.10008.1.2.5"));
        }
    }

    #[test]
    fn every_truncation_is_an_error() {
        let boundary = "0123456789abcdef";
        let full = body(boundary, &[b"first frame", b"second frame"], "\r\n");
        // Cut anywhere before the closing delimiter is complete: an error, never fewer parts.
        let close = full.len() - b"--\r\nepilogue".len();
        for cut in 0..close {
            assert!(
                parse(&full[..cut], boundary).is_err(),
                "a body cut at {cut} of {} bytes was accepted",
                full.len()
            );
        }
        assert_eq!(parse(&full, boundary).unwrap().len(), 2);
    }

    #[test]
    fn content_length_must_match() {
        let b = b"--b\r\nContent-Length: 5\r\n\r\nABC\r\n--b--";
        assert!(parse(b, "b").unwrap_err().contains("Content-Length 5"));
        assert!(parse(b"--b--", "").is_err());
    }
}
