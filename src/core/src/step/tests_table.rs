//! Every state × command pair, as a table: one row per pair, named `state × command`.

use std::collections::BTreeSet;

use super::*;

const AI: Route = Route::Ai;
const HUMAN: Route = Route::Human;

/// When the table's commands run (1 min after the request; no reminder due yet).
const NOW: i64 = 60_000;

/// The state a row starts from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum S {
    None,
    Pending,
    /// Requested under `mute_ai = "on_request"`.
    PendingMuted,
    /// Taken over by member A (Alice).
    InProgressA,
    /// Taken by A, ended by A with `end ai`.
    ReturnedToAi,
    /// Taken by A, ended by A with `end close`.
    Closed,
    /// Taken by A, withdrawn by the AI platform.
    Cancelled,
}

const STATES: [S; 7] = [
    S::None,
    S::Pending,
    S::PendingMuted,
    S::InProgressA,
    S::ReturnedToAi,
    S::Closed,
    S::Cancelled,
];

impl S {
    fn name(self) -> &'static str {
        match self {
            S::None => "no handover",
            S::Pending => "pending",
            S::PendingMuted => "pending (mute_on_request)",
            S::InProgressA => "in_progress (A)",
            S::ReturnedToAi => "completed returned_to_ai",
            S::Closed => "completed closed",
            S::Cancelled => "completed cancelled",
        }
    }

    fn mute(self) -> MuteAi {
        if self == S::PendingMuted {
            MuteAi::OnRequest
        } else {
            MuteAi::OnTakeOver
        }
    }

    fn build(self) -> Option<Handover> {
        let p = policy(self.mute());
        let done = |by: Actor, mode| Some(ended(taken_by_alice(&p), by, mode, &p));
        match self {
            S::None => None,
            S::Pending | S::PendingMuted => Some(new_pending(&p)),
            S::InProgressA => Some(taken_by_alice(&p)),
            S::ReturnedToAi => done(as_member(alice()), EndMode::ReturnToAi),
            S::Closed => done(as_member(alice()), EndMode::Close),
            S::Cancelled => done(Actor::Platform, EndMode::Cancel),
        }
    }

    /// Accepted, and nothing changes: the state as it is, and its AI gate.
    fn same(self) -> Want {
        match self {
            S::None => ok("none", AI),
            S::Pending => ok("pending/-/-", AI),
            S::PendingMuted => ok("pending/-/-", HUMAN),
            S::InProgressA => ok("in_progress/-/UA", HUMAN),
            S::ReturnedToAi => ok("completed/returned_to_ai/UA", AI),
            S::Closed => ok("completed/closed/UA", AI),
            S::Cancelled => ok("completed/cancelled/UA", AI),
        }
    }
}

/// The three completed states refuse with `NotOpen` naming how and by whom they ended.
fn not_open() -> Vec<(S, Want)> {
    let r = |resolution, ended_by| {
        rej(Rejection::NotOpen {
            resolution: Some(resolution),
            ended_by,
        })
    };
    vec![
        (S::ReturnedToAi, r(Resolution::ReturnedToAi, Some(alice()))),
        (S::Closed, r(Resolution::Closed, Some(alice()))),
        (S::Cancelled, r(Resolution::Cancelled, None)),
    ]
}

#[derive(Clone, Debug)]
struct Post {
    after: &'static str,
    route: Route,
    changed: bool,
    created: bool,
    effects: Vec<&'static str>,
    roles: Vec<Role>,
}

#[derive(Clone, Debug)]
struct Want(Result<Post, Rejection>);

fn ok(after: &'static str, route: Route) -> Want {
    Want(Ok(Post {
        after,
        route,
        changed: false,
        created: false,
        effects: vec![],
        roles: vec![],
    }))
}

fn rej(r: Rejection) -> Want {
    Want(Err(r))
}

