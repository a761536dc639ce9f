//! The three destination types, their configuration and the worker pool.

mod common;

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::thread;
use std::time::{Duration, Instant};

use common::{Latch, PATIENCE, Recorder, Valve, held, recording, thread_name};
use msgbus::{DestinationConfig, DestinationType, Message, MessageBus};

/// Polls `condition` until it holds; for state no latch can observe (a
/// worker leaving after its keep-alive).
fn eventually(mut condition: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + PATIENCE;
    while Instant::now() < deadline {
        if condition() {
            return true;
        }
        thread::sleep(Duration::from_millis(2));
    }
    false
}

#[test]
fn serial_delivers_in_send_order_to_listeners_in_registration_order_on_one_named_worker() {
    let bus = MessageBus::new();
    bus.add_destination("acme/n8k5_able", DestinationType::Serial)
        .unwrap();
    let calls = Recorder::<(usize, i64, String)>::new();
    let done = Latch::new(3 * 200);
    for listener in 0..3 {
        let (calls, done) = (calls.clone(), done.clone());
        bus.register_listener("acme/n8k5_able", move |m| {
            calls.push((listener, m.payload().as_int().unwrap(), thread_name()));
            done.count_down();
            Ok(())
        })
        .unwrap();
    }
    for i in 0..200 {
        bus.send("acme/n8k5_able", Message::with_payload(i as i64))
            .unwrap();
    }
    assert!(done.wait());
    let calls = calls.items();
    let expected: Vec<(usize, i64)> = (0..200).flat_map(|i| (0..3).map(move |l| (l, i))).collect();
    assert_eq!(
        calls.iter().map(|(l, i, _)| (*l, *i)).collect::<Vec<_>>(),
        expected
    );
    assert!(
        calls.iter().all(|(_, _, t)| t == "acme/n8k5_able-1"),
        "{:?}",
        calls[0].2
    );
    let stats = bus.destination_statistics("acme/n8k5_able").unwrap();
    assert_eq!(
        (stats.min_thread_pool_size, stats.max_thread_pool_size),
        (1, 1)
    );
    assert_eq!(stats.largest_thread_count, 1);
}

#[test]
fn serial_keeps_each_senders_order_with_eight_senders() {
    const SENDERS: i64 = 8;
    const EACH: i64 = 100_000;
    let bus = MessageBus::new();
    bus.add_destination("acme/fifo", DestinationType::Serial)
        .unwrap();
    let last_seen = Arc::new(parking_lot::Mutex::new(HashMap::<i64, i64>::new()));
    let out_of_order = Arc::new(AtomicUsize::new(0));
    let done = Latch::new((SENDERS * EACH) as usize);
    {
        let (last_seen, out_of_order, done) =
            (last_seen.clone(), out_of_order.clone(), done.clone());
        bus.register_listener("acme/fifo", move |m| {
            let sender = m.get("sender").unwrap().as_int().unwrap();
            let seq = m.payload().as_int().unwrap();
            let previous = last_seen.lock().insert(sender, seq).unwrap_or(-1);
            if seq != previous + 1 {
                out_of_order.fetch_add(1, SeqCst);
            }
            done.count_down();
            Ok(())
        })
        .unwrap();
    }
    thread::scope(|s| {
        for sender in 0..SENDERS {
            let bus = &bus;
            s.spawn(move || {
                for seq in 0..EACH {
                    let mut m = Message::with_payload(seq);
                    m.put("sender", sender);
                    bus.send("acme/fifo", m).unwrap();
                }
            });
        }
    });
    assert!(done.wait());
    assert_eq!(out_of_order.load(SeqCst), 0);
    assert_eq!(last_seen.lock().len(), SENDERS as usize);
}

