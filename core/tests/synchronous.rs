//! Default synchronous sending with replies, and direct synchronous sending.

mod common;

use std::collections::HashSet;
use std::thread;
use std::time::Duration;

use common::{Latch, PATIENCE, Recorder};
use msgbus::{
    DEFAULT_RESPONSE_DESTINATION, DestinationType, Error, ListenerError, Message, MessageBus, Value,
};

/// Registers on `name` a listener that replies with `answer(request)`.
fn replier(
    bus: &MessageBus,
    name: &str,
    answer: impl Fn(&Message) -> Value + Send + Sync + 'static,
) {
    let weak = bus.downgrade();
    bus.register_listener(name, move |request| {
        let bus = weak.upgrade().ok_or("bus gone")?;
        bus.reply(request, answer(request))
            .map_err(|e| ListenerError::new(e.to_string()))
    })
    .unwrap();
}

#[test]
fn seed_scenario_reply_reaches_the_response_destination() {
    let bus = MessageBus::new();
    bus.add_destination("acme/n8k5_able", DestinationType::Serial)
        .unwrap();
    bus.add_destination("acme/n8k5_baker", DestinationType::Serial)
        .unwrap();
    replier(&bus, "acme/n8k5_able", |_| {
        "N8K5CharlieMessageListener".into()
    });
    let (replies, done) = (Recorder::<String>::new(), Latch::new(1));
    {
        let (replies, done) = (replies.clone(), done.clone());
        bus.register_listener("acme/n8k5_baker", move |m| {
            replies.push(m.payload().as_str().unwrap().to_string());
            done.count_down();
            Ok(())
        })
        .unwrap();
    }
    let message =
        Message::with_payload("N8K5Baker#_activate").with_response_destination("acme/n8k5_baker");
    bus.send("acme/n8k5_able", message).unwrap();
    assert!(done.wait());
    assert_eq!(
        replies.items(),
        vec!["N8K5CharlieMessageListener".to_string()]
    );
}

#[test]
fn send_synchronous_returns_the_reply_and_sets_correlation_fields() {
    let bus = MessageBus::new();
    bus.add_destination("acme/ask", DestinationType::Parallel)
        .unwrap();
    let requests = Recorder::<(Option<String>, Option<String>)>::new();
    {
        let requests = requests.clone();
        replier(&bus, "acme/ask", move |m| {
            requests.push((
                m.response_id().map(|t| t.to_string()),
                m.response_destination_name().map(|t| t.to_string()),
            ));
            format!("echo {}", m.payload().as_str().unwrap()).into()
        });
    }
    let mut message = Message::with_payload("a");
    message.set_response_id(Some("stale"));
    let reply = bus.send_synchronous("acme/ask", message, PATIENCE).unwrap();
    assert_eq!(reply, Value::from("echo a"));
    let reply = bus
        .send_synchronous(
            "acme/ask",
            Message::with_payload("b").with_response_destination("acme/missing"),
            PATIENCE,
        )
        .unwrap();
    assert_eq!(reply, Value::from("echo b"));
    let seen = requests.items();
    assert!(
        seen.iter()
            .all(|(_, to)| to.as_deref() == Some(DEFAULT_RESPONSE_DESTINATION))
    );
    let ids: HashSet<_> = seen.iter().map(|(id, _)| id.clone().unwrap()).collect();
    assert_eq!(ids.len(), 2, "fresh ids: {seen:?}");
    assert!(!ids.contains("stale"));
}

#[test]
fn a_named_response_destination_gets_the_reply_too() {
    let bus = MessageBus::new();
    bus.add_destination("acme/ask", DestinationType::Serial)
        .unwrap();
    bus.add_destination("acme/answers", DestinationType::Serial)
        .unwrap();
    replier(&bus, "acme/ask", |_| 42i64.into());
    let (seen, done) = (Recorder::<i64>::new(), Latch::new(1));
    {
        let (seen, done) = (seen.clone(), done.clone());
        bus.register_listener("acme/answers", move |m| {
            seen.push(m.payload().as_int().unwrap());
            done.count_down();
            Ok(())
        })
        .unwrap();
    }
    let message = Message::with_payload("q").with_response_destination("acme/answers");
    assert_eq!(
        bus.send_synchronous("acme/ask", message, PATIENCE),
        Ok(Value::Int(42))
    );
    assert!(done.wait());
    assert_eq!(seen.items(), vec![42]);
}

