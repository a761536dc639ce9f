//! What the bridge puts on the wire for this benchmark's messages, seen
//! by a plain subscriber, so that the raw baseline carries as many bytes
//! on the same subjects.

use async_nats::{Message as NatsMessage, Subscriber};
use bytes::Bytes;
use futures_util::StreamExt;
use msgbus::Message;

use crate::bridged::{self, DESTINATION, RECEIVER, SENDER};
use crate::{Explain, PATIENCE, Result, raw};

pub struct Wire {
    /// The broadcast subject, and a numbered message's envelope length.
    pub subject: String,
    pub envelope: usize,
    /// The request subject, a request's envelope length and its reply's.
    pub rpc: String,
    pub request: usize,
    pub reply: usize,
}

/// Bridges one numbered message (`seq` n - 1, payload of `size` bytes)
/// and one request between two buses of this process, in `cluster`.
pub fn run(url: &str, cluster: &str, size: usize, n: usize) -> Result<Wire> {
    let runtime = raw::runtime()?;
    let (spy, mut bridged) = runtime.block_on(async {
        let spy = async_nats::connect(url).await.explain(url)?;
        let bridged = spy
            .subscribe(format!("msgbus.{cluster}.>"))
            .await
            .explain("subscribe")?;
        raw::round_trip(&spy).await?;
        Ok::<_, String>((spy, bridged))
    })?;
    let (sending, sender) = bridged::node(url, cluster, SENDER)?;
    let (receiving, receiver) = bridged::node(url, cluster, RECEIVER)?;
    let replying = receiving.clone();
    receiving
        .register_listener(DESTINATION, move |m: &Message| match m.response_id() {
            Some(_) => replying
                .reply(m, m.payload().clone())
                .map_err(|e| e.to_string().as_str().into()),
            None => Ok(()),
        })
        .explain("listener")?;
    bridged::add(&sender)?;
    bridged::add(&receiver)?;
    let payload = bridged::payload(size);
    sending
        .send(DESTINATION, bridged::numbered(&payload, n - 1))
        .explain("send")?;
    let broadcast = runtime.block_on(next(&mut bridged))?;
    // Replies go to the requester's inbox, watched only from here on: a
    // subscriber to `_INBOX.>` is a responder to every add's round trip
    // (a request to a fresh inbox), which then waits for a reply. Nor
    // does the spy's own round trip work any more (the server's "no
    // responders" goes to one of its subscriptions): it sees a message of
    // its own come back instead.
    let mut inboxes = runtime.block_on(async {
        let mut inboxes = spy.subscribe("_INBOX.>").await.explain("subscribe")?;
        let mark = spy.new_inbox();
        spy.publish(mark.clone(), Bytes::new())
            .await
            .explain("publish")?;
        while next(&mut inboxes).await?.subject.as_str() != mark {}
        Ok::<_, String>(inboxes)
    })?;
    sending
        .send_synchronous(DESTINATION, Message::with_payload(payload), PATIENCE)
        .explain("send_synchronous")?;
    let (request, reply) = runtime.block_on(async {
        let request = next(&mut bridged).await?;
        let inbox = request
            .reply
            .clone()
            .ok_or("a request without a reply subject")?;
        loop {
            let reply = next(&mut inboxes).await?;
            if reply.subject == inbox {
                return Ok::<_, String>((request, reply));
            }
        }
    })?;
    sender.close();
    receiver.close();
    Ok(Wire {
        subject: broadcast.subject.to_string(),
        envelope: broadcast.payload.len(),
        rpc: request.subject.to_string(),
        request: request.payload.len(),
        reply: reply.payload.len(),
    })
}

async fn next(subscriber: &mut Subscriber) -> Result<NatsMessage> {
    match tokio::time::timeout(PATIENCE, subscriber.next()).await {
        Ok(Some(message)) => Ok(message),
        _ => Err(format!("the probe saw nothing in {PATIENCE:?}")),
    }
}
