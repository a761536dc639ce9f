// msgbus.hpp: a header-only C++17 wrapper over libmsgbus (msgbus.h).
//
// Owning classes (Bus, Bridge, Message, Value, DestinationConfig) are
// move-only and free their C object once. MessageRef, MessageMut and ValueRef are
// borrowed views, valid as long as what they view. Listeners and
// interceptors are any callable; the wrapper owns it through the C
// user_data and frees it through user_data_free. Registration objects
// (Listener, EventListener, Interceptor) undo themselves on destruction and
// must not outlive their Bus; release() keeps the registration for the
// bus's lifetime. Failures throw msgbus::Error (TimeoutError for timeouts);
// no C++ exception ever crosses into the library: a listener's or an
// interceptor's becomes its failure, with what() as the detail.
//
// Values are made from nullptr, bool, every integer type, float and
// double, std::string, std::string_view, const char *, std::vector<uint8_t>
// and msgbus::Bytes{data, size}; Message::put and set_payload take the same
// types and copy them in without making a Value first.
#ifndef MSGBUS_HPP
#define MSGBUS_HPP

#if (defined(_MSVC_LANG) ? _MSVC_LANG : __cplusplus) < 201703L
#error "msgbus.hpp needs C++17 or later: compile with -std=c++17 (msgbus.h alone works from C++11)"
#else

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <initializer_list>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "msgbus.h"

namespace msgbus {

/// A failed call: its msgbus_result and the library's detail message.
class Error : public std::exception {
 public:
  Error(msgbus_result code, std::string message) : code_(code), message_(std::move(message)) {}
  msgbus_result code() const noexcept { return code_; }
  const char *what() const noexcept override { return message_.c_str(); }

