//! SDK errors in the words operators read.

use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::display::DisplayErrorContext;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;

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
