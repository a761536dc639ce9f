//! The metrics as JSON, written by hand: the core has no serialisation
//! dependency.

use std::fmt::{Display, Write};

use super::histogram::LE_LABELS;
use super::{
    BusMetrics, DeadLetterCounts, DestinationMetrics, HistogramSnapshot, Metrics, RequestCounts,
    ScheduleStatistics,
};
use crate::statistics::DestinationStatistics;

/// Writes each variable as a number member named after it, so that the
/// JSON keys are the Rust field names.
macro_rules! numbers {
    ($object:expr, $($field:ident),+ $(,)?) => {
        $($object.number(stringify!($field), $field);)+
    };
}

impl Metrics {
    /// The metrics as one JSON object:
    /// `{"destinations":[{"name":…,"type":"serial",…},…],"bus":{…}}`, every
    /// figure under its Rust field name (the statistics' fields flattened
    /// into the destination), and each histogram as
    /// `{"buckets":[[1e-06,n],…,["+Inf",n]],"sum":seconds,"count":n}` with
    /// cumulative bucket counts. A non-finite sum, which no histogram
    /// makes, is written `null`.
    pub fn to_json(&self) -> String {
        let mut out = String::with_capacity(512 + 1536 * self.destinations.len());
        let mut root = Object::new(&mut out);
        let destinations = root.key("destinations");
        destinations.push('[');
        for (i, destination) in self.destinations.iter().enumerate() {
            if i > 0 {
                destinations.push(',');
            }
            write_destination(destinations, destination);
        }
        destinations.push(']');
        write_bus(root.key("bus"), &self.bus);
        root.end();
        out
    }
}

/// Destructures every struct in full, so that a field added to one is a
/// compile error here until it is written.
fn write_destination(out: &mut String, destination: &DestinationMetrics) {
    let DestinationMetrics {
        name,
        destination_type,
        statistics,
        dead_letters,
        requests,
        queue_wait,
        processing,
    } = destination;
    let mut object = Object::new(out);
    object.string("name", name);
    object.string("type", destination_type.as_str());
    let DestinationStatistics {
        active_thread_count,
        current_thread_count,
        largest_thread_count,
        max_thread_pool_size,
        min_thread_pool_size,
        pending_message_count,
        sent_message_count,
        delivered_message_count,
        rejected_message_count,
        failed_message_count,
        dropped_no_listener_count,
        discarded_message_count,
        listener_count,
    } = *statistics;
    numbers!(
        object,
        active_thread_count,
        current_thread_count,
        largest_thread_count,
        max_thread_pool_size,
        min_thread_pool_size,
        pending_message_count,
        sent_message_count,
        delivered_message_count,
        rejected_message_count,
        failed_message_count,
        dropped_no_listener_count,
        discarded_message_count,
        listener_count,
    );
    let DeadLetterCounts {
        failed,
        rejected,
        no_listener,
        discarded,
        expired,
    } = *dead_letters;
    let mut dead = Object::new(object.key("dead_letters"));
    numbers!(dead, failed, rejected, no_listener, discarded, expired);
    dead.end();
    let RequestCounts {
        ok,
        failed,
        timeout,
        no_listeners,
        abandoned,
    } = *requests;
    let mut outcomes = Object::new(object.key("requests"));
    numbers!(outcomes, ok, failed, timeout, no_listeners, abandoned);
    outcomes.end();
    write_histogram(object.key("queue_wait"), queue_wait);
    write_histogram(object.key("processing"), processing);
    object.end();
}

fn write_bus(out: &mut String, bus: &BusMetrics) {
    let BusMetrics {
        unknown_destination_count,
        unknown_destination_dead_lettered_count,
        dead_letters_refused_count,
        interceptor_count,
        intercepted_count,
        interceptor_failed_count,
        schedules,
    } = *bus;
    let mut object = Object::new(out);
    numbers!(
        object,
        unknown_destination_count,
        unknown_destination_dead_lettered_count,
        dead_letters_refused_count,
        interceptor_count,
        intercepted_count,
        interceptor_failed_count,
    );
    let ScheduleStatistics {
        pending,
        fired,
        missed,
        cancelled,
        cancelled_at_shutdown,
    } = schedules;
    let mut schedules = Object::new(object.key("schedules"));
    numbers!(
        schedules,
        pending,
        fired,
        missed,
        cancelled,
        cancelled_at_shutdown
    );
    schedules.end();
    object.end();
}

/// The count written is the +Inf bucket's, so that the two agree whatever
/// the snapshot says.
fn write_histogram(out: &mut String, snapshot: &HistogramSnapshot) {
    let cumulative = snapshot.cumulative();
    let (bounds, infinity) = LE_LABELS.split_at(LE_LABELS.len() - 1);
    let count = cumulative[cumulative.len() - 1];
    let mut object = Object::new(out);
    let buckets = object.key("buckets");
    buckets.push('[');
    // A String's fmt::Write never fails. The finite `le` labels are JSON
    // numbers as they stand.
    for (le, below) in bounds.iter().zip(cumulative) {
        let _ = write!(buckets, "[{le},{below}],");
    }
    let _ = write!(buckets, "[\"{}\",{count}]]", infinity[0]);
    let sum = object.key("sum");
    if snapshot.sum_seconds.is_finite() {
        let _ = write!(sum, "{}", snapshot.sum_seconds);
    } else {
        sum.push_str("null");
    }
    object.number("count", count);
    object.end();
}

/// A JSON object being written, member by member.
struct Object<'a> {
    out: &'a mut String,
    empty: bool,
}

impl<'a> Object<'a> {
    fn new(out: &'a mut String) -> Self {
        out.push('{');
        Object { out, empty: true }
    }