#[test]
fn replies_are_counted_and_seen_by_listeners_on_the_default_response_destination() {
    let bus = MessageBus::new();
    bus.add_destination("acme/ask", DestinationType::Serial)
        .unwrap();
    replier(&bus, "acme/ask", |m| m.payload().clone());
    for i in 0..3 {
        let reply = bus.send_synchronous("acme/ask", Value::Int(i), PATIENCE);
        assert_eq!(reply, Ok(Value::Int(i)), "the reply router alone");
    }
    let (seen, done) = (Recorder::<(i64, String)>::new(), Latch::new(1));
    {
        let (seen, done) = (seen.clone(), done.clone());
        bus.register_listener(DEFAULT_RESPONSE_DESTINATION, move |m| {
            let id = m.response_id().map(|t| t.to_string()).unwrap_or_default();
            seen.push((m.payload().as_int().unwrap(), id));
            done.count_down();
            Ok(())
        })
        .unwrap();
    }
    let pending = bus.request("acme/ask", Value::Int(7)).unwrap();
    assert_eq!(pending.wait(PATIENCE), Ok(Value::Int(7)));
    assert!(done.wait());
    assert_eq!(
        seen.items(),
        vec![(7, pending.response_id().to_string())],
        "a listener beside the router sees the reply message"
    );
    // Replies are counted after delivery, in the worker: wait for it.
    bus.shutdown(false, Some(PATIENCE)).unwrap();
    let s = bus
        .destination_statistics(DEFAULT_RESPONSE_DESTINATION)
        .unwrap();
    assert_eq!((s.sent_message_count, s.delivered_message_count), (4, 4));
}

#[test]
fn a_null_reply_is_a_reply_and_silence_is_a_timeout() {
    let bus = MessageBus::new();
    bus.add_destination("acme/null", DestinationType::Serial)
        .unwrap();
    replier(&bus, "acme/null", |_| Value::Null);
    assert_eq!(
        bus.send_synchronous("acme/null", "q", PATIENCE),
        Ok(Value::Null)
    );

    bus.add_destination("acme/silent", DestinationType::Serial)
        .unwrap();
    bus.register_listener("acme/silent", |_| Ok(())).unwrap();
    let timeout = Duration::from_millis(20);
    assert_eq!(
        bus.send_synchronous("acme/silent", "q", timeout),
        Err(Error::Timeout(timeout))
    );
}

#[test]
fn send_synchronous_errors() {
    let bus = MessageBus::new();
    assert_eq!(
        bus.send_synchronous("acme/none", "q", PATIENCE),
        Err(Error::NoSuchDestination("acme/none".into()))
    );
    bus.add_destination("acme/empty", DestinationType::Serial)
        .unwrap();
    assert_eq!(
        bus.send_synchronous("acme/empty", "q", PATIENCE),
        Err(Error::NoListeners("acme/empty".into()))
    );
}

#[test]
fn synchronous_request_destination_replies_before_the_wait() {
    let bus = MessageBus::new();
    bus.add_destination("acme/inline", DestinationType::Synchronous)
        .unwrap();
    replier(&bus, "acme/inline", |m| m.payload().clone());
    assert_eq!(
        bus.send_synchronous("acme/inline", "same", PATIENCE),
        Ok(Value::from("same"))
    );
}

#[test]
fn sixteen_threads_of_concurrent_requests_all_correlate() {
    let bus = MessageBus::new();
    bus.add_destination("acme/many", DestinationType::Parallel)
        .unwrap();
    replier(&bus, "acme/many", |m| {
        (m.payload().as_int().unwrap() * 2).into()
    });
    thread::scope(|s| {
        for t in 0..16i64 {
            let bus = &bus;
            s.spawn(move || {
                for i in 0..300i64 {
                    let n = t * 1000 + i;
                    let reply =
                        bus.send_synchronous("acme/many", Message::with_payload(n), PATIENCE);
                    assert_eq!(reply, Ok(Value::Int(n * 2)));
                }
            });
        }
    });
}

#[test]
fn many_requests_in_flight_from_one_thread() {
    let bus = MessageBus::new();
    bus.add_destination("acme/flight", DestinationType::Parallel)
        .unwrap();
    replier(&bus, "acme/flight", |m| m.payload().clone());
    let pending: Vec<_> = (0..500i64)
        .map(|i| {
            bus.request("acme/flight", Message::with_payload(i))
                .unwrap()
        })
        .collect();
    for (i, p) in pending.iter().enumerate().rev() {
        assert_eq!(p.wait(PATIENCE), Ok(Value::Int(i as i64)));
    }
}

