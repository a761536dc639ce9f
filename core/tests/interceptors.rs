//! Interceptors (SPEC §9): registration order, changing and consuming
//! messages (counted), every kind of send, failures, and removal waiting
//! for running calls.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering::SeqCst};
use std::time::Duration;

use common::{Latch, Recorder, Valve};
use msgbus::{DestinationType, Error, MessageBus, Value};

#[test]
fn interceptors_run_in_registration_order_and_may_change_the_message() {
    let bus = MessageBus::new();
    bus.add_destination("acme/traced", DestinationType::Synchronous)
        .unwrap();
    let order = Recorder::new();
    for name in ["first", "second"] {
        let order = order.clone();
        bus.add_interceptor(move |destination, message| {
            order.push(format!("{name}:{destination}"));
            if name == "first" {
                message.put(
                    "traceparent",
                    "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
                );
            }
            Ok(false)
        })
        .unwrap();
    }
    let seen = Recorder::new();
    let keep = seen.clone();
    bus.register_listener("acme/traced", move |m| {
        keep.push(m.get("traceparent").cloned());
        Ok(())
    })
    .unwrap();
    bus.send("acme/traced", Value::Int(1)).unwrap();
    assert_eq!(
        order.items(),
        vec!["first:acme/traced", "second:acme/traced"]
    );
    assert!(matches!(&seen.items()[0], Some(Value::String(t)) if t.starts_with("00-4bf9")));
}

#[test]
fn a_consumed_message_goes_no_further_and_is_counted() {
    let bus = MessageBus::new();
    bus.add_destination("acme/guarded", DestinationType::Synchronous)
        .unwrap();
    let called = Recorder::new();
    let keep = called.clone();
    bus.register_listener("acme/guarded", move |m| {
        keep.push(m.payload().clone());
        Ok(())
    })
    .unwrap();
    bus.add_interceptor(|_, m| Ok(m.payload().as_int() == Some(13)))
        .unwrap();
    bus.send("acme/guarded", Value::Int(13)).unwrap();
    bus.send("acme/guarded", Value::Int(14)).unwrap();
    assert_eq!(called.items(), vec![Value::Int(14)]);
    assert_eq!(bus.metrics().unwrap().bus.intercepted_count, 1);
    bus.send("acme/unknown", Value::Int(13))
        .expect("consumed before the lookup");
}

#[test]
fn an_interceptor_may_answer_a_request_it_consumes() {
    let bus = MessageBus::new();
    bus.add_destination("acme/cached", DestinationType::Serial)
        .unwrap();
    bus.register_listener("acme/cached", |_| Err("never reached".into()))
        .unwrap();
    let weak = bus.downgrade();
    bus.add_interceptor(move |destination, request| {
        if destination != "acme/cached" {
            return Ok(false);
        }
        match request.response_id() {
            Some(_) => weak
                .upgrade()
                .unwrap()
                .reply(request, "from cache")
                .unwrap(),
            None => request.set_response("from cache"),
        }
        Ok(true)
    })
    .unwrap();
    let reply = bus
        .send_synchronous("acme/cached", "q", Duration::from_secs(20))
        .unwrap();
    assert_eq!(reply, Value::from("from cache"));
    assert_eq!(
        bus.send_direct("acme/cached", "q").unwrap(),
        Value::from("from cache")
    );
}

#[test]
fn a_failing_interceptor_is_counted_and_the_message_goes_on() {
    let bus = MessageBus::new();
    bus.add_destination("acme/on", DestinationType::Synchronous)
        .unwrap();
    let latch = Latch::new(2);
    let count = latch.clone();
    bus.register_listener("acme/on", move |_| {
        count.count_down();
        Ok(())
    })
    .unwrap();
    bus.add_interceptor(|_, _| Err("broken".into())).unwrap();
    bus.add_interceptor(|_, _| panic!("worse")).unwrap();
    bus.send("acme/on", Value::Int(1)).unwrap();
    bus.send("acme/on", Value::Int(2)).unwrap();
    assert_eq!(latch.count(), 0);
    assert_eq!(bus.metrics().unwrap().bus.interceptor_failed_count, 4);
}

