// The C++ wrapper: seed scenario, destination types, synchronous sending
// both ways, replies built by hand, values of every C++ type, pointer
// values, iteration, events, statistics, the log handler, throwing
// listeners, RAII unregistration under load, move semantics, and the
// operations of SPEC §9: dead letters, interceptors, delayed and periodic
// sends, metrics; bridges between two buses through a nats-server of the
// test's own. Built at
// -O0 and -O2 under ASan+UBSan with -Werror by `make test-cpp`.
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <type_traits>
#include <vector>

#include "msgbus.hpp"

namespace {

std::atomic<int> passed{0}, failed{0};

#define CHECK(cond)                                                                \
  do {                                                                             \
    if (cond) {                                                                    \
      passed++;                                                                    \
    } else {                                                                       \
      failed++;                                                                    \
      std::fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
    }                                                                              \
  } while (0)

/// Counts down to zero; wait() gives up after 30 s (a lost message).
class Latch {
 public:
  explicit Latch(int count) : count_(count) {}
  void count_down() {
    std::lock_guard<std::mutex> lock(mutex_);
    if (count_ > 0 && --count_ == 0) done_.notify_all();
  }
  bool wait() {
    std::unique_lock<std::mutex> lock(mutex_);
    return done_.wait_for(lock, std::chrono::seconds(30), [&] { return count_ == 0; });
  }

 private:
  std::mutex mutex_;
  std::condition_variable done_;
  int count_;
};

/// Collects the library's log records while it lives (msgbus::set_log_handler),
/// so that a test asserts the failures it causes instead of printing them.
class LogCapture {
 public:
  LogCapture() {
    msgbus::set_log_handler(msgbus::LogLevel::Warn, [records = records_](msgbus::LogLevel level, std::string_view target,
                                                                          std::string_view message) {
      std::lock_guard<std::mutex> lock(records->mutex);
      records->lines.push_back({level, std::string(target), std::string(message)});
    });
  }
  ~LogCapture() { msgbus::reset_log_handler(); }
  struct Line {
    msgbus::LogLevel level;
    std::string target, message;
  };
  std::vector<Line> lines() const {
    std::lock_guard<std::mutex> lock(records_->mutex);
    return records_->lines;
  }
  /// The handler's share of the records: 1 once the library freed it.
  long handler_count() const { return records_.use_count() - 1; }

