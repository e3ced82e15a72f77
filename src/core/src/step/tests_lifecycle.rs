//! Focused tests: races, reminders, the request transcript, id allocation, the
//! hand-back, the AI gate over a whole lifecycle, and the enable switch.

use super::*;

const REMIND_AFTER: i64 = 300_000;
const REMIND_EVERY: i64 = 900_000;

fn accepted(t: Result<Transition, Rejection>, why: &str) -> Transition {
    t.unwrap_or_else(|e| panic!("{why}: rejected: {e:?}"))
}

#[test]
fn two_members_race_to_take_the_first_wins_and_the_second_is_told_who() {
    let p = Policy::default();
    let pending = new_pending(&p);

    let first = accepted(
        step_at(Some(pending), take(alice()), at(1_000), &p),
        "A takes",
    );
    let h = first.handover.expect("taken");
    assert_eq!(
        first.effects,
        [
            Effect::Egress(EgressEvent::Taken { agent: alice() }),
            Effect::Bridge(BridgeEffect::UpdateCard)
        ]
    );
    assert_eq!(h.assignee, Some(alice()));
    assert_eq!(h.taken_at, Some(at(1_000)));

    let second = step_at(Some(h.clone()), take(bob()), at(1_001), &p);
    assert_eq!(second, Err(Rejection::AlreadyTaken { by: alice() }));
    assert_eq!(
        second.expect_err("B lost").to_string(),
        "Alice already has this handover"
    );

    // The winner taking again changes nothing and says nothing.
    let again = accepted(
        step_at(Some(h.clone()), take(alice()), at(5_000), &p),
        "A again",
    );
    assert!(
        !again.changed && !again.created && again.effects.is_empty() && again.append.is_empty()
    );
    assert_eq!(again.handover, Some(h), "taken_at stays the first take's");
}

#[test]
fn a_reply_race_is_won_by_the_first_reply() {
    let p = Policy::default();
    let t = accepted(
        step_at(
            Some(new_pending(&p)),
            say(member(bob()), "s1", "hi"),
            at(10),
            &p,
        ),
        "B replies",
    );
    let h = t.handover.expect("taken by reply");
    assert_eq!(h.assignee, Some(bob()));
    assert_eq!(
        step_at(Some(h), take(alice()), at(11), &p),
        Err(Rejection::AlreadyTaken { by: bob() })
    );
}

#[test]
fn exactly_one_of_two_concurrent_ends_succeeds() {
    let p = Policy::default();
    type Ender = (Actor, EndMode, Resolution, Option<Agent>);
    let agent_end: Ender = (
        as_member(alice()),
        EndMode::Close,
        Resolution::Closed,
        Some(alice()),
    );
    let bob_end: Ender = (
        as_member(bob()),
        EndMode::Default,
        Resolution::ReturnedToAi,
        Some(bob()),
    );
    let platform: Ender = (
        Actor::Platform,
        EndMode::Cancel,
        Resolution::Cancelled,
        None,
    );
    for (first, second) in [
        (agent_end.clone(), bob_end.clone()),
        (bob_end.clone(), agent_end.clone()),
        (agent_end.clone(), platform.clone()),
        (platform.clone(), agent_end.clone()),
    ] {
        let start = taken_by_alice(&p);
        let won = accepted(
            step_at(
                Some(start),
                end_cmd(first.0.clone(), first.1),
                at(9_000),
                &p,
            ),
            "first end",
        );
        let h = won.handover.expect("ended");
        assert_eq!(
            (h.status, h.resolution, h.ended_by.clone()),
            (Status::Completed, Some(first.2), first.3.clone())
        );
        assert_eq!(h.ended_at, Some(at(9_000)));
        assert_eq!(
            won.effects[0],
            Effect::Egress(EgressEvent::Ended {
                resolution: first.2,
                agent: Some(alice()),
                reason: None
            })
        );
        let lost = step_at(Some(h), end_cmd(second.0.clone(), second.1), at(9_000), &p);
        assert_eq!(
            lost,
            Err(Rejection::NotOpen {
                resolution: Some(first.2),
                ended_by: first.3.clone()
            })
        );
    }
}

#[test]
fn end_records_who_why_and_tells_the_platform() {
    let p = Policy::default();
    let cmd = Command::End {
        by: as_member(alice()),
        mode: EndMode::Close,
        reason: Some("solved".to_owned()),
    };
    let t = accepted(step_at(Some(taken_by_alice(&p)), cmd, at(7_000), &p), "end");
    let h = t.handover.expect("ended");
    assert_eq!(
        (h.ended_by, h.end_reason),
        (Some(alice()), Some("solved".to_owned()))
    );
    assert_eq!(
        t.effects[0],
        Effect::Egress(EgressEvent::Ended {
            resolution: Resolution::Closed,
            agent: Some(alice()),
            reason: Some("solved".to_owned())
        })
    );
}

