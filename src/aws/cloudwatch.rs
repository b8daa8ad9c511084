//! The CloudWatch client of one environment's account: the alarms `stagegate watch` follows
//! (R55).
//!
//! `aws-sdk-cloudwatch` is held at 1.99.0, the last release that speaks CloudWatch's AWS Query
//! protocol. Later releases send only Smithy RPC v2 CBOR, which real CloudWatch serves but
//! moto 5.2.5 and LocalStack 4.5.0 do not (they serve Query, and moto also JSON 1.0); AWS keeps
//! Query supported, so the same client works against real AWS and both emulators.

use aws_config::{BehaviorVersion, Region};
use aws_credential_types::Credentials;

use super::MotoAccount;
use crate::emulator::{Endpoint, Flavor};

/// A CloudWatch client acting as `account_id` in `region`.
pub async fn client(endpoint: &Endpoint, account_id: &str, region: &str) -> aws_sdk_cloudwatch::Client {
    let loader = aws_config::defaults(BehaviorVersion::latest()).region(Region::new(region.to_owned()));
    let sdk = match &endpoint.url {
        None => loader.load().await,
        Some(url) => {
            let key_id = if endpoint.flavor == Flavor::LocalStack { account_id.to_owned() } else { "test".to_owned() };
            loader
                .endpoint_url(url)
                .credentials_provider(Credentials::new(key_id, "test", None, None, "stagegate-emulator"))
                .load()
                .await
        }
    };
    let mut conf = aws_sdk_cloudwatch::config::Builder::from(&sdk);
    if endpoint.flavor == Flavor::Moto {
        conf = conf.interceptor(MotoAccount(account_id.to_owned()));
    }
    aws_sdk_cloudwatch::Client::from_conf(conf.build())
}
