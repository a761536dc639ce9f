//! The registry at scale: adding and removing destinations, registering
//! and unregistering listeners on one destination, through msgbus and
//! through the registry a user would write instead (one lock over a
//! `HashMap` of names and a `BTreeMap` of listeners by id, which keeps
//! their order and removes in O(log n)).

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use msgbus::{DestinationType, ListenerId, MessageBus};

/// Seconds each of the four steps took, for `n` names or listeners.
pub struct Times {
    pub add: f64,
    pub remove: f64,
    pub register: f64,
    pub unregister: f64,
}

fn seconds(step: impl FnOnce()) -> f64 {
    let start = Instant::now();
    step();
    start.elapsed().as_secs_f64()
}

fn names(n: usize) -> Vec<String> {
    (0..n).map(|i| format!("bench/registry/{i}")).collect()
}

pub fn msgbus(n: usize) -> Times {
    let bus = MessageBus::new();
    let names = names(n);
    let add = seconds(|| {
        for name in &names {
            bus.add_destination(name, DestinationType::Serial).unwrap();
        }
    });
    let remove = seconds(|| {
        for name in &names {
            bus.remove_destination(name).unwrap();
        }
    });
    bus.add_destination("bench/listeners", DestinationType::Serial)
        .unwrap();
    let mut ids: Vec<ListenerId> = Vec::with_capacity(n);
    let register = seconds(|| {
        for i in 0..n {
            let id = bus
                .register_listener("bench/listeners", move |_| {
                    std::hint::black_box(i);
                    Ok(())
                })
                .unwrap();
            ids.push(id);
        }
    });
    let unregister = seconds(|| {
        for id in ids {
            bus.unregister_listener(id).unwrap();
        }
    });
    bus.shutdown(false, None).unwrap();
    Times {
        add,
        remove,
        register,
        unregister,
    }
}

type Listener = Arc<dyn Fn() + Send + Sync>;

/// What the hand-written registry keeps for a destination.
struct Destination {
    listeners: BTreeMap<u64, Listener>,
}

pub fn hand_written(n: usize) -> Times {
    let registry: Mutex<HashMap<String, Destination>> = Mutex::new(HashMap::new());
    let names = names(n);
    let add = seconds(|| {
        for name in &names {
            let destination = Destination {
                listeners: BTreeMap::new(),
            };
            registry.lock().unwrap().insert(name.clone(), destination);
        }
    });
    let remove = seconds(|| {
        for name in &names {
            registry.lock().unwrap().remove(name);
        }
    });
    let destination = Destination {
        listeners: BTreeMap::new(),
    };
    registry
        .lock()
        .unwrap()
        .insert("bench/listeners".into(), destination);
    let register = seconds(|| {
        for i in 0..n {
            let listener: Listener = Arc::new(move || {
                std::hint::black_box(i);
            });
            let mut registry = registry.lock().unwrap();
            let listeners = &mut registry.get_mut("bench/listeners").unwrap().listeners;
            listeners.insert(i as u64, listener);
        }
    });
    let unregister = seconds(|| {
        for i in 0..n {
            let mut registry = registry.lock().unwrap();
            let listeners = &mut registry.get_mut("bench/listeners").unwrap().listeners;
            listeners.remove(&(i as u64));
        }
    });
    Times {
        add,
        remove,
        register,
        unregister,
    }
}
