//! Store tests on a real sled in a temporary directory.

use std::collections::BTreeMap;

use handover_core::*;

use super::*;

fn handover(id: u64, status: Status) -> Handover {
    Handover {
        id: HandoverId(id),
        platform: "web".into(),
        conversation_id: format!("conv-{id}"),
        bridge: "slack".into(),
        status,
        resolution: None,
        user: EndUser {
            id: "u1".into(),
            name: "Ada".into(),
            email: None,
            avatar_url: None,
        },
        reason: None,
        summary: None,
        metadata: BTreeMap::new(),
        priority: Priority::Normal,
        recent: Vec::new(),
        assignee: None,
        requested_at: Timestamp(1_000),
        taken_at: None,
        first_response_at: None,
        ended_at: None,
        ended_by: None,
        end_reason: None,
        rating: None,
        location: None,
        mute_on_request: false,
        next_reminder_at: Some(Timestamp(5_000)),
        reminders_sent: 0,
    }
}

fn entry(text: &str) -> TranscriptEntry {
    TranscriptEntry {
        role: Role::User,
        text: text.into(),
        at: Timestamp(2_000),
        agent: None,
        message_id: None,
        attachments: Vec::new(),
    }
}

#[tokio::test]
async fn a_step_is_written_atomically_and_indexes_follow_the_record() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = Store::open(dir.path(), 8 << 20).expect("open");
    let cancel = CancellationToken::new();
    let flusher = store.spawn_flusher(cancel.clone());

    let id = store.next_handover_id().expect("id");
    assert_eq!(id, HandoverId(1));
    let h = handover(id.0, Status::Pending);
    let append = [entry("one"), entry("two")];
    let ticket = store
        .apply(&Write {
            before: None,
            after: Some(&h),
            transcript: Some((id, &append)),
            ..Write::default()
        })
        .expect("apply");
    store.durable(ticket).await.expect("durable");

    assert_eq!(
        store.open_handover("web", "conv-1").expect("read"),
        Some(h.clone())
    );
    assert_eq!(store.transcript(id).expect("read").len(), 2);
    assert_eq!(store.count_status(Status::Pending), 1);
    assert_eq!(
        store.due_reminders(Timestamp(4_999), 10).expect("due"),
        vec![]
    );
    assert_eq!(
        store.due_reminders(Timestamp(5_000), 10).expect("due"),
        vec![id]
    );

    let mut done = h.clone();
    done.status = Status::Completed;
    done.next_reminder_at = None;
    done.location = Some(Location {
        bridge: "slack".into(),
        channel: "C1".into(),
        thread: Some("1.2".into()),
        url: None,
    });
    store
        .apply(&Write {
            before: Some(&h),
            after: Some(&done),
            ..Write::default()
        })
        .expect("apply");
    assert_eq!(store.open_handover("web", "conv-1").expect("read"), None);
    assert_eq!(store.count_status(Status::Pending), 0);
    assert_eq!(store.count_status(Status::Completed), 1);
    assert_eq!(
        store.due_reminders(Timestamp(9_999), 10).expect("due"),
        vec![]
    );
    assert_eq!(
        store.handover_at("slack", "C1", Some("1.2")).expect("loc"),
        Some(id)
    );
    assert_eq!(
        store.list(Some(Status::Completed), None, 10).expect("list"),
        vec![done]
    );

    cancel.cancel();
    flusher.await.expect("flusher");
}

