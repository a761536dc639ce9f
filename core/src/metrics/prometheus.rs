//! The metrics in the Prometheus text exposition format (version 0.0.4).

use std::fmt::{self, Display, Write};

use super::histogram::LE_LABELS;
use super::{DestinationMetrics, HistogramSnapshot, Metrics};

const GAUGE: &str = "gauge";
const COUNTER: &str = "counter";
const HISTOGRAM: &str = "histogram";

/// What the timing histograms' HELP says of their sampling.
macro_rules! sampled {
    () => {
        "Sampled: one message in timing_every (64 by default) is timed."
    };
}

impl Metrics {
    /// The metrics in the Prometheus text exposition format 0.0.4, as a
    /// scrape endpoint serves them (`text/plain; version=0.0.4`). Every
    /// family has its HELP and TYPE; a family without samples (a
    /// per-destination one on a bus without destinations) is left out.
    /// Every destination appears with every label value, zeros included,
    /// so that its series neither come nor go.
    pub fn to_prometheus_text(&self) -> String {
        let mut text = Exposition {
            out: String::with_capacity(4096 + 8192 * self.destinations.len()),
            destinations: &self.destinations,
        };
        let bus = &self.bus;
        let schedules = &bus.schedules;

        text.family("msgbus_destinations", GAUGE, "Destinations on the bus.");
        text.sample("msgbus_destinations", &[], self.destinations.len());
        text.per_destination(
            "msgbus_listeners",
            GAUGE,
            "Listeners registered on the destination.",
            |d| d.statistics.listener_count as u64,
        );
        text.per_destination(
            "msgbus_queue_depth",
            GAUGE,
            "Tasks waiting in the destination's queue (a parallel message queues one per listener).",
            |d| d.statistics.pending_message_count,
        );
        text.per_destination_by(
            "msgbus_workers",
            GAUGE,
            "Worker threads of the destination alive now, running a task (active) or waiting for one (idle).",
            "state",
            |d| {
                let s = &d.statistics;
                let idle = s.current_thread_count.saturating_sub(s.active_thread_count);
                [("active", s.active_thread_count as u64), ("idle", idle as u64)]
            },
        );
        text.per_destination(
            "msgbus_workers_largest",
            GAUGE,
            "The most worker threads the destination has had alive at once.",
            |d| d.statistics.largest_thread_count as u64,
        );
        text.per_destination(
            "msgbus_workers_max",
            GAUGE,
            "The most worker threads the destination may have (its pool's maximum size).",
            |d| d.statistics.max_thread_pool_size as u64,
        );
        text.family(
            "msgbus_interceptors",
            GAUGE,
            "Interceptors registered on the bus.",
        );
        text.sample("msgbus_interceptors", &[], bus.interceptor_count);
        text.family(
            "msgbus_schedules_pending",
            GAUGE,
            "Scheduled sends that will fire again.",
        );
        text.sample("msgbus_schedules_pending", &[], schedules.pending);

        text.per_destination(
            "msgbus_messages_sent_total",
            COUNTER,
            "Messages sent to the destination, whatever became of them.",
            |d| d.statistics.sent_message_count,
        );
        text.per_destination(
            "msgbus_messages_delivered_total",
            COUNTER,
            "Messages that reached every listener of the destination without a failure.",
            |d| d.statistics.delivered_message_count,
        );
        text.per_destination(
            "msgbus_messages_failed_total",
            COUNTER,
            "Messages for which at least one listener of the destination failed.",
            |d| d.statistics.failed_message_count,
        );
        text.per_destination(
            "msgbus_messages_rejected_total",
            COUNTER,
            "Messages the destination refused because its queue was full.",
            |d| d.statistics.rejected_message_count,
        );
        text.family(
            "msgbus_messages_dropped_total",
            COUNTER,
            "Messages dropped undelivered: the destination had no listener (no_listener), or no destination had the name (no_such_destination).",
        );
        text.samples_by("msgbus_messages_dropped_total", "reason", |d| {
            [("no_listener", d.statistics.dropped_no_listener_count)]
        });
        text.sample(
            "msgbus_messages_dropped_total",
            &[("reason", "no_such_destination")],
            bus.unknown_destination_count,
        );
        text.per_destination(
            "msgbus_messages_discarded_total",
            COUNTER,
            "Queued messages of the destination that a forced shutdown threw away.",
            |d| d.statistics.discarded_message_count,
        );
        text.family(
            "msgbus_dead_letters_total",
            COUNTER,
            "Messages sent to a dead-letter destination, by why they were not delivered: a listener failed, the queue was full (rejected), no listener, a forced shutdown (discarded), expired, or no destination had the name (no_such_destination).",
        );
        text.samples_by("msgbus_dead_letters_total", "reason", |d| {
            let n = &d.dead_letters;
            [
                ("failed", n.failed),
                ("rejected", n.rejected),
                ("no_listener", n.no_listener),
                ("discarded", n.discarded),
                ("expired", n.expired),
            ]
        });
        text.sample(
            "msgbus_dead_letters_total",
            &[("reason", "no_such_destination")],
            bus.unknown_destination_dead_lettered_count,
        );
        text.family(
            "msgbus_dead_letters_refused_total",
            COUNTER,
            "Dead letters their dead-letter destination refused (missing, closed or full): logged, never retried.",
        );
        text.sample(
            "msgbus_dead_letters_refused_total",
            &[],
            bus.dead_letters_refused_count,
        );
        text.per_destination_by(
            "msgbus_requests_total",
            COUNTER,
            "Synchronous requests to the destination, by how they ended: a reply came (ok), a listener failed without replying (failed), no reply in time (timeout), no listener to ask (no_listeners), or the sender stopped waiting (abandoned).",
            "outcome",
            |d| {
                let r = &d.requests;
                [
                    ("ok", r.ok),
                    ("failed", r.failed),
                    ("timeout", r.timeout),
                    ("no_listeners", r.no_listeners),
                    ("abandoned", r.abandoned),
                ]
            },
        );
        text.family(
            "msgbus_messages_intercepted_total",
            COUNTER,
            "Messages an interceptor consumed.",
        );
        text.sample(
            "msgbus_messages_intercepted_total",
            &[],
            bus.intercepted_count,
        );
        text.family(
            "msgbus_interceptor_failures_total",
            COUNTER,
            "Interceptor calls that failed; the message went on.",
        );
        text.sample(
            "msgbus_interceptor_failures_total",
            &[],
            bus.interceptor_failed_count,
        );
        text.family(
            "msgbus_schedule_firings_total",
            COUNTER,
            "Firings of scheduled sends, each one a send.",
        );
        text.sample("msgbus_schedule_firings_total", &[], schedules.fired);
        text.family(
            "msgbus_schedule_missed_total",
            COUNTER,
            "Periodic firings skipped because the timer thread was late by more than a period.",
        );
        text.sample("msgbus_schedule_missed_total", &[], schedules.missed);
        text.family(
            "msgbus_schedules_cancelled_total",
            COUNTER,
            "Scheduled sends cancelled, by their handle (handle) or by a shutdown before they fired (shutdown).",
        );
        text.sample(
            "msgbus_schedules_cancelled_total",
            &[("cause", "handle")],
            schedules.cancelled,
        );
        text.sample(
            "msgbus_schedules_cancelled_total",
            &[("cause", "shutdown")],
            schedules.cancelled_at_shutdown,
        );

        text.histograms(
            "msgbus_queue_wait_seconds",
            concat!(
                "Time from queuing a message to the start of each listener call (queued destinations only). ",
                sampled!()
            ),
            |d| d.queue_wait,
        );
        text.histograms(
            "msgbus_listener_duration_seconds",
            concat!("Duration of each listener call. ", sampled!()),
            |d| d.processing,
        );
        text.out
    }
}

