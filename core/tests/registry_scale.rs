//! The registry's changes cost O(log n): one more destination among
//! 100 000, or one more listener among 100 000 on a destination, costs
//! about what it costs among 1 000. Measured in bytes allocated by the
//! change, which a shared machine does not blur as it does time: a
//! registry that copied itself at each change (as it did, 310 s for
//! 100 000 destinations) allocates a hundred times more at 100 000.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use msgbus::{DestinationType, ListenerId, MessageBus};

/// Counts the bytes each thread allocates.
struct Counting;

thread_local! {
    static ALLOCATED: Cell<usize> = const { Cell::new(0) };
}

fn count(bytes: usize) {
    let _ = ALLOCATED.try_with(|allocated| allocated.set(allocated.get() + bytes));
}

// SAFETY: forwards to the system allocator.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        count(layout.size());
        // SAFETY: the caller's layout.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: allocated above with this layout.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        count(new_size);
        // SAFETY: allocated above with this layout.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// The bytes `change` allocates on this thread.
fn allocated_by(change: impl FnOnce()) -> usize {
    let before = ALLOCATED.get();
    change();
    ALLOCATED.get() - before
}

const SMALL: usize = 1_000;
const LARGE: usize = 100_000;

/// `large` is at most three times `small`.
fn about_the_same(what: &str, small: usize, large: usize) {
    assert!(
        large <= small * 3,
        "{what}: {small} bytes among {SMALL}, {large} among {LARGE}"
    );
}

#[test]
fn a_destination_costs_as_much_to_add_and_remove_among_100_000() {
    let bus = MessageBus::new();
    let name = |i: usize| format!("acme/scale/{i}");
    let mut costs = Vec::new();
    let mut added = 0;
    for size in [SMALL, LARGE] {
        while added < size {
            bus.add_destination(&name(added), DestinationType::Serial)
                .unwrap();
            added += 1;
        }
        let (one, two) = (name(size), name(size + 1));
        let add = allocated_by(|| {
            bus.add_destination(&one, DestinationType::Serial).unwrap();
        });
        let remove = allocated_by(|| bus.remove_destination(&one).unwrap());
        // A second add, once the first one's memory is there to reuse.
        let add_again = allocated_by(|| {
            bus.add_destination(&two, DestinationType::Serial).unwrap();
        });
        bus.remove_destination(&two).unwrap();
        costs.push((add.min(add_again), remove));
    }
    about_the_same("add", costs[0].0, costs[1].0);
    about_the_same("remove", costs[0].1, costs[1].1);
    println!(
        "RELIABILITY registry_destinations add_small={} add_large={} remove_small={} remove_large={}",
        costs[0].0, costs[1].0, costs[0].1, costs[1].1
    );
    bus.shutdown(false, None).unwrap();
}

#[test]
fn a_listener_costs_as_much_to_register_and_unregister_among_100_000() {
    let bus = MessageBus::new();
    bus.add_destination("acme/crowd", DestinationType::Serial)
        .unwrap();
    let register = || bus.register_listener("acme/crowd", |_| Ok(())).unwrap();
    let mut costs = Vec::new();
    let mut registered = 0;
    for size in [SMALL, LARGE] {
        while registered < size {
            register();
            registered += 1;
        }
        let mut id = ListenerId::from_u64(0);
        let add = allocated_by(|| id = register());
        let remove = allocated_by(|| bus.unregister_listener(id).unwrap());
        costs.push((add, remove));
    }
    about_the_same("register", costs[0].0, costs[1].0);
    about_the_same("unregister", costs[0].1, costs[1].1);
    println!(
        "RELIABILITY registry_listeners add_small={} add_large={} remove_small={} remove_large={}",
        costs[0].0, costs[1].0, costs[0].1, costs[1].1
    );
    bus.shutdown(false, None).unwrap();
}
