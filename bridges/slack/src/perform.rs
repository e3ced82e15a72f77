//! Showing effects in Slack: the card, relayed messages, reminders, delivery marks and
//! ratings, each rendered from the handover's latest stored state.

use handover_core::{BridgeEffect, DeliveryOutcome, Handover, Role, TranscriptEntry};
use handover_daemon::bridge::{DeliveryError, Performed};
use handover_daemon::engine::Engine;
use slack_morphism::prelude::SlackBlock;

use crate::api::Post;
use crate::{SlackBridge, format, ids};

/// The name AI messages are shown under.
const AI_NAME: &str = "AI assistant";

impl SlackBridge {
    pub(crate) async fn show(
        &self,
        engine: &Engine,
        h: &Handover,
        effect: &BridgeEffect,
    ) -> Result<Performed, DeliveryError> {
        let now = engine.now();
        if let BridgeEffect::Announce = effect {
            return self.announce(engine, h, now).await;
        }
        let (channel, thread) = ids::thread_of(h.location.as_ref())
            .ok_or_else(|| DeliveryError::new(format!("{} is not posted in Slack yet", h.id)))?;
        let in_thread = |text: String| Post {
            channel: channel.to_owned(),
            thread_ts: Some(thread.to_owned()),
            text,
            ..Post::default()
        };
        match effect {
            BridgeEffect::Announce => {}
            BridgeEffect::UpdateCard | BridgeEffect::Archive => {
                let card = format::card(h, now);
                self.inner
                    .api
                    .update(channel, thread, card.text, blocks(card.blocks)?)
                    .await?;
            }
            BridgeEffect::Relay { entry } => {
                self.relay(channel, thread, h, entry).await?;
            }
            BridgeEffect::Remind { count } => {
                let members = self.members(engine)?;
                self.inner
                    .api
                    .post(in_thread(format::reminder_text(h, *count, &members, now)))
                    .await?;
            }
            BridgeEffect::Delivery {
                message_id,
                outcome,
            } => match outcome {
                DeliveryOutcome::Delivered => {
                    self.inner
                        .api
                        .react(channel, message_id, format::DELIVERED)
                        .await?
                }
                DeliveryOutcome::Failed { reason } => {
                    self.inner
                        .api
                        .react(channel, message_id, format::FAILED)
                        .await?;
                    self.inner
                        .api
                        .post(in_thread(format::delivery_failed_text(reason)))
                        .await?;
                }
            },
            BridgeEffect::Rated { score, comment } => {
                self.inner
                    .api
                    .post(in_thread(format::rating_text(*score, comment.as_deref())))
                    .await?;
            }
        }
        Ok(Performed::default())
    }

    /// Posts the card in a handover channel, mentioning the selected members.
    async fn announce(
        &self,
        engine: &Engine,
        h: &Handover,
        now: handover_core::Timestamp,
    ) -> Result<Performed, DeliveryError> {
        if let Some(l) = h.location.as_ref().filter(|l| l.bridge == ids::BRIDGE) {
            // Already posted (a retried effect): nothing to do.
            return Ok(Performed {
                location: Some(l.clone()),
            });
        }
        let channel = ids::channel_for(h.id, &self.inner.config.channels)
            .ok_or_else(|| DeliveryError::new("no Slack handover channel is configured"))?
            .to_owned();
        let card = format::card(h, now);
        let members = self.members(engine)?;
        let ts = self
            .inner
            .api
            .post(Post {
                channel: channel.clone(),
                text: format::announce_text(h, &members),
                blocks: Some(blocks(card.blocks)?),
                ..Post::default()
            })
            .await?;
        Ok(Performed {
            location: Some(ids::location(&channel, &ts)),
        })
    }

    /// An end-user message under the user's name and avatar, an AI message under the AI's.
    async fn relay(
        &self,
        channel: &str,
        thread: &str,
        h: &Handover,
        entry: &TranscriptEntry,
    ) -> Result<(), DeliveryError> {
        let (username, icon_url) = match entry.role {
            Role::Ai => (AI_NAME.to_owned(), None),
            _ => (h.user.name.clone(), h.user.avatar_url.clone()),
        };
        let text = format::relay_text(entry);
        for part in format::split(&text, format::MAX_TEXT) {
            let post = Post {
                channel: channel.to_owned(),
                thread_ts: Some(thread.to_owned()),
                text: part,
                username: Some(username.clone()),
                icon_url: icon_url.clone(),
                ..Post::default()
            };
            self.inner.api.post(post).await?;
        }
        Ok(())
    }

    fn members(&self, engine: &Engine) -> Result<Vec<String>, DeliveryError> {
        engine
            .settings()
            .members(engine.store(), ids::BRIDGE)
            .map_err(|e| DeliveryError::new(e.to_string()))
    }
}

/// Block Kit JSON into slack-morphism blocks.
fn blocks(v: serde_json::Value) -> Result<Vec<SlackBlock>, DeliveryError> {
    serde_json::from_value(v).map_err(|e| DeliveryError::new(format!("invalid card blocks: {e}")))
}