#[test]
fn parallel_gives_every_listener_every_message() {
    let bus = MessageBus::new();
    bus.add_destination("acme/fan", DestinationType::Parallel)
        .unwrap();
    let n = 5_000;
    let done = Latch::new(4 * n);
    let recorders: Vec<Recorder<i64>> = (0..4).map(|_| Recorder::new()).collect();
    for r in &recorders {
        bus.register_listener("acme/fan", recording(r, &done))
            .unwrap();
    }
    for i in 0..n {
        bus.send("acme/fan", Message::with_payload(i as i64))
            .unwrap();
    }
    assert!(done.wait());
    for r in &recorders {
        let mut got = r.items();
        got.sort();
        assert_eq!(got, (0..n as i64).collect::<Vec<_>>());
    }
}

#[test]
fn parallel_tasks_start_in_send_order() {
    let bus = MessageBus::new();
    let config = DestinationConfig::new(DestinationType::Parallel).workers(1, 1);
    bus.add_destination_with_config("acme/ordered", config)
        .unwrap();
    let (recorder, done) = (Recorder::new(), Latch::new(1000));
    bus.register_listener("acme/ordered", recording(&recorder, &done))
        .unwrap();
    for i in 0..1000 {
        bus.send("acme/ordered", Message::with_payload(i as i64))
            .unwrap();
    }
    assert!(done.wait());
    assert_eq!(recorder.items(), (0..1000).collect::<Vec<_>>());
}

#[test]
fn pool_starts_new_workers_up_to_max_before_any_task_waits() {
    let bus = MessageBus::new();
    bus.add_destination("acme/pool", DestinationType::Parallel)
        .unwrap();
    let (valve, started) = (Valve::closed(), Latch::new(5));
    bus.register_listener("acme/pool", held(&valve, &started))
        .unwrap();
    for i in 0..5 {
        bus.send("acme/pool", Message::with_payload(i as i64))
            .unwrap();
    }
    assert!(started.wait(), "5 tasks of a 2/5 pool must run at once");
    bus.send("acme/pool", Message::with_payload(5i64)).unwrap();
    let stats = bus.destination_statistics("acme/pool").unwrap();
    assert_eq!(stats.current_thread_count, 5);
    assert_eq!(stats.active_thread_count, 5);
    assert_eq!(stats.largest_thread_count, 5);
    assert_eq!(
        (stats.min_thread_pool_size, stats.max_thread_pool_size),
        (2, 5)
    );
    assert_eq!(
        stats.pending_message_count, 1,
        "the sixth waits: max reached"
    );
    valve.open();
    bus.shutdown(false, Some(PATIENCE)).unwrap();
    let stats = bus.destination_statistics("acme/pool").unwrap();
    assert_eq!(stats.delivered_message_count, 6);
    assert_eq!(stats.current_thread_count, 0);
}

#[test]
fn idle_workers_above_core_leave_after_keep_alive() {
    let bus = MessageBus::new();
    let config = DestinationConfig::new(DestinationType::Parallel)
        .workers(1, 3)
        .keep_alive(Duration::from_millis(20));
    bus.add_destination_with_config("acme/elastic", config)
        .unwrap();
    let (valve, started) = (Valve::closed(), Latch::new(3));
    bus.register_listener("acme/elastic", held(&valve, &started))
        .unwrap();
    for i in 0..3 {
        bus.send("acme/elastic", Message::with_payload(i as i64))
            .unwrap();
    }
    assert!(started.wait());
    assert_eq!(
        bus.destination_statistics("acme/elastic")
            .unwrap()
            .current_thread_count,
        3
    );
    valve.open();
    assert!(eventually(|| {
        bus.destination_statistics("acme/elastic")
            .unwrap()
            .current_thread_count
            == 1
    }));
    let done = Latch::new(1);
    {
        let done = done.clone();
        bus.register_listener("acme/elastic", move |_| {
            done.count_down();
            Ok(())
        })
        .unwrap();
    }
    bus.send("acme/elastic", Message::with_payload(9i64))
        .unwrap();
    assert!(done.wait(), "the core worker still serves");
}

