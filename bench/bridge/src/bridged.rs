//! The msgbus roles: a bus with the serial destination [`DESTINATION`],
//! bridged in broadcast mode (one bridge, two NATS connections, per
//! process).

use std::io::Read;
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};
use std::sync::{Arc, OnceLock, mpsc};
use std::time::{Duration, Instant};

use msgbus::{DestinationType, Message, MessageBus, Value};
use msgbus_nats::{Bridge, BridgeMode, BridgeOptions};

use crate::{Args, Explain, PATIENCE, Result, WARM_UP, report_round_trips};

pub const DESTINATION: &str = "bench/bridge";
/// The node ids of the sending and the receiving side (the probe's too:
/// they are in every envelope).
pub const SENDER: &str = "sender";
pub const RECEIVER: &str = "receiver";
/// How long one round trip may take.
const ROUND_TRIP: Duration = Duration::from_secs(10);

/// A bus with [`DESTINATION`] and a bridge to `url`, nothing added yet
/// (a listener is registered first, so that the add takes requests).
pub fn node(url: &str, cluster: &str, node_id: &str) -> Result<(MessageBus, Bridge)> {
    let bus = MessageBus::new();
    bus.add_destination(DESTINATION, DestinationType::Serial)
        .explain(DESTINATION)?;
    let options = BridgeOptions::new(url).cluster(cluster).node_id(node_id);
    let bridge = Bridge::connect(&bus, options).explain("bridge")?;
    Ok((bus, bridge))
}

pub fn add(bridge: &Bridge) -> Result<()> {
    bridge
        .add(DESTINATION, BridgeMode::Broadcast)
        .explain(DESTINATION)
}

/// The throughput message: `payload` and `seq`.
pub fn numbered(payload: &Value, seq: usize) -> Message {
    let mut message = Message::with_payload(payload.clone());
    message.put("seq", seq as i64);
    message
}

/// A payload of `size` bytes.
pub fn payload(size: usize) -> Value {
    Value::from(vec![0u8; size])
}

/// Counts `n` arrivals; says `done` and the seconds from the first to the last.
pub fn receive(args: &Args) -> Result<()> {
    let n = args.n()?;
    let (bus, bridge) = node(args.url()?, &args.cluster, RECEIVER)?;
    let count = Arc::new(AtomicUsize::new(0));
    let first = OnceLock::new();
    let (done, finished) = mpsc::sync_channel(1);
    let counting = count.clone();
    bus.register_listener(DESTINATION, move |_: &Message| {
        let first = *first.get_or_init(Instant::now);
        if counting.fetch_add(1, Relaxed) + 1 == n {
            let _ = done.send(first.elapsed());
        }
        Ok(())
    })
    .explain("listener")?;
    add(&bridge)?;
    println!("ready");
    let elapsed = finished.recv_timeout(PATIENCE).map_err(|_| {
        let statistics = bridge.statistics();
        let got = count.load(Relaxed);
        format!("{got} of {n} arrived in {PATIENCE:?}; {statistics:?}")
    })?;
    println!("done {}", elapsed.as_secs_f64());
    Ok(())
}

/// Sends `n` numbered messages through a destination handle.
pub fn send(args: &Args) -> Result<()> {
    let n = args.n()?;
    let (bus, bridge) = node(args.url()?, &args.cluster, SENDER)?;
    add(&bridge)?;
    let handle = bus.destination(DESTINATION).explain(DESTINATION)?;
    let payload = payload(args.size);
    for seq in 0..n {
        handle.send(numbered(&payload, seq)).explain("send")?;
    }
    // Returns once every accepted message is written to the server.
    bridge.close();
    let statistics = bridge.statistics();
    if statistics.published != n as u64 || statistics.failed != 0 {
        return Err(format!("published {n}? {statistics:?}"));
    }
    Ok(())
}

/// Replies to each request with its payload until stdin closes.
pub fn respond(args: &Args) -> Result<()> {
    let (bus, bridge) = node(args.url()?, &args.cluster, RECEIVER)?;
    let replying = bus.clone();
    bus.register_listener(DESTINATION, move |m: &Message| {
        replying
            .reply(m, m.payload().clone())
            .map_err(|e| e.to_string().as_str().into())
    })
    .explain("listener")?;
    add(&bridge)?;
    println!("ready");
    let _ = std::io::stdin().read_to_end(&mut Vec::new());
    Ok(())
}

/// `n` sequential round trips after [`WARM_UP`]; says `done`, p50, p99.
pub fn request(args: &Args) -> Result<()> {
    let n = args.n()?;
    let (bus, bridge) = node(args.url()?, &args.cluster, SENDER)?;
    add(&bridge)?;
    let payload = payload(args.size);
    let ask = || -> Result<Duration> {
        let started = Instant::now();
        let message = Message::with_payload(payload.clone());
        bus.send_synchronous(DESTINATION, message, ROUND_TRIP)
            .explain("send_synchronous")?;
        Ok(started.elapsed())
    };
    for _ in 0..WARM_UP {
        ask()?;
    }
    report_round_trips((0..n).map(|_| ask()).collect::<Result<_>>()?);
    Ok(())
}