 private:
  struct Records {
    std::mutex mutex;
    std::vector<Line> lines;
  };
  std::shared_ptr<Records> records_ = std::make_shared<Records>();
};

/// The one ERROR record a failing listener leaves, whose text ends as `ending`.
bool logged_one_failure(const LogCapture &log, const std::string &ending) {
  auto lines = log.lines();
  return lines.size() == 1 && lines[0].level == msgbus::LogLevel::Error && !lines[0].target.empty() &&
         lines[0].message.size() >= ending.size() &&
         lines[0].message.compare(lines[0].message.size() - ending.size(), ending.size(), ending) == 0;
}

using msgbus::Bus;
using msgbus::DestinationType;
using msgbus::Message;
using msgbus::MessageRef;
using msgbus::Value;

void seed_scenario() {
  Bus bus;
  bus.add_destination("acme/n8k5_able", DestinationType::Serial);
  bus.add_destination("acme/n8k5_baker", DestinationType::Serial);
  Latch received(1);
  std::string reply;
  auto charlie = bus.register_listener("acme/n8k5_able", [&bus](MessageRef m) {
    CHECK(m.payload().as_string() == "N8K5Baker#_activate");
    CHECK(msgbus::thread_name() == "acme/n8k5_able-1");
    bus.reply(m, Value("N8K5CharlieMessageListener"));
  });
  auto baker = bus.register_listener("acme/n8k5_baker", [&](MessageRef m) {
    reply = std::string(m.payload().as_string());
    received.count_down();
  });
  Message message(Value("N8K5Baker#_activate"));
  message.set_response_destination_name("acme/n8k5_baker");
  bus.send("acme/n8k5_able", message);
  CHECK(received.wait());
  CHECK(reply == "N8K5CharlieMessageListener");
  CHECK(msgbus::thread_name().empty());
  bus.shutdown();
}

void destination_types_and_statistics() {
  Bus bus;
  bus.add_destination("acme/serial", DestinationType::Serial);
  bus.add_destination("acme/parallel", msgbus::DestinationConfig(DestinationType::Parallel).workers(2, 4));
  bus.add_destination("acme/sync", DestinationType::Synchronous);
  const int n = 300;
  Latch all(n * 2);
  std::vector<int64_t> order;
  std::mutex order_mutex;
  auto serial = bus.register_listener("acme/serial", [&](MessageRef m) {
    std::lock_guard<std::mutex> lock(order_mutex);
    order.push_back(m.payload().as_int());
    all.count_down();
  });
  std::atomic<int> parallel_calls{0};
  auto parallel = bus.register_listener("acme/parallel", [&](MessageRef) {
    parallel_calls++;
    all.count_down();
  });
  std::thread::id seen;
  auto sync = bus.register_listener("acme/sync", [&](MessageRef) { seen = std::this_thread::get_id(); });
  for (int64_t i = 0; i < n; i++) {
    bus.send("acme/serial", Message(Value(i)));
    bus.send("acme/parallel", Message(Value(i)));
  }
  bus.send("acme/sync", Message(Value("here")));
  CHECK(seen == std::this_thread::get_id());
  CHECK(all.wait());
  bool in_order = order.size() == static_cast<size_t>(n);
  for (int64_t i = 0; in_order && i < n; i++) in_order = order[i] == i;
  CHECK(in_order);
  CHECK(parallel_calls == n);
  bus.shutdown();
  auto stats = bus.statistics("acme/parallel");
  CHECK(stats.sent_message_count == static_cast<uint64_t>(n));
  CHECK(stats.delivered_message_count == static_cast<uint64_t>(n));
  CHECK(stats.max_thread_pool_size == 4 && stats.listener_count == 1);
  CHECK(bus.has_destination("acme/sync") && bus.has_listener("acme/sync"));
  CHECK(bus.destination_names().size() == 4);
}

void synchronous_both_ways() {
  Bus bus;
  bus.add_destination("acme/ask", DestinationType::Parallel);
  auto replier = bus.register_listener("acme/ask", [&bus](MessageRef m) { bus.reply(m, Value(m.payload().as_int() * 2)); });
  CHECK(bus.send_synchronous("acme/ask", Message(Value(21))).as_int() == 42);

  bus.add_destination("acme/silent", DestinationType::Serial);
  auto silent = bus.register_listener("acme/silent", [](MessageRef) {});
  bool timed_out = false;
  try {
    bus.send_synchronous("acme/silent", Message(), std::chrono::milliseconds(20));
  } catch (const msgbus::TimeoutError &e) {
    timed_out = e.code() == MSGBUS_RESULT_TIMEOUT;
  }
  CHECK(timed_out);

  bus.add_destination("acme/direct", DestinationType::Synchronous);
  auto first = bus.register_listener("acme/direct", [](MessageRef m) { m.set_response(Value("first")); });
  auto last = bus.register_listener("acme/direct", [](MessageRef m) { m.set_response(Value("last")); });
  CHECK(bus.send_direct("acme/direct", Message()).as_string() == "last");

  bool missing = false;
  try {
    bus.send(std::string("acme/none"), Message());
  } catch (const msgbus::Error &e) {
    missing = e.code() == MSGBUS_RESULT_NO_SUCH_DESTINATION && std::string(e.what()).find("acme/none") != std::string::npos;
  }
  CHECK(missing);
}

void events() {
  Bus bus;
  std::vector<msgbus_event_type> seen;
  {
    auto all = bus.add_event_listener([&](const msgbus_event &e) { seen.push_back(e.event_type); });
    auto one = bus.add_event_listener([&](const msgbus_event &) { seen.push_back(99); }, std::string("acme/b"));
    bus.add_destination("acme/a", DestinationType::Serial);
    bus.add_destination("acme/b", DestinationType::Serial);
  }
  bus.remove_destination("acme/a");  // both event listeners are gone
  CHECK((seen == std::vector<msgbus_event_type>{MSGBUS_EVENT_DESTINATION_ADDED, MSGBUS_EVENT_DESTINATION_ADDED, 99}));
}

void throwing_listener_is_counted_and_the_worker_lives() {
  Bus bus;
  bus.add_destination("acme/throws", DestinationType::Serial);
  Latch done(3);
  auto thrower = bus.register_listener("acme/throws", [](MessageRef m) {
    if (m.payload().as_int() == 0) throw std::runtime_error("refused");
  });
  auto counter = bus.register_listener("acme/throws", [&](MessageRef) { done.count_down(); });
  LogCapture log;
  for (int64_t i = 0; i < 3; i++) bus.send("acme/throws", Message(Value(i)));
  CHECK(done.wait());
  bus.shutdown();
  CHECK(logged_one_failure(log, "acme/throws failed: refused"));
  auto stats = bus.statistics("acme/throws");
  CHECK(stats.failed_message_count == 1 && stats.delivered_message_count == 2);
}

void raii_unregistration_under_load() {
  Bus bus;
  bus.add_destination("acme/busy", msgbus::DestinationConfig(DestinationType::Parallel)
                                       .max_queue_size(256)
                                       .rejection_policy(msgbus::RejectionPolicy::Block, std::chrono::seconds(60)));
  std::atomic<bool> stop{false};
  std::thread sender([&] {
    Message m(Value("tick"));
    while (!stop) bus.send("acme/busy", m);
  });
  std::atomic<int> late{0};
  for (int round = 0; round < 100; round++) {
    auto alive = std::make_shared<std::atomic<bool>>(true);
    Latch first(1);
    {
      auto listener = bus.register_listener("acme/busy", [alive, &first, &late](MessageRef) {
        if (!*alive) late++;
        first.count_down();
      });
      CHECK(first.wait());
    }  // unregistered here: no call after this point
    *alive = false;
    CHECK(alive.use_count() == 1);  // the library released the callable
  }
  stop = true;
  sender.join();
  CHECK(late == 0);
}

void move_semantics() {
  Value a("moved");
  Value b(std::move(a));
  CHECK(b.as_string() == "moved");
  Value c = b.clone();
  b = Value(7);
  CHECK(c.as_string() == "moved" && b.as_int() == 7);
  Message m1(Value(1));
  Message m2 = std::move(m1);
  m2.put("k", Value(2.5));
  Message m3 = m2.clone();
  CHECK(m2.remove("k") && !m2.contains("k") && m3.get("k")->as_double() == 2.5);
  CHECK(!m3.get("missing").has_value());

  Bus bus1;
  bus1.add_destination("acme/m", DestinationType::Synchronous);
  Bus bus2 = std::move(bus1);
  int calls = 0;
  msgbus::Listener l1 = bus2.register_listener("acme/m", [&](MessageRef) { calls++; });
  msgbus::Listener l2 = std::move(l1);
  bus2.send("acme/m", Message());
  l2.reset();
  bus2.send("acme/m", Message());
  CHECK(calls == 1);
  auto kept = bus2.register_listener("acme/m", [&](MessageRef) { calls++; });
  kept.release();  // lives until the bus is freed
  bus2.send("acme/m", Message());
  CHECK(calls == 2);

  Bus global = Bus::default_bus();
  CHECK(global.has_destination("msgbus/default_response"));
}


// Pointers must not turn into bool values, nor integers into strings.
static_assert(!std::is_constructible_v<Value, void *>);
static_assert(!std::is_constructible_v<Value, const int *>);
static_assert(std::is_convertible_v<std::string, Value> && std::is_convertible_v<unsigned long long, Value>);

void values_of_every_cpp_type() {
  CHECK(Value(5LL).as_int() == 5 && Value(5u).as_int() == 5 && Value(std::size_t{5}).as_int() == 5);
  CHECK(Value(int8_t{-3}).as_int() == -3 && Value(uint16_t{65535}).as_int() == 65535);
  CHECK(Value(std::numeric_limits<int64_t>::min()).as_int() == std::numeric_limits<int64_t>::min());
  CHECK(Value(uint64_t{INT64_MAX}).as_int() == INT64_MAX);
  try {
    Value too_big(std::numeric_limits<uint64_t>::max());
    CHECK(false);
  } catch (const msgbus::Error &e) {
    CHECK(e.code() == MSGBUS_RESULT_INVALID_ARGUMENT);
    CHECK(std::string(e.what()) == "value 18446744073709551615 is more than a msgbus int holds (int64_t, at most 9223372036854775807)");
  }
  CHECK(Value(true).type() == msgbus::ValueType::Bool && Value(true).as_bool());
  CHECK(Value(2.5f).as_double() == 2.5 && Value(0.25).as_double() == 0.25);
  CHECK(Value(nullptr).is_null() && Value().is_null());
  std::string text = "text";
  CHECK(Value(text).as_string() == "text" && Value(std::string_view(text).substr(1)).as_string() == "ext");
  CHECK(Value("literal").as_string() == "literal");
  std::vector<uint8_t> bytes{0, 1, 255};
  CHECK(Value(bytes).type() == msgbus::ValueType::Bytes && Value(bytes).as_bytes() == bytes);
  CHECK(Value::bytes(bytes.data(), 2).as_bytes() == (std::vector<uint8_t>{0, 1}));
  CHECK(Value(msgbus::Bytes{nullptr, 0}).as_bytes().empty());
  try {
    Value none(static_cast<const char *>(nullptr));
    CHECK(false);
  } catch (const msgbus::Error &e) {
    CHECK(e.code() == MSGBUS_RESULT_INVALID_ARGUMENT && std::string(e.what()).find("NULL const char *") != std::string::npos);
  }
  try {
    Value bad(std::string("\xff"));
    CHECK(false);
  } catch (const msgbus::Error &e) {
    CHECK(e.code() == MSGBUS_RESULT_INVALID_ARGUMENT && std::string(e.what()).find("UTF-8") != std::string::npos);
  }

  // Message::put and set_payload take the same types without a Value.
  Message m(std::string("payload"));
  m.put("string", std::string("x")).put("view", std::string_view("y")).put("literal", "z");
  m.put("unsigned", 7u).put("size", std::size_t{8}).put("flag", false).put("ratio", 0.5).put("bytes", bytes);
  m.put("value", Value(9)).put("ref", m.payload());
  CHECK(m.payload().as_string() == "payload");
  CHECK(m.get("string")->as_string() == "x" && m.get("view")->as_string() == "y" && m.get("literal")->as_string() == "z");
  CHECK(m.get("unsigned")->as_int() == 7 && m.get("size")->as_int() == 8 && !m.get("flag")->as_bool());
  CHECK(m.get("ratio")->as_double() == 0.5 && m.get("bytes")->as_bytes() == bytes);
  CHECK(m.get("value")->as_int() == 9 && m.get("ref")->as_string() == "payload");
  m.set_payload(42u);
  CHECK(m.payload().as_int() == 42);
  m.put("string", nullptr);  // a null value removes the key, as in C
  CHECK(!m.contains("string"));
  try {
    m.put("bad", std::string_view("\xc3"));
    CHECK(false);
  } catch (const msgbus::Error &e) {
    CHECK(e.code() == MSGBUS_RESULT_INVALID_ARGUMENT && std::string(e.what()).find("view.data") != std::string::npos);
  }
  CHECK(!m.contains("bad"));

  std::vector<std::string> keys;
  for (const auto &[key, value] : m.values()) {
    keys.emplace_back(key);
    if (key == "size") CHECK(value.as_int() == 8);
  }
  CHECK((keys == std::vector<std::string>{"view", "literal", "unsigned", "size", "flag", "ratio", "bytes", "value", "ref"}));
  CHECK(Message().values().empty());
}

/// Counts its instances, to see that a pointer value deletes its object once.
struct Widget {
  static inline std::atomic<int> alive{0};
  explicit Widget(int id) : id(id) { alive++; }
  ~Widget() { alive--; }
  int id;
};

void pointer_values() {
  {
    Bus bus;
    bus.add_destination("acme/widgets", msgbus::DestinationConfig(DestinationType::Parallel).workers(2, 2));
    Latch seen(2);
    std::atomic<int> ids{0}, refused{0};
    auto reader = [&](MessageRef m) {
      ids += m.payload().as_pointer<Widget>()->id;
      try {
        m.payload().as_pointer<std::string>();
      } catch (const msgbus::Error &e) {
        if (e.code() == MSGBUS_RESULT_WRONG_TYPE) refused++;
      }
      seen.count_down();
    };
    auto first = bus.register_listener("acme/widgets", reader);
    auto second = bus.register_listener("acme/widgets", reader);
    bus.send("acme/widgets", Message(Value::pointer(std::make_unique<Widget>(21))));
    CHECK(seen.wait());
    CHECK(ids == 42 && refused == 2);
    bus.shutdown();
  }
  CHECK(Widget::alive == 0);

  static std::atomic<int> freed{0};
  static int target = 0;
  {
    Value raw = Value::pointer(&target, [](void *p) {
      if (p == &target) freed++;
    });
    Value copy = raw.clone();
    CHECK(raw.type() == msgbus::ValueType::Pointer && copy.as_pointer() == &target);
    try {
      raw.as_pointer<int>();  // not made from a std::unique_ptr<int>
      CHECK(false);
    } catch (const msgbus::Error &e) {
      CHECK(e.code() == MSGBUS_RESULT_WRONG_TYPE);
    }
  }
  CHECK(freed == 1);
}

void reply_built_by_hand() {
  Bus bus;
  bus.add_destination("acme/ask", DestinationType::Serial);
  auto replier = bus.register_listener("acme/ask", [&bus](MessageRef request) {
    Message reply(std::string("hand-made: ") + std::string(request.payload().as_string()));
    reply.set_response_id(std::string(*request.response_id()));
    bus.send(std::string(*request.response_destination_name()), reply);
  });
  CHECK(bus.send_synchronous("acme/ask", Message("question")).as_string() == "hand-made: question");

  Message message("m");
  message.set_response_destination_name("acme/ask").set_response_id("id-1");
  CHECK(message.response_destination_name() == "acme/ask" && message.response_id() == "id-1");
  message.clear_response_destination_name().clear_response_id();
  CHECK(!message.response_destination_name() && !message.response_id());
}

/// Records go to the handler, not stderr; replacing the handler frees the
/// old one; an error's text says what failed once.
void log_handler_and_error_text() {
  CHECK(msgbus::version() == MSGBUS_VERSION);
  LogCapture log;
  {
    Bus bus;
    bus.add_destination("acme/fails", DestinationType::Synchronous);
    auto thrower = bus.register_listener("acme/fails", [](MessageRef) { throw std::runtime_error("no paper"); });
    bus.send("acme/fails", Message());
    try {
      bus.add_destination("acme/fails", DestinationType::Serial);
      CHECK(false);
    } catch (const msgbus::Error &e) {
      CHECK(e.code() == MSGBUS_RESULT_DESTINATION_EXISTS && std::string(e.what()) == "destination exists: acme/fails");
    }
  }
  CHECK(logged_one_failure(log, "acme/fails failed: no paper"));
  CHECK(log.handler_count() == 1);
  LogCapture replacing;
  CHECK(log.handler_count() == 0);  // the first handler was freed when replaced
}

void handles_requests_and_failure_details() {
  Bus bus;
  CHECK(!msgbus::core_path().empty());
  Bus second = bus.clone();
  second.add_destination("acme/ask", DestinationType::Serial);
  CHECK(bus.has_destination("acme/ask"));
  Bus third = Bus::from_capi(bus.capi());
  auto doubler = third.register_listener("acme/ask", [&third](MessageRef m) {
    third.reply(m, Value(2 * m.payload().as_int()));
  });
  msgbus::Request request = bus.request("acme/ask", Message(Value(int64_t{21})));
  CHECK(request.wait().as_int() == 42);
  Latch answered(1);
  int64_t got = 0;
  msgbus::Request later = bus.request("acme/ask", Message(Value(int64_t{5})));
  later.on_reply([&](msgbus::ValueRef payload) {
    got = payload.as_int();
    answered.count_down();
  });
  CHECK(answered.wait() && got == 10);

  bus.add_destination("acme/refuses", DestinationType::Synchronous);
  auto refuses = bus.register_listener("acme/refuses", [](MessageRef) { throw std::runtime_error("the oven is cold"); });
  LogCapture log;
  try {
    bus.send_direct("acme/refuses", Message());
    CHECK(false);
  } catch (const msgbus::Error &e) {
    CHECK(e.code() == MSGBUS_RESULT_LISTENER_FAILED);
    CHECK(std::string(e.what()).find("the oven is cold") != std::string::npos);
  }
  CHECK(logged_one_failure(log, "acme/refuses failed: the oven is cold"));
}

/// Keeps a copy of every message a destination receives, for a test to
/// wait on.
class Inbox {
 public:
  /// A listener that files what it receives here.
  auto listener() {
    return [this](MessageRef m) {
      std::lock_guard<std::mutex> lock(mutex_);
      messages_.emplace_back(m);
      arrived_.notify_all();
    };
  }
  /// Waits up to 30 s for the `n` first messages (a lost message).
  bool wait_for(size_t n) {
    std::unique_lock<std::mutex> lock(mutex_);
    return arrived_.wait_for(lock, std::chrono::seconds(30), [&] { return messages_.size() >= n; });
  }
  size_t size() {
    std::lock_guard<std::mutex> lock(mutex_);
    return messages_.size();
  }
  /// The `i`th message's payload and its values, as "payload key=value ...",
  /// strings only: what a test compares.
  std::string describe(size_t i) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (i >= messages_.size()) return "<none>";
    std::string out(messages_[i].payload().as_string());
    for (const auto &[key, value] : messages_[i].values()) out += " " + std::string(key) + "=" + std::string(value.as_string());
    return out;
  }

