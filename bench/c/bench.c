/* make bench's C half: W1–W4 and S1 through libmsgbus's C API, one JSON
 * line per figure (bench/report.py compares them with the Rust run's raw
 * crossbeam baseline). `--quick` runs every workload at a small size; other
 * arguments name the workloads to run (W1, W2, W3, W4, S1; default all). */
#define _POSIX_C_SOURCE 200809L
#include <msgbus.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static uint64_t now_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

static void check(msgbus_result result, const char *what) {
  if (result == MSGBUS_RESULT_OK) return;
  fprintf(stderr, "%s: %s\n", what, msgbus_last_error_message());
  exit(1);
}

/* Counts arrivals; `signal_wait` blocks until `target` were counted, or,
 * for one-at-a-time workloads, until the next one. */
typedef struct {
  pthread_mutex_t lock;
  pthread_cond_t changed;
  atomic_size_t count;
  size_t target;
  uint64_t last_latency_ns;
} latch;

static void latch_init(latch *l, size_t target) {
  pthread_mutex_init(&l->lock, NULL);
  pthread_cond_init(&l->changed, NULL);
  atomic_init(&l->count, 0);
  l->target = target;
  l->last_latency_ns = 0;
}

static void latch_arrive(latch *l) {
  if (atomic_fetch_add(&l->count, 1) + 1 == l->target) {
    pthread_mutex_lock(&l->lock);
    pthread_cond_broadcast(&l->changed);
    pthread_mutex_unlock(&l->lock);
  }
}

/* Spins and yields briefly before it sleeps, as a crossbeam receiver does,
 * so that the sender's wait costs what the Rust baseline's costs. */
static void latch_wait(latch *l) {
  for (int step = 0; step < 64; step++) {
    if (atomic_load(&l->count) >= l->target) return;
    if (step >= 8) sched_yield();
  }
  pthread_mutex_lock(&l->lock);
  while (atomic_load(&l->count) < l->target) pthread_cond_wait(&l->changed, &l->lock);
  pthread_mutex_unlock(&l->lock);
}

static msgbus_result count_listener(void *user_data, const msgbus_message *message) {
  (void)message;
  latch_arrive(user_data);
  return MSGBUS_RESULT_OK;
}

/* Reads the message as the Rust baseline's receivers do, each part in one
 * call (a view). */
static msgbus_result read_listener(void *user_data, const msgbus_message *message) {
  msgbus_value_view payload, seq;
  check(msgbus_message_payload_view(message, &payload), "payload");
  check(msgbus_message_get_view(message, "seq", 3, &seq), "get");
  *(volatile size_t *)user_data += payload.data[0] + (size_t)seq.integer;
  return MSGBUS_RESULT_OK;
}

static void print_figure(const char *workload, const char *metric, double value, const char *unit,
                         const char *params) {
  printf("{\"surface\": \"c\", \"workload\": \"%s\", \"implementation\": \"msgbus\", \"metric\": \"%s\", "
         "\"value\": %.6g, \"unit\": \"%s\", \"params\": {%s}}\n",
         workload, metric, value, unit, params);
}

/* The workloads' payload, and its view for msgbus_destination_send_view. */
static const uint8_t PAYLOAD[16] = {7};
static const msgbus_value_view PAYLOAD_VIEW = {.value_type = MSGBUS_VALUE_TYPE_BYTES, .data = PAYLOAD, .len = 16};

/* Sends the workloads' message, the payload and one value "seq", in one
 * call through a destination handle. */
static void send_view(const msgbus_destination *destination, int64_t seq) {
  msgbus_entry_view value = {"seq", 3, {.value_type = MSGBUS_VALUE_TYPE_INT, .integer = seq}};
  check(msgbus_destination_send_view(destination, &PAYLOAD_VIEW, &value, 1), "send");
}

static msgbus_destination *destination_of(msgbus_bus *bus, const char *name) {
  msgbus_destination *destination = NULL;
  check(msgbus_bus_destination(bus, name, &destination), "destination");
  return destination;
}

/* The workloads' message: a 16-byte payload and one value, "seq". */
static msgbus_message *new_message(void) {
  msgbus_value *bytes = NULL;
  check(msgbus_value_new_bytes(PAYLOAD, sizeof PAYLOAD, &bytes), "payload");
  msgbus_message *message = msgbus_message_new();
  check(msgbus_message_set_payload(message, bytes), "set payload");
  msgbus_value_free(bytes);
  return message;
}

