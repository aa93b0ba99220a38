//! Warehouses read from S3 or an S3-compatible store (`s3://BUCKET/PATH`):
//! a copy of a warehouse folder, for a cluster whose nodes share no file
//! system. The client reads the manifest and registers the tables through
//! an object store made from the usual `AWS_*` environment variables
//! (`AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`,
//! `AWS_REGION`, and for another store `AWS_ENDPOINT_URL` and
//! `AWS_ALLOW_HTTP=true` for plain HTTP); Ballista's scheduler and executor
//! binaries read `s3://` URLs with the same variables in their own
//! environment. An in-process cluster (`standalone:N`) shares the client's.

use std::sync::Arc;

use datafusion::execution::object_store::ObjectStoreUrl;
use datafusion::prelude::SessionContext;
use object_store::aws::AmazonS3Builder;
use object_store::{ObjectStore, ObjectStoreExt};

use super::{Location, MANIFEST};
use crate::error::{Error, Result};

/// The store holding `location`'s bucket, configured from the environment.
fn client(location: &Location) -> Result<(ObjectStoreUrl, Arc<dyn ObjectStore>)> {
    let Location::Store { bucket, .. } = location else {
        return Err(Error::warehouse(location, "not in an object store"));
    };
    let unusable = |e: &dyn std::fmt::Display| {
        Error::warehouse(
            location,
            format!(
                "cannot make an S3 client ({e}); check the AWS_* environment variables (README, \"On a cluster\")"
            ),
        )
    };
    let store = AmazonS3Builder::from_env()
        .with_bucket_name(bucket)
        .build()
        .map_err(|e| unusable(&e))?;
    let url = ObjectStoreUrl::parse(format!("s3://{bucket}")).map_err(|e| unusable(&e))?;
    Ok((url, Arc::new(store)))
}

/// The text of the manifest at `location`.
pub(super) async fn read_manifest(location: &Location) -> Result<String> {
    let (_, store) = client(location)?;
    let Location::Store { prefix, .. } = location else {
        return Err(Error::warehouse(location, "not in an object store"));
    };
    let key = object_store::path::Path::from(if prefix.is_empty() {
        MANIFEST.to_string()
    } else {
        format!("{prefix}/{MANIFEST}")
    });
    let bytes = async { store.get(&key).await?.bytes().await }
        .await
        .map_err(|e| match e {
            object_store::Error::NotFound { .. } => Error::warehouse(
                location,
                "no manifest.json here; copy the whole warehouse folder there (for example `aws s3 sync DIR s3://BUCKET/PATH`), the manifest last",
            ),
            other => Error::warehouse(
                location,
                format!("cannot read manifest.json ({other}); check the AWS_* environment variables and that the bucket exists"),
            ),
        })?;
    String::from_utf8(bytes.to_vec())
        .map_err(|_| Error::warehouse(location, "manifest.json is not text; copy it again"))
}

/// Let `ctx`'s engine read `location`'s bucket.
pub(super) fn register(ctx: &SessionContext, location: &Location) -> Result<()> {
    let (url, store) = client(location)?;
    ctx.register_object_store(url.as_ref(), store);
    Ok(())
}
