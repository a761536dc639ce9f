//! The baseline roles: plain async-nats on a current-thread tokio runtime
//! (as the bridge runs it), publishing buffers as long as the bridge's
//! envelopes to the bridge's subjects.

use std::io::Read;
use std::time::Instant;

use async_nats::{Client, ConnectOptions, RequestErrorKind, Subject};
use bytes::Bytes;
use futures_util::StreamExt;
use tokio::runtime::Runtime;
use tokio::sync::oneshot;

use crate::{Args, Explain, PATIENCE, Result, WARM_UP, report_round_trips};

/// What a subscription buffers, as the bridge's: enough for a whole run,
/// so that the client drops nothing when the receiver falls behind.
const SUBSCRIPTION_CAPACITY: usize = 1 << 20;

pub fn runtime() -> Result<Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .explain("tokio")
}

async fn connect(url: &str) -> Result<Client> {
    ConnectOptions::new()
        .subscription_capacity(SUBSCRIPTION_CAPACITY)
        .connect(url)
        .await
        .explain(url)
}

/// Returns once the server has read everything `client` sent before (its
/// subscriptions are in place): the bridge's way, a request nobody
/// answers, whose "no responders" comes after.
pub async fn round_trip(client: &Client) -> Result<()> {
    match client.request(client.new_inbox(), Bytes::new()).await {
        Err(e) if e.kind() != RequestErrorKind::NoResponders => Err(format!("round trip: {e}")),
        _ => Ok(()),
    }
}

/// Counts `n` arrivals; says `done` and the seconds from the first to the last.
pub fn receive(args: &Args) -> Result<()> {
    let n = args.n()?;
    runtime()?.block_on(async {
        let client = connect(args.url()?).await?;
        let mut arrivals = client
            .subscribe(args.subject.clone())
            .await
            .explain("subscribe")?;
        round_trip(&client).await?;
        println!("ready");
        let mut count = 0;
        let counting = async {
            let mut first = None;
            while let Some(message) = arrivals.next().await {
                let first = *first.get_or_insert_with(Instant::now);
                std::hint::black_box(message.payload.len());
                count += 1;
                if count == n {
                    return Some(first.elapsed());
                }
            }
            None
        };
        match tokio::time::timeout(PATIENCE, counting).await {
            Ok(Some(elapsed)) => {
                println!("done {}", elapsed.as_secs_f64());
                Ok(())
            }
            _ => Err(format!("{count} of {n} arrived in {PATIENCE:?}")),
        }
    })
}

/// Publishes `n` buffers of `--bytes`, one shared buffer.
pub fn send(args: &Args) -> Result<()> {
    let n = args.n()?;
    runtime()?.block_on(async {
        let client = connect(args.url()?).await?;
        let subject = Subject::from(args.subject.as_str());
        let payload = Bytes::from(vec![0u8; args.bytes]);
        for _ in 0..n {
            client
                .publish(subject.clone(), payload.clone())
                .await
                .explain("publish")?;
        }
        client.flush().await.explain("flush")
    })
}

/// Replies `--reply-bytes` to each request until stdin closes.
pub fn respond(args: &Args) -> Result<()> {
    let (close, closed) = oneshot::channel();
    std::thread::spawn(move || {
        let _ = std::io::stdin().read_to_end(&mut Vec::new());
        let _ = close.send(());
    });
    runtime()?.block_on(async {
        let client = connect(args.url()?).await?;
        let mut requests = client
            .queue_subscribe(args.subject.clone(), "rpc".into())
            .await
            .explain("subscribe")?;
        round_trip(&client).await?;
        println!("ready");
        let reply = Bytes::from(vec![0u8; args.reply_bytes]);
        tokio::pin!(closed);
        loop {
            tokio::select! {
                _ = &mut closed => return Ok(()),
                request = requests.next() => {
                    let Some(to) = request.and_then(|request| request.reply) else {
                        return Err("the subscription ended".into());
                    };
                    client.publish(to, reply.clone()).await.explain("reply")?;
                }
            }
        }
    })
}

/// `n` sequential requests after [`WARM_UP`]; says `done`, p50, p99.
pub fn request(args: &Args) -> Result<()> {
    let n = args.n()?;
    runtime()?.block_on(async {
        let client = connect(args.url()?).await?;
        let subject = Subject::from(args.subject.as_str());
        let payload = Bytes::from(vec![0u8; args.bytes]);
        let mut samples = Vec::with_capacity(n);
        for i in 0..WARM_UP + n {
            let started = Instant::now();
            client
                .request(subject.clone(), payload.clone())
                .await
                .explain("request")?;
            if i >= WARM_UP {
                samples.push(started.elapsed());
            }
        }
        report_round_trips(samples);
        Ok(())
    })
}