 private:
  msgbus_result code_;
  std::string message_;
};

/// No reply in time (MSGBUS_RESULT_TIMEOUT).
class TimeoutError : public Error {
 public:
  using Error::Error;
};

namespace detail {

/// Throws the Error for a failed call; what() is the library's detail,
/// which names what failed (the result's name when there is none).
inline void check(msgbus_result code) {
  if (code == MSGBUS_RESULT_OK) return;
  std::string message = msgbus_last_error_message();
  if (message.empty()) message = msgbus_result_str(code);
  if (code == MSGBUS_RESULT_TIMEOUT) throw TimeoutError(code, std::move(message));
  throw Error(code, std::move(message));
}

/// Owns a C object; frees it with Free, once.
template <typename T, void (*Free)(T *)>
struct Deleter {
  void operator()(T *p) const noexcept { Free(p); }
};

template <typename T, void (*Free)(T *)>
using Owned = std::unique_ptr<T, Deleter<T, Free>>;

/// The free function of a `T` the wrapper gave the library: a listener, a
/// callback, or the object of a Value::pointer.
template <typename T>
void delete_owned(void *user_data) {
  delete static_cast<T *>(user_data);
}

/// Hands a heap copy of `f` to the library through `give(data, free)`,
/// which frees it after its last use; `f` stays ours if `give` fails.
template <typename F, typename Give>
void hand_over(F &&f, Give give) {
  using Callable = std::decay_t<F>;
  auto owned = std::make_unique<Callable>(std::forward<F>(f));
  check(give(static_cast<void *>(owned.get()), &delete_owned<Callable>));
  owned.release();  // now the library's, freed through delete_owned
}

}  // namespace detail

/// The library's version, "MAJOR.MINOR.PATCH"; MSGBUS_VERSION is the
/// header's.
inline std::string_view version() { return msgbus_version(); }

/// The file the process's libmsgbus was loaded from (the program itself
/// when it links libmsgbus.a): components that report the same path share
/// buses, Python's included.
inline std::string_view core_path() { return msgbus_core_path(); }

/// The calling thread's name as the bus gave it ("acme/n8k5_able-1" on a
/// worker, whole, unlike the OS's 15 bytes); empty on other threads.
inline std::string thread_name() {
  const char *name = msgbus_thread_name();
  return name ? name : "";
}

enum class LogLevel : uint32_t {
  Error = MSGBUS_LOG_LEVEL_ERROR,
  Warn = MSGBUS_LOG_LEVEL_WARN,
  Info = MSGBUS_LOG_LEVEL_INFO,
  Debug = MSGBUS_LOG_LEVEL_DEBUG,
  Trace = MSGBUS_LOG_LEVEL_TRACE,
};

/// Sends the library's log records at `max_level` and more severe to
/// f(LogLevel, std::string_view target, std::string_view message), for the
/// whole process; `f` is called on any thread, from several at once, and a
/// throw from it is swallowed. The previous handler is freed once its last
/// call has returned.
template <typename F>
void set_log_handler(LogLevel max_level, F &&f) {
  using Callable = std::decay_t<F>;
  auto call = [](void *user_data, msgbus_log_level level, const char *target, const char *message) noexcept {
    try {
      (*static_cast<Callable *>(user_data))(static_cast<LogLevel>(level), std::string_view(target),
                                             std::string_view(message));
    } catch (...) {
    }
  };
  detail::hand_over(std::forward<F>(f), [&](void *data, msgbus_free_fn free) {
    return msgbus_set_log_handler(static_cast<msgbus_log_level>(max_level), call, data, free);
  });
}

/// Goes back to the default log handler: WARN and ERROR to stderr.
inline void reset_log_handler() {
  detail::check(msgbus_set_log_handler(MSGBUS_LOG_LEVEL_WARN, nullptr, nullptr, nullptr));
}

enum class ValueType : uint32_t {
  Null = MSGBUS_VALUE_TYPE_NULL,
  Bool = MSGBUS_VALUE_TYPE_BOOL,
  Int = MSGBUS_VALUE_TYPE_INT,
  Double = MSGBUS_VALUE_TYPE_DOUBLE,
  String = MSGBUS_VALUE_TYPE_STRING,
  Bytes = MSGBUS_VALUE_TYPE_BYTES,
  Pointer = MSGBUS_VALUE_TYPE_POINTER,
  Object = MSGBUS_VALUE_TYPE_OBJECT,
};

/// `size` bytes at `data`, to be copied into a bytes value.
struct Bytes {
  const void *data;
  std::size_t size;
};

namespace detail {

/// The C description of a C++ value, borrowed from it: the one place a C++
/// type becomes a msgbus type (Value's constructors, Message::put and
/// Message::set_payload all start here).
inline msgbus_value_view view_of(std::nullptr_t) {
  return msgbus_value_view{MSGBUS_VALUE_TYPE_NULL, false, 0, 0, nullptr, 0};
}

template <typename T, std::enable_if_t<std::is_arithmetic_v<T>, int> = 0>
msgbus_value_view view_of(T v) {
  msgbus_value_view view = view_of(nullptr);
  if constexpr (std::is_same_v<T, bool>) {
    view.value_type = MSGBUS_VALUE_TYPE_BOOL;
    view.boolean = v;
  } else if constexpr (std::is_floating_point_v<T>) {
    view.value_type = MSGBUS_VALUE_TYPE_DOUBLE;
    view.number = static_cast<double>(v);
  } else {
    if constexpr (std::is_unsigned_v<T> && sizeof(T) >= sizeof(int64_t)) {
      if (v > static_cast<T>(INT64_MAX))
        throw Error(MSGBUS_RESULT_INVALID_ARGUMENT,
                    "value " + std::to_string(v) + " is more than a msgbus int holds (int64_t, at most " +
                        std::to_string(INT64_MAX) + ")");
    }
    view.value_type = MSGBUS_VALUE_TYPE_INT;
    view.integer = static_cast<int64_t>(v);
  }
  return view;
}

inline msgbus_value_view view_of(std::string_view text) {
  msgbus_value_view view = view_of(nullptr);
  view.value_type = MSGBUS_VALUE_TYPE_STRING;
  view.data = reinterpret_cast<const uint8_t *>(text.data());
  view.len = text.size();
  return view;
}

inline msgbus_value_view view_of(const char *text) {
  if (!text) throw Error(MSGBUS_RESULT_INVALID_ARGUMENT, "value is a NULL const char *: pass nullptr for a null value");
  return view_of(std::string_view(text));
}

inline msgbus_value_view view_of(Bytes bytes) {
  msgbus_value_view view = view_of(nullptr);
  view.value_type = MSGBUS_VALUE_TYPE_BYTES;
  view.data = static_cast<const uint8_t *>(bytes.data);
  view.len = bytes.size;
  return view;
}

inline msgbus_value_view view_of(const std::vector<uint8_t> &bytes) {
  return view_of(Bytes{bytes.data(), bytes.size()});
}

/// Enables an overload for the types view_of takes.
template <typename T>
using Viewable = decltype(view_of(std::declval<const T &>()));

/// A value under a key for Destination::send, described in place: it
/// borrows `key` and the value's contents for the call.
struct Entry {
  template <typename T, typename = Viewable<T>>
  Entry(std::string_view key, const T &value) : entry{key.data(), key.size(), view_of(value)} {}
  msgbus_entry_view entry;
};

}  // namespace detail

/// Read access shared by Value and ValueRef.
template <typename Derived>
class ValueReader {
 public:
  ValueType type() const { return static_cast<ValueType>(msgbus_value_type(raw())); }
  bool is_null() const { return type() == ValueType::Null; }
  bool as_bool() const { return read<bool>(msgbus_value_as_bool); }
  int64_t as_int() const { return read<int64_t>(msgbus_value_as_int); }
  double as_double() const { return read<double>(msgbus_value_as_double); }
  /// Borrowed from the value.
  std::string_view as_string() const {
    const char *text = nullptr;
    size_t len = 0;
    detail::check(msgbus_value_as_string(raw(), &text, &len));
    return {text, len};
  }
  /// Copied out of the value.
  std::vector<uint8_t> as_bytes() const {
    const uint8_t *data = nullptr;
    size_t len = 0;
    detail::check(msgbus_value_as_bytes(raw(), &data, &len));
    return {data, data + len};
  }
  /// The pointer of a pointer value, still the value's.
  void *as_pointer() const { return read<void *>(msgbus_value_as_pointer); }
  /// The object of a Value::pointer(std::unique_ptr<T>), still the value's;
  /// Error (MSGBUS_RESULT_WRONG_TYPE) for any other pointer, so a listener
  /// cannot take one type for another.
  template <typename T>
  T *as_pointer() const {
    void *pointer = nullptr;
    msgbus_free_fn free = nullptr;
    detail::check(msgbus_value_as_pointer_with_free(raw(), &pointer, &free));
    if (free != &detail::delete_owned<T>)
      throw Error(MSGBUS_RESULT_WRONG_TYPE,
                  "the pointer value was not made by Value::pointer from a std::unique_ptr of this type");
    return static_cast<T *>(pointer);
  }

