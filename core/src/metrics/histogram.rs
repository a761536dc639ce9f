//! A lock-free histogram of durations over fixed buckets, and its snapshot.

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::Duration;

/// The buckets' upper bounds in seconds (Prometheus's `le`: a bound belongs
/// to its bucket); a last, implicit bucket holds everything above 5 s.
/// From 1 µs, an in-process hand-over, to 5 s, a listener surely stuck.
pub const BUCKET_BOUNDS: [f64; 14] = [
    1e-6, 5e-6, 1e-5, 5e-5, 1e-4, 5e-4, 1e-3, 5e-3, 0.01, 0.05, 0.1, 0.5, 1.0, 5.0,
];

/// The number of buckets, the +Inf one included.
const BUCKETS: usize = BUCKET_BOUNDS.len() + 1;

/// [`BUCKET_BOUNDS`] in nanoseconds, so that an observation finds its
/// bucket by integer comparisons.
const BOUNDS_NS: [u64; 14] = [
    1_000,
    5_000,
    10_000,
    50_000,
    100_000,
    500_000,
    1_000_000,
    5_000_000,
    10_000_000,
    50_000_000,
    100_000_000,
    500_000_000,
    1_000_000_000,
    5_000_000_000,
];

/// Each bucket's `le` as Prometheus writes it (Go's shortest `%g`), the
/// +Inf bucket last; the text and JSON renderings both use these.
pub(super) const LE_LABELS: [&str; BUCKETS] = [
    "1e-06", "5e-06", "1e-05", "5e-05", "0.0001", "0.0005", "0.001", "0.005", "0.01", "0.05",
    "0.1", "0.5", "1", "5", "+Inf",
];

/// Observed durations counted by bucket, and their sum. Relaxed atomics:
/// observing never blocks, and a snapshot taken during observations may
/// see an observation's bucket without its share of the sum, or the reverse.
#[derive(Default)]
pub(crate) struct Histogram {
    buckets: [AtomicU64; BUCKETS],
    /// The sum of the observations in nanoseconds (a u64 holds 584 years).
    sum_ns: AtomicU64,
}

impl Histogram {
    pub(crate) fn observe(&self, elapsed: Duration) {
        let ns = u64::try_from(elapsed.as_nanos()).unwrap_or(u64::MAX);
        // The number of bounds below `ns` is the index of the first bound at
        // or above it: fourteen comparisons and no branch to mispredict.
        let bucket = BOUNDS_NS.iter().filter(|&&bound| bound < ns).count();
        self.buckets[bucket].fetch_add(1, Relaxed);
        self.sum_ns.fetch_add(ns, Relaxed);
    }

    /// The figures now. The count is the sum of the bucket counts read, so
    /// it always agrees with them; no separate counter could.
    pub(crate) fn snapshot(&self) -> HistogramSnapshot {
        let bucket_counts = self.buckets.each_ref().map(|bucket| bucket.load(Relaxed));
        HistogramSnapshot {
            bucket_counts,
            sum_seconds: self.sum_ns.load(Relaxed) as f64 / 1e9,
            count: bucket_counts.iter().sum(),
        }
    }
}

/// A histogram's figures at one moment.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct HistogramSnapshot {
    /// Observations per bucket, not cumulative: at `i` those at or below
    /// [`BUCKET_BOUNDS`]`[i]` and above the bound before; last, those above
    /// every bound (+Inf).
    pub bucket_counts: [u64; 15],
    pub sum_seconds: f64,
    /// The number of observations, the sum of `bucket_counts`.
    pub count: u64,
}

impl HistogramSnapshot {
    /// The observations at or below each bound, as Prometheus's buckets
    /// count them; the last is the count.
    pub fn cumulative(&self) -> [u64; 15] {
        let mut total = 0u64;
        self.bucket_counts.map(|count| {
            total = total.saturating_add(count);
            total
        })
    }

