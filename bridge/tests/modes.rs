//! Broadcast, work share and request/reply between three buses, each
//! with its own bridge and connections, through one nats-server.

mod common;

use std::collections::HashSet;
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::{NatsServer, PATIENCE, cluster, node, numbered};
use msgbus::{DestinationType, Error, Message, Object, Value};
use msgbus_nats::{BridgeMode, MESSAGE_ID, ORIGIN};
use parking_lot::Mutex;

const BROADCAST: &str = "acme/broadcast";

/// Each node records (sender, seq) of what its listener gets.
type Seen = Arc<Mutex<Vec<(String, i64)>>>;

fn record(bus: &msgbus::MessageBus, destination: &str) -> (Seen, crossbeam_channel::Receiver<()>) {
    let seen = Seen::default();
    let (tick, ticks) = crossbeam_channel::unbounded();
    let into = seen.clone();
    bus.register_listener(destination, move |m: &Message| {
        let sender = m
            .get("sender")
            .and_then(Value::as_str)
            .unwrap_or("?")
            .to_string();
        let seq = m.get("seq").and_then(Value::as_int).unwrap_or(-1);
        into.lock().push((sender, seq));
        let _ = tick.send(());
        Ok(())
    })
    .unwrap();
    (seen, ticks)
}

/// Waits until `ticks` counted `n`; panics with what came if it does not.
fn await_count(ticks: &crossbeam_channel::Receiver<()>, n: usize, what: &str) {
    let deadline = Instant::now() + PATIENCE;
    for got in 0..n {
        if ticks.recv_deadline(deadline).is_err() {
            panic!("{what}: {got} of {n} arrived in {PATIENCE:?}");
        }
    }
}

#[test]
fn broadcast_reaches_every_node_with_each_senders_order() {
    const N: i64 = 100_000;
    let server = NatsServer::start();
    let cluster = cluster("broadcast");
    let nodes: Vec<_> = ["a", "b", "c"]
        .iter()
        .map(|id| node(&server, &cluster, id, BROADCAST, DestinationType::Serial))
        .collect();
    let records: Vec<_> = nodes
        .iter()
        .map(|(bus, _)| record(bus, BROADCAST))
        .collect();
    for (_, bridge) in &nodes {
        bridge.add(BROADCAST, BridgeMode::Broadcast).unwrap();
    }
    std::thread::scope(|s| {
        for (sender, (bus, _)) in ["a", "b"].iter().zip(&nodes) {
            s.spawn(move || {
                let handle = bus.destination(BROADCAST).unwrap();
                for seq in 0..N {
                    handle.send(numbered(sender, seq)).unwrap();
                }
            });
        }
    });
    for (i, (seen, ticks)) in records.iter().enumerate() {
        await_count(ticks, 2 * N as usize, &format!("node {i}"));
        let seen = seen.lock();
        for sender in ["a", "b"] {
            let order: Vec<i64> = seen
                .iter()
                .filter(|(s, _)| s == sender)
                .map(|(_, q)| *q)
                .collect();
            assert_eq!(
                order,
                (0..N).collect::<Vec<_>>(),
                "node {i}, sender {sender}"
            );
        }
    }
    for (i, (_, bridge)) in nodes.iter().enumerate() {
        let statistics = bridge.statistics();
        let sent = if i < 2 { N as u64 } else { 0 };
        assert_eq!(statistics.published, sent, "node {i}: {statistics:?}");
        assert_eq!(
            statistics.received,
            2 * N as u64 - sent,
            "node {i}: {statistics:?}"
        );
        assert_eq!(statistics.failed, 0, "node {i}: {statistics:?}");
    }
}

#[test]
fn work_share_hands_each_message_to_exactly_one_node() {
    const N: i64 = 10_000;
    const DESTINATION: &str = "acme/work";
    let server = NatsServer::start();
    let cluster = cluster("work");
    let nodes: Vec<_> = ["a", "b", "c"]
        .iter()
        .map(|id| {
            node(
                &server,
                &cluster,
                id,
                DESTINATION,
                DestinationType::Parallel,
            )
        })
        .collect();
    let (tick, ticks) = crossbeam_channel::unbounded();
    let taken = Arc::new(Mutex::new(Vec::new()));
    for (i, (bus, bridge)) in nodes.iter().enumerate() {
        let (tick, taken) = (tick.clone(), taken.clone());
        bus.register_listener(DESTINATION, move |m: &Message| {
            taken
                .lock()
                .push((i, m.get("seq").and_then(Value::as_int).unwrap()));
            let _ = tick.send(());
            Ok(())
        })
        .unwrap();
        bridge.add(DESTINATION, BridgeMode::WorkShare).unwrap();
    }
    let handle = nodes[0].0.destination(DESTINATION).unwrap();
    for seq in 0..N {
        handle.send(numbered("a", seq)).unwrap();
    }
    await_count(&ticks, N as usize, "work share");
    // Anything more would be a second delivery; the bridges are flushed.
    for (_, bridge) in nodes {
        bridge.close();
    }
    let taken = taken.lock();
    let unique: HashSet<i64> = taken.iter().map(|(_, seq)| *seq).collect();
    assert_eq!(taken.len(), N as usize, "handled more than once");
    assert_eq!(unique.len(), N as usize);
    for i in 0..3 {
        assert!(
            taken.iter().any(|(node, _)| *node == i),
            "node {i} took nothing"
        );
    }
}