#[tokio::test]
async fn everything_survives_reopening_and_ids_are_never_reused() {
    let dir = tempfile::tempdir().expect("tempdir");
    {
        let store = Store::open(dir.path(), 8 << 20).expect("open");
        for _ in 0..3 {
            store.next_handover_id().expect("id");
        }
        let h = handover(3, Status::Pending);
        let out = [OutboxEntry {
            seq: store.next_seq().expect("seq"),
            sink: OutboxEntry::webhook_sink("web"),
            lane: "web/conv-3".into(),
            handover: h.id,
            created_at: Timestamp(1),
            item: OutboxItem::Bridge(BridgeEffect::Announce),
        }];
        store
            .apply(&Write {
                after: Some(&h),
                outbox: &out,
                ..Write::default()
            })
            .expect("apply");
        store.put_setting("enabled", &false).expect("setting");
        store.flush().await.expect("flush");
    }
    let store = Store::open(dir.path(), 8 << 20).expect("reopen");
    assert_eq!(store.next_handover_id().expect("id"), HandoverId(4));
    assert_eq!(store.outbox().expect("outbox").len(), 1);
    assert_eq!(
        store.setting::<bool>("enabled").expect("setting"),
        Some(false)
    );
    assert!(store.handover(HandoverId(3)).expect("read").is_some());
}

#[test]
fn a_second_open_of_the_same_data_dir_is_refused_clearly() {
    let dir = tempfile::tempdir().expect("tempdir");
    let _first = Store::open(dir.path(), 8 << 20).expect("open");
    let err = Store::open(dir.path(), 8 << 20)
        .err()
        .expect("second open must fail");
    let text = err.to_string();
    assert!(matches!(err, StoreError::Locked { .. }), "{text}");
    assert!(
        text.contains("in use by another handover-bridge process"),
        "{text}"
    );
    assert!(
        text.contains(&format!("pid {}", std::process::id())),
        "{text}"
    );
}

#[test]
fn an_undecodable_record_is_reported_as_corruption() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = Store::open(dir.path(), 8 << 20).expect("open");
    store
        .inner
        .t
        .handover_record
        .insert(keys::id_key(HandoverId(7)), b"{not json".as_slice())
        .expect("raw");
    store
        .inner
        .t
        .outbox_entry
        .insert(9u64.to_be_bytes(), b"\xff\xfe".as_slice())
        .expect("raw");
    let err = store.handover(HandoverId(7)).expect_err("corrupt");
    assert!(
        matches!(
            err,
            StoreError::Corrupt {
                tree: "handover_record",
                ..
            }
        ),
        "{err}"
    );
    assert!(err.to_string().contains("restore from a backup"));
    let err = store.outbox().expect_err("corrupt");
    assert!(
        matches!(
            err,
            StoreError::Corrupt {
                tree: "outbox_entry",
                ..
            }
        ),
        "{err}"
    );
}

#[test]
fn dedupe_keys_expire_and_are_swept() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = Store::open(dir.path(), 8 << 20).expect("open");
    store
        .apply(&Write {
            dedupe: Some((b"k1", Timestamp(100))),
            ..Write::default()
        })
        .expect("apply");
    store
        .apply(&Write {
            dedupe: Some((b"k2", Timestamp(300))),
            ..Write::default()
        })
        .expect("apply");
    assert!(store.seen(b"k1", Timestamp(50)).expect("seen"));
    assert!(!store.seen(b"k1", Timestamp(101)).expect("seen"));
    assert_eq!(store.sweep_dedupe(Timestamp(200)).expect("sweep"), 1);
    assert!(store.seen(b"k2", Timestamp(200)).expect("seen"));
    assert!(store.inner.t.dedupe_key.get(b"k1").expect("get").is_none());
}

#[tokio::test]
async fn many_concurrent_writers_share_flushes() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = Store::open(dir.path(), 8 << 20).expect("open");
    let cancel = CancellationToken::new();
    let flusher = store.spawn_flusher(cancel.clone());
    let mut tasks = Vec::new();
    for i in 0..200u32 {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            let key = format!("k{i}");
            let t = store
                .apply(&Write {
                    dedupe: Some((key.as_bytes(), Timestamp(i64::MAX))),
                    ..Write::default()
                })
                .expect("apply");
            store.durable(t).await.expect("durable");
        }));
    }
    for t in tasks {
        t.await.expect("task");
    }
    cancel.cancel();
    flusher.await.expect("flusher");
    assert_eq!(store.inner.t.dedupe_key.len(), 200);
}