#[test]
fn assign_reports_previous_assignee_and_who_assigned() {
    let p = Policy::default();
    let by_admin = Command::Assign {
        to: member(bob()),
        by: Actor::Person(admin(dana())),
    };
    let t = accepted(
        step_at(Some(taken_by_alice(&p)), by_admin, at(3_000), &p),
        "transfer",
    );
    let assigned = EgressEvent::Assigned {
        agent: bob(),
        previous: Some(alice()),
        by: Some(dana()),
    };
    assert_eq!(t.effects[0], Effect::Egress(assigned));
    let h = t.handover.expect("transferred");
    assert_eq!(
        h.taken_at,
        Some(at(1_000)),
        "a transfer is not a new take-over"
    );

    let from_pending = Command::Assign {
        to: member(bob()),
        by: Actor::Platform,
    };
    let t = accepted(
        step_at(Some(new_pending(&p)), from_pending, at(3_000), &p),
        "assign",
    );
    assert_eq!(
        t.effects[1],
        Effect::Egress(EgressEvent::Assigned {
            agent: bob(),
            previous: None,
            by: None
        })
    );
    let same = Command::Assign {
        to: member(bob()),
        by: as_member(alice()),
    };
    let again = accepted(step_at(t.handover, same, at(4_000), &p), "assign again");
    assert!(
        !again.changed && again.effects.is_empty(),
        "assigning to the assignee is a no-op"
    );
}

#[test]
fn first_reminder_exactly_at_requested_at_plus_remind_after_then_every_remind_every() {
    let p = Policy::default();
    let mut h = new_pending(&p);
    assert_eq!(h.next_reminder_at, Some(at(REMIND_AFTER)));
    let remind =
        |h: Handover, now: i64| accepted(step_at(Some(h), Command::Remind, at(now), &p), "remind");
    let mut expect = |now: i64, count: Option<u32>| {
        let t = remind(h.clone(), now);
        let want: Vec<Effect> = count
            .map(|c| Effect::Bridge(BridgeEffect::Remind { count: c }))
            .into_iter()
            .collect();
        assert_eq!(t.effects, want, "remind at +{now} ms");
        assert_eq!(t.changed, count.is_some());
        h = t.handover.expect("still pending");
    };
    expect(0, None);
    expect(REMIND_AFTER - 1, None);
    expect(REMIND_AFTER, Some(1));
    expect(REMIND_AFTER, None);
    expect(REMIND_AFTER + REMIND_EVERY - 1, None);
    expect(REMIND_AFTER + REMIND_EVERY, Some(2));
    // A late tick fires, and the next one is counted from when it actually fired.
    let late = REMIND_AFTER + 2 * REMIND_EVERY + 123_456;
    expect(late, Some(3));
    expect(late + REMIND_EVERY - 1, None);
    expect(late + REMIND_EVERY, Some(4));
    assert_eq!(h.reminders_sent, 4);
    assert_eq!(h.status, Status::Pending);
}

#[test]
fn reminders_never_come_more_often_than_remind_every() {
    let p = Policy::default();
    let mut h = new_pending(&p);
    let mut fired: Vec<i64> = Vec::new();
    let mut boundary_probes = 0;
    let mut last_call = 0;
    let mut tick = 0;
    while tick < 6 * 3_600_000 {
        tick += 7_919;
        let mut times = Vec::new();
        let due = h
            .next_reminder_at
            .expect("pending always has a reminder due")
            .0
            - T0;
        // Every other reminder: also call 1 ms before and exactly at the boundary.
        if due <= tick && fired.len().is_multiple_of(2) {
            times.extend([due - 1, due]);
            boundary_probes += 1;
        }
        times.push(tick);
        for now in times {
            assert!(now >= last_call, "time runs forward");
            last_call = now;
            let before = h.clone();
            let due = before.next_reminder_at.expect("due").0 - T0;
            let t = accepted(
                step_at(Some(before.clone()), Command::Remind, at(now), &p),
                "remind",
            );
            h = t.handover.expect("pending");
            if kinds(&t.effects) == ["bridge:remind"] {
                fired.push(now);
                let count = u32::try_from(fired.len()).expect("few");
                assert_eq!(t.effects, [Effect::Bridge(BridgeEffect::Remind { count })]);
                assert_eq!(h.reminders_sent, count);
                assert_eq!(h.next_reminder_at, Some(at(now + REMIND_EVERY)));
                assert!(now >= due, "fired at +{now} before it was due at +{due}");
            } else {
                assert!(t.effects.is_empty() && !t.changed, "at +{now}");
                assert_eq!(h, before);
                assert!(now < due, "a due reminder (+{due}) did not fire at +{now}");
            }
        }
    }
    assert!(fired.len() >= 20, "{} reminders in 6 h", fired.len());
    assert!(boundary_probes >= 10);
    assert!(fired[0] >= REMIND_AFTER, "first reminder at +{}", fired[0]);
    for pair in fired.windows(2) {
        assert!(
            pair[1] - pair[0] >= REMIND_EVERY,
            "reminders at +{} and +{}",
            pair[0],
            pair[1]
        );
        assert!(
            pair[1] - pair[0] < REMIND_EVERY + 7_919,
            "ticks are 7.9 s apart"
        );
    }
}

