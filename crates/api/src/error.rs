//! The crate's error type: what can go wrong serving the API or calling it as a client. Server
//! side argument and backend errors are not here: they travel as [`crate::BackendError`] and
//! become a gRPC `Status` in [`crate::status`].

use crate::status::code_name;

/// Errors of the API server and client.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The address given to the client is not a valid URI.
    #[error("invalid server address {addr:?}: {reason}")]
    BadAddress { addr: String, reason: String },
    /// A credential given to the client cannot travel in a header.
    #[error("the {0} holds characters not allowed in a header")]
    BadCredential(&'static str),
    /// The client could not reach the server.
    #[error("cannot connect to {addr}: {source}")]
    Connect {
        addr: String,
        #[source]
        source: tonic::transport::Error,
    },
    /// The server answered with a non-OK status.
    #[error("{}: {}", code_name(.0.code()), .0.message())]
    Status(Box<tonic::Status>),
    /// The server's reply holds a value the client cannot read.
    #[error("bad {field} in server reply: {value:?}")]
    BadReply { field: &'static str, value: String },
    /// The embedded descriptor set could not be loaded into the reflection service.
    #[error("reflection service: {0}")]
    Reflection(String),
    /// The server's TLS certificate or key cannot be used.
    #[error("tls: {0}")]
    Tls(String),
    /// The gRPC server failed.
    #[error("grpc server: {0}")]
    Serve(#[source] tonic::transport::Error),
}

/// `Result` with the crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// The gRPC code that best describes the error (what `dialogctl` prints).
    pub fn code(&self) -> tonic::Code {
        match self {
            Error::BadAddress { .. } | Error::BadCredential(_) => tonic::Code::InvalidArgument,
            Error::Connect { .. } => tonic::Code::Unavailable,
            Error::Status(status) => status.code(),
            Error::BadReply { .. } => tonic::Code::DataLoss,
            Error::Reflection(_) | Error::Tls(_) | Error::Serve(_) => tonic::Code::Internal,
        }
    }
}

impl From<tonic::Status> for Error {
    fn from(status: tonic::Status) -> Error {
        Error::Status(Box::new(status))
    }
}