 private:
  const msgbus_value *raw() const { return static_cast<const Derived *>(this)->capi(); }
  template <typename T>
  T read(msgbus_result (*get)(const msgbus_value *, T *)) const {
    T out{};
    detail::check(get(raw(), &out));
    return out;
  }
};

/// A borrowed value (a message's payload or one of its values).
class ValueRef : public ValueReader<ValueRef> {
 public:
  explicit ValueRef(const msgbus_value *value) : value_(value) {}
  const msgbus_value *capi() const { return value_; }

 private:
  const msgbus_value *value_;
};

/// An owned value.
class Value : public ValueReader<Value> {
 public:
  Value() : Value(nullptr) {}
  /// From any of the types listed at the top of this header.
  template <typename T, typename = detail::Viewable<T>>
  Value(const T &value) : Value(make(detail::view_of(value))) {}
  static Value bytes(const void *data, std::size_t size) { return Value(Bytes{data, size}); }
  static Value bytes(const std::vector<uint8_t> &data) { return Value(data); }
  /// A pointer the bus never dereferences and never sends out of the
  /// process; `free` (may be null) is called with it once, on whichever
  /// thread drops the last value or message holding it.
  static Value pointer(void *pointer, msgbus_free_fn free) {
    msgbus_value *out = nullptr;
    detail::check(msgbus_value_new_pointer(pointer, free, &out));
    return Value(out);
  }
  /// Owns `object` from now on, deleting it with the last value or message
  /// that holds it; read it back with as_pointer<T>().
  template <typename T>
  static Value pointer(std::unique_ptr<T> object) {
    Value value = pointer(object.get(), &detail::delete_owned<T>);
    object.release();  // now the value's
    return value;
  }
  /// A copy of a borrowed value.
  explicit Value(ValueRef borrowed) : Value(msgbus_value_clone(borrowed.capi())) {}
  /// Takes ownership of a C value.
  explicit Value(msgbus_value *value) : value_(value) {
    if (!value_) throw Error(MSGBUS_RESULT_PANIC, "libmsgbus returned no value");
  }
  Value clone() const { return Value(ref()); }
  ValueRef ref() const { return ValueRef(capi()); }
  const msgbus_value *capi() const { return value_.get(); }
  /// Gives up ownership: the caller frees it with msgbus_value_free.
  msgbus_value *capi_release() { return value_.release(); }

 private:
  static msgbus_value *make(const msgbus_value_view &view) {
    msgbus_value *out = nullptr;
    switch (view.value_type) {
      case MSGBUS_VALUE_TYPE_NULL:
        return msgbus_value_new_null();
      case MSGBUS_VALUE_TYPE_BOOL:
        return msgbus_value_new_bool(view.boolean);
      case MSGBUS_VALUE_TYPE_INT:
        return msgbus_value_new_int(view.integer);
      case MSGBUS_VALUE_TYPE_DOUBLE:
        return msgbus_value_new_double(view.number);
      case MSGBUS_VALUE_TYPE_STRING:
        detail::check(msgbus_value_new_string(reinterpret_cast<const char *>(view.data), view.len, &out));
        return out;
      default:
        detail::check(msgbus_value_new_bytes(view.data, view.len, &out));
        return out;
    }
  }
  detail::Owned<msgbus_value, msgbus_value_free> value_;
};

/// Read access shared by Message and MessageRef.
template <typename Derived>
class MessageReader {
 public:
  ValueRef payload() const { return ValueRef(msgbus_message_payload(raw())); }
  std::optional<ValueRef> get(const std::string &key) const {
    const msgbus_value *value = nullptr;
    msgbus_result code = msgbus_message_get(raw(), key.c_str(), &value);
    if (code == MSGBUS_RESULT_NOT_FOUND) return std::nullopt;
    detail::check(code);
    return ValueRef(value);
  }
  bool contains(const std::string &key) const {
    bool has = false;
    detail::check(msgbus_message_contains(raw(), key.c_str(), &has));
    return has;
  }
  /// Every key and its value, in insertion order, borrowed from the
  /// message until it is changed or freed.
  std::vector<std::pair<std::string_view, ValueRef>> values() const {
    std::vector<std::pair<std::string_view, ValueRef>> out;
    detail::check(msgbus_message_for_each_value(
        raw(),
        [](void *all, const char *key, const msgbus_value *value) {
          static_cast<std::vector<std::pair<std::string_view, ValueRef>> *>(all)->emplace_back(key, ValueRef(value));
        },
        &out));
    return out;
  }
  std::optional<std::string_view> destination_name() const { return text(msgbus_message_destination_name(raw())); }
  std::optional<std::string_view> response_destination_name() const {
    return text(msgbus_message_response_destination_name(raw()));
  }
  std::optional<std::string_view> response_id() const { return text(msgbus_message_response_id(raw())); }
  Value response() const {
    msgbus_value *out = nullptr;
    detail::check(msgbus_message_response(raw(), &out));
    return Value(out);
  }
  /// Sets the response slot (how a listener answers a direct send).
  void set_response(const Value &value) const { detail::check(msgbus_message_set_response(raw(), value.capi())); }

 private:
  const msgbus_message *raw() const { return static_cast<const Derived *>(this)->capi(); }
  static std::optional<std::string_view> text(const char *s) {
    return s ? std::optional<std::string_view>(s) : std::nullopt;
  }
};

/// The message a listener receives, borrowed for the call.
class MessageRef : public MessageReader<MessageRef> {
 public:
  explicit MessageRef(const msgbus_message *message) : message_(message) {}
  const msgbus_message *capi() const { return message_; }

