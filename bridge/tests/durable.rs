//! The JetStream modes: at least once, replayed to a node that was down,
//! kept through a server crash, and strictly ordered when serial.

mod common;

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Instant;

use common::{NatsServer, PATIENCE, cluster, node, numbered};
use msgbus::{DestinationType, Message, MessageBus, Value};
use msgbus_nats::{BridgeMode, MESSAGE_ID};
use parking_lot::{Condvar, Mutex};

/// The seqs a listener took, in the order it took them, and a condition
/// to wait on.
#[derive(Default)]
struct Taken {
    seqs: Mutex<Vec<i64>>,
    grew: Condvar,
}

impl Taken {
    fn listen(self: &Arc<Self>, bus: &MessageBus, destination: &str) {
        let taken = self.clone();
        bus.register_listener(destination, move |m: &Message| {
            assert!(m.get(MESSAGE_ID).is_some(), "listeners see the message id");
            taken
                .seqs
                .lock()
                .push(m.get("seq").and_then(Value::as_int).unwrap());
            taken.grew.notify_all();
            Ok(())
        })
        .unwrap();
    }

    /// Waits until the distinct seqs taken number `n`.
    fn await_distinct(&self, n: usize, what: &str) -> Vec<i64> {
        let deadline = Instant::now() + PATIENCE;
        let mut seqs = self.seqs.lock();
        loop {
            let distinct = seqs.iter().collect::<HashSet<_>>().len();
            if distinct >= n {
                return seqs.clone();
            }
            if self.grew.wait_until(&mut seqs, deadline).timed_out() {
                panic!("{what}: {distinct} of {n} distinct arrived");
            }
        }
    }
}

fn send(bus: &MessageBus, destination: &str, seqs: std::ops::Range<i64>) {
    let handle = bus.destination(destination).unwrap();
    for seq in seqs {
        handle.send(numbered("a", seq)).unwrap();
    }
}

#[test]
fn durable_work_share_hands_every_message_to_some_node() {
    const N: i64 = 3_000;
    const DESTINATION: &str = "acme/jobs";
    let server = NatsServer::start();
    let cluster = cluster("durable-work");
    let taken = Arc::new(Taken::default());
    let nodes: Vec<_> = ["a", "b", "c"]
        .iter()
        .map(|id| {
            let (bus, bridge) = node(&server, &cluster, id, DESTINATION, DestinationType::Serial);
            taken.listen(&bus, DESTINATION);
            bridge
                .add(DESTINATION, BridgeMode::DurableWorkShare)
                .unwrap();
            (bus, bridge)
        })
        .collect();
    send(&nodes[0].0, DESTINATION, 0..N);
    let seqs = taken.await_distinct(N as usize, "durable work share");
    assert_eq!(seqs.len(), N as usize, "no redelivery without a failure");
}

#[test]
fn durable_serial_keeps_strict_order_across_two_consumers() {
    const N: i64 = 2_000;
    const DESTINATION: &str = "acme/ledger";
    let server = NatsServer::start();
    let cluster = cluster("durable-serial");
    let taken = Arc::new(Taken::default());
    let per_node: Vec<Arc<Taken>> = (0..2).map(|_| Arc::default()).collect();
    let (sending, sender) = node(&server, &cluster, "a", DESTINATION, DestinationType::Serial);
    let consumers: Vec<_> = ["b", "c"]
        .iter()
        .zip(&per_node)
        .map(|(id, mine)| {
            let (bus, bridge) = node(&server, &cluster, id, DESTINATION, DestinationType::Serial);
            // `taken` listens last: once it has a message, `mine` has it.
            mine.listen(&bus, DESTINATION);
            taken.listen(&bus, DESTINATION);
            bridge.add(DESTINATION, BridgeMode::DurableSerial).unwrap();
            (bus, bridge)
        })
        .collect();
    // A node takes work only while it has listeners: the sender has none.
    sender.add(DESTINATION, BridgeMode::DurableSerial).unwrap();
    send(&sending, DESTINATION, 0..N);
    let seqs = taken.await_distinct(N as usize, "durable serial");
    assert_eq!(seqs, (0..N).collect::<Vec<_>>(), "one global order");
    let shares: Vec<usize> = per_node.iter().map(|t| t.seqs.lock().len()).collect();
    assert_eq!(shares.iter().sum::<usize>(), N as usize, "{shares:?}");
    drop(consumers);
}

#[test]
fn a_node_down_for_the_middle_third_gets_everything_when_back() {
    const N: i64 = 10_000;
    const DESTINATION: &str = "acme/catalog";
    let server = NatsServer::start();
    let cluster = cluster("durable-broadcast");
    let (sending, sender) = node(&server, &cluster, "a", DESTINATION, DestinationType::Serial);
    sender
        .add(DESTINATION, BridgeMode::DurableBroadcast)
        .unwrap();
    let before = Arc::new(Taken::default());
    let (first_life, bridge) = node(&server, &cluster, "c", DESTINATION, DestinationType::Serial);
    before.listen(&first_life, DESTINATION);
    bridge
        .add(DESTINATION, BridgeMode::DurableBroadcast)
        .unwrap();
    send(&sending, DESTINATION, 0..N / 3);
    before.await_distinct((N / 3) as usize, "before the stop");
    bridge.close();
    first_life.shutdown(false, None).unwrap();
    send(&sending, DESTINATION, N / 3..2 * N / 3);
    // Back, as a new process would be: a new bus, the same node id.
    let after = Arc::new(Taken::default());
    let (second_life, bridge) = node(&server, &cluster, "c", DESTINATION, DestinationType::Serial);
    after.listen(&second_life, DESTINATION);
    bridge
        .add(DESTINATION, BridgeMode::DurableBroadcast)
        .unwrap();
    send(&sending, DESTINATION, 2 * N / 3..N);
    let seqs = after.await_distinct((N - N / 3) as usize, "after the restart");
    let missed: Vec<i64> = (N / 3..N).filter(|s| !seqs.contains(s)).collect();
    assert!(missed.is_empty(), "missed {missed:?}");
    let mut in_order = seqs.clone();
    in_order.dedup();
    assert!(
        in_order.windows(2).all(|w| w[0] < w[1]),
        "stream order kept"
    );
}

#[test]
fn a_server_killed_mid_stream_loses_no_durable_message() {
    const N: i64 = 10_000;
    const DESTINATION: &str = "acme/orders";
    let mut server = NatsServer::start();
    let cluster = cluster("durable-crash");
    let (sending, sender) = node(&server, &cluster, "a", DESTINATION, DestinationType::Serial);
    sender
        .add(DESTINATION, BridgeMode::DurableWorkShare)
        .unwrap();
    let taken = Arc::new(Taken::default());
    let (receiving, receiver) = node(&server, &cluster, "b", DESTINATION, DestinationType::Serial);
    taken.listen(&receiving, DESTINATION);
    receiver
        .add(DESTINATION, BridgeMode::DurableWorkShare)
        .unwrap();
    send(&sending, DESTINATION, 0..N / 2);
    taken.await_distinct((N / 4) as usize, "before the crash");
    server.kill();
    // Accepted while the server is gone: stored once it is back.
    send(&sending, DESTINATION, N / 2..3 * N / 4);
    server.restart();
    send(&sending, DESTINATION, 3 * N / 4..N);
    taken.await_distinct(N as usize, "after the restart");
    assert!(
        receiver.statistics().reconnects >= 1,
        "{:?}",
        receiver.statistics()
    );
}