 private:
  std::mutex mutex_;
  std::condition_variable arrived_;
  std::vector<Message> messages_;
};

/// A failing listener's message reaches the dead-letter destination with
/// the reason, the destination and the exception's what(); a destination's
/// own dead-letter destination wins over the bus's, and clearing the bus's
/// leaves it.
void dead_letters() {
  LogCapture log;  // the failures below, kept off stderr
  Bus bus;
  Inbox dead, own_dead;
  bus.add_destination("acme/dead", DestinationType::Serial);
  bus.add_destination("acme/own_dead", DestinationType::Serial);
  auto dead_listener = bus.register_listener("acme/dead", dead.listener());
  auto own_dead_listener = bus.register_listener("acme/own_dead", own_dead.listener());
  bus.set_dead_letter_destination("acme/dead");
  bus.add_destination("acme/work", DestinationType::Synchronous);
  bus.add_destination("acme/own", msgbus::DestinationConfig(DestinationType::Synchronous).dead_letter_destination("acme/own_dead"));
  auto refuse = [](MessageRef m) { throw std::runtime_error("no paper for " + std::string(m.payload().as_string())); };
  auto work = bus.register_listener("acme/work", refuse);
  auto own = bus.register_listener("acme/own", refuse);

  bus.send("acme/work", Message("invoice").put("customer", "N8K5"));
  bus.send("acme/own", Message("receipt"));
  CHECK(dead.wait_for(1) && own_dead.wait_for(1));
  CHECK(dead.describe(0) ==
        "invoice customer=N8K5 msgbus.reason=failed msgbus.destination=acme/work msgbus.error=no paper for invoice");
  CHECK(own_dead.describe(0) == "receipt msgbus.reason=failed msgbus.destination=acme/own msgbus.error=no paper for receipt");

  bus.clear_dead_letter_destination();
  bus.send("acme/work", Message("lost"));     // failed in this call: no dead letter queued
  bus.send("acme/dead", Message("marker"));   // so the marker comes next
  bus.send("acme/own", Message("still own"));  // the destination's own is not the bus's
  CHECK(dead.wait_for(2) && own_dead.wait_for(2));
  CHECK(dead.describe(1) == "marker" && dead.size() == 2);
  CHECK(own_dead.describe(1).rfind("still own msgbus.reason=failed", 0) == 0);
  bus.shutdown();
  CHECK(log.lines().size() == 4);  // one ERROR per failure
}