#[test]
fn on_reply_hands_the_reply_to_a_callback_in_the_replying_thread() {
    let bus = MessageBus::new();
    bus.add_destination("acme/later", DestinationType::Serial)
        .unwrap();
    let valve = common::Valve::closed();
    let weak = bus.downgrade();
    bus.register_listener(
        "acme/later",
        common::after(&valve, move |request| {
            let bus = weak.upgrade().ok_or("bus gone")?;
            bus.reply(request, "late").map_err(|e| e.to_string().into())
        }),
    )
    .unwrap();
    let pending = bus.request("acme/later", "q").unwrap();
    let (seen, done) = (Recorder::<(Value, String)>::new(), Latch::new(1));
    {
        let (seen, done) = (seen.clone(), done.clone());
        pending
            .on_reply(move |payload| {
                seen.push((payload, common::thread_name()));
                done.count_down();
            })
            .unwrap();
    }
    valve.open();
    assert!(done.wait());
    assert_eq!(
        seen.items(),
        vec![(Value::from("late"), "acme/later-1".to_string())]
    );
    assert_eq!(pending.try_take(), None, "the callback took it");
}

#[test]
fn on_reply_after_the_reply_arrived_runs_at_once() {
    let bus = MessageBus::new();
    bus.add_destination("acme/now", DestinationType::Synchronous)
        .unwrap();
    replier(&bus, "acme/now", |_| "here".into());
    let pending = bus.request("acme/now", "q").unwrap();
    let seen = Recorder::<(Value, String)>::new();
    let record = seen.clone();
    pending
        .on_reply(move |payload| record.push((payload, common::thread_name())))
        .unwrap();
    assert_eq!(
        seen.items(),
        vec![(Value::from("here"), common::thread_name())]
    );
}

#[test]
fn dropping_the_handle_cancels_on_reply() {
    let bus = MessageBus::new();
    bus.add_destination("acme/cancel", DestinationType::Serial)
        .unwrap();
    let (valve, replied) = (common::Valve::closed(), Latch::new(1));
    let weak = bus.downgrade();
    let done = replied.clone();
    bus.register_listener(
        "acme/cancel",
        common::after(&valve, move |request| {
            let bus = weak.upgrade().ok_or("bus gone")?;
            let result = bus
                .reply(request, "unheard")
                .map_err(|e| e.to_string().into());
            done.count_down();
            result
        }),
    )
    .unwrap();
    let pending = bus.request("acme/cancel", "q").unwrap();
    let called = Latch::new(1);
    let flag = called.clone();
    pending.on_reply(move |_| flag.count_down()).unwrap();
    drop(pending);
    valve.open();
    assert!(replied.wait());
    bus.shutdown(false, None).unwrap();
    assert_eq!(called.count(), 1, "the callback never ran");
}

#[test]
fn a_hand_built_reply_answers_and_stray_replies_are_ignored() {
    let bus = MessageBus::new();
    bus.add_destination("acme/manual", DestinationType::Serial)
        .unwrap();
    let weak = bus.downgrade();
    bus.register_listener("acme/manual", move |request| {
        let bus = weak.upgrade().ok_or("bus gone")?;
        let mut stray = Message::with_payload("stray");
        stray.set_response_id(Some("nobody-waits-for-this"));
        bus.send(DEFAULT_RESPONSE_DESTINATION, stray)
            .map_err(|e| e.to_string())?;
        let to = request.response_destination_name().unwrap().to_string();
        bus.send(&to, Message::response_to(request, "manual"))
            .map_err(|e| e.to_string())?;
        Ok(())
    })
    .unwrap();
    assert_eq!(
        bus.send_synchronous("acme/manual", "q", PATIENCE),
        Ok(Value::from("manual"))
    );
}

/// A reply that carries only the response id (as one a C or Python
/// program builds field by field) finds its sender by the id; the first
/// reply wins; and the handle may wait on another thread.
#[test]
fn a_reply_by_id_alone_answers_and_only_the_first_reply_counts() {
    let bus = MessageBus::new();
    bus.add_destination("acme/by_id", DestinationType::Serial)
        .unwrap();
    let weak = bus.downgrade();
    bus.register_listener("acme/by_id", move |request| {
        let bus = weak.upgrade().ok_or("bus gone")?;
        for answer in ["first", "second"] {
            let mut reply = Message::with_payload(answer);
            reply.set_response_id(request.response_id().map(|id| id.as_str()));
            bus.send(DEFAULT_RESPONSE_DESTINATION, reply)
                .map_err(|e| e.to_string())?;
        }
        Ok(())
    })
    .unwrap();
    let pending = bus.request("acme/by_id", "q").unwrap();
    let waited = thread::spawn(move || pending.wait(PATIENCE));
    assert_eq!(waited.join().unwrap(), Ok(Value::from("first")));
    let reply = bus.send_synchronous("acme/by_id", "q", PATIENCE);
    assert_eq!(reply, Ok(Value::from("first")));
}