/// An exposition being written: families of samples, each family headed by
/// its HELP and TYPE lines.
struct Exposition<'a> {
    out: String,
    destinations: &'a [DestinationMetrics],
}

impl Exposition<'_> {
    /// Heads a family. `help` holds no backslash or newline, which HELP
    /// would need escaped.
    fn family(&mut self, name: &str, kind: &str, help: &str) {
        // A String's fmt::Write never fails.
        let _ = write!(self.out, "# HELP {name} {help}\n# TYPE {name} {kind}\n");
    }

    fn sample(&mut self, name: &str, labels: &[(&str, &str)], value: impl Display) {
        self.out.push_str(name);
        for (i, (label, label_value)) in labels.iter().enumerate() {
            self.out.push(if i == 0 { '{' } else { ',' });
            self.out.push_str(label);
            self.out.push_str("=\"");
            escape_label_value(&mut self.out, label_value);
            self.out.push('"');
        }
        if !labels.is_empty() {
            self.out.push('}');
        }
        let _ = writeln!(self.out, " {value}");
    }

    /// A family with one sample per destination.
    fn per_destination(
        &mut self,
        name: &str,
        kind: &str,
        help: &str,
        figure: impl Fn(&DestinationMetrics) -> u64,
    ) {
        if self.destinations.is_empty() {
            return;
        }
        self.family(name, kind, help);
        let destinations = self.destinations;
        for d in destinations {
            self.sample(name, &[("destination", &d.name)], figure(d));
        }
    }

    /// A family with one sample per destination and value of `label`.
    fn per_destination_by<const N: usize>(
        &mut self,
        name: &str,
        kind: &str,
        help: &str,
        label: &str,
        figures: impl Fn(&DestinationMetrics) -> [(&'static str, u64); N],
    ) {
        if self.destinations.is_empty() {
            return;
        }
        self.family(name, kind, help);
        self.samples_by(name, label, figures);
    }

    /// The samples of [`Self::per_destination_by`], for a family headed
    /// already because it has samples of the bus's own as well.
    fn samples_by<const N: usize>(
        &mut self,
        name: &str,
        label: &str,
        figures: impl Fn(&DestinationMetrics) -> [(&'static str, u64); N],
    ) {
        let destinations = self.destinations;
        for d in destinations {
            for (label_value, figure) in figures(d) {
                self.sample(
                    name,
                    &[("destination", &d.name), (label, label_value)],
                    figure,
                );
            }
        }
    }

    /// A histogram family with one histogram per destination. Its count is
    /// the +Inf bucket's, so that the two agree whatever the snapshot says.
    fn histograms(
        &mut self,
        name: &str,
        help: &str,
        histogram: impl Fn(&DestinationMetrics) -> HistogramSnapshot,
    ) {
        if self.destinations.is_empty() {
            return;
        }
        self.family(name, HISTOGRAM, help);
        let (bucket, sum, count) = (
            format!("{name}_bucket"),
            format!("{name}_sum"),
            format!("{name}_count"),
        );
        let destinations = self.destinations;
        for d in destinations {
            let snapshot = histogram(d);
            let cumulative = snapshot.cumulative();
            for (le, below) in LE_LABELS.iter().zip(cumulative) {
                self.sample(&bucket, &[("destination", &d.name), ("le", le)], below);
            }
            let destination = [("destination", d.name.as_str())];
            self.sample(&sum, &destination, Float(snapshot.sum_seconds));
            self.sample(&count, &destination, cumulative[cumulative.len() - 1]);
        }
    }
}

/// Escapes a label value as the format requires: backslash, double quote
/// and line feed.
fn escape_label_value(out: &mut String, value: &str) {
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
}

/// A float as the format writes it: Rust's shortest form when finite,
/// `NaN`, `+Inf` or `-Inf` otherwise.
struct Float(f64);

impl Display for Float {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            v if v.is_nan() => f.write_str("NaN"),
            f64::INFINITY => f.write_str("+Inf"),
            f64::NEG_INFINITY => f.write_str("-Inf"),
            v => write!(f, "{v}"),
        }
    }
}

#[cfg(test)]
pub(super) mod tests {
    use std::collections::{HashMap, HashSet};
    use std::time::Duration;

    use super::*;
    use crate::config::DestinationType;
    use crate::metrics::{
        BusMetrics, DeadLetterCounts, Histogram, RequestCounts, ScheduleStatistics,
    };
    use crate::statistics::DestinationStatistics;

    /// A destination name both renderings must escape.
    pub(in crate::metrics) const AWKWARD_NAME: &str = "acme/\"quoted\"\\name\nsecond line";

    fn histogram_of(micros: &[u64]) -> HistogramSnapshot {
        let histogram = Histogram::default();
        for &us in micros {
            histogram.observe(Duration::from_micros(us));
        }
        histogram.snapshot()
    }

    /// A bus's metrics after some traffic: a serial destination with an
    /// awkward name, and a parallel one whose snapshot caught more active
    /// workers than live ones (the two are read apart).
    pub(in crate::metrics) fn sample_metrics() -> Metrics {
        let awkward = DestinationMetrics {
            name: AWKWARD_NAME.to_owned(),
            destination_type: DestinationType::Serial,
            statistics: DestinationStatistics {
                active_thread_count: 1,
                current_thread_count: 1,
                largest_thread_count: 1,
                max_thread_pool_size: 1,
                min_thread_pool_size: 1,
                pending_message_count: 3,
                sent_message_count: 1000,
                delivered_message_count: 990,
                rejected_message_count: 2,
                failed_message_count: 4,
                dropped_no_listener_count: 1,
                discarded_message_count: 0,
                listener_count: 2,
            },
            dead_letters: DeadLetterCounts {
                failed: 4,
                rejected: 2,
                no_listener: 1,
                discarded: 0,
                expired: 3,
            },
            requests: RequestCounts {
                ok: 50,
                failed: 1,
                timeout: 2,
                no_listeners: 0,
                abandoned: 1,
            },
            queue_wait: histogram_of(&[1, 3, 3, 8, 40, 40, 700, 2_000]),
            processing: histogram_of(&[5, 10, 12, 90, 400, 6_000_000]),
        };
        let orders = DestinationMetrics {
            name: "acme/orders".to_owned(),
            destination_type: DestinationType::Parallel,
            statistics: DestinationStatistics {
                active_thread_count: 3,
                current_thread_count: 2,
                largest_thread_count: 5,
                max_thread_pool_size: 5,
                min_thread_pool_size: 2,
                pending_message_count: 0,
                sent_message_count: 20,
                delivered_message_count: 17,
                rejected_message_count: 0,
                failed_message_count: 0,
                dropped_no_listener_count: 0,
                discarded_message_count: 0,
                listener_count: 1,
            },
            dead_letters: DeadLetterCounts::default(),
            requests: RequestCounts::default(),
            queue_wait: histogram_of(&[2, 20, 200_000]),
            processing: HistogramSnapshot::default(),
        };
        Metrics {
            destinations: vec![awkward, orders],
            bus: BusMetrics {
                unknown_destination_count: 7,
                unknown_destination_dead_lettered_count: 5,
                dead_letters_refused_count: 1,
                interceptor_count: 2,
                intercepted_count: 12,
                interceptor_failed_count: 1,
                schedules: ScheduleStatistics {
                    pending: 3,
                    fired: 120,
                    missed: 2,
                    cancelled: 4,
                    cancelled_at_shutdown: 1,
                },
            },
        }
    }

    /// Labels as read back, values unescaped.
    type Labels = Vec<(String, String)>;

    /// A sample line: metric name, labels and value.
    type Sample = (String, Labels, f64);

    fn is_name(s: &str, first: fn(char) -> bool) -> bool {
        let mut chars = s.chars();
        chars.next().is_some_and(first)
            && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':')
    }

    fn parse_sample(line: &str) -> Sample {
        let name_end = line.find(['{', ' ']).expect("a value");
        let name = &line[..name_end];
        assert!(
            is_name(name, |c| c.is_ascii_alphabetic() || c == '_' || c == ':'),
            "{line}"
        );
        let mut chars = line[name_end..].chars().peekable();
        let mut labels = Vec::new();
        if chars.next_if_eq(&'{').is_some() {
            loop {
                let label: String = chars.by_ref().take_while(|&c| c != '=').collect();
                assert!(
                    is_name(&label, |c| c.is_ascii_alphabetic() || c == '_'),
                    "{line}"
                );
                assert_eq!(chars.next(), Some('"'), "{line}");
                let mut value = String::new();
                loop {
                    match chars.next().expect("a closing quote") {
                        '"' => break,
                        '\\' => value.push(match chars.next() {
                            Some('\\') => '\\',
                            Some('"') => '"',
                            Some('n') => '\n',
                            other => panic!("bad escape {other:?} in {line}"),
                        }),
                        c => value.push(c),
                    }
                }
                labels.push((label, value));
                match chars.next() {
                    Some(',') => {}
                    Some('}') => break,
                    other => panic!("{other:?} after a label in {line}"),
                }
            }
        }
        assert_eq!(chars.next(), Some(' '), "{line}");
        let value: String = chars.collect();
        let value: f64 = value.parse().unwrap_or_else(|_| panic!("value of {line}"));
        assert!(value.is_finite(), "{line}");
        (name.to_owned(), labels, value)
    }

    /// Reads an exposition back line by line, checks what promtool checks
    /// and more, and returns its samples.
    fn read_back(text: &str) -> Vec<Sample> {
        assert!(text.ends_with('\n'));
        let mut helped = HashSet::new();
        let mut types = HashMap::new();
        let mut finished = HashSet::new();
        let mut current: Option<String> = None;
        let mut samples = Vec::new();
        for line in text.lines() {
            if let Some(help) = line.strip_prefix("# HELP ") {
                let (name, help) = help.split_once(' ').expect("HELP text");
                assert!(!help.is_empty() && helped.insert(name.to_owned()), "{line}");
                if let Some(previous) = current.replace(name.to_owned()) {
                    finished.insert(previous);
                }
                assert!(!finished.contains(name), "{name} comes back");
            } else if let Some(kind) = line.strip_prefix("# TYPE ") {
                let (name, kind) = kind.split_once(' ').expect("TYPE");
                assert_eq!(current.as_deref(), Some(name), "TYPE after HELP");
                assert!(
                    types.insert(name.to_owned(), kind.to_owned()).is_none(),
                    "{line}"
                );
                match kind {
                    "counter" => assert!(name.ends_with("_total"), "{line}"),
                    "gauge" | "histogram" => assert!(!name.ends_with("_total"), "{line}"),
                    _ => panic!("{line}"),
                }
            } else {
                let sample = parse_sample(line);
                let name = &sample.0;
                let family = ["_bucket", "_sum", "_count"]
                    .iter()
                    .find_map(|suffix| name.strip_suffix(suffix))
                    .filter(|base| types.get(*base).is_some_and(|k| k == "histogram"))
                    .unwrap_or(name);
                assert_eq!(
                    current.as_deref(),
                    Some(family),
                    "{line} outside its family"
                );
                assert!(
                    helped.contains(family) && types.contains_key(family),
                    "{line}"
                );
                samples.push(sample);
            }
        }
        check_histograms(&samples);
        samples
    }

    /// Every histogram's buckets are the bounds in order, their counts
    /// never decrease, and its count is its +Inf bucket's.
    fn check_histograms(samples: &[Sample]) {
        // By histogram (name and labels but `le`): each bucket's `le` and count.
        let mut buckets: HashMap<(String, Labels), Vec<(String, f64)>> = HashMap::new();
        for (name, labels, value) in samples {
            if let Some(base) = name.strip_suffix("_bucket") {
                let le = labels
                    .iter()
                    .find(|(l, _)| l == "le")
                    .expect("le")
                    .1
                    .clone();
                let others = labels.iter().filter(|(l, _)| l != "le").cloned().collect();
                buckets
                    .entry((base.to_owned(), others))
                    .or_default()
                    .push((le, *value));
            }
        }
        for ((base, labels), series) in &buckets {
            let les: Vec<&str> = series.iter().map(|(le, _)| le.as_str()).collect();
            assert_eq!(les, LE_LABELS, "{base} {labels:?}");
            assert!(
                series.windows(2).all(|w| w[0].1 <= w[1].1),
                "{base} {labels:?}"
            );
            let count = format!("{base}_count");
            let sum = format!("{base}_sum");
            let find = |name: &str| {
                samples
                    .iter()
                    .find(|(n, l, _)| n == name && l == labels)
                    .map(|s| s.2)
            };
            assert_eq!(find(&count), Some(series[series.len() - 1].1), "{base}");
            assert!(find(&sum).is_some(), "{base}");
        }
    }

    fn value(samples: &[Sample], name: &str, labels: &[(&str, &str)]) -> Option<f64> {
        samples
            .iter()
            .find(|(n, l, _)| {
                n == name
                    && l.len() == labels.len()
                    && l.iter()
                        .zip(labels)
                        .all(|((a, b), (c, d))| a == c && b == d)
            })
            .map(|s| s.2)
    }

    #[test]
    fn text_reads_back_line_by_line() {
        let metrics = sample_metrics();
        let samples = read_back(&metrics.to_prometheus_text());
        let names: HashSet<&str> = samples
            .iter()
            .flat_map(|(_, labels, _)| labels)
            .filter(|(label, _)| label == "destination")
            .map(|(_, name)| name.as_str())
            .collect();
        assert_eq!(names, HashSet::from([AWKWARD_NAME, "acme/orders"]));

        let awkward = ("destination", AWKWARD_NAME);
        let orders = ("destination", "acme/orders");
        let at = |name, labels: &[(&str, &str)]| value(&samples, name, labels);
        assert_eq!(at("msgbus_destinations", &[]), Some(2.0));
        assert_eq!(at("msgbus_queue_depth", &[awkward]), Some(3.0));
        assert_eq!(
            at("msgbus_workers", &[orders, ("state", "active")]),
            Some(3.0)
        );
        assert_eq!(
            at("msgbus_workers", &[orders, ("state", "idle")]),
            Some(0.0)
        );
        assert_eq!(
            at(
                "msgbus_messages_dropped_total",
                &[("reason", "no_such_destination")]
            ),
            Some(7.0)
        );
        assert_eq!(
            at(
                "msgbus_dead_letters_total",
                &[awkward, ("reason", "expired")]
            ),
            Some(3.0)
        );
        assert_eq!(
            at(
                "msgbus_dead_letters_total",
                &[orders, ("reason", "discarded")]
            ),
            Some(0.0)
        );
        assert_eq!(
            at(
                "msgbus_dead_letters_total",
                &[("reason", "no_such_destination")]
            ),
            Some(5.0)
        );
        assert_eq!(
            at("msgbus_requests_total", &[awkward, ("outcome", "timeout")]),
            Some(2.0)
        );
        assert_eq!(
            at("msgbus_schedules_cancelled_total", &[("cause", "shutdown")]),
            Some(1.0)
        );
        assert_eq!(
            at(
                "msgbus_listener_duration_seconds_bucket",
                &[awkward, ("le", "1e-05")]
            ),
            Some(2.0)
        );
        assert_eq!(
            at("msgbus_listener_duration_seconds_count", &[awkward]),
            Some(6.0)
        );
        assert_eq!(
            at("msgbus_listener_duration_seconds_count", &[orders]),
            Some(0.0)
        );
        let sum = at("msgbus_queue_wait_seconds_sum", &[orders]).expect("a sum");
        assert!((sum - 0.200022).abs() < 1e-12);
    }

    #[test]
    fn text_without_destinations_keeps_the_bus_families() {
        let text = Metrics::default().to_prometheus_text();
        assert_eq!(read_back(&text).len(), 12, "{text}");
        assert!(!text.contains("destination="), "{text}");
        assert!(!text.contains("msgbus_listeners"), "{text}");
        assert!(!text.contains("histogram"), "{text}");
        assert!(text.contains("msgbus_messages_dropped_total{reason=\"no_such_destination\"} 0\n"));
    }

    #[test]
    fn label_values_are_escaped() {
        let mut out = String::new();
        escape_label_value(&mut out, AWKWARD_NAME);
        assert_eq!(out, r#"acme/\"quoted\"\\name\nsecond line"#);
    }

    #[test]
    fn floats_in_the_format() {
        assert_eq!(Float(0.25).to_string(), "0.25");
        assert_eq!(Float(1e-7).to_string(), "0.0000001");
        assert_eq!(Float(f64::NAN).to_string(), "NaN");
        assert_eq!(Float(f64::INFINITY).to_string(), "+Inf");
        assert_eq!(Float(f64::NEG_INFINITY).to_string(), "-Inf");
    }

    /// Writes the sample's text to the file `MSGBUS_METRICS_SAMPLE` names,
    /// for `promtool check metrics`; does nothing without that variable.
    #[test]
    fn write_sample_for_promtool() {
        if let Some(path) = std::env::var_os("MSGBUS_METRICS_SAMPLE") {
            std::fs::write(path, sample_metrics().to_prometheus_text())
                .expect("the sample written");
        }
    }
}