/// Interceptors in registration order: one adds trace context, one throws
/// (the message goes on), one consumes; removing them stops them.
void interceptors() {
  LogCapture log;
  Bus bus;
  bus.add_destination("acme/traced", DestinationType::Synchronous);
  Inbox inbox;
  auto listener = bus.register_listener("acme/traced", inbox.listener());
  const std::string traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
  std::vector<std::string> destinations;
  auto alive = std::make_shared<int>(0);
  msgbus::Interceptor tracer = bus.add_interceptor([&, alive](std::string_view destination, msgbus::MessageMut m) {
    destinations.emplace_back(destination);
    m.put("traceparent", traceparent);
    return false;
  });
  auto thrower = bus.add_interceptor([](std::string_view, msgbus::MessageMut &) -> bool {
    throw std::runtime_error("the tracer is down");
  });
  auto consumer = bus.add_interceptor(
      [](std::string_view, const msgbus::MessageMut &m) { return m.payload().as_string() == "consume me"; });

  Message sent("keep me");
  bus.send("acme/traced", sent);
  bus.send("acme/traced", Message("consume me"));  // consumed: the send succeeds
  CHECK(inbox.size() == 1 && inbox.describe(0) == "keep me traceparent=" + traceparent);
  CHECK(!sent.contains("traceparent"));  // the sender's message is its own
  CHECK((destinations == std::vector<std::string>{"acme/traced", "acme/traced"}));
  auto lines = log.lines();
  CHECK(lines.size() == 2);
  for (const auto &line : lines) CHECK(line.message.find("the tracer is down") != std::string::npos);
  std::string metrics = bus.metrics_text();
  CHECK(metrics.find("msgbus_interceptors 3\n") != std::string::npos);

  tracer.reset();
  CHECK(alive.use_count() == 1);  // the library released the callable
  thrower.reset();
  consumer.reset();
  bus.send("acme/traced", Message("consume me"));
  CHECK(inbox.size() == 2 && inbox.describe(1) == "consume me");
  CHECK(destinations.size() == 2 && log.lines().size() == 2);
}

