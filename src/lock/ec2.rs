//! The one place that talks to AWS: DescribeSnapshots for one selector (owner `self`, status
//! `completed`, one `tag:` filter per tag), following every page.

use std::collections::BTreeMap;

use aws_sdk_ec2::Client;
use aws_sdk_ec2::config::Region;
use aws_sdk_ec2::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_ec2::types::{Filter, Snapshot};
use jiff::Timestamp;

use super::error::LockError;
use super::pin::Candidate;
use crate::chain::chain;

/// How to reach EC2.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// `--region`; else the AWS configuration's (AWS_REGION, the profile).
    pub region: Option<String>,
    /// `--endpoint-url` (moto, LocalStack); else AWS's own, or AWS_ENDPOINT_URL.
    pub endpoint_url: Option<String>,
    /// Snapshots per page (EC2 accepts 5 to 1000); else EC2's default.
    pub page_size: Option<i32>,
}

/// An `--endpoint-url` that is not an `http` or `https` URL.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a URL; write one such as `http://localhost:4566`")]
pub struct NotAUrl(pub String);

impl crate::fault::HasFault for NotAUrl {
    fn fault(&self) -> crate::fault::Fault {
        crate::fault::Fault::Input
    }
}

/// An EC2 endpoint as given (moto, LocalStack), without a trailing `/`.
pub fn endpoint_url(text: &str) -> Result<String, NotAUrl> {
    if text.starts_with("http://") || text.starts_with("https://") {
        Ok(text.trim_end_matches('/').to_owned())
    } else {
        Err(NotAUrl(text.to_owned()))
    }
}

/// An EC2 client for one region.
#[derive(Debug)]
pub struct Ec2 {
    client: Client,
    region: String,
    page_size: Option<i32>,
}

/// What one selector found.
#[derive(Debug, Clone)]
pub struct Found {
    /// Every matching snapshot, as listed.
    pub candidates: Vec<Candidate>,
    /// How many pages EC2 answered with.
    pub pages: usize,
}

impl Ec2 {
    /// Loads the AWS configuration the way the AWS CLI does (environment, profile, SSO, web
    /// identity, instance role), with `options` on top.
    pub async fn connect(options: &Options) -> Result<Self, LockError> {
        let mut loader = aws_config::defaults(aws_config::BehaviorVersion::latest());
        if let Some(region) = &options.region {
            loader = loader.region(Region::new(region.clone()));
        }
        if let Some(url) = &options.endpoint_url {
            loader = loader.endpoint_url(url);
        }
        let config = loader.load().await;
        let region = config.region().ok_or(LockError::NoRegion)?.to_string();
        Ok(Self { client: Client::new(&config), region, page_size: options.page_size })
    }

    /// The region asked.
    pub fn region(&self) -> &str {
        &self.region
    }

    /// Every completed snapshot this account owns that carries all of `tags`.
    pub async fn snapshots(&self, tags: &BTreeMap<String, String>) -> Result<Found, LockError> {
        let mut request = self
            .client
            .describe_snapshots()
            .owner_ids("self")
            .filters(Filter::builder().name("status").values("completed").build());
        for (key, value) in tags {
            request = request.filters(Filter::builder().name(format!("tag:{key}")).values(value).build());
        }
        let mut pages = request.set_max_results(self.page_size).into_paginator().send();
        let mut found = Found { candidates: Vec::new(), pages: 0 };
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| LockError::Aws { region: self.region.clone(), message: explain(&e) })?;
            found.pages += 1;
            for snapshot in page.snapshots() {
                found.candidates.push(self.candidate(snapshot)?);
            }
        }
        Ok(found)
    }

    fn candidate(&self, snapshot: &Snapshot) -> Result<Candidate, LockError> {
        let malformed = |missing| LockError::Malformed { region: self.region.clone(), missing };
        let id = snapshot.snapshot_id().ok_or_else(|| malformed("an id"))?;
        let start = snapshot.start_time().ok_or_else(|| malformed("a start time"))?;
        let nanos = i32::try_from(start.subsec_nanos()).map_err(|_| malformed("a valid start time"))?;
        let start_time = Timestamp::new(start.secs(), nanos).map_err(|_| malformed("a valid start time"))?;
        Ok(Candidate { snapshot_id: id.to_owned(), start_time, volume_size_gib: snapshot.volume_size().map(i64::from) })
    }
}

/// The service's own code and message when EC2 answered, the whole error chain when it could not
/// be reached, and a hint for the usual causes.
fn explain<E, R>(error: &SdkError<E, R>) -> String
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug + 'static,
{
    match error {
        SdkError::ServiceError(service) => {
            let inner = service.err();
            let code = inner.code().unwrap_or("error");
            let message = inner.message().unwrap_or("(no message)");
            let hint = match code {
                "AuthFailure"
                | "UnauthorizedOperation"
                | "InvalidClientTokenId"
                | "SignatureDoesNotMatch"
                | "ExpiredToken"
                | "RequestExpired" => {
                    "; check the AWS credentials (AWS_PROFILE, AWS_ACCESS_KEY_ID, the CI role) and that they may \
                     call ec2:DescribeSnapshots"
                }
                "RequestLimitExceeded" | "Throttling" | "ThrottlingException" => {
                    "; EC2 kept throttling after the SDK's retries, try again later"
                }
                _ => "",
            };
            format!("{code}: {message}{hint}")
        }
        SdkError::DispatchFailure(_) | SdkError::TimeoutError(_) => {
            let text = chain(error);
            if text.contains("credential") {
                format!(
                    "{text}; no AWS credentials were found: set AWS_PROFILE or AWS_ACCESS_KEY_ID and \
                     AWS_SECRET_ACCESS_KEY, or run where a role is available"
                )
            } else {
                format!("{text}; cannot reach EC2: check the network, `--endpoint-url` and AWS_ENDPOINT_URL")
            }
        }
        _ => chain(error),
    }
}
