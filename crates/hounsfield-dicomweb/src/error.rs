//! Errors that name the server, the request and what went wrong, never the credentials.

use std::fmt;

/// What went wrong with a DICOMweb request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ErrorKind {
    /// The URL is not one this client understands.
    Url(String),
    /// No answer: connection refused, name not found, TLS failure, time-out.
    Unreachable(String),
    /// The server answered with an HTTP error status.
    Status {
        /// The HTTP status code.
        status: u16,
        /// The status text or the body's first words.
        reason: String,
    },
    /// The answer could not be read: malformed JSON or multipart, missing frames.
    Protocol(String),
    /// The data arrived but is not a usable DICOM object.
    Dicom(String),
    /// The request was cancelled by the caller.
    Cancelled,
}

/// A DICOMweb error: the server (its root, without credentials), the request and the cause.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    /// The server's root URL, without user name or password.
    pub server: String,
    /// The request, e.g. `GET /studies/1.2.3/metadata`.
    pub request: String,
    /// The cause.
    pub kind: ErrorKind,
}

impl Error {
    pub(crate) fn new(server: &str, request: impl Into<String>, kind: ErrorKind) -> Error {
        Error {
            server: server.to_string(),
            request: request.into(),
            kind,
        }
    }

    /// The HTTP status, when the server answered with an error status.
    pub fn status(&self) -> Option<u16> {
        match self.kind {
            ErrorKind::Status { status, .. } => Some(status),
            _ => None,
        }
    }

    /// Whether the server refused the credentials (401, 403): retrying another way is
    /// pointless.
    pub fn is_auth(&self) -> bool {
        matches!(self.status(), Some(401 | 403))
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let cause = match &self.kind {
            ErrorKind::Url(m) => format!("not a DICOMweb URL: {m}"),
            ErrorKind::Unreachable(m) => format!("cannot reach the server: {m}"),
            ErrorKind::Status { status, reason } => {
                let hint = match status {
                    401 => {
                        " (the server wants credentials: set HOUNSFIELD_DICOMWEB_USER and HOUNSFIELD_DICOMWEB_PASSWORD, or HOUNSFIELD_DICOMWEB_TOKEN)"
                    }
                    403 => " (the credentials were refused)",
                    _ => "",
                };
                format!("HTTP {status} {reason}{hint}")
            }
            ErrorKind::Protocol(m) => format!("unreadable answer: {m}"),
            ErrorKind::Dicom(m) => m.clone(),
            ErrorKind::Cancelled => "cancelled".to_string(),
        };
        if self.request.is_empty() {
            write!(f, "{}: {cause}", self.server)
        } else {
            write!(f, "{}: {}: {cause}", self.server, self.request)
        }
    }
}

impl std::error::Error for Error {}