 private:
  const msgbus_message *message_;
};

/// Write access shared by Message and MessageMut; every setter returns the
/// message, to chain.
template <typename Derived>
class MessageWriter {
 public:
  Derived &set_payload(const Value &value) { return set_payload(value.ref()); }
  Derived &set_payload(ValueRef value) {
    detail::check(msgbus_message_set_payload(raw(), value.capi()));
    return self();
  }
  template <typename T, typename = detail::Viewable<T>>
  Derived &set_payload(const T &value) {
    msgbus_value_view view = detail::view_of(value);
    detail::check(msgbus_message_set_payload_view(raw(), &view));
    return self();
  }
  /// Puts a value under `key`; a null value removes the key.
  Derived &put(const std::string &key, const Value &value) { return put(key, value.ref()); }
  Derived &put(const std::string &key, ValueRef value) {
    detail::check(msgbus_message_put(raw(), key.c_str(), value.capi()));
    return self();
  }
  template <typename T, typename = detail::Viewable<T>>
  Derived &put(const std::string &key, const T &value) {
    msgbus_value_view view = detail::view_of(value);
    detail::check(msgbus_message_put_view(raw(), key.c_str(), &view));
    return self();
  }
  bool remove(const std::string &key) {
    msgbus_result code = msgbus_message_remove(raw(), key.c_str());
    if (code == MSGBUS_RESULT_NOT_FOUND) return false;
    detail::check(code);
    return true;
  }
  /// Where replies to this message go.
  Derived &set_response_destination_name(const std::string &name) {
    detail::check(msgbus_message_set_response_destination_name(raw(), name.c_str()));
    return self();
  }
  Derived &clear_response_destination_name() {
    detail::check(msgbus_message_set_response_destination_name(raw(), nullptr));
    return self();
  }
  /// The correlation id, for a reply built by hand: copy the request's
  /// response_id() and send to its response_destination_name().
  Derived &set_response_id(const std::string &id) {
    detail::check(msgbus_message_set_response_id(raw(), id.c_str()));
    return self();
  }
  Derived &clear_response_id() {
    detail::check(msgbus_message_set_response_id(raw(), nullptr));
    return self();
  }

 private:
  Derived &self() { return static_cast<Derived &>(*this); }
  msgbus_message *raw() { return self().writable(); }
};

/// The message an interceptor receives: borrowed for the call, and the
/// interceptor may change it before it is sent.
class MessageMut : public MessageReader<MessageMut>, public MessageWriter<MessageMut> {
 public:
  explicit MessageMut(msgbus_message *message) : message_(message) {}
  msgbus_message *capi() const { return message_; }

 private:
  friend class MessageWriter<MessageMut>;
  msgbus_message *writable() const { return message_; }
  msgbus_message *message_;
};

/// An owned message.
class Message : public MessageReader<Message>, public MessageWriter<Message> {
 public:
  Message() : message_(msgbus_message_new()) {
    if (!message_) throw Error(MSGBUS_RESULT_PANIC, "libmsgbus returned no message");
  }
  explicit Message(const Value &payload) : Message() { set_payload(payload); }
  template <typename T, typename = detail::Viewable<T>>
  explicit Message(const T &payload) : Message() {
    set_payload(payload);
  }
  /// A copy of a borrowed message, to keep beyond a listener call.
  explicit Message(MessageRef borrowed) : message_(msgbus_message_clone(borrowed.capi())) {}
  Message clone() const { return Message(MessageRef(capi())); }
  const msgbus_message *capi() const { return message_.get(); }

 private:
  friend class MessageWriter<Message>;
  msgbus_message *writable() { return message_.get(); }
  detail::Owned<msgbus_message, msgbus_message_free> message_;
};

enum class DestinationType : uint32_t {
  Serial = MSGBUS_DESTINATION_TYPE_SERIAL,
  Parallel = MSGBUS_DESTINATION_TYPE_PARALLEL,
  Synchronous = MSGBUS_DESTINATION_TYPE_SYNCHRONOUS,
};

enum class RejectionPolicy : uint32_t {
  Discard = MSGBUS_REJECTION_POLICY_DISCARD,
  CallerRuns = MSGBUS_REJECTION_POLICY_CALLER_RUNS,
  Block = MSGBUS_REJECTION_POLICY_BLOCK,
};

/// A destination's configuration, with Liferay's defaults.
class DestinationConfig {
 public:
  explicit DestinationConfig(DestinationType type) {
    msgbus_destination_config *out = nullptr;
    detail::check(msgbus_destination_config_new(static_cast<msgbus_destination_type>(type), &out));
    config_.reset(out);
  }
  /// Without a bound the queue grows until memory runs out, and the
  /// process aborts then: bound every queue that can fall behind.
  DestinationConfig &max_queue_size(size_t size) {
    detail::check(msgbus_destination_config_set_max_queue_size(config_.get(), size));
    return *this;
  }
  DestinationConfig &workers(size_t core, size_t max) {
    detail::check(msgbus_destination_config_set_workers(config_.get(), core, max));
    return *this;
  }
  DestinationConfig &keep_alive(std::chrono::milliseconds keep_alive) {
    detail::check(msgbus_destination_config_set_keep_alive(config_.get(), static_cast<uint64_t>(keep_alive.count())));
    return *this;
  }
  /// Each worker thread's stack, in bytes (default 8 MiB).
  DestinationConfig &stack_size(size_t bytes) {
    detail::check(msgbus_destination_config_set_stack_size(config_.get(), bytes));
    return *this;
  }
  DestinationConfig &rejection_policy(RejectionPolicy policy,
                                      std::chrono::milliseconds block_timeout = std::chrono::milliseconds(0)) {
    detail::check(msgbus_destination_config_set_rejection_policy(
        config_.get(), static_cast<msgbus_rejection_policy>(policy), static_cast<uint64_t>(block_timeout.count())));
    return *this;
  }
  /// Where this destination's undelivered messages go, rather than to the
  /// bus's dead-letter destination (Bus::set_dead_letter_destination).
  DestinationConfig &dead_letter_destination(const std::string &name) {
    detail::check(msgbus_destination_config_set_dead_letter_destination(config_.get(), name.c_str()));
    return *this;
  }
  /// Times one message in `every` for the metrics' histograms: a power of
  /// two, 1 for all, 0 for none (default MSGBUS_DEFAULT_TIMING_EVERY).
  DestinationConfig &timing_every(uint32_t every) {
    detail::check(msgbus_destination_config_set_timing_every(config_.get(), every));
    return *this;
  }
  const msgbus_destination_config *capi() const { return config_.get(); }

