//! The parameters of a throughput run, shared by msgbus and the baseline.

/// `messages` in total from `producers` threads, each delivered to
/// `listeners` listeners, carrying a `payload`-byte payload and one value.
#[derive(Clone, Copy)]
pub struct Shape {
    pub messages: usize,
    pub listeners: usize,
    pub producers: usize,
    pub payload: usize,
}

impl Shape {
    pub fn deliveries(&self) -> usize {
        self.messages * self.listeners
    }

    /// The messages producer `index` sends.
    pub fn share(&self, index: usize) -> usize {
        self.messages / self.producers + usize::from(index < self.messages % self.producers)
    }

    pub fn params(&self) -> [(&'static str, usize); 4] {
        [
            ("messages", self.messages),
            ("listeners", self.listeners),
            ("producers", self.producers),
            ("payload", self.payload),
        ]
    }
}