#[test]
fn serial_has_one_worker_whatever_the_configuration() {
    let bus = MessageBus::new();
    let config = DestinationConfig::new(DestinationType::Serial).workers(4, 8);
    bus.add_destination_with_config("acme/one", config).unwrap();
    let running = Arc::new(AtomicUsize::new(0));
    let most = Arc::new(AtomicUsize::new(0));
    let done = Latch::new(500);
    {
        let (running, most, done) = (running.clone(), most.clone(), done.clone());
        bus.register_listener("acme/one", move |_| {
            most.fetch_max(running.fetch_add(1, SeqCst) + 1, SeqCst);
            thread::yield_now();
            running.fetch_sub(1, SeqCst);
            done.count_down();
            Ok(())
        })
        .unwrap();
    }
    for i in 0..500 {
        bus.send("acme/one", Message::with_payload(i as i64))
            .unwrap();
    }
    assert!(done.wait());
    assert_eq!(most.load(SeqCst), 1);
    let stats = bus.destination_statistics("acme/one").unwrap();
    assert_eq!(
        (stats.min_thread_pool_size, stats.max_thread_pool_size),
        (1, 1)
    );
}

#[test]
fn synchronous_delivers_in_the_senders_thread_before_send_returns() {
    let bus = MessageBus::new();
    bus.add_destination("acme/sync", DestinationType::Synchronous)
        .unwrap();
    let seen = Recorder::<thread::ThreadId>::new();
    {
        let seen = seen.clone();
        bus.register_listener("acme/sync", move |_| {
            seen.push(thread::current().id());
            Ok(())
        })
        .unwrap();
    }
    bus.send("acme/sync", "x").unwrap();
    assert_eq!(seen.items(), vec![thread::current().id()]);
    let stats = bus.destination_statistics("acme/sync").unwrap();
    assert_eq!(
        (stats.current_thread_count, stats.max_thread_pool_size),
        (0, 0)
    );
    assert_eq!(stats.delivered_message_count, 1);
}

#[test]
fn listeners_share_the_message_without_copying_its_payload() {
    let bus = MessageBus::new();
    bus.add_destination("acme/share", DestinationType::Parallel)
        .unwrap();
    let payload: Arc<[u8]> = vec![7u8; 1 << 16].into();
    let pointers = Recorder::<usize>::new();
    let done = Latch::new(4);
    for _ in 0..4 {
        let (pointers, done) = (pointers.clone(), done.clone());
        bus.register_listener("acme/share", move |m| {
            pointers.push(m.payload().as_bytes().unwrap().as_ptr() as usize);
            done.count_down();
            Ok(())
        })
        .unwrap();
    }
    bus.send(
        "acme/share",
        Message::with_payload(msgbus::Value::Bytes(payload.clone().into())),
    )
    .unwrap();
    assert!(done.wait());
    assert!(
        pointers
            .items()
            .iter()
            .all(|&p| p == payload.as_ptr() as usize)
    );
}

#[test]
fn senders_changes_after_send_are_not_seen() {
    let bus = MessageBus::new();
    bus.add_destination("acme/cow", DestinationType::Serial)
        .unwrap();
    let (valve, seen, done) = (Valve::closed(), Recorder::<String>::new(), Latch::new(1));
    {
        let (valve, seen, done) = (valve.clone(), seen.clone(), done.clone());
        bus.register_listener("acme/cow", move |m| {
            valve.pass();
            seen.push(format!("{:?} {:?}", m.payload(), m.get("k")));
            done.count_down();
            Ok(())
        })
        .unwrap();
    }
    let mut mine = Message::with_payload("before");
    mine.put("k", "before");
    bus.send("acme/cow", mine.clone()).unwrap();
    mine.put("k", "after");
    mine.set_payload("after");
    valve.open();
    assert!(done.wait());
    assert_eq!(seen.items(), vec![r#""before" Some("before")"#.to_string()]);
}
