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
/// (The whole body at once; [`Splitter`] takes it as it arrives.)
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
    let mut splitter = Splitter::new(boundary)?;
    let parts = splitter.push(body)?;
    splitter.finish()?;
    Ok(parts)
}

/// The largest part a [`Splitter`] holds while waiting for its end.
const MAX_PART_BYTES: usize = 1 << 30;

/// Splits a `multipart/related` body into parts as its bytes arrive: each part is handed
/// over as soon as the delimiter after it is in, so a long answer (a whole series) is
/// never held whole and its first instances can be used while the rest travels. The
/// same rules as [`parse`]; [`finish`](Self::finish) says whether the body was complete.
///
/// ```
/// use hounsfield_dicomweb::multipart::Splitter;
/// let body = b"--b\r\n\r\nAB\r\n--b\r\n\r\nCD\r\n--b--\r\n";
/// let mut s = Splitter::new("b")?;
/// let mut parts = Vec::new();
/// for byte in body.chunks(1) {
///     parts.extend(s.push(byte)?);
/// }
/// s.finish()?;
/// assert_eq!(parts.len(), 2);
/// # Ok::<(), String>(())
/// ```
pub struct Splitter {
    delimiter: Vec<u8>,
    finder: memchr::memmem::Finder<'static>,
    /// Bytes not handed over yet: from the delimiter of the part in progress on, once
    /// the preamble is behind.
    buf: Vec<u8>,
    /// Whether `buf` starts at a delimiter.
    started: bool,
    /// Whether `buf` starts a line of the body (true at its start; the preamble kept
    /// while waiting for the first delimiter may start mid-line).
    line_start: bool,
    /// Where the search for the next delimiter resumes (no delimiter starts before it).
    scan_from: usize,
    closed: bool,
    parts: usize,
    seen: u64,
}

impl Splitter {
    /// A splitter for `boundary` (1 to 200 characters).
    pub fn new(boundary: &str) -> Result<Splitter, String> {
        if boundary.is_empty() || boundary.len() > 200 {
            return Err(format!(
                "the multipart boundary has {} characters (1 to 200 allowed)",
                boundary.len()
            ));
        }
        let delimiter = format!("--{boundary}").into_bytes();
        Ok(Splitter {
            finder: memchr::memmem::Finder::new(&delimiter).into_owned(),
            delimiter,
            buf: Vec::new(),
            started: false,
            line_start: true,
            scan_from: 0,
            closed: false,
            parts: 0,
            seen: 0,
        })
    }

    /// A delimiter at the start of `buf` or of a line, from `from` on.
    fn find_delimiter(&self, from: usize) -> Option<usize> {
        let mut at = from;
        while let Some(k) = self.finder.find(self.buf.get(at..)?) {
            let pos = at + k;
            if (pos == 0 && self.line_start) || (pos > 0 && self.buf[pos - 1] == b'\n') {
                return Some(pos);
            }
            at = pos + 1;
        }
        None
    }