#[test]
fn send_synchronous_is_answered_by_another_node() {
    const DESTINATION: &str = "acme/ask";
    let server = NatsServer::start();
    let cluster = cluster("rpc");
    let (asking, asker) = node(
        &server,
        &cluster,
        "asker",
        DESTINATION,
        DestinationType::Serial,
    );
    let (answering, answerer) = node(
        &server,
        &cluster,
        "answerer",
        DESTINATION,
        DestinationType::Serial,
    );
    let replying = answering.clone();
    answering
        .register_listener(DESTINATION, move |m: &Message| {
            assert_eq!(m.get(ORIGIN).and_then(Value::as_str), Some("asker"));
            let question = m.payload().as_str().unwrap_or("").to_string();
            replying
                .reply(m, format!("{question}: yes"))
                .map_err(|e| e.to_string().as_str().into())
        })
        .unwrap();
    asker.add(DESTINATION, BridgeMode::Broadcast).unwrap();
    answerer.add(DESTINATION, BridgeMode::Broadcast).unwrap();
    let reply = asking
        .send_synchronous(DESTINATION, Message::with_payload("ready?"), PATIENCE)
        .unwrap();
    assert_eq!(reply.as_str(), Some("ready?: yes"));
    drop(answerer);
    let started = Instant::now();
    let lonely = asking.send_synchronous(DESTINATION, Message::with_payload("anyone?"), PATIENCE);
    assert_eq!(lonely.unwrap_err(), Error::NoListeners(DESTINATION.into()));
    assert!(
        started.elapsed() < PATIENCE / 2,
        "no responders is not a timeout"
    );
}

#[test]
fn a_node_without_listeners_answers_no_listeners() {
    const DESTINATION: &str = "acme/deaf";
    let server = NatsServer::start();
    let cluster = cluster("deaf");
    let (asking, asker) = node(
        &server,
        &cluster,
        "asker",
        DESTINATION,
        DestinationType::Serial,
    );
    let (_deaf, deaf) = node(
        &server,
        &cluster,
        "deaf",
        DESTINATION,
        DestinationType::Serial,
    );
    asker.add(DESTINATION, BridgeMode::WorkShare).unwrap();
    deaf.add(DESTINATION, BridgeMode::WorkShare).unwrap();
    let outcome = asking.send_synchronous(DESTINATION, Message::with_payload("?"), PATIENCE);
    assert_eq!(outcome.unwrap_err(), Error::NoListeners(DESTINATION.into()));
}

#[test]
fn an_object_value_is_refused_and_nothing_is_sent() {
    const DESTINATION: &str = "acme/objects";
    let server = NatsServer::start();
    let (bus, bridge) = node(
        &server,
        &cluster("objects"),
        "a",
        DESTINATION,
        DestinationType::Synchronous,
    );
    let (seen, _) = record(&bus, DESTINATION);
    bridge.add(DESTINATION, BridgeMode::Broadcast).unwrap();
    let mut message = Message::with_payload("x");
    message.put("handle", Object::new(1u8));
    match bus.send(DESTINATION, message) {
        Err(Error::InvalidArgument(why)) => assert!(why.contains("handle"), "{why}"),
        other => panic!("{other:?}"),
    }
    assert!(
        seen.lock().is_empty(),
        "refused, so not delivered locally either"
    );
    assert_eq!(bridge.statistics().published, 0);
}

#[test]
fn an_unknown_destination_is_counted_and_dead_lettered() {
    const DESTINATION: &str = "acme/only-there";
    let server = NatsServer::start();
    let cluster = cluster("unknown");
    let (sending, sender) = node(
        &server,
        &cluster,
        "a",
        DESTINATION,
        DestinationType::Synchronous,
    );
    let receiving = msgbus::MessageBus::new();
    receiving
        .add_destination("dead", DestinationType::Synchronous)
        .unwrap();
    receiving.set_dead_letter_destination(Some("dead")).unwrap();
    let (letters, ticks) = record(&receiving, "dead");
    let receiver = msgbus_nats::Bridge::connect(
        &receiving,
        msgbus_nats::BridgeOptions::new(&server.url)
            .cluster(&cluster)
            .node_id("b"),
    )
    .unwrap();
    receiver.add(DESTINATION, BridgeMode::Broadcast).unwrap();
    sender.add(DESTINATION, BridgeMode::Broadcast).unwrap();
    sending.send(DESTINATION, numbered("a", 1)).unwrap();
    await_count(&ticks, 1, "dead letter");
    assert_eq!(letters.lock()[0], ("a".to_string(), 1));
    // Counted once the send that dead-lettered it returned: after a close.
    receiver.close();
    assert_eq!(receiver.statistics().unknown_destination, 1);
}

