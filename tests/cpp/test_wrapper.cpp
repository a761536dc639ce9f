// The C++ wrapper: seed scenario, destination types, synchronous sending
// both ways, events, statistics, throwing listeners, RAII unregistration
// under load, and move semantics. Run under ASan+UBSan by `make test-cpp`.
#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
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
  for (int64_t i = 0; i < 3; i++) bus.send("acme/throws", Message(Value(i)));
  CHECK(done.wait());
  bus.shutdown();
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

}  // namespace

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
  try {
    bus.send_direct("acme/refuses", Message());
    CHECK(false);
  } catch (const msgbus::Error &e) {
    CHECK(e.code() == MSGBUS_RESULT_LISTENER_FAILED);
    CHECK(std::string(e.what()).find("the oven is cold") != std::string::npos);
  }
}

int main() {
  handles_requests_and_failure_details();
  seed_scenario();
  destination_types_and_statistics();
  synchronous_both_ways();
  events();
  throwing_listener_is_counted_and_the_worker_lives();
  raii_unregistration_under_load();
  move_semantics();
  Bus::default_bus().shutdown();
  std::printf("%d passed, %d failed\n", passed.load(), failed.load());
  return failed == 0 ? 0 : 1;
}
