//! Where moto's answers differ from AWS's in what the SDK sends, the requests are mended here.

/// moto 5.2.5 reads ListTags' resource ARN from the path segment before a trailing slash,
/// which the SDK does not send (`GET /tags/{arn}`), and so lists no tags: on moto the slash is
/// added. Real AWS accepts both.
#[derive(Debug, Clone)]
pub struct MotoListTagsPath;

impl aws_smithy_runtime_api::client::interceptors::Intercept for MotoListTagsPath {
    fn name(&self) -> &'static str {
        "MotoListTagsPath"
    }

    fn modify_before_signing(
        &self,
        context: &mut aws_smithy_runtime_api::client::interceptors::context::BeforeTransmitInterceptorContextMut<'_>,
        _components: &aws_smithy_runtime_api::client::runtime_components::RuntimeComponents,
        _cfg: &mut aws_smithy_types::config_bag::ConfigBag,
    ) -> Result<(), aws_smithy_runtime_api::box_error::BoxError> {
        let request = context.request_mut();
        if request.method() != "GET" {
            return Ok(());
        }
        let uri = request.uri().to_owned();
        let (path, query) = uri.split_once('?').map_or((uri.as_str(), None), |(p, q)| (p, Some(q)));
        if path.contains("/tags/") && !path.ends_with('/') {
            let fixed = match query {
                Some(q) => format!("{path}/?{q}"),
                None => format!("{path}/"),
            };
            request.set_uri(fixed)?;
        }
        Ok(())
    }
}