/// A schedule cancelled before it fires never sends: a later one-shot is
/// the latch, as the one timer thread fires in deadline order.
void cancelled_schedule_never_fires() {
  Bus bus;
  bus.add_destination("acme/timer", DestinationType::Synchronous);
  Inbox inbox;
  auto listener = bus.register_listener("acme/timer", inbox.listener());
  msgbus::ScheduleId cancelled = bus.schedule("acme/timer", Message("cancelled"), std::chrono::milliseconds(500));
  CHECK(bus.cancel_schedule(cancelled));
  CHECK(!bus.cancel_schedule(cancelled));  // no longer pending
  msgbus::ScheduleId later = bus.schedule("acme/timer", Message("later"), std::chrono::milliseconds(600));
  CHECK(later != cancelled);
  CHECK(inbox.wait_for(1) && inbox.describe(0) == "later");
  CHECK(!bus.cancel_schedule(later));  // a one-shot that fired
  try {
    bus.schedule("acme/none", Message(), std::chrono::milliseconds(0));
    CHECK(false);
  } catch (const msgbus::Error &e) {
    CHECK(e.code() == MSGBUS_RESULT_NO_SUCH_DESTINATION);
  }
  bus.shutdown();
  CHECK(inbox.size() == 1);
}

/// A periodic schedule fires at its rate by this test's own clock, and
/// stops when cancelled.
void periodic_schedule() {
  using std::chrono::steady_clock;
  const auto period = std::chrono::milliseconds(20);
  const int n = 10;
  // Room for a loaded machine (sanitizers, two cores shared): a timer
  // thread woken late skips the firings it missed, keeping its phase.
  const auto tolerance = std::chrono::milliseconds(300);
  Bus bus;
  bus.add_destination("acme/tick", DestinationType::Synchronous);
  std::mutex mutex;
  std::condition_variable ticked;
  std::vector<steady_clock::time_point> ticks;
  bool latched = false;
  auto listener = bus.register_listener("acme/tick", [&](MessageRef m) {
    std::lock_guard<std::mutex> lock(mutex);
    if (m.payload().as_string() == "latch")
      latched = true;
    else
      ticks.push_back(steady_clock::now());
    ticked.notify_all();
  });
  const auto start = steady_clock::now();
  msgbus::ScheduleId id = bus.schedule("acme/tick", Message("tick"), period, period);
  std::unique_lock<std::mutex> lock(mutex);
  CHECK(ticked.wait_until(lock, start + n * period + tolerance, [&] { return ticks.size() >= static_cast<size_t>(n); }));
  for (size_t i = 0; i < ticks.size(); i++) CHECK(ticks[i] - start >= static_cast<int>(i + 1) * period);  // never early
  lock.unlock();

  CHECK(bus.cancel_schedule(id));
  lock.lock();
  size_t at_cancel = ticks.size();
  lock.unlock();
  bus.schedule("acme/tick", Message("latch"), 5 * period);
  lock.lock();
  CHECK(ticked.wait_for(lock, std::chrono::seconds(30), [&] { return latched; }));
  CHECK(ticks.size() <= at_cancel + 1);  // a firing running as cancel_schedule returned completes
  lock.unlock();
  CHECK(!bus.cancel_schedule(id));
}

