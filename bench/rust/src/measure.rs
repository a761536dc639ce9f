//! What every workload shares: latency percentiles, resident memory, and the JSON line each figure is printed as.

use std::time::Duration;

/// The p50 and p99 of `samples`, in microseconds.
pub fn percentiles(samples: &mut [Duration]) -> (f64, f64) {
    samples.sort_unstable();
    let at = |q: f64| samples[((samples.len() - 1) as f64 * q) as usize].as_secs_f64() * 1e6;
    (at(0.50), at(0.99))
}

/// This process's resident memory in bytes.
pub fn resident_bytes() -> usize {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap_or_default();
    let pages: usize = statm
        .split_whitespace()
        .nth(1)
        .and_then(|p| p.parse().ok())
        .unwrap_or(0);
    pages * 4096
}

/// One figure as a JSON line: `workload` by `implementation` through
/// `surface`, with its parameters.
pub struct Figure<'a> {
    pub workload: &'a str,
    pub implementation: &'a str,
    pub metric: &'a str,
    pub value: f64,
    pub unit: &'a str,
    pub params: &'a [(&'a str, usize)],
}

impl Figure<'_> {
    pub fn print(&self) {
        let params: Vec<String> = self
            .params
            .iter()
            .map(|(k, v)| format!("\"{k}\": {v}"))
            .collect();
        println!(
            "{{\"surface\": \"rust\", \"workload\": \"{}\", \"implementation\": \"{}\", \"metric\": \"{}\", \
             \"value\": {}, \"unit\": \"{}\", \"params\": {{{}}}}}",
            self.workload,
            self.implementation,
            self.metric,
            self.value,
            self.unit,
            params.join(", ")
        );
    }
}
