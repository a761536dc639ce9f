//! msgbus_value: payloads, message values and responses.

/// A value: null, bool, int64, double, UTF-8 string, bytes, or an opaque
/// pointer. Owned values (from a msgbus_value_new_* function, _clone, or an
/// owning out-parameter) are freed with msgbus_value_free. Borrowed values
/// (from msgbus_message_payload or msgbus_message_get) belong to their
/// message. A value is immutable, and may be read from any thread.
pub struct msgbus_value {
    _private: [u8; 0],
}

/// What msgbus_value_type returns: one of the MSGBUS_VALUE_TYPE_* constants.
pub type msgbus_value_kind = u32;
pub const MSGBUS_VALUE_TYPE_NULL: msgbus_value_kind = 0;
pub const MSGBUS_VALUE_TYPE_BOOL: msgbus_value_kind = 1;
pub const MSGBUS_VALUE_TYPE_INT: msgbus_value_kind = 2;
pub const MSGBUS_VALUE_TYPE_DOUBLE: msgbus_value_kind = 3;
pub const MSGBUS_VALUE_TYPE_STRING: msgbus_value_kind = 4;
pub const MSGBUS_VALUE_TYPE_BYTES: msgbus_value_kind = 5;
/// A pointer made by msgbus_value_new_pointer.
pub const MSGBUS_VALUE_TYPE_POINTER: msgbus_value_kind = 6;
/// An opaque object of another language (for instance a Rust value); C
/// cannot read it.
pub const MSGBUS_VALUE_TYPE_OBJECT: msgbus_value_kind = 7;

/// A value of a shared type described in place, for the calls that copy
/// one into a message without making a msgbus_value first
/// (msgbus_message_set_payload_view, msgbus_message_put_view).
/// `value_type` says which fields are read: `boolean` for BOOL, `integer`
/// for INT, `number` for DOUBLE, `data` and `len` for STRING (UTF-8) and
/// BYTES (`data` may be NULL when `len` is 0), none for NULL.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct msgbus_value_view {
    pub value_type: msgbus_value_kind,
    pub boolean: bool,
    pub integer: i64,
    pub number: f64,
    pub data: *const u8,
    pub len: usize,
}
