//! SDK errors in the words operators read, with the service's error code kept so that callers
//! decide on the kind of failure (`is_no_such_bucket`), never on the text.

use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::display::DisplayErrorContext;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;

/// An AWS call that failed: the service's error code when the service answered, and the
/// one-line description [`describe_sdk`] gives.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{text}")]
pub struct AwsError {
    code: Option<String>,
    text: String,
}

/// The service's error code of a failed call (`NoSuchBucket`, ...); none when it never answered.
pub fn service_code<E: ProvideErrorMetadata, R>(e: &SdkError<E, R>) -> Option<&str> {
    e.as_service_error().and_then(|se| se.code())
}

impl AwsError {
    pub fn from_sdk<E, R>(e: &SdkError<E, R>) -> AwsError
    where
        E: ProvideErrorMetadata + std::error::Error + 'static,
        R: std::fmt::Debug,
    {
        AwsError { code: service_code(e).map(str::to_owned), text: describe_sdk(e) }
    }

    /// The service's error code (`NoSuchBucket`, `ResourceNotFoundException`, ...); none when
    /// the service never answered (connection refused, timeout).
    pub fn code(&self) -> Option<&str> {
        self.code.as_deref()
    }

    /// The bucket addressed does not exist (in this account).
    pub fn is_no_such_bucket(&self) -> bool {
        self.code() == Some("NoSuchBucket")
    }

    /// The thing addressed does not exist: a bucket, key, version or table.
    pub fn is_not_found(&self) -> bool {
        matches!(
            self.code(),
            Some("NoSuchBucket" | "NoSuchKey" | "NoSuchVersion" | "NotFound" | "ResourceNotFoundException")
        )
    }
}

/// A failure that is not the service's answer (a body that could not be read, a read-back).
impl From<String> for AwsError {
    fn from(text: String) -> AwsError {
        AwsError { code: None, text }
    }
}

/// An SDK error in one line: the service's code and message when the service answered,
/// else the whole cause chain (connection refused, timeout, ...).
pub fn describe_sdk<E, R>(e: &SdkError<E, R>) -> String
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    match e.as_service_error() {
        Some(se) => format!(
            "{}: {}",
            se.code().unwrap_or("ServiceError"),
            se.message().unwrap_or("no message from the service")
        ),
        None => DisplayErrorContext(e).to_string(),
    }
}
