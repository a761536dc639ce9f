//! A value on cache lines of its own.

use std::ops::Deref;

/// `T` alone on its cache lines (128 bytes, as x86 fetches lines in
/// pairs): for a field one side writes at every message while the other
/// side reads its neighbours, which would otherwise pay a cache miss for
/// each of those writes.
#[derive(Clone, Default)]
#[repr(align(128))]
pub(crate) struct Apart<T>(pub(crate) T);

impl<T> Deref for Apart<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.0
    }
}