 private:
  detail::Owned<msgbus_destination_config, msgbus_destination_config_free> config_;
};

using Statistics = msgbus_destination_statistics;

/// A registration that undoes itself on destruction unless released.
/// Must not outlive its Bus.
template <msgbus_result (*Remove)(const msgbus_bus *, uint64_t)>
class Registration {
 public:
  Registration(const msgbus_bus *bus, uint64_t id) : bus_(bus), id_(id) {}
  Registration(Registration &&other) noexcept : bus_(std::exchange(other.bus_, nullptr)), id_(other.id_) {}
  Registration &operator=(Registration &&other) noexcept {
    if (this != &other) {
      reset();
      bus_ = std::exchange(other.bus_, nullptr);
      id_ = other.id_;
    }
    return *this;
  }
  Registration(const Registration &) = delete;
  Registration &operator=(const Registration &) = delete;
  ~Registration() { reset(); }

  uint64_t id() const { return id_; }
  /// Keeps the registration for the bus's lifetime.
  uint64_t release() {
    bus_ = nullptr;
    return id_;
  }
  /// Unregisters now (waiting for running calls, unless called from one).
  void reset() {
    if (bus_) Remove(std::exchange(bus_, nullptr), id_);
  }

 private:
  const msgbus_bus *bus_;
  uint64_t id_;
};

using Listener = Registration<msgbus_bus_unregister_listener>;
using EventListener = Registration<msgbus_bus_remove_event_listener>;
using Interceptor = Registration<msgbus_bus_remove_interceptor>;

/// A scheduled send (Bus::schedule), for Bus::cancel_schedule.
enum class ScheduleId : uint64_t {};

namespace detail {

/// Runs `call` inside a listener or an interceptor: a throw becomes its
/// failure, described by what() (`otherwise` for a non-std exception).
template <typename Call>
msgbus_result reporting_failure(const char *otherwise, Call call) noexcept {
  try {
    call();
    return MSGBUS_RESULT_OK;
  } catch (const std::exception &e) {
    msgbus_listener_set_failure(e.what(), false);
  } catch (...) {
    msgbus_listener_set_failure(otherwise, false);
  }
  return MSGBUS_RESULT_LISTENER_FAILED;
}

template <typename F>
msgbus_result call_listener(void *user_data, const msgbus_message *message) noexcept {
  return reporting_failure("the listener threw a C++ exception",
                           [&] { (*static_cast<F *>(user_data))(MessageRef(message)); });
}

template <typename F>
msgbus_result call_interceptor(void *user_data, const char *destination, msgbus_message *message,
                               bool *out_consume) noexcept {
  return reporting_failure("the interceptor threw a C++ exception", [&] {
    MessageMut view(message);
    *out_consume = (*static_cast<F *>(user_data))(std::string_view(destination), view);
  });
}

/// The text `render` gives (msgbus_bus_metrics_text, _json), copied out.
inline std::string text_of(const msgbus_bus *bus, msgbus_result (*render)(const msgbus_bus *, msgbus_text_fn, void *)) {
  struct Out {
    std::string text;
    std::exception_ptr error;  // the copy's bad_alloc, thrown once back in C++
  } out;
  detail::check(render(
      bus,
      [](void *data, const char *text, size_t len) noexcept {
        auto *out = static_cast<Out *>(data);
        try {
          out->text.assign(text, len);
        } catch (...) {
          out->error = std::current_exception();
        }
      },
      &out));
  if (out.error) std::rethrow_exception(out.error);
  return std::move(out.text);
}

template <typename F>
void call_event_listener(void *user_data, const msgbus_event *event) noexcept {
  try {
    (*static_cast<F *>(user_data))(*event);
  } catch (...) {
    // An event listener has no way to report a failure; the bus goes on.
  }
}

}  // namespace detail

/// A default-synchronous request in flight (Bus::request): wait for its
/// reply, or have it handed to a callback. Destroying it stops waiting.
class Request {
 public:
  explicit Request(msgbus_request *request) : request_(request) {}
  /// The reply's payload; TimeoutError if none came within `timeout` (the
  /// request goes on waiting, and may be waited on again).
  Value wait(std::chrono::milliseconds timeout = std::chrono::seconds(10)) const {
    msgbus_value *out = nullptr;
    detail::check(msgbus_request_wait(request_.get(), static_cast<uint64_t>(timeout.count()), &out));
    return Value(out);
  }
  /// Calls f(ValueRef payload) once with the reply, on the thread that
  /// delivers it (or now, if it is here); for event loops. A throw is
  /// swallowed: nobody waits for it.
  template <typename F>
  void on_reply(F &&f) const {
    using Callable = std::decay_t<F>;
    auto call = [](void *user_data, const msgbus_value *payload) noexcept {
      try {
        (*static_cast<Callable *>(user_data))(ValueRef(payload));
      } catch (...) {
      }
    };
    detail::hand_over(std::forward<F>(f), [&](void *data, msgbus_free_fn free) {
      return msgbus_request_on_reply(request_.get(), call, data, free);
    });
  }
  const msgbus_request *capi() const { return request_.get(); }