    /// Writes a member's key; its value goes to the string returned.
    fn key(&mut self, key: &str) -> &mut String {
        if !self.empty {
            self.out.push(',');
        }
        self.empty = false;
        write_string(self.out, key);
        self.out.push(':');
        self.out
    }

    fn number(&mut self, key: &str, value: impl Display) {
        let _ = write!(self.key(key), "{value}");
    }

    fn string(&mut self, key: &str, value: &str) {
        write_string(self.key(key), value);
    }

    fn end(self) {
        self.out.push('}');
    }
}

/// Writes a JSON string (RFC 8259): quote and backslash escaped, control
/// characters as `\u00XX`.
fn write_string(out: &mut String, value: &str) {
    out.push('"');
    for c in value.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if c < ' ' => {
                let _ = write!(out, "\\u{:04x}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::prometheus::tests::{AWKWARD_NAME, sample_metrics};

    /// Checks what a JSON parser would choke on first: brackets balanced
    /// and matched outside strings, strings closed, escapes valid, nothing
    /// but number, `null`, punctuation and string characters outside
    /// strings, one top-level value. Returns the strings, unescaped.
    fn check_json(json: &str) -> Vec<String> {
        let mut open = Vec::new();
        let mut strings = Vec::new();
        let mut chars = json.chars();
        let mut closed_at_top = false;
        while let Some(c) = chars.next() {
            assert!(!closed_at_top, "more after the value in {json}");
            match c {
                '{' | '[' => open.push(c),
                '}' | ']' => {
                    let expected = if c == '}' { '{' } else { '[' };
                    assert_eq!(open.pop(), Some(expected), "{json}");
                    closed_at_top = open.is_empty();
                }
                '"' => {
                    let mut string = String::new();
                    loop {
                        match chars.next().expect("a closed string") {
                            '"' => break,
                            '\\' => string.push(match chars.next().expect("an escape") {
                                '"' => '"',
                                '\\' => '\\',
                                'u' => {
                                    let hex: String = chars.by_ref().take(4).collect();
                                    let code = u32::from_str_radix(&hex, 16).expect("hex");
                                    char::from_u32(code).expect("a char")
                                }
                                other => panic!("escape {other:?} in {json}"),
                            }),
                            c => {
                                assert!(c >= ' ', "raw control character in {json}");
                                string.push(c);
                            }
                        }
                    }
                    strings.push(string);
                }
                c => assert!("0123456789+-.e,:nul".contains(c), "{c:?} in {json}"),
            }
        }
        assert!(closed_at_top, "{json}");
        strings
    }

    #[test]
    fn json_is_balanced_and_names_round_trip() {
        let json = sample_metrics().to_json();
        let strings = check_json(&json);
        assert!(strings.iter().any(|s| s == AWKWARD_NAME), "{json}");
        assert!(strings.iter().any(|s| s == "acme/orders"), "{json}");
        assert!(strings.iter().any(|s| s == "parallel"), "{json}");
    }

    #[test]
    fn json_shape() {
        let json = sample_metrics().to_json();
        assert!(json.starts_with(r#"{"destinations":[{"name":"acme/\"quoted\"\\name\u000asecond line","type":"serial","active_thread_count":1,"#), "{json}");
        for member in [
            r#""listener_count":2,"dead_letters":{"failed":4,"rejected":2,"no_listener":1,"discarded":0,"expired":3},"requests":{"ok":50,"failed":1,"timeout":2,"no_listeners":0,"abandoned":1},"queue_wait":{"buckets":[[1e-06,1],[5e-06,3],"#,
            r#"[5,5],["+Inf",6]],"sum":6.000517,"count":6}},{"name":"acme/orders","type":"parallel","#,
            r#""dropped_no_listener_count":1,"discarded_message_count":0,"#,
            r#""processing":{"buckets":[[1e-06,0],[5e-06,0],[1e-05,0],[5e-05,0],[0.0001,0],[0.0005,0],[0.001,0],[0.005,0],[0.01,0],[0.05,0],[0.1,0],[0.5,0],[1,0],[5,0],["+Inf",0]],"sum":0,"count":0}}],"#,
            r#""bus":{"unknown_destination_count":7,"unknown_destination_dead_lettered_count":5,"dead_letters_refused_count":1,"interceptor_count":2,"intercepted_count":12,"interceptor_failed_count":1,"schedules":{"pending":3,"fired":120,"missed":2,"cancelled":4,"cancelled_at_shutdown":1}}}"#,
        ] {
            assert!(json.contains(member), "{member} not in {json}");
        }
    }

    #[test]
    fn json_without_destinations() {
        let json = Metrics::default().to_json();
        check_json(&json);
        assert!(json.starts_with(r#"{"destinations":[],"bus":{"#), "{json}");
    }

    #[test]
    fn json_strings_are_escaped() {
        let mut out = String::new();
        write_string(&mut out, "a\"b\\c\u{0}\t\n\u{1f} é/\u{7f}");
        assert_eq!(
            out,
            r#""a\"b\\c\u0000\u0009\u000a\u001f é/"#.to_owned() + "\u{7f}\""
        );
        assert_eq!(
            check_json(&format!("[{out}]")),
            ["a\"b\\c\u{0}\t\n\u{1f} é/\u{7f}"]
        );
    }

    #[test]
    fn non_finite_sum_is_null() {
        let mut out = String::new();
        let snapshot = HistogramSnapshot {
            sum_seconds: f64::NAN,
            ..HistogramSnapshot::default()
        };
        write_histogram(&mut out, &snapshot);
        assert!(out.ends_with(r#","sum":null,"count":0}"#), "{out}");
        check_json(&out);
    }
}