#[test]
fn removing_an_interceptor_waits_for_its_running_call() {
    let bus = MessageBus::new();
    bus.add_destination("acme/slow", DestinationType::Synchronous)
        .unwrap();
    let (valve, entered) = (Valve::closed(), Latch::new(1));
    let finished = Arc::new(AtomicBool::new(false));
    let (gate, inside, done) = (valve.clone(), entered.clone(), finished.clone());
    let id = bus
        .add_interceptor(move |_, _| {
            inside.count_down();
            gate.pass();
            done.store(true, SeqCst);
            Ok(false)
        })
        .unwrap();
    let sender = {
        let bus = bus.clone();
        std::thread::spawn(move || bus.send("acme/slow", Value::Int(1)))
    };
    assert!(entered.wait());
    let remover = {
        let bus = bus.clone();
        std::thread::spawn(move || bus.remove_interceptor(id))
    };
    valve.open();
    remover.join().unwrap().unwrap();
    assert!(
        finished.load(SeqCst),
        "removal returned after the call ended"
    );
    sender.join().unwrap().unwrap();
    assert!(matches!(
        bus.remove_interceptor(id),
        Err(Error::NoSuchListener)
    ));
    assert_eq!(bus.metrics().unwrap().bus.interceptor_count, 0);
}

#[test]
fn a_forwarder_may_refuse_a_send_with_the_senders_error() {
    let bus = MessageBus::new();
    bus.add_destination("acme/bridged", DestinationType::Synchronous)
        .unwrap();
    let seen = Recorder::new();
    let keep = seen.clone();
    bus.register_listener("acme/bridged", move |m| {
        keep.push(m.payload().as_str().map(String::from));
        Ok(())
    })
    .unwrap();
    let forwarder = bus
        .add_forwarder(|_, message| match message.payload().as_str() {
            Some("far") => Err(Error::InvalidArgument("far: cannot cross".into())),
            _ => Ok(false),
        })
        .unwrap();
    assert_eq!(
        bus.send("acme/bridged", "far"),
        Err(Error::InvalidArgument("far: cannot cross".into()))
    );
    let handle = bus.destination("acme/bridged").unwrap();
    assert!(handle.send("far").is_err());
    assert!(bus.send_direct("acme/bridged", "far").is_err());
    bus.send("acme/bridged", "near").unwrap();
    assert_eq!(seen.items(), vec![Some("near".to_string())]);
    let metrics = bus.metrics().unwrap();
    assert_eq!(
        metrics.bus.interceptor_failed_count, 0,
        "a refusal is no failure"
    );
    bus.remove_interceptor(forwarder).unwrap();
    bus.send("acme/bridged", "far").unwrap();
}

#[test]
fn a_request_a_forwarder_took_can_be_failed_for_its_waiting_sender() {
    let bus = MessageBus::new();
    bus.add_destination("acme/remote", DestinationType::Serial)
        .unwrap();
    let taken = Recorder::new();
    let keep = taken.clone();
    bus.add_forwarder(move |_, message| {
        keep.push(message.clone());
        Ok(true)
    })
    .unwrap();
    let pending = bus.request("acme/remote", "anyone?").unwrap();
    let request = taken.items().pop().unwrap();
    assert!(bus.fail_request(&request, Error::NoListeners("acme/remote".into())));
    assert_eq!(
        pending.wait(Duration::from_secs(60)),
        Err(Error::NoListeners("acme/remote".into()))
    );
    assert!(
        !bus.fail_request(&request, Error::NoListeners("again".into())),
        "ended once"
    );
    assert!(
        !bus.fail_request(&msgbus::Message::new(), Error::Interrupted),
        "no request"
    );
}