void metrics_text_and_json() {
  Bus bus;
  bus.add_destination("acme/metered", msgbus::DestinationConfig(DestinationType::Synchronous).timing_every(1));
  auto listener = bus.register_listener("acme/metered", [](MessageRef) {});
  for (int i = 0; i < 3; i++) bus.send("acme/metered", Message(Value(i)));
  std::string text = bus.metrics_text();
  CHECK(text.find("\nmsgbus_messages_sent_total{destination=\"acme/metered\"} 3\n") != std::string::npos);
  CHECK(text.find("\nmsgbus_listener_duration_seconds_count{destination=\"acme/metered\"} 3\n") != std::string::npos);
  std::string json = bus.metrics_json();
  CHECK(json.front() == '{' && json.back() == '}' && json.find("\"acme/metered\"") != std::string::npos);
  try {
    msgbus::DestinationConfig(DestinationType::Serial).timing_every(3);
    CHECK(false);
  } catch (const msgbus::Error &e) {
    CHECK(e.code() == MSGBUS_RESULT_INVALID_ARGUMENT);
  }
}

}  // namespace

void destination_handles() {
  Bus bus;
  bus.add_destination("acme/handle", DestinationType::Serial);
  const int n = 100;
  Latch all(2 * n + 1);
  std::vector<int64_t> order;
  std::mutex order_mutex;
  size_t bytes_seen = 0;
  auto listener = bus.register_listener("acme/handle", [&](MessageRef m) {
    std::lock_guard<std::mutex> lock(order_mutex);
    if (m.payload().type() == msgbus::ValueType::Bytes) {
      bytes_seen = m.payload().as_bytes().size();
    } else {
      order.push_back(m.payload().as_int());
    }
    all.count_down();
  });
  msgbus::Destination handle = bus.destination("acme/handle");
  for (int64_t i = 0; i < n; i++) handle.send(Message(Value(i)));
  std::vector<Message> batch;
  for (int64_t i = n; i < 2 * n; i++) batch.emplace_back(Value(i));
  CHECK(handle.send_many(batch) == static_cast<size_t>(n));
  handle.send_bytes("abcd", 4);
  CHECK(all.wait());
  bus.add_destination("acme/views", DestinationType::Synchronous);
  std::string seen_text;
  int64_t seen_seq = 0;
  auto reader = bus.register_listener("acme/views", [&](MessageRef m) {
    seen_text = m.payload().as_string();
    seen_seq = m.get("seq").value().as_int();
  });
  bus.destination("acme/views").send("tick", {{"seq", int64_t{5}}, {"kind", "clock"}});
  CHECK(seen_text == "tick" && seen_seq == 5);
  bool in_order = order.size() == static_cast<size_t>(2 * n);
  for (int64_t i = 0; in_order && i < 2 * n; i++) in_order = order[i] == i;
  CHECK(in_order && bytes_seen == 4);

  bus.add_destination("acme/direct_handle", DestinationType::Synchronous);
  auto doubler = bus.register_listener("acme/direct_handle",
                                       [](MessageRef m) { m.set_response(Value(m.payload().as_int() * 2)); });
  CHECK(bus.destination("acme/direct_handle").send_direct(Message(Value(21))).as_int() == 42);

  msgbus::Destination gone = bus.destination("acme/direct_handle");
  bus.remove_destination("acme/direct_handle");
  bool unknown = false;
  try {
    gone.send(Message());
  } catch (const msgbus::Error &e) {
    unknown = e.code() == MSGBUS_RESULT_NO_SUCH_DESTINATION;
  }
  CHECK(unknown);
  bool missing = false;
  try {
    bus.destination("acme/none");
  } catch (const msgbus::Error &e) {
    missing = e.code() == MSGBUS_RESULT_NO_SUCH_DESTINATION;
  }
  CHECK(missing);
}

