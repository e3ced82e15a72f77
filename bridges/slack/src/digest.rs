//! Posting the weekly digest to `slack.digest_channel`: the chart goes up through
//! Slack's external upload flow (`files.getUploadURLExternal`, the upload URL,
//! `files.completeUploadExternal`) and is shared in the channel with the digest's text
//! as its comment.

use handover_daemon::bridge::DeliveryError;
use handover_daemon::digest::Digest;
use slack_morphism::prelude::*;

use crate::SlackBridge;
use crate::api::delivery_error;

impl SlackBridge {
    pub(crate) async fn post_digest_now(&self, d: &Digest) -> Result<String, DeliveryError> {
        let channel = self.inner.config.digest_channel.clone();
        if channel.is_empty() {
            return Err(DeliveryError::new("no slack.digest_channel is configured"));
        }
        let session = self.inner.api.session();
        let url = session
            .get_upload_url_external(&SlackApiFilesGetUploadUrlExternalRequest::new(
                d.chart_name.clone(),
                d.chart.len(),
            ))
            .await
            .map_err(delivery_error)?;
        session
            .files_upload_via_url(&SlackApiFilesUploadViaUrlRequest::new(
                url.upload_url,
                d.chart.clone(),
                "image/png".into(),
            ))
            .await
            .map_err(delivery_error)?;
        let file = SlackApiFilesComplete::new(url.file_id).with_title(d.title.clone());
        let req = SlackApiFilesCompleteUploadExternalRequest::new(vec![file])
            .with_channel_id(channel.clone().into())
            .with_initial_comment(d.text.clone());
        session
            .files_complete_upload_external(&req)
            .await
            .map_err(delivery_error)?;
        Ok(format!("<#{channel}>"))
    }
}