#[test]
fn inbound_messages_carry_their_origin_and_id_and_are_not_sent_back() {
    const DESTINATION: &str = "acme/marks";
    let server = NatsServer::start();
    let cluster = cluster("marks");
    let (a_bus, a) = node(&server, &cluster, "a", DESTINATION, DestinationType::Serial);
    let (b_bus, b) = node(&server, &cluster, "b", DESTINATION, DestinationType::Serial);
    let (tick, ticks) = crossbeam_channel::unbounded();
    b_bus
        .register_listener(DESTINATION, move |m: &Message| {
            let _ = tick.send((
                m.get(ORIGIN).and_then(Value::as_str).map(String::from),
                m.get(MESSAGE_ID).and_then(Value::as_str).map(String::from),
            ));
            Ok(())
        })
        .unwrap();
    a.add(DESTINATION, BridgeMode::Broadcast).unwrap();
    b.add(DESTINATION, BridgeMode::Broadcast).unwrap();
    a_bus.send(DESTINATION, numbered("a", 0)).unwrap();
    let (origin, id) = ticks.recv_timeout(PATIENCE).unwrap_or_else(|_| {
        panic!(
            "nothing came: {:?} {:?}\n{}",
            a.statistics(),
            b.statistics(),
            server.log()
        )
    });
    assert_eq!(origin.as_deref(), Some("a"));
    assert!(id.is_some_and(|id| id.starts_with("a:")));
    // b re-sent nothing: a's bridge received nothing back.
    a.close();
    b.close();
    assert!(ticks.recv_timeout(Duration::ZERO).is_err());
    let _ = a_bus;
}

#[test]
fn closing_a_bridge_publishes_what_it_accepted() {
    const N: i64 = 20_000;
    const DESTINATION: &str = "acme/closing";
    let server = NatsServer::start();
    let cluster = cluster("closing");
    let (sending, sender) = node(&server, &cluster, "a", DESTINATION, DestinationType::Serial);
    let (receiving, receiver) = node(&server, &cluster, "b", DESTINATION, DestinationType::Serial);
    let (seen, ticks) = record(&receiving, DESTINATION);
    sender.add(DESTINATION, BridgeMode::Broadcast).unwrap();
    receiver.add(DESTINATION, BridgeMode::Broadcast).unwrap();
    let handle = sending.destination(DESTINATION).unwrap();
    for seq in 0..N {
        handle.send(numbered("a", seq)).unwrap();
    }
    // At once: most of them are still queued for the runtime thread.
    sender.close();
    assert_eq!(sender.statistics().published, N as u64);
    await_count(&ticks, N as usize, "after the close");
    let order: Vec<i64> = seen.lock().iter().map(|(_, seq)| *seq).collect();
    assert_eq!(order, (0..N).collect::<Vec<_>>());
    // Closed: a send to the destination is now local only.
    sending.send(DESTINATION, numbered("a", N)).unwrap();
    assert_eq!(sender.statistics().published, N as u64);
}

#[test]
fn a_broadcast_bridge_reconnects_after_the_server_restarts() {
    const DESTINATION: &str = "acme/restart";
    let mut server = NatsServer::start();
    let cluster = cluster("restart");
    let (sending, sender) = node(&server, &cluster, "a", DESTINATION, DestinationType::Serial);
    let (receiving, receiver) = node(&server, &cluster, "b", DESTINATION, DestinationType::Serial);
    let (seen, ticks) = record(&receiving, DESTINATION);
    sender.add(DESTINATION, BridgeMode::Broadcast).unwrap();
    receiver.add(DESTINATION, BridgeMode::Broadcast).unwrap();
    sending.send(DESTINATION, numbered("a", 0)).unwrap();
    await_count(&ticks, 1, "before the restart");
    server.kill();
    server.restart();
    // Both reconnect and subscribe again; until b has, a's sends may find
    // no subscription (at most once), so send until one arrives.
    let deadline = Instant::now() + PATIENCE;
    let mut seq = 1;
    loop {
        sending.send(DESTINATION, numbered("a", seq)).unwrap();
        if ticks.recv_timeout(Duration::from_millis(100)).is_ok() {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "nothing arrived after the restart"
        );
        seq += 1;
    }
    assert!(
        sender.statistics().reconnects >= 1,
        "{:?}",
        sender.statistics()
    );
    assert!(
        receiver.statistics().reconnects >= 1,
        "{:?}",
        receiver.statistics()
    );
    let seen = seen.lock();
    assert!(
        seen.windows(2).all(|w| w[0].1 < w[1].1),
        "order kept across the restart"
    );
}