    /// An upper estimate of the `q`-quantile (`q` in 0..=1): the bound of the
    /// bucket holding the observation of rank ⌈q·count⌉, `f64::INFINITY` if
    /// that is the +Inf bucket. None without observations or for a `q`
    /// outside 0..=1.
    pub fn quantile(&self, q: f64) -> Option<f64> {
        let cumulative = self.cumulative();
        let total = cumulative[BUCKETS - 1];
        if total == 0 || !(0.0..=1.0).contains(&q) {
            return None;
        }
        let rank = ((q * total as f64).ceil() as u64).clamp(1, total);
        let bucket = cumulative.iter().position(|&below| below >= rank)?;
        Some(BUCKET_BOUNDS.get(bucket).copied().unwrap_or(f64::INFINITY))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn histogram_of(nanos: &[u64]) -> HistogramSnapshot {
        let histogram = Histogram::default();
        for &ns in nanos {
            histogram.observe(Duration::from_nanos(ns));
        }
        histogram.snapshot()
    }

    #[test]
    fn bounds_agree() {
        for (i, &bound) in BUCKET_BOUNDS.iter().enumerate() {
            assert_eq!(BOUNDS_NS[i] as f64 / 1e9, bound);
            assert_eq!(LE_LABELS[i].parse::<f64>(), Ok(bound));
        }
        assert!(BUCKET_BOUNDS.windows(2).all(|pair| pair[0] < pair[1]));
        assert_eq!(LE_LABELS[BUCKETS - 1], "+Inf");
    }

    #[test]
    fn a_bound_belongs_to_its_bucket() {
        for (i, &bound) in BOUNDS_NS.iter().enumerate() {
            let mut expected = [0; BUCKETS];
            expected[i] = 1;
            expected[i + 1] = 1;
            assert_eq!(
                histogram_of(&[bound, bound + 1]).bucket_counts,
                expected,
                "bound {bound} ns"
            );
        }
        let mut expected = [0; BUCKETS];
        expected[0] = 1;
        expected[BUCKETS - 1] = 1;
        assert_eq!(histogram_of(&[0, u64::MAX]).bucket_counts, expected);
        let huge = Histogram::default();
        huge.observe(Duration::MAX);
        assert_eq!(huge.snapshot().bucket_counts[BUCKETS - 1], 1);
    }

    #[test]
    fn sum_and_count() {
        let snapshot = histogram_of(&[1_500, 2_000_000, 7_000_000_000]);
        assert_eq!(snapshot.count, 3);
        assert_eq!(snapshot.cumulative()[BUCKETS - 1], 3);
        assert!((snapshot.sum_seconds - 7.0020015).abs() < 1e-12);
        assert_eq!(
            snapshot.cumulative(),
            [0, 1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2, 2, 2, 3]
        );
        assert_eq!(
            Histogram::default().snapshot(),
            HistogramSnapshot::default()
        );
    }

    #[test]
    fn observations_from_many_threads_all_count() {
        let histogram = Histogram::default();
        std::thread::scope(|scope| {
            for thread in 0..4u64 {
                let histogram = &histogram;
                scope.spawn(move || {
                    for i in 0..10_000 {
                        histogram.observe(Duration::from_nanos(thread * 1_000_000 + i));
                    }
                });
            }
        });
        let snapshot = histogram.snapshot();
        assert_eq!(snapshot.count, 40_000);
        assert_eq!(snapshot.cumulative()[BUCKETS - 1], 40_000);
    }

    #[test]
    fn quantile() {
        assert_eq!(HistogramSnapshot::default().quantile(0.5), None);
        // 90 observations of 3 µs, 9 of 20 ms, 1 of 10 s.
        let mut nanos = vec![3_000; 90];
        nanos.extend([20_000_000; 9]);
        nanos.push(10_000_000_000);
        let snapshot = histogram_of(&nanos);
        assert_eq!(snapshot.quantile(0.0), Some(5e-6));
        assert_eq!(snapshot.quantile(0.5), Some(5e-6));
        assert_eq!(snapshot.quantile(0.9), Some(5e-6));
        assert_eq!(snapshot.quantile(0.91), Some(0.05));
        assert_eq!(snapshot.quantile(0.95), Some(0.05));
        assert_eq!(snapshot.quantile(1.0), Some(f64::INFINITY));
        assert_eq!(snapshot.quantile(1.5), None);
        assert_eq!(snapshot.quantile(f64::NAN), None);
    }

    #[test]
    fn histogram_is_send_and_sync() {
        fn shareable<T: Send + Sync>() {}
        shareable::<Histogram>();
    }
}