 private:
  detail::Owned<msgbus_request, msgbus_request_free> request_;
};

/// Sends to the destination of one name without looking the name up per
/// send (Bus::destination). Once that destination is replaced or removed
/// it sends by the name. It does not keep its bus alive. Move-only; safe to
/// use from many threads at once.
class Destination {
 public:
  explicit Destination(msgbus_destination *destination) : destination_(destination) {}
  /// Bus::send to this destination.
  void send(const Message &message) const { detail::check(msgbus_destination_send(capi(), message.capi())); }
  /// Sends a message of `payload` and `values` (each of a type Message::put
  /// takes), described in place: one call, and no Message to make, e.g.
  /// send(Bytes{data, size}, {{"seq", 1}, {"kind", "tick"}}).
  template <typename T, typename = detail::Viewable<T>>
  void send(const T &payload, std::initializer_list<detail::Entry> values = {}) const {
    msgbus_value_view view = detail::view_of(payload);
    std::vector<msgbus_entry_view> entries;
    entries.reserve(values.size());
    for (const detail::Entry &value : values) entries.push_back(value.entry);
    detail::check(msgbus_destination_send_view(capi(), &view, entries.data(), entries.size()));
  }
  /// Sends a message whose payload is a copy of `size` bytes at `data`,
  /// with no values and no Message to make.
  void send_bytes(const void *data, size_t size) const {
    detail::check(msgbus_destination_send_bytes(capi(), static_cast<const uint8_t *>(data), size));
  }
  /// Sends every message in order; on the first refused, throws its Error
  /// and no later one is sent. Returns how many were sent.
  template <typename Messages>
  size_t send_many(const Messages &messages) const {
    std::vector<const msgbus_message *> pointers;
    for (const Message &message : messages) pointers.push_back(message.capi());
    size_t sent = 0;
    detail::check(msgbus_destination_send_many(capi(), pointers.data(), pointers.size(), &sent));
    return sent;
  }
  /// Bus::send_direct to this destination.
  Value send_direct(const Message &message) const {
    msgbus_value *out = nullptr;
    detail::check(msgbus_destination_send_direct(capi(), message.capi(), &out));
    return Value(out);
  }
  const msgbus_destination *capi() const { return destination_.get(); }

 private:
  detail::Owned<msgbus_destination, msgbus_destination_free> destination_;
};

/// A message bus. Move-only; destroying the last handle of a bus shuts it
/// down gracefully. Bus::default_bus() is the process-wide bus.
class Bus {
 public:
  Bus() {
    msgbus_bus *out = nullptr;
    detail::check(msgbus_bus_new(&out));
    bus_.reset(out);
  }
  /// The process-wide bus; destroying this handle does nothing.
  static Bus default_bus() { return Bus(msgbus_default_bus()); }
  /// A new handle to the bus at `bus` (a msgbus_bus * from C code, or
  /// Python's MessageBus.address), which keeps it alive.
  static Bus from_capi(const msgbus_bus *bus) {
    msgbus_bus *out = nullptr;
    detail::check(msgbus_bus_clone(bus, &out));
    return Bus(out);
  }
  /// Another handle to this bus; the last one shuts it down.
  Bus clone() const { return from_capi(capi()); }

  void add_destination(const std::string &name, DestinationType type) {
    detail::check(msgbus_bus_add_destination(capi(), name.c_str(), static_cast<msgbus_destination_type>(type)));
  }
  void add_destination(const std::string &name, const DestinationConfig &config) {
    detail::check(msgbus_bus_add_destination_with_config(capi(), name.c_str(), config.capi()));
  }
  void replace_destination(const std::string &name, const DestinationConfig &config) {
    detail::check(msgbus_bus_replace_destination(capi(), name.c_str(), config.capi()));
  }
  void remove_destination(const std::string &name) { detail::check(msgbus_bus_remove_destination(capi(), name.c_str())); }
  bool has_destination(const std::string &name) const {
    bool has = false;
    detail::check(msgbus_bus_has_destination(capi(), name.c_str(), &has));
    return has;
  }
  bool has_listener(const std::string &name) const {
    bool has = false;
    detail::check(msgbus_bus_has_listener(capi(), name.c_str(), &has));
    return has;
  }
  std::vector<std::string> destination_names() const {
    std::vector<std::string> names;
    detail::check(msgbus_bus_destination_names(
        capi(), [](void *out, const char *name) { static_cast<std::vector<std::string> *>(out)->emplace_back(name); },
        &names));
    return names;
  }