/// A nats-server of the test's own on a free loopback port, with
/// JetStream in a temporary directory; stopped (SIGTERM) when destroyed.
/// Spawned with posix_spawnp: this process has threads, so no fork.
class NatsServer {
 public:
  NatsServer() {
    std::string dir = (std::filesystem::temp_directory_path() / "msgbus-cpp-bridge-XXXXXX").string();
    if (mkdtemp(dir.data()) == nullptr) return;
    dir_ = dir;
    std::string js = dir_ + "/js", log = dir_ + "/nats.log";
    const char *argv[] = {"nats-server", "-a", "127.0.0.1", "-p", "-1", "-js", "-sd", js.c_str(),
                          "--ports_file_dir", dir_.c_str(), "-l", log.c_str(), nullptr};
    if (posix_spawnp(&pid_, "nats-server", nullptr, nullptr, const_cast<char *const *>(argv), environ) != 0) {
      pid_ = -1;
      return;
    }
    std::string ports = dir_ + "/nats-server_" + std::to_string(pid_) + ".ports";
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    // The server writes the file once it listens: nothing to wait on but it.
    while ((url_ = read_url(ports)).empty()) {
      if (waitpid(pid_, nullptr, WNOHANG) == pid_) pid_ = -1;
      if (pid_ < 0 || std::chrono::steady_clock::now() > deadline) {
        std::fprintf(stderr, "nats-server did not start; its log:\n%s\n", this->log().c_str());
        return;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  }
  ~NatsServer() {
    if (pid_ > 0) {
      kill(pid_, SIGTERM);
      waitpid(pid_, nullptr, 0);
    }
    std::error_code ignored;
    if (!dir_.empty()) std::filesystem::remove_all(dir_, ignored);
  }
  NatsServer(const NatsServer &) = delete;
  NatsServer &operator=(const NatsServer &) = delete;

  /// "nats://127.0.0.1:PORT"; empty if the server did not start.
  const std::string &url() const { return url_; }
  std::string log() const { return contents(dir_ + "/nats.log"); }

 private:
  static std::string contents(const std::string &path) {
    std::ifstream in(path);
    return std::string(std::istreambuf_iterator<char>(in), {});
  }
  static std::string read_url(const std::string &ports) {
    std::string text = contents(ports);
    size_t start = text.find("nats://"), end = text.find('"', start);
    return start == std::string::npos || end == std::string::npos ? "" : text.substr(start, end - start);
  }
  std::string dir_, url_;
  pid_t pid_ = -1;
};

static_assert(!std::is_copy_constructible_v<msgbus::Bridge> && std::is_nothrow_move_constructible_v<msgbus::Bridge>);

void bridges() {
  using msgbus::BridgeMode;
  Bus lone;
  bool refused = false;
  try {
    msgbus::Bridge nowhere(lone, msgbus::BridgeOptions("nats://127.0.0.1:1"));
  } catch (const msgbus::Error &e) {
    refused = e.code() == MSGBUS_RESULT_CLOSED && std::string(e.what()).find("cannot connect") != std::string::npos;
  }
  CHECK(refused);

  NatsServer server;
  CHECK(!server.url().empty());
  if (server.url().empty()) return;
  Bus a_bus, b_bus;
  a_bus.add_destination("acme/cpp_bridge", DestinationType::Serial);
  b_bus.add_destination("acme/cpp_bridge", DestinationType::Serial);
  const int n = 200;
  Latch all(n);
  std::mutex seqs_mutex;
  std::vector<int64_t> seqs;
  auto taker = b_bus.register_listener("acme/cpp_bridge", [&](MessageRef m) {
    std::lock_guard<std::mutex> lock(seqs_mutex);
    seqs.push_back(m.payload().as_int());
    all.count_down();
  });
  msgbus::BridgeOptions options(server.url());
  options.cluster = "cpptest" + std::to_string(getpid());
  options.node_id = "a";
  msgbus::Bridge a(a_bus, options);
  options.node_id = "b";
  msgbus::Bridge b(b_bus, options);
  CHECK(a.node_id() == "a" && b.node_id() == "b");
  a.add("acme/cpp_bridge");
  b.add("acme/cpp_bridge", BridgeMode::Broadcast);
  a.add("acme/cpp_bridge");  // again, in the same mode: nothing
  bool other_mode = false, not_bridged = false;
  try {
    a.add("acme/cpp_bridge", BridgeMode::WorkShare);
  } catch (const msgbus::Error &e) {
    other_mode = e.code() == MSGBUS_RESULT_INVALID_ARGUMENT;
  }
  try {
    a.remove("acme/none");
  } catch (const msgbus::Error &e) {
    not_bridged = e.code() == MSGBUS_RESULT_NO_SUCH_DESTINATION;
  }
  CHECK(other_mode && not_bridged);

  for (int64_t i = 0; i < n; i++) a_bus.send("acme/cpp_bridge", Message(Value(i)));
  bool arrived = all.wait();
  CHECK(arrived);
  if (!arrived) std::fprintf(stderr, "the server's log:\n%s\n", server.log().c_str());
  {
    std::lock_guard<std::mutex> lock(seqs_mutex);
    bool in_order = seqs.size() == static_cast<size_t>(n);
    for (int64_t i = 0; in_order && i < n; i++) in_order = seqs[i] == i;
    CHECK(in_order);
  }

  msgbus::Bridge moved = std::move(a);  // the bridge goes on under its new owner
  CHECK(moved.node_id() == "a");
  moved.close();
  moved.close();  // again: nothing
  b.close();
  b_bus.shutdown();
  msgbus::BridgeCounters sa = moved.statistics(), sb = b.statistics();
  CHECK(sa.published == static_cast<uint64_t>(n) && sa.received == 0 && sa.failed == 0);
  CHECK(sb.published == 0 && sb.received == static_cast<uint64_t>(n) && sb.failed == 0);
}

int main() {
  handles_requests_and_failure_details();
  values_of_every_cpp_type();
  pointer_values();
  reply_built_by_hand();
  log_handler_and_error_text();
  seed_scenario();
  destination_types_and_statistics();
  synchronous_both_ways();
  destination_handles();
  events();
  throwing_listener_is_counted_and_the_worker_lives();
  raii_unregistration_under_load();
  move_semantics();
  dead_letters();
  interceptors();
  cancelled_schedule_never_fires();
  periodic_schedule();
  metrics_text_and_json();
  bridges();
  Bus::default_bus().shutdown();
  std::printf("%d passed, %d failed\n", passed.load(), failed.load());
  return failed == 0 ? 0 : 1;
}