static void put_seq(msgbus_message *message, int64_t seq) {
  msgbus_value_view value = {.value_type = MSGBUS_VALUE_TYPE_INT, .integer = seq};
  check(msgbus_message_put_view(message, "seq", &value), "put");
}

static msgbus_bus *new_bus(const char *name, msgbus_destination_type type) {
  msgbus_bus *bus = NULL;
  check(msgbus_bus_new(&bus), "bus");
  msgbus_destination_config *config = NULL;
  check(msgbus_destination_config_new(type, &config), "config");
  check(msgbus_destination_config_set_workers(config, 2, 2), "workers");
  check(msgbus_bus_add_destination_with_config(bus, name, config), "add destination");
  msgbus_destination_config_free(config);
  return bus;
}

/* W1 (serial, 1 listener) and W2 (parallel, 2 workers, 4 listeners):
 * seconds from the first send until a graceful shutdown returns, once every
 * queued message was delivered (the Rust program does the same). Sends go
 * through a destination handle, as a program sending many messages to one
 * destination would send them. */
static double throughput_run(const char *workload, msgbus_destination_type type, size_t messages,
                             size_t listeners) {
  msgbus_bus *bus = new_bus("bench/throughput", type);
  uint64_t id = 0;
  size_t sums[16] = {0};
  for (size_t i = 0; i < listeners; i++)
    check(msgbus_bus_register_listener(bus, "bench/throughput", read_listener, &sums[i], NULL, &id), "register");
  msgbus_destination *destination = destination_of(bus, "bench/throughput");
  uint64_t start = now_ns();
  for (size_t seq = 0; seq < messages; seq++) send_view(destination, (int64_t)seq);
  check(msgbus_bus_shutdown(bus, false, MSGBUS_WAIT_FOREVER), "shutdown");
  double seconds = (double)(now_ns() - start) / 1e9;
  struct msgbus_destination_statistics stats;
  check(msgbus_bus_destination_statistics(bus, "bench/throughput", &stats), "statistics");
  if (stats.delivered_message_count != messages) {
    fprintf(stderr, "%s: %llu of %zu messages delivered\n", workload,
            (unsigned long long)stats.delivered_message_count, messages);
    exit(1);
  }
  msgbus_destination_free(destination);
  msgbus_bus_free(bus);
  return seconds;
}

/* The second of two runs, as in the Rust program: the first grows the heap
 * to what the workload needs, so that first-touch page faults are not what
 * is measured. */
static void throughput(const char *workload, msgbus_destination_type type, size_t messages, size_t listeners) {
  throughput_run(workload, type, messages, listeners);
  double seconds = throughput_run(workload, type, messages, listeners);
  char params[128];
  snprintf(params, sizeof params, "\"messages\": %zu, \"listeners\": %zu, \"producers\": 1, \"payload\": 16",
           messages, listeners);
  print_figure(workload, "throughput", (double)(messages * listeners) / seconds, "deliveries/s", params);
}

static int compare(const void *a, const void *b) {
  uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
  return (x > y) - (x < y);
}

static void print_latency(const char *workload, uint64_t *samples, size_t rounds) {
  qsort(samples, rounds, sizeof *samples, compare);
  char params[64];
  snprintf(params, sizeof params, "\"rounds\": %zu", rounds);
  print_figure(workload, "p50", (double)samples[(rounds - 1) / 2] / 1e3, "us", params);
  print_figure(workload, "p99", (double)samples[(size_t)((double)(rounds - 1) * 0.99)] / 1e3, "us", params);
}

static msgbus_result reply_listener(void *bus, const msgbus_message *request) {
  msgbus_value *one = msgbus_value_new_int(1);
  msgbus_result result = msgbus_bus_reply(bus, request, one);
  msgbus_value_free(one);
  return result;
}