  /// Registers `f`, called as f(MessageRef) on worker threads; a throw is a
  /// failure (logged and counted).
  template <typename F>
  [[nodiscard]] Listener register_listener(const std::string &destination, F &&f) {
    using Callable = std::decay_t<F>;
    uint64_t id = 0;
    detail::hand_over(std::forward<F>(f), [&](void *data, msgbus_free_fn free) {
      return msgbus_bus_register_listener(capi(), destination.c_str(), &detail::call_listener<Callable>, data, free,
                                          &id);
    });
    return Listener(capi(), id);
  }

  /// Registers `f`, called as f(const msgbus_event &) for the events of the
  /// whole bus.
  template <typename F>
  [[nodiscard]] EventListener add_event_listener(F &&f) {
    return add_event_listener_at(nullptr, std::forward<F>(f));
  }
  /// Registers `f` for the events of one destination.
  template <typename F>
  [[nodiscard]] EventListener add_event_listener(F &&f, const std::string &destination) {
    return add_event_listener_at(destination.c_str(), std::forward<F>(f));
  }

  void send(const std::string &destination, const Message &message) {
    detail::check(msgbus_bus_send(capi(), destination.c_str(), message.capi()));
  }
  /// A handle that sends to the existing destination `name`.
  Destination destination(const std::string &name) const {
    msgbus_destination *out = nullptr;
    detail::check(msgbus_bus_destination(capi(), name.c_str(), &out));
    return Destination(out);
  }
  /// Default synchronous send: the reply's payload; TimeoutError after `timeout`.
  Value send_synchronous(const std::string &destination, const Message &message,
                         std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
    msgbus_value *out = nullptr;
    detail::check(msgbus_bus_send_synchronous(capi(), destination.c_str(), message.capi(),
                                              static_cast<uint64_t>(timeout.count()), &out));
    return Value(out);
  }
  /// send_synchronous without the wait: the request, to wait on or to
  /// hand its reply to a callback.
  Request request(const std::string &destination, const Message &message) {
    msgbus_request *out = nullptr;
    detail::check(msgbus_bus_request(capi(), destination.c_str(), message.capi(), &out));
    return Request(out);
  }
  /// Direct synchronous send: the response the last listener set.
  Value send_direct(const std::string &destination, const Message &message) {
    msgbus_value *out = nullptr;
    detail::check(msgbus_bus_send_direct(capi(), destination.c_str(), message.capi(), &out));
    return Value(out);
  }
  void reply(MessageRef request, const Value &payload) {
    detail::check(msgbus_bus_reply(capi(), request.capi(), payload.capi()));
  }
  /// Registers `f`, called as f(std::string_view destination, MessageMut
  /// message) -> bool on the sender's thread for every send of the bus,
  /// before the destination lookup and after the interceptors already
  /// there: it may change the message (to carry trace context, say), and
  /// returning true consumes it (the send succeeds, nothing is delivered).
  /// A throw is a failure (logged and counted), and the message goes on.
  template <typename F>
  [[nodiscard]] Interceptor add_interceptor(F &&f) {
    using Callable = std::decay_t<F>;
    static_assert(std::is_invocable_r_v<bool, Callable &, std::string_view, MessageMut &>,
                  "an interceptor is called as f(std::string_view destination, MessageMut message) and returns bool "
                  "(true consumes the message)");
    uint64_t id = 0;
    detail::hand_over(std::forward<F>(f), [&](void *data, msgbus_free_fn free) {
      return msgbus_bus_add_interceptor(capi(), &detail::call_interceptor<Callable>, data, free, &id);
    });
    return Interceptor(capi(), id);
  }

  /// Where the messages the bus does not deliver go (failed, rejected, no
  /// listener, ...), as copies carrying "msgbus.reason",
  /// "msgbus.destination" and, for failures, "msgbus.error"; a destination's
  /// own (DestinationConfig::dead_letter_destination) wins. It need not
  /// exist yet.
  void set_dead_letter_destination(const std::string &name) {
    detail::check(msgbus_bus_set_dead_letter_destination(capi(), name.c_str()));
  }
  /// No bus-wide dead-letter destination (the default).
  void clear_dead_letter_destination() { detail::check(msgbus_bus_set_dead_letter_destination(capi(), nullptr)); }

  /// Sends a copy of `message` to `destination` (which must exist) after
  /// `delay`, then every `period` at a fixed rate unless it is zero, from
  /// the bus's timer thread, until cancelled or shut down.
  ScheduleId schedule(const std::string &destination, const Message &message, std::chrono::milliseconds delay,
                      std::chrono::milliseconds period = std::chrono::milliseconds(0)) {
    uint64_t id = 0;
    detail::check(msgbus_bus_schedule(capi(), destination.c_str(), message.capi(),
                                      static_cast<uint64_t>(delay.count()), static_cast<uint64_t>(period.count()), &id));
    return ScheduleId{id};
  }
  /// Stops a schedule: no firing begins after this returns (one running
  /// completes). False if it was not pending (unknown, or a one-shot that
  /// fired already).
  bool cancel_schedule(ScheduleId id) {
    bool cancelled = false;
    detail::check(msgbus_bus_cancel_schedule(capi(), static_cast<uint64_t>(id), &cancelled));
    return cancelled;
  }

  /// Every destination's figures and the bus's in the Prometheus text
  /// format 0.0.4, as a scrape endpoint serves it.
  std::string metrics_text() const { return detail::text_of(capi(), msgbus_bus_metrics_text); }
  /// The same figures as one JSON object.
  std::string metrics_json() const { return detail::text_of(capi(), msgbus_bus_metrics_json); }

