//! Posting the weekly digest to `discord.digest_channel_id`: the text (split at 2,000
//! characters) with the chart attached to its first message, pinging nobody.

use handover_daemon::bridge::DeliveryError;
use handover_daemon::digest::Digest;
use serde_json::json;
use serenity::all::{ChannelId, CreateAttachment};
use serenity::http::{LightMethod, Multipart, MultipartUpload, Request, Route};

use crate::perform::id_of;
use crate::{DiscordBridge, format};

impl DiscordBridge {
    pub(crate) async fn post_digest_now(&self, d: &Digest) -> Result<String, DeliveryError> {
        let channel = ChannelId::new(id_of(
            "digest channel",
            &self.inner.config.digest_channel_id,
        )?);
        let parts = format::split(&d.text, format::MAX_CONTENT);
        for (i, part) in parts.iter().enumerate() {
            let mut payload = json!({"content": part, "allowed_mentions": {"parse": []}});
            let mut req = Request::new(
                Route::ChannelMessages {
                    channel_id: channel,
                },
                LightMethod::Post,
            );
            if i == 0 {
                payload["attachments"] = json!([{"id": 0, "filename": d.chart_name}]);
                req = req.multipart(Some(Multipart {
                    upload: MultipartUpload::Attachments(vec![CreateAttachment::bytes(
                        d.chart.clone(),
                        d.chart_name.clone(),
                    )]),
                    fields: Vec::new(),
                    payload_json: Some(payload.to_string()),
                }));
            } else {
                req = req.body(Some(payload.to_string().into_bytes()));
            }
            self.inner.rest.send(req).await?;
        }
        Ok(format!("<#{channel}>"))
    }
}