/* W3: sequential default-synchronous round trips. */
static void request_reply(size_t rounds) {
  msgbus_bus *bus = new_bus("bench/w3", MSGBUS_DESTINATION_TYPE_SERIAL);
  uint64_t id = 0;
  check(msgbus_bus_register_listener(bus, "bench/w3", reply_listener, bus, NULL, &id), "register");
  uint64_t *samples = malloc(rounds * sizeof *samples);
  msgbus_message *message = new_message();
  for (size_t seq = 0; seq < rounds; seq++) {
    uint64_t start = now_ns();
    put_seq(message, (int64_t)seq);
    msgbus_value *reply = NULL;
    check(msgbus_bus_send_synchronous(bus, "bench/w3", message, 30000, &reply), "send_synchronous");
    msgbus_value_free(reply);
    samples[seq] = now_ns() - start;
  }
  msgbus_message_free(message);
  msgbus_bus_free(bus);
  print_latency("W3", samples, rounds);
  free(samples);
}

/* W4's listener: the latency from the send stamped in "seq" to now. */
static msgbus_result stamp_listener(void *user_data, const msgbus_message *message) {
  uint64_t received = now_ns();
  latch *l = user_data;
  const msgbus_value *sent = NULL;
  int64_t stamp = 0;
  check(msgbus_message_get(message, "seq", &sent), "get");
  check(msgbus_value_as_int(sent, &stamp), "as_int");
  l->last_latency_ns = received - (uint64_t)stamp;
  latch_arrive(l);
  return MSGBUS_RESULT_OK;
}

/* W4: one message at a time to an idle serial destination. */
static void one_way(size_t rounds) {
  msgbus_bus *bus = new_bus("bench/w4", MSGBUS_DESTINATION_TYPE_SERIAL);
  latch received;
  latch_init(&received, 0);
  uint64_t id = 0;
  check(msgbus_bus_register_listener(bus, "bench/w4", stamp_listener, &received, NULL, &id), "register");
  uint64_t *samples = malloc(rounds * sizeof *samples);
  msgbus_destination *destination = destination_of(bus, "bench/w4");
  for (size_t seq = 0; seq < rounds; seq++) {
    received.target = seq + 1;
    send_view(destination, (int64_t)now_ns());
    latch_wait(&received);
    samples[seq] = received.last_latency_ns;
  }
  msgbus_destination_free(destination);
  msgbus_bus_free(bus);
  print_latency("W4", samples, rounds);
  free(samples);
}

/* S1: direct sends to one listener, in this thread. */
static void direct(size_t messages) {
  msgbus_bus *bus = new_bus("bench/s1", MSGBUS_DESTINATION_TYPE_SERIAL);
  latch done;
  latch_init(&done, messages);
  uint64_t id = 0;
  check(msgbus_bus_register_listener(bus, "bench/s1", count_listener, &done, NULL, &id), "register");
  msgbus_message *message = new_message();
  msgbus_destination *destination = destination_of(bus, "bench/s1");
  uint64_t start = now_ns();
  for (size_t seq = 0; seq < messages; seq++) {
    put_seq(message, (int64_t)seq);
    msgbus_value *response = NULL;
    check(msgbus_destination_send_direct(destination, message, &response), "send_direct");
    msgbus_value_free(response);
  }
  double seconds = (double)(now_ns() - start) / 1e9;
  latch_wait(&done);
  msgbus_destination_free(destination);
  msgbus_message_free(message);
  msgbus_bus_free(bus);
  char params[64];
  snprintf(params, sizeof params, "\"messages\": %zu", messages);
  print_figure("S1", "throughput", (double)messages / seconds, "msgs/s", params);
}

/* Whether to run `workload`: every one unless some are named (as with
 * msgbus-bench, for profiling one of them). */
static int runs(int argc, char **argv, const char *workload) {
  int named = 0;
  for (int i = 1; i < argc; i++) {
    if (strncmp(argv[i], "--", 2) == 0) continue;
    if (strcmp(argv[i], workload) == 0) return 1;
    named = 1;
  }
  return !named;
}

int main(int argc, char **argv) {
  int quick = 0;
  for (int i = 1; i < argc; i++) quick |= strcmp(argv[i], "--quick") == 0;
  size_t scale = quick ? 50 : 1;
  if (runs(argc, argv, "W1")) throughput("W1", MSGBUS_DESTINATION_TYPE_SERIAL, 1000000 / scale, 1);
  if (runs(argc, argv, "W2")) throughput("W2", MSGBUS_DESTINATION_TYPE_PARALLEL, 200000 / scale, 4);
  if (runs(argc, argv, "W3")) request_reply(100000 / scale);
  if (runs(argc, argv, "W4")) one_way(100000 / scale);
  if (runs(argc, argv, "S1")) direct(1000000 / scale);
  return 0;
}