#[test]
fn no_reminders_once_taken_or_ended() {
    let p = Policy::default();
    let fired_once = {
        let h = new_pending(&p);
        handover_of(
            step_at(Some(h), Command::Remind, at(REMIND_AFTER), &p),
            "first reminder",
        )
    };
    assert_eq!(fired_once.reminders_sent, 1);
    let after = |h: Handover, cmd: Command| {
        handover_of(step_at(Some(h), cmd, at(REMIND_AFTER + 1), &p), "cmd")
    };
    let cases = [
        ("taken", after(fired_once.clone(), take(alice()))),
        (
            "taken by reply",
            after(fired_once.clone(), say(member(alice()), "s1", "hi")),
        ),
        (
            "assigned",
            after(
                fired_once.clone(),
                Command::Assign {
                    to: member(bob()),
                    by: as_member(alice()),
                },
            ),
        ),
        (
            "cancelled while pending",
            after(
                fired_once.clone(),
                end_cmd(Actor::Platform, EndMode::Cancel),
            ),
        ),
        (
            "ended while pending",
            after(fired_once, end_cmd(as_member(alice()), EndMode::Close)),
        ),
        ("taken before any reminder", taken_by_alice(&p)),
        (
            "ended after take-over",
            ended(taken_by_alice(&p), as_member(alice()), EndMode::Default, &p),
        ),
    ];
    for (name, h) in cases {
        assert_eq!(h.next_reminder_at, None, "{name}");
        for k in 0..200 {
            let now = at(k * 600_000);
            let t = accepted(step_at(Some(h.clone()), Command::Remind, now, &p), name);
            assert!(
                !t.changed && t.effects.is_empty(),
                "{name}: reminded at {now:?}"
            );
            assert_eq!(t.handover.as_ref(), Some(&h), "{name}");
        }
    }
}

#[test]
fn the_request_transcript_keeps_the_last_recent_transcript_entries_in_order() {
    let p = Policy::default();
    for n in [
        0,
        1,
        RECENT_TRANSCRIPT - 1,
        RECENT_TRANSCRIPT,
        RECENT_TRANSCRIPT + 1,
        3 * RECENT_TRANSCRIPT + 7,
    ] {
        let req = request("conv-9", n);
        let sent = req.transcript.clone();
        let t = accepted(step_at(None, Command::Request(req), at(0), &p), "request");
        let h = t.handover.expect("created");
        let kept = n.min(RECENT_TRANSCRIPT);
        assert_eq!(h.recent, sent[n - kept..], "n = {n}");
        if let Some(last) = h.recent.last() {
            assert_eq!(last.text, format!("m{}", n - 1));
        }
        assert!(
            t.append.is_empty(),
            "the request transcript is not appended to the stored one"
        );
    }
}