#[test]
fn reply_needs_a_response_destination() {
    let bus = MessageBus::new();
    assert!(matches!(
        bus.reply(&Message::new(), "x"),
        Err(Error::InvalidArgument(_))
    ));
}

#[test]
fn direct_runs_listeners_in_this_thread_and_returns_the_last_response() {
    let bus = MessageBus::new();
    bus.add_destination("acme/direct", DestinationType::Serial)
        .unwrap();
    let me = thread::current().id();
    for answer in ["first", "last"] {
        bus.register_listener("acme/direct", move |m| {
            assert_eq!(thread::current().id(), me);
            assert_eq!(
                m.destination_name().map(|t| t.as_str()),
                Some("acme/direct")
            );
            m.set_response(answer);
            Ok(())
        })
        .unwrap();
    }
    assert_eq!(bus.send_direct("acme/direct", "q"), Ok(Value::from("last")));
    let stats = bus.destination_statistics("acme/direct").unwrap();
    assert_eq!(
        (stats.sent_message_count, stats.delivered_message_count),
        (1, 1)
    );
    assert_eq!(stats.current_thread_count, 0, "no worker was involved");
}

#[test]
fn direct_stops_at_a_failing_listener_and_returns_its_error() {
    let bus = MessageBus::new();
    bus.add_destination("acme/direct", DestinationType::Synchronous)
        .unwrap();
    let after = Recorder::<()>::new();
    bus.register_listener("acme/direct", |_| Err("refused".into()))
        .unwrap();
    {
        let after = after.clone();
        bus.register_listener("acme/direct", move |_| {
            after.push(());
            Ok(())
        })
        .unwrap();
    }
    assert_eq!(
        bus.send_direct("acme/direct", "q"),
        Err(Error::Listener(ListenerError::new("refused")))
    );
    assert_eq!(after.len(), 0);
    assert_eq!(
        bus.destination_statistics("acme/direct")
            .unwrap()
            .failed_message_count,
        1
    );
}

#[test]
fn direct_without_listeners_returns_null() {
    let bus = MessageBus::new();
    bus.add_destination("acme/direct", DestinationType::Synchronous)
        .unwrap();
    assert_eq!(bus.send_direct("acme/direct", "q"), Ok(Value::Null));
    assert_eq!(
        bus.send_direct("acme/none", "q"),
        Err(Error::NoSuchDestination("acme/none".into()))
    );
}

/// A request whose listeners all returned, one of them failing, with no
/// reply, fails its sender at once with that failure (not a timeout), on
/// every destination type; a reply from another listener still wins.
#[test]
fn a_failed_request_without_a_reply_fails_its_sender_at_once() {
    let bus = MessageBus::new();
    for kind in [
        DestinationType::Serial,
        DestinationType::Parallel,
        DestinationType::Synchronous,
    ] {
        let name = format!("acme/fails-{kind:?}");
        bus.add_destination(&name, kind).unwrap();
        bus.register_listener(&name, |_| Ok(())).unwrap();
        bus.register_listener(&name, |_| Err("the oven is cold".into()))
            .unwrap();
        assert_eq!(
            bus.send_synchronous(&name, "q", PATIENCE),
            Err(Error::Listener(ListenerError::new("the oven is cold"))),
            "{kind:?}"
        );
        let request = bus.request(&name, "q").unwrap();
        assert_eq!(
            request.wait(PATIENCE),
            Err(Error::Listener(ListenerError::new("the oven is cold")))
        );
        assert_eq!(
            request.wait(PATIENCE),
            Err(Error::Listener(ListenerError::new("the oven is cold"))),
            "a failed request stays failed"
        );

        let answered = format!("acme/answered-{kind:?}");
        bus.add_destination(&answered, kind).unwrap();
        bus.register_listener(&answered, |_| Err("first".into()))
            .unwrap();
        replier(&bus, &answered, |_| Value::from("the reply"));
        bus.register_listener(&answered, |_| Err("last".into()))
            .unwrap();
        assert_eq!(
            bus.send_synchronous(&answered, "q", PATIENCE),
            Ok(Value::from("the reply")),
            "{kind:?}"
        );
        // Counted before the sender was told.
        let stats = bus.destination_statistics(&name).unwrap();
        assert_eq!(stats.failed_message_count, 2, "{kind:?}");
    }
}