impl Want {
    fn map(mut self, f: impl FnOnce(&mut Post)) -> Self {
        if let Ok(p) = &mut self.0 {
            f(p);
        }
        self
    }
    fn changed(self) -> Self {
        self.map(|p| p.changed = true)
    }
    fn created(self) -> Self {
        self.map(|p| p.created = true)
    }
    fn fx(self, effects: &[&'static str]) -> Self {
        self.map(|p| p.effects = effects.to_vec())
    }
    fn roles(self, roles: &[Role]) -> Self {
        self.map(|p| p.roles = roles.to_vec())
    }
}

/// A command of the table, with the time it runs at and the policy it runs under.
#[derive(Clone, Copy)]
struct Cmd {
    name: &'static str,
    make: fn() -> Command,
    now: i64,
    tweak: fn(&mut Policy),
}

fn cmd(name: &'static str, make: fn() -> Command) -> Cmd {
    Cmd {
        name,
        make,
        now: NOW,
        tweak: |_| {},
    }
}

struct Row {
    name: String,
    state: S,
    cmd: Cmd,
    want: Want,
}

fn add(rows: &mut Vec<Row>, cmd: Cmd, cases: impl IntoIterator<Item = (S, Want)>) {
    for (state, want) in cases {
        rows.push(Row {
            name: format!("{} × {}", state.name(), cmd.name),
            state,
            cmd,
            want,
        });
    }
}

const ANNOUNCE: &[&str] = &["bridge:announce"];
const RELAY: &[&str] = &["bridge:relay"];
const TAKE: &[&str] = &["egress:taken", "bridge:update_card"];
const ASSIGN_PENDING: &[&str] = &["egress:taken", "egress:assigned", "bridge:update_card"];
const ASSIGN: &[&str] = &["egress:assigned", "bridge:update_card"];
const REPLY_TAKE: &[&str] = &["egress:taken", "bridge:update_card", "egress:agent_message"];
const REPLY: &[&str] = &["egress:agent_message"];
const END: &[&str] = &["egress:ended", "bridge:update_card", "bridge:archive"];
const RATE: &[&str] = &["bridge:rated", "bridge:update_card"];

/// The expected outcome of every command on every open state; completed states are
/// appended per command.
fn table() -> Vec<Row> {
    use Rejection::*;
    let mut rows = Vec::new();
    let r = &mut rows;

    // Request: the handover given is the conversation's open one. A completed one is
    // never passed (see the report; not part of the table).
    let open_same = || [S::Pending, S::PendingMuted, S::InProgressA].map(|s| (s, s.same()));
    add(
        r,
        cmd("Request", || Command::Request(request("conv-1", 3))),
        {
            let mut v = vec![(
                S::None,
                ok("pending/-/-", AI).changed().created().fx(ANNOUNCE),
            )];
            v.extend(open_same());
            v
        },
    );
    let mut c = cmd("Request (mute_ai = on_request)", || {
        Command::Request(request("conv-1", 3))
    });
    c.tweak = |p| p.mute_ai = MuteAi::OnRequest;
    add(r, c, {
        // An open handover keeps the mode it was requested under.
        let mut v = vec![(
            S::None,
            ok("pending/-/-", HUMAN).changed().created().fx(ANNOUNCE),
        )];
        v.extend(open_same());
        v
    });

    for (name, make, role) in [
        (
            "UserMessage",
            (|| Command::UserMessage(message("m1", "help", at(50)))) as fn() -> Command,
            Role::User,
        ),
        (
            "AiMessage",
            || Command::AiMessage(message("m2", "sure", at(50))),
            Role::Ai,
        ),
    ] {
        add(r, cmd(name, make), {
            let relayed = |s: S| s.same().fx(RELAY).roles(&[role]);
            [
                (S::None, S::None.same()),
                (S::Pending, relayed(S::Pending)),
                (S::PendingMuted, relayed(S::PendingMuted)),
                (S::InProgressA, relayed(S::InProgressA)),
                (S::ReturnedToAi, S::ReturnedToAi.same()),
                (S::Closed, S::Closed.same()),
                (S::Cancelled, S::Cancelled.same()),
            ]
        });
    }

    let took = |who| ok(who, HUMAN).changed().fx(TAKE);
    add(r, cmd("Take by member A", || take(alice())), {
        let mut v = vec![
            (S::None, rej(NoOpenHandover)),
            (S::Pending, took("in_progress/-/UA")),
            (S::PendingMuted, took("in_progress/-/UA")),
            (S::InProgressA, S::InProgressA.same()),
        ];
        v.extend(not_open());
        v
    });
    add(r, cmd("Take by member B", || take(bob())), {
        let mut v = vec![
            (S::None, rej(NoOpenHandover)),
            (S::Pending, took("in_progress/-/UB")),
            (S::PendingMuted, took("in_progress/-/UB")),
            (S::InProgressA, rej(AlreadyTaken { by: alice() })),
        ];
        v.extend(not_open());
        v
    });
    add(
        r,
        cmd("Take by non-member", || Command::Take {
            by: outsider(xavier()),
        }),
        {
            let mut v = vec![(S::None, rej(NoOpenHandover))];
            v.extend([S::Pending, S::PendingMuted, S::InProgressA].map(|s| (s, rej(NotMember))));
            v.extend(not_open());
            v
        },
    );

    let assigned = [
        (S::None, rej(NoOpenHandover)),
        (
            S::Pending,
            ok("in_progress/-/UB", HUMAN).changed().fx(ASSIGN_PENDING),
        ),
        (
            S::PendingMuted,
            ok("in_progress/-/UB", HUMAN).changed().fx(ASSIGN_PENDING),
        ),
        (
            S::InProgressA,
            ok("in_progress/-/UB", HUMAN).changed().fx(ASSIGN),
        ),
    ];
    add(
        r,
        cmd("Assign to B by member A", || Command::Assign {
            to: member(bob()),
            by: as_member(alice()),
        }),
        {
            let mut v = assigned.to_vec();
            v.extend(not_open());
            v
        },
    );
    add(
        r,
        cmd("Assign to B by admin non-member", || Command::Assign {
            to: member(bob()),
            by: Actor::Person(admin(dana())),
        }),
        {
            let mut v = assigned.to_vec();
            v.extend(not_open());
            v
        },
    );
    add(
        r,
        cmd("Assign to B by non-member non-admin", || Command::Assign {
            to: member(bob()),
            by: Actor::Person(outsider(xavier())),
        }),
        {
            let mut v = vec![(S::None, rej(NoOpenHandover))];
            v.extend(
                [S::Pending, S::PendingMuted, S::InProgressA].map(|s| (s, rej(NotMemberOrAdmin))),
            );
            v.extend(not_open());
            v
        },
    );
    add(
        r,
        cmd("Assign to non-member by A", || Command::Assign {
            to: outsider(xavier()),
            by: as_member(alice()),
        }),
        {
            let mut v = vec![(S::None, rej(NoOpenHandover))];
            v.extend(
                [S::Pending, S::PendingMuted, S::InProgressA]
                    .map(|s| (s, rej(AssigneeNotMember { to: xavier() }))),
            );
            v.extend(not_open());
            v
        },
    );

    let reply_in_progress = S::InProgressA
        .same()
        .changed()
        .fx(REPLY)
        .roles(&[Role::Agent]);
    let reply_takes = || {
        ok("in_progress/-/UA", HUMAN)
            .changed()
            .fx(REPLY_TAKE)
            .roles(&[Role::Agent])
    };
    add(
        r,
        cmd("AgentMessage by A (take_over_on_reply on)", || {
            say(member(alice()), "s1", "hello")
        }),
        {
            let mut v = vec![
                (S::None, rej(NoOpenHandover)),
                (S::Pending, reply_takes()),
                (S::PendingMuted, reply_takes()),
                (S::InProgressA, reply_in_progress.clone()),
            ];
            v.extend(not_open());
            v
        },
    );
    let mut c = cmd("AgentMessage by A (take_over_on_reply off)", || {
        say(member(alice()), "s1", "hello")
    });
    c.tweak = |p| p.take_over_on_reply = false;
    add(r, c, {
        let mut v = vec![
            (S::None, rej(NoOpenHandover)),
            (S::Pending, rej(NotTaken)),
            (S::PendingMuted, rej(NotTaken)),
            (S::InProgressA, reply_in_progress.clone()),
        ];
        v.extend(not_open());
        v
    });
    add(
        r,
        cmd("AgentMessage '// note' by A", || {
            say(member(alice()), "s2", "// check the refund")
        }),
        {
            let mut v = vec![(S::None, rej(NoOpenHandover))];
            v.extend(
                [S::Pending, S::PendingMuted, S::InProgressA]
                    .map(|s| (s, s.same().roles(&[Role::Note]))),
            );
            v.extend(not_open());
            v
        },
    );
    add(
        r,
        cmd("AgentMessage by non-member", || {
            say(outsider(xavier()), "s3", "hi")
        }),
        {
            let mut v = vec![(S::None, rej(NoOpenHandover))];
            v.extend([S::Pending, S::PendingMuted, S::InProgressA].map(|s| (s, rej(NotMember))));
            v.extend(not_open());
            v
        },
    );

    // End by a member or the platform, on the open states; `res` is the resolution.
    let ends = |res: &'static str, in_progress: &'static str| {
        vec![
            (S::None, rej(NoOpenHandover)),
            (S::Pending, ok(res, AI).changed().fx(END)),
            (S::PendingMuted, ok(res, AI).changed().fx(END)),
            (S::InProgressA, ok(in_progress, AI).changed().fx(END)),
        ]
    };
    let returned = || ends("completed/returned_to_ai/-", "completed/returned_to_ai/UA");
    let closed = || ends("completed/closed/-", "completed/closed/UA");
    let cancelled = || ends("completed/cancelled/-", "completed/cancelled/UA");
    add(
        r,
        cmd("End Default by A (return_to_ai on)", || {
            end_cmd(as_member(alice()), EndMode::Default)
        }),
        {
            let mut v = returned();
            v.extend(not_open());
            v
        },
    );
    let mut c = cmd("End Default by A (return_to_ai off)", || {
        end_cmd(as_member(alice()), EndMode::Default)
    });
    c.tweak = |p| p.return_to_ai = false;
    add(r, c, {
        let mut v = closed();
        v.extend(not_open());
        v
    });
    add(
        r,
        cmd("End Close by A", || {
            end_cmd(as_member(alice()), EndMode::Close)
        }),
        {
            let mut v = closed();
            v.extend(not_open());
            v
        },
    );
    add(
        r,
        cmd("End ReturnToAi by A", || {
            end_cmd(as_member(alice()), EndMode::ReturnToAi)
        }),
        {
            let mut v = returned();
            v.extend(not_open());
            v
        },
    );
    // The platform repeating the resolution a handover already has is idempotent.
    let platform_repeat = |same: S| {
        not_open()
            .into_iter()
            .map(move |(s, w)| if s == same { (s, s.same()) } else { (s, w) })
    };
    add(
        r,
        cmd("End Cancel by Platform", || {
            end_cmd(Actor::Platform, EndMode::Cancel)
        }),
        {
            let mut v = cancelled();
            v.extend(platform_repeat(S::Cancelled));
            v
        },
    );
    add(
        r,
        cmd("End ReturnToAi by Platform", || {
            end_cmd(Actor::Platform, EndMode::ReturnToAi)
        }),
        {
            let mut v = returned();
            v.extend(platform_repeat(S::ReturnedToAi));
            v
        },
    );
    add(
        r,
        cmd("End Close by Platform", || {
            end_cmd(Actor::Platform, EndMode::Close)
        }),
        {
            let mut v = closed();
            v.extend(platform_repeat(S::Closed));
            v
        },
    );
    add(
        r,
        cmd("End Default by non-member", || {
            end_cmd(Actor::Person(outsider(xavier())), EndMode::Default)
        }),
        {
            let mut v = vec![(S::None, rej(NoOpenHandover))];
            v.extend([S::Pending, S::PendingMuted, S::InProgressA].map(|s| (s, rej(NotMember))));
            v.extend(not_open());
            v
        },
    );

    let completed = [S::ReturnedToAi, S::Closed, S::Cancelled];
    add(
        r,
        cmd("Rate 5", || Command::Rate {
            score: 5,
            comment: Some("great".to_owned()),
        }),
        {
            let mut v = vec![(S::None, rej(NoOpenHandover))];
            v.extend([S::Pending, S::PendingMuted, S::InProgressA].map(|s| (s, rej(NotCompleted))));
            v.extend(completed.map(|s| (s, s.same().changed().fx(RATE))));
            v
        },
    );
    for (name, make) in [
        (
            "Rate 0",
            (|| Command::Rate {
                score: 0,
                comment: None,
            }) as fn() -> Command,
        ),
        ("Rate 6", || Command::Rate {
            score: 6,
            comment: None,
        }),
    ] {
        add(r, cmd(name, make), {
            let mut v = vec![(S::None, rej(NoOpenHandover))];
            v.extend(STATES[1..].iter().map(|&s| (s, rej(InvalidScore))));
            v
        });
    }

    let remind_at = |name, now| Cmd {
        name,
        make: || Command::Remind,
        now,
        tweak: |_| {},
    };
    let fired = |s: S| s.same().changed().fx(&["bridge:remind"]);
    add(
        r,
        remind_at("Remind when due (requested_at + remind_after)", 300_000),
        {
            let mut v = vec![
                (S::None, rej(NoOpenHandover)),
                (S::Pending, fired(S::Pending)),
                (S::PendingMuted, fired(S::PendingMuted)),
            ];
            v.extend(STATES[3..].iter().map(|&s| (s, s.same())));
            v
        },
    );
    add(r, remind_at("Remind 1 ms before due", 299_999), {
        let mut v = vec![(S::None, rej(NoOpenHandover))];
        v.extend(STATES[1..].iter().map(|&s| (s, s.same())));
        v
    });

    add(
        r,
        cmd("Posted", || Command::Posted {
            location: location("1700.1"),
        }),
        {
            let mut v = vec![(S::None, rej(NoOpenHandover))];
            v.extend(STATES[1..].iter().map(|&s| (s, s.same().changed())));
            v
        },
    );
    add(
        r,
        cmd("Delivery", || Command::Delivery {
            message_id: "s1".to_owned(),
            outcome: DeliveryOutcome::Delivered,
        }),
        {
            let mut v = vec![(S::None, rej(NoOpenHandover))];
            v.extend(
                STATES[1..]
                    .iter()
                    .map(|&s| (s, s.same().fx(&["bridge:delivery"]))),
            );
            v
        },
    );
    rows
}

fn location(thread: &str) -> Location {
    Location {
        bridge: "slack".to_owned(),
        channel: "C1".to_owned(),
        thread: Some(thread.to_owned()),
        url: None,
    }
}

fn diff(errs: &mut Vec<String>, what: &str, got: String, want: String) {
    if got != want {
        errs.push(format!("{what}: got {got}, want {want}"));
    }
}

/// Runs one row; returns what differs from the expectation.
fn check(row: &Row) -> Vec<String> {
    let mut errs = Vec::new();
    let before = row.state.build();
    let mut p = policy(row.state.mute());
    (row.cmd.tweak)(&mut p);
    let now = at(row.cmd.now);
    let calls = Cell::new(0);
    let got = step_counting(before.clone(), (row.cmd.make)(), now, &p, true, &calls);
    let want = match (&row.want.0, got) {
        (Err(want), Err(got)) => {
            diff(
                &mut errs,
                "rejection",
                format!("{got:?}"),
                format!("{want:?}"),
            );
            diff(
                &mut errs,
                "new_id calls",
                calls.get().to_string(),
                "0".to_owned(),
            );
            return errs;
        }
        (Err(want), Ok(t)) => return vec![format!("accepted, want {want:?}; got {t:?}")],
        (Ok(_), Err(got)) => return vec![format!("rejected with {got:?}")],
        (Ok(want), Ok(t)) => (want, t),
    };
    let (want, t) = want;
    let after = t.handover.as_ref();
    diff(&mut errs, "state", describe(after), want.after.to_owned());
    diff(
        &mut errs,
        "route",
        format!("{:?}", t.route),
        format!("{:?}", want.route),
    );
    diff(
        &mut errs,
        "route vs gate",
        format!("{:?}", t.route),
        format!("{:?}", route(after)),
    );
    diff(
        &mut errs,
        "changed",
        t.changed.to_string(),
        want.changed.to_string(),
    );
    diff(
        &mut errs,
        "created",
        t.created.to_string(),
        want.created.to_string(),
    );
    diff(
        &mut errs,
        "effects",
        format!("{:?}", kinds(&t.effects)),
        format!("{:?}", want.effects),
    );
    diff(
        &mut errs,
        "appended roles",
        format!("{:?}", roles(&t.append)),
        format!("{:?}", want.roles),
    );
    diff(
        &mut errs,
        "new_id calls",
        calls.get().to_string(),
        u64::from(t.created).to_string(),
    );
    if !t.changed {
        diff(
            &mut errs,
            "unchanged record",
            format!("{after:?}"),
            format!("{:?}", before.as_ref()),
        );
    } else if after == before.as_ref() {
        errs.push("changed is set but the record is the same".to_owned());
    }
    if let Some(h) = after {
        let was = before.as_ref().map(|b| b.status);
        if was == Some(Status::Pending) && h.status == Status::InProgress {
            diff(
                &mut errs,
                "taken_at",
                format!("{:?}", h.taken_at),
                format!("{:?}", Some(now)),
            );
        }
        if was.is_some_and(Status::is_open) && h.status == Status::Completed {
            diff(
                &mut errs,
                "ended_at",
                format!("{:?}", h.ended_at),
                format!("{:?}", Some(now)),
            );
        }
        if h.status != Status::Pending {
            diff(
                &mut errs,
                "next_reminder_at",
                format!("{:?}", h.next_reminder_at),
                "None".to_owned(),
            );
        }
    }
    errs
}

#[test]
fn every_state_and_command() {
    let rows = table();
    let failures: Vec<String> = rows
        .iter()
        .flat_map(|row| {
            check(row)
                .into_iter()
                .map(move |e| format!("[{}] {e}", row.name))
        })
        .collect();
    assert!(
        failures.is_empty(),
        "{} mismatches:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn table_covers_every_state_and_command_once() {
    let rows = table();
    let commands: BTreeSet<&str> = rows.iter().map(|r| r.cmd.name).collect();
    let mut seen = BTreeSet::new();
    for row in &rows {
        assert!(
            seen.insert((row.state, row.cmd.name)),
            "duplicate row {}",
            row.name
        );
    }
    let missing: Vec<String> = STATES
        .iter()
        .flat_map(|&s| commands.iter().map(move |&c| (s, c)))
        .filter(|pair| !seen.contains(pair))
        .map(|(s, c)| format!("{} × {c}", s.name()))
        .collect();
    // A request is given the conversation's *open* handover: never a completed one.
    let excluded: Vec<String> = [S::ReturnedToAi, S::Closed, S::Cancelled]
        .iter()
        .flat_map(|s| {
            ["Request", "Request (mute_ai = on_request)"].map(|c| format!("{} × {c}", s.name()))
        })
        .collect();
    assert_eq!(missing, excluded);
    assert_eq!(commands.len(), 30);
    assert_eq!(rows.len(), 30 * STATES.len() - excluded.len());
}