#[test]
fn new_id_is_called_only_when_a_handover_is_created() {
    let p = Policy::default();
    let calls = Cell::new(0);
    let run = |h: Option<Handover>, cmd: Command, enabled: bool| {
        step_counting(h, cmd, at(10), &p, enabled, &calls)
    };
    let req = || Command::Request(request("conv-1", 2));

    assert!(run(None, Command::UserMessage(message("m1", "hi", at(1))), true).is_ok());
    assert_eq!(run(None, req(), false), Err(Rejection::HandoverDisabled));
    assert_eq!(
        run(None, take(alice()), true),
        Err(Rejection::NoOpenHandover)
    );
    assert_eq!(calls.get(), 0);

    let h1 = handover_of(run(None, req(), true), "first request");
    assert_eq!((calls.get(), h1.id), (1, HandoverId(1)));
    assert_eq!(h1.id.to_string(), "H-1");

    let mut h = h1.clone();
    let cmds = [
        req(),
        Command::UserMessage(message("m2", "still there?", at(5))),
        Command::AiMessage(message("m3", "a person is coming", at(6))),
        say(member(alice()), "s0", "// looking"),
        take(bob()),
        take(alice()),
        say(member(alice()), "s1", "hello"),
        Command::Posted {
            location: Location {
                bridge: "slack".into(),
                channel: "C".into(),
                thread: None,
                url: None,
            },
        },
        Command::Delivery {
            message_id: "s1".into(),
            outcome: DeliveryOutcome::Failed {
                reason: "502".into(),
            },
        },
        Command::Remind,
        Command::Rate {
            score: 4,
            comment: None,
        },
        end_cmd(as_member(alice()), EndMode::Default),
        Command::Rate {
            score: 4,
            comment: None,
        },
        end_cmd(Actor::Platform, EndMode::ReturnToAi),
    ];
    for cmd in cmds {
        if let Ok(t) = run(Some(h.clone()), cmd, true) {
            assert!(!t.created);
            h = t.handover.expect("kept");
        }
        assert_eq!(calls.get(), 1);
    }
    assert_eq!(
        (h.status, h.rating.as_ref().map(|r| r.score)),
        (Status::Completed, Some(4))
    );

    // After the end the conversation has no open handover: a new request is a new record.
    let h2 = handover_of(run(None, req(), true), "second request");
    assert_eq!((calls.get(), h2.id), (2, HandoverId(2)));
    assert_eq!(h2.conversation_id, h1.conversation_id);
    assert_eq!(h2.status, Status::Pending);
}

#[test]
fn the_hand_back_has_the_human_part_in_order_without_notes() {
    let p = Policy::default();
    let mut h = Some(new_pending(&p));
    let mut transcript: Vec<TranscriptEntry> = Vec::new();
    let cmds = [
        Command::UserMessage(message("u1", "my order is late", at(100))),
        Command::AiMessage(message("a1", "let me get someone", at(200))),
        say(member(alice()), "s1", "//   VIP customer"),
        take(alice()),
        say(member(alice()), "s2", "Hi, I'm Alice"),
        Command::UserMessage(message("u2", "thanks", at(400))),
        say(member(bob()), "s3", "// refund approved"),
        say(member(alice()), "s4", "Refund is on its way"),
        end_cmd(as_member(alice()), EndMode::Default),
    ];
    for (i, cmd) in cmds.into_iter().enumerate() {
        let now = at(1_000 * (i64::try_from(i).expect("few") + 1));
        let t = accepted(step_at(h, cmd, now, &p), "lifecycle");
        transcript.extend(t.append);
        h = t.handover;
    }
    let h = h.expect("ended");
    assert_eq!(
        roles(&transcript),
        [
            Role::User,
            Role::Ai,
            Role::Note,
            Role::Agent,
            Role::User,
            Role::Note,
            Role::Agent
        ]
    );
    assert_eq!(
        transcript[2].text, "VIP customer",
        "the prefix and the space after it are dropped"
    );
    assert_eq!(
        h.first_response_at,
        Some(at(5_000)),
        "notes are not a first response"
    );

    let back = handback(&h, &transcript);
    assert_eq!(back.agent, Some(alice()));
    assert_eq!(back.outcome, Some(Resolution::ReturnedToAi));
    let texts: Vec<&str> = back.transcript.iter().map(|e| e.text.as_str()).collect();
    assert_eq!(
        texts,
        [
            "my order is late",
            "let me get someone",
            "Hi, I'm Alice",
            "thanks",
            "Refund is on its way"
        ]
    );
    assert_eq!(
        roles(&back.transcript),
        [Role::User, Role::Ai, Role::Agent, Role::User, Role::Agent]
    );

    // Cancelled before anyone took it: no agent.
    let cancelled = ended(new_pending(&p), Actor::Platform, EndMode::Cancel, &p);
    let back = handback(&cancelled, &[]);
    assert_eq!(
        (back.agent, back.outcome, back.transcript.len()),
        (None, Some(Resolution::Cancelled), 0)
    );
}

