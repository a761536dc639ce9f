//! The NATS names of a bridged destination: subjects carry the name
//! escaped, JetStream streams (whose names become directories) a hash.

use crate::options::BridgeMode;

/// The subjects and JetStream names of one destination in one cluster.
#[derive(Clone)]
pub(crate) struct Names {
    /// Where sends to the destination are published.
    pub(crate) subject: String,
    /// Where requests to it go (core modes).
    pub(crate) rpc: String,
    /// Its stream (durable modes).
    pub(crate) stream: String,
}

impl Names {
    pub(crate) fn new(cluster: &str, destination: &str, mode: BridgeMode) -> Self {
        let escaped = escape(destination);
        let kind = match mode {
            BridgeMode::Broadcast => "b",
            BridgeMode::WorkShare => "w",
            BridgeMode::DurableBroadcast => "jb",
            BridgeMode::DurableWorkShare => "jw",
            BridgeMode::DurableSerial => "js",
        };
        Names {
            subject: format!("msgbus.{cluster}.{kind}.{escaped}"),
            rpc: format!("msgbus.{cluster}.rpc.{escaped}"),
            stream: format!("MSGBUS_{cluster}_{kind}_{:016x}", fnv1a(destination)),
        }
    }
}

/// Whether `token` may be a cluster name: one subject token of letters,
/// digits, `_` and `-`.
pub(crate) fn is_token(token: &str) -> bool {
    !token.is_empty()
        && token
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// `name` as one JetStream consumer name: what is not a token character
/// becomes `_`.
pub(crate) fn consumer_name(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// One subject token, reversibly: letters, digits, `_`, `-` and `/` stay,
/// every other byte becomes `%XX`.
fn escape(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for byte in name.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'_' | b'-' | b'/') {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// FNV-1a, 64 bits: stable across processes and versions, unlike std's
/// hashers.
fn fnv1a(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325, |hash, byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_name_becomes_one_token_and_distinct_names_stay_distinct() {
        let names = ["acme/n8k5_able", "a.b", "a b", "a%2Eb", "a>", "é*"];
        let subjects: Vec<_> = names
            .iter()
            .map(|n| Names::new("c", n, BridgeMode::Broadcast).subject)
            .collect();
        for subject in &subjects {
            let token = subject.strip_prefix("msgbus.c.b.").unwrap();
            assert!(!token.contains(['.', ' ', '*', '>']), "{token}");
        }
        assert_eq!(subjects[0], "msgbus.c.b.acme/n8k5_able");
        let mut unique = subjects.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), subjects.len());
    }

    #[test]
    fn clusters_are_tokens() {
        assert!(is_token("test-1_a"));
        for bad in ["", "a.b", "a b", "a*", "é"] {
            assert!(!is_token(bad), "{bad}");
        }
    }
}
