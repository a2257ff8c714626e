//! The one place where errors become a gRPC `Status`: [`BackendError`] (from the backend, and
//! from argument validation, which speaks the same language) maps to its code with its message
//! unchanged. Also names codes the way gRPC documents them (`INVALID_ARGUMENT`), for clients.
//! Must not decide anything else.

use tonic::{Code, Status};

use crate::dialogs::backend::BackendError;

impl From<BackendError> for Status {
    fn from(err: BackendError) -> Status {
        let code = match &err {
            BackendError::NotFound(_) => Code::NotFound,
            BackendError::InvalidArgument(_) => Code::InvalidArgument,
            BackendError::FailedPrecondition(_) => Code::FailedPrecondition,
            BackendError::Unavailable(_) => Code::Unavailable,
            BackendError::ResourceExhausted(_) => Code::ResourceExhausted,
            BackendError::Internal(_) => Code::Internal,
        };
        if code == Code::Internal {
            tracing::warn!(error = %err, "grpc api: internal error");
        }
        Status::new(code, err.to_string())
    }
}

/// The canonical upper-case name of a gRPC code (`NOT_FOUND`).
pub fn code_name(code: Code) -> &'static str {
    match code {
        Code::Ok => "OK",
        Code::Cancelled => "CANCELLED",
        Code::Unknown => "UNKNOWN",
        Code::InvalidArgument => "INVALID_ARGUMENT",
        Code::DeadlineExceeded => "DEADLINE_EXCEEDED",
        Code::NotFound => "NOT_FOUND",
        Code::AlreadyExists => "ALREADY_EXISTS",
        Code::PermissionDenied => "PERMISSION_DENIED",
        Code::ResourceExhausted => "RESOURCE_EXHAUSTED",
        Code::FailedPrecondition => "FAILED_PRECONDITION",
        Code::Aborted => "ABORTED",
        Code::OutOfRange => "OUT_OF_RANGE",
        Code::Unimplemented => "UNIMPLEMENTED",
        Code::Internal => "INTERNAL",
        Code::Unavailable => "UNAVAILABLE",
        Code::DataLoss => "DATA_LOSS",
        Code::Unauthenticated => "UNAUTHENTICATED",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backend_errors_map_to_codes_with_their_message() {
        let cases = [
            (
                BackendError::NotFound("dialog 1 not found".into()),
                Code::NotFound,
            ),
            (
                BackendError::InvalidArgument("id: bad".into()),
                Code::InvalidArgument,
            ),
            (
                BackendError::FailedPrecondition("dialog 1 is deleted".into()),
                Code::FailedPrecondition,
            ),
            (
                BackendError::Unavailable("no quorum".into()),
                Code::Unavailable,
            ),
            (
                BackendError::ResourceExhausted("profile \"trunk\" is full (limit 2)".into()),
                Code::ResourceExhausted,
            ),
            (BackendError::Internal("actor gone".into()), Code::Internal),
        ];
        for (err, code) in cases {
            let msg = err.to_string();
            let status = Status::from(err);
            assert_eq!(status.code(), code);
            assert_eq!(status.message(), msg);
        }
    }

    #[test]
    fn code_names_are_canonical() {
        assert_eq!(code_name(Code::InvalidArgument), "INVALID_ARGUMENT");
        assert_eq!(code_name(Code::NotFound), "NOT_FOUND");
        assert_eq!(code_name(Code::Unavailable), "UNAVAILABLE");
        assert_eq!(code_name(Code::from_i32(9)), "FAILED_PRECONDITION");
    }
}