#[test]
fn the_ai_gate_over_a_whole_lifecycle_in_both_mute_modes() {
    for (mode, while_pending) in [
        (MuteAi::OnTakeOver, Route::Ai),
        (MuteAi::OnRequest, Route::Human),
    ] {
        let p = policy(mode);
        let mut h: Option<Handover> = None;
        let mut go = |cmd: Command, now: i64| {
            let t = accepted(step_at(h.take(), cmd, at(now), &p), "lifecycle");
            assert_eq!(t.route, route(t.handover.as_ref()));
            // After the end the conversation has no open handover: the daemon passes none.
            h = t.handover.filter(|h| h.status.is_open());
            t.route
        };
        let user = |id: &str| Command::UserMessage(message(id, "hello?", at(0)));
        assert_eq!(go(user("u0"), 0), Route::Ai, "{mode:?}: no handover");
        assert_eq!(
            go(Command::Request(request("conv-1", 1)), 0),
            while_pending,
            "{mode:?}: requested"
        );
        assert_eq!(go(user("u1"), 10), while_pending, "{mode:?}: user waits");
        assert_eq!(
            go(say(member(alice()), "n", "// note"), 20),
            while_pending,
            "{mode:?}: a note takes nothing"
        );
        assert_eq!(
            go(Command::Remind, REMIND_AFTER),
            while_pending,
            "{mode:?}: reminded"
        );
        assert_eq!(
            go(take(alice()), REMIND_AFTER + 1),
            Route::Human,
            "{mode:?}: taken"
        );
        assert_eq!(
            go(say(member(alice()), "s1", "hi"), REMIND_AFTER + 2),
            Route::Human,
            "{mode:?}: reply"
        );
        assert_eq!(
            go(user("u2"), REMIND_AFTER + 3),
            Route::Human,
            "{mode:?}: user talks to the human"
        );
        let transfer = Command::Assign {
            to: member(bob()),
            by: as_member(alice()),
        };
        assert_eq!(
            go(transfer, REMIND_AFTER + 4),
            Route::Human,
            "{mode:?}: transferred"
        );
        let end = end_cmd(as_member(bob()), EndMode::Default);
        assert_eq!(go(end, REMIND_AFTER + 5), Route::Ai, "{mode:?}: ended");
        assert_eq!(
            go(user("u3"), REMIND_AFTER + 6),
            Route::Ai,
            "{mode:?}: after the end"
        );
        assert_eq!(
            go(Command::Request(request("conv-1", 0)), REMIND_AFTER + 7),
            while_pending,
            "{mode:?}: again"
        );
    }
}

#[test]
fn a_request_while_disabled_is_refused_unless_one_is_open() {
    let p = Policy::default();
    let calls = Cell::new(0);
    let req = || Command::Request(request("conv-1", 2));
    assert_eq!(
        step_counting(None, req(), at(0), &p, false, &calls),
        Err(Rejection::HandoverDisabled)
    );
    assert_eq!(
        Rejection::HandoverDisabled.to_string(),
        "handover is disabled"
    );
    for open in [new_pending(&p), taken_by_alice(&p)] {
        let t = accepted(
            step_counting(Some(open.clone()), req(), at(60_000), &p, false, &calls),
            "open one",
        );
        assert!(!t.created && !t.changed && t.effects.is_empty() && t.append.is_empty());
        assert_eq!(t.handover, Some(open));
    }
    assert_eq!(calls.get(), 0);
}

#[test]
fn posted_rated_and_delivery_carry_their_values() {
    let p = Policy::default();
    let loc = Location {
        bridge: "discord".into(),
        channel: "123".into(),
        thread: Some("456".into()),
        url: None,
    };
    let posted = |h: Handover| {
        accepted(
            step_at(
                Some(h),
                Command::Posted {
                    location: loc.clone(),
                },
                at(9),
                &p,
            ),
            "posted",
        )
    };
    let t = posted(new_pending(&p));
    assert!(t.changed);
    let h = t.handover.expect("posted");
    assert_eq!(h.location.as_ref(), Some(&loc));
    let again = posted(h.clone());
    assert!(!again.changed, "the same location again is not a change");

    let done = ended(taken_by_alice(&p), as_member(alice()), EndMode::Close, &p);
    let rate = Command::Rate {
        score: 3,
        comment: Some("ok".into()),
    };
    let t = accepted(step_at(Some(done), rate, at(70_000), &p), "rate");
    let rated = BridgeEffect::Rated {
        score: 3,
        comment: Some("ok".into()),
    };
    assert_eq!(t.effects[0], Effect::Bridge(rated));
    let want = Rating {
        score: 3,
        comment: Some("ok".into()),
        at: at(70_000),
    };
    assert_eq!(t.handover.expect("rated").rating, Some(want));

    let failed = DeliveryOutcome::Failed {
        reason: "user gone".into(),
    };
    let cmd = Command::Delivery {
        message_id: "s9".into(),
        outcome: failed.clone(),
    };
    let t = accepted(step_at(Some(h), cmd, at(10), &p), "delivery");
    assert_eq!(
        t.effects,
        [Effect::Bridge(BridgeEffect::Delivery {
            message_id: "s9".into(),
            outcome: failed
        })]
    );
    assert!(!t.changed);
}