    /// Takes the next bytes of the body; returns the parts completed by them.
    pub fn push(&mut self, chunk: &[u8]) -> Result<Vec<Part>, String> {
        self.seen += chunk.len() as u64;
        let mut out = Vec::new();
        if self.closed {
            return Ok(out); // the epilogue
        }
        self.buf.extend_from_slice(chunk);
        let d = self.delimiter.len();
        loop {
            if !self.started {
                match self.find_delimiter(self.scan_from) {
                    Some(p) => {
                        self.buf.drain(..p);
                        self.started = true;
                        self.scan_from = 0;
                    }
                    None => {
                        // Keep what may be the start of a delimiter (and the line end
                        // before it).
                        let keep = d + 1;
                        if self.buf.len() > keep {
                            let cut = self.buf.len() - keep;
                            self.line_start = self.buf[cut - 1] == b'\n';
                            self.buf.drain(..cut);
                        }
                        self.scan_from = 0;
                        return Ok(out);
                    }
                }
            }
            // `buf` starts with a delimiter: the closing one, or a part's.
            let buf = &self.buf;
            let mut i = d;
            if buf.len() < i + 2 {
                return Ok(out);
            }
            if buf[i..].starts_with(b"--") {
                self.closed = true;
                self.buf = Vec::new();
                return Ok(out);
            }
            while i < buf.len() && (buf[i] == b' ' || buf[i] == b'\t') {
                i += 1;
            }
            if buf[i..].starts_with(b"\r\n") {
                i += 2;
            } else if buf[i..].starts_with(b"\n") {
                i += 1;
            } else if i + 1 >= buf.len() {
                return Ok(out); // padding or a line end still to come
            } else {
                return Err(format!(
                    "part {} is cut short after its boundary",
                    self.parts + 1
                ));
            }
            // Headers, up to an empty line.
            let mut headers = Vec::new();
            loop {
                let Some(line_end) = memchr::memchr(b'\n', &buf[i..]).map(|k| i + k) else {
                    return self.wait(out);
                };
                let line = &buf[i..line_end];
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
            let Some(next) = self.find_delimiter(self.scan_from.max(i)) else {
                self.scan_from = self.buf.len().saturating_sub(d).max(i);
                return self.wait(out);
            };
            // The line break before the delimiter belongs to it.
            let buf = &self.buf;
            let mut end = next;
            if end > i && buf[end - 1] == b'\n' {
                end -= 1;
                if end > i && buf[end - 1] == b'\r' {
                    end -= 1;
                }
            }
            let part = Part {
                headers,
                body: buf[i..end].to_vec(),
            };
            if let Some(n) = part
                .header("content-length")
                .and_then(|v| v.parse::<usize>().ok())
                && n != part.body.len()
            {
                return Err(format!(
                    "part {} says Content-Length {n} but holds {} bytes",
                    self.parts + 1,
                    part.body.len()
                ));
            }
            self.parts += 1;
            out.push(part);
            self.buf.drain(..next);
            self.scan_from = 0;
        }
    }

    /// Waits for more bytes, unless the part in progress is already too large to hold.
    fn wait(&self, out: Vec<Part>) -> Result<Vec<Part>, String> {
        if self.buf.len() > MAX_PART_BYTES {
            return Err(format!(
                "part {} is larger than {} MiB",
                self.parts + 1,
                MAX_PART_BYTES >> 20
            ));
        }
        Ok(out)
    }

    /// The body ended: an error unless its closing delimiter came.
    pub fn finish(&self) -> Result<(), String> {
        if self.closed {
            Ok(())
        } else if !self.started {
            Err("no multipart boundary in the body".into())
        } else {
            Err(format!(
                "part {} has no closing boundary: the body ({} bytes) was cut short",
                self.parts + 1,
                self.seen
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_delimiter_inside_a_preamble_line_is_not_one_however_the_body_arrives() {
        let body = b"preamble x--b\r\n\r\nNOT\r\n--b\r\n\r\nAB\r\n--b--\r\n";
        let whole = parse(body, "b").expect("whole");
        assert_eq!(whole.len(), 1);
        assert_eq!(whole[0].body, b"AB");
        for size in 1..body.len() {
            let mut s = Splitter::new("b").expect("splitter");
            let mut parts = Vec::new();
            for chunk in body.chunks(size) {
                parts.extend(s.push(chunk).expect("push"));
            }
            s.finish().expect("finish");
            assert_eq!(parts, whole, "chunks of {size}");
        }
    }

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
    fn bytes_in_any_chunks_give_the_same_parts() {
        let boundary = "a8ab69c6-2493-4b56-8f53-2e4583335c0f";
        let a: &[u8] = b"\r\n\x00\xff--a8ab69c6\r\n";
        let b: &[u8] = format!("x--{boundary}y\r").into_bytes().leak();
        for nl in ["\r\n", "\n"] {
            let full = body(boundary, &[a, b, b""], nl);
            let whole = parse(&full, boundary).unwrap();
            assert_eq!(whole.len(), 3);
            for size in [1, 2, 3, 7, 40, 41, 1000] {
                let mut s = Splitter::new(boundary).unwrap();
                let mut parts = Vec::new();
                for c in full.chunks(size) {
                    parts.extend(s.push(c).unwrap());
                }
                s.finish().unwrap();
                assert_eq!(parts, whole, "chunks of {size} bytes ({nl:?})");
            }
            // Cut anywhere before the closing delimiter: finish says so.
            let close = full.len() - format!("--{nl}epilogue").len();
            for cut in [0, 10, close / 2, close - 1] {
                let mut s = Splitter::new(boundary).unwrap();
                for c in full[..cut].chunks(5) {
                    s.push(c).unwrap();
                }
                assert!(s.finish().is_err(), "cut at {cut}");
            }
        }
    }

    #[test]
    fn content_length_must_match() {
        let b = b"--b\r\nContent-Length: 5\r\n\r\nABC\r\n--b--";
        assert!(parse(b, "b").unwrap_err().contains("Content-Length 5"));
        assert!(parse(b"--b--", "").is_err());
    }
}