  Statistics statistics(const std::string &destination) const {
    Statistics out{};
    detail::check(msgbus_bus_destination_statistics(capi(), destination.c_str(), &out));
    return out;
  }
  void shutdown(bool force = false, std::optional<std::chrono::milliseconds> timeout = std::nullopt) {
    detail::check(msgbus_bus_shutdown(capi(), force, timeout ? static_cast<uint64_t>(timeout->count()) : MSGBUS_WAIT_FOREVER));
  }

  const msgbus_bus *capi() const { return bus_.get(); }

 private:
  explicit Bus(msgbus_bus *bus) : bus_(bus) {}
  template <typename F>
  EventListener add_event_listener_at(const char *destination, F &&f) {
    using Callable = std::decay_t<F>;
    uint64_t id = 0;
    detail::hand_over(std::forward<F>(f), [&](void *data, msgbus_free_fn free) {
      return msgbus_bus_add_event_listener(capi(), destination, &detail::call_event_listener<Callable>, data, free,
                                           &id);
    });
    return EventListener(capi(), id);
  }
  detail::Owned<msgbus_bus, msgbus_bus_free> bus_;
};

enum class BridgeMode : uint32_t {
  Broadcast = MSGBUS_BRIDGE_MODE_BROADCAST,
  WorkShare = MSGBUS_BRIDGE_MODE_WORK_SHARE,
  DurableBroadcast = MSGBUS_BRIDGE_MODE_DURABLE_BROADCAST,
  DurableWorkShare = MSGBUS_BRIDGE_MODE_DURABLE_WORK_SHARE,
  DurableSerial = MSGBUS_BRIDGE_MODE_DURABLE_SERIAL,
};

/// Where and how a Bridge connects (msgbus_bridge_options): only `url` is
/// required; what is unset, or a zero timeout, takes the library's default.
struct BridgeOptions {
  explicit BridgeOptions(std::string server) : url(std::move(server)) {}
  /// The server, "nats://host:port" (several separated by commas).
  std::string url;
  /// Isolates the buses sharing one server: letters, digits, '_', '-'
  /// (unset: "msgbus").
  std::optional<std::string> cluster;
  /// This node's name in the cluster (unset: a fresh one).
  std::optional<std::string> node_id;
  std::optional<std::string> user, password, token;
  /// A NATS credentials file; PEM root certificates (requiring TLS); a
  /// client certificate and its key.
  std::optional<std::string> credentials_file, tls_ca_file, tls_cert_file, tls_key_file;
  std::chrono::milliseconds connect_timeout{0};
  /// How long a request waits for another node's reply.
  std::chrono::milliseconds request_timeout{0};
};

using BridgeCounters = msgbus_bridge_counters;

/// A bus joined to a NATS server: destinations added to it reach the
/// same-named destinations of the other buses bridged in its cluster.
/// Move-only; destroying it closes it. It keeps its bus alive.
class Bridge {
 public:
  /// Connects `bus`, returning once connected: Error CLOSED when the
  /// server cannot be reached, INVALID_ARGUMENT for options it refuses.
  Bridge(const Bus &bus, const BridgeOptions &options) {
    auto text = [](const std::optional<std::string> &s) { return s ? s->c_str() : nullptr; };
    msgbus_bridge_options c{};
    c.url = options.url.c_str();
    c.cluster = text(options.cluster);
    c.node_id = text(options.node_id);
    c.user = text(options.user);
    c.password = text(options.password);
    c.token = text(options.token);
    c.credentials_file = text(options.credentials_file);
    c.tls_ca_file = text(options.tls_ca_file);
    c.tls_cert_file = text(options.tls_cert_file);
    c.tls_key_file = text(options.tls_key_file);
    c.connect_timeout_ms = static_cast<uint64_t>(options.connect_timeout.count());
    c.request_timeout_ms = static_cast<uint64_t>(options.request_timeout.count());
    msgbus_bridge *out = nullptr;
    detail::check(msgbus_bridge_connect(bus.capi(), &c, &out));
    bridge_.reset(out);
  }

  /// Forwards the destination `name` in `mode`, returning once this node
  /// takes part; again in the same mode does nothing, in another it is
  /// INVALID_ARGUMENT.
  void add(const std::string &name, BridgeMode mode = BridgeMode::Broadcast) {
    detail::check(msgbus_bridge_add(capi(), name.c_str(), static_cast<msgbus_bridge_mode>(mode)));
  }
  /// Stops forwarding `name`: NO_SUCH_DESTINATION if it was not bridged.
  void remove(const std::string &name) { detail::check(msgbus_bridge_remove(capi(), name.c_str())); }
  /// The counters since it connected (readable after close() too).
  BridgeCounters statistics() const {
    BridgeCounters out{};
    detail::check(msgbus_bridge_statistics(capi(), &out));
    return out;
  }
  /// This node's id: the one given, or the one it made.
  std::string node_id() const {
    const char *id = msgbus_bridge_node_id(capi());
    return id ? id : "";
  }
  /// Stops forwarding, publishes what it accepted, delivers what had
  /// arrived and disconnects, then returns; again does nothing.
  void close() { detail::check(msgbus_bridge_close(capi())); }

  const msgbus_bridge *capi() const { return bridge_.get(); }

 private:
  detail::Owned<msgbus_bridge, msgbus_bridge_free> bridge_;
};

}  // namespace msgbus

#endif  // C++17

#endif
