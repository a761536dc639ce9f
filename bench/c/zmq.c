/* make bench's libzmq baselines: what a C programmer would pick instead of
 * msgbus to pass messages between threads, inproc sockets with libzmq's
 * defaults. A message is one 24-byte frame, the 16-byte payload and the
 * 8-byte sequence number packed (as a program after speed packs them: two
 * frames, payload then number, ran at half the rate). W1: PUSH/PULL, the
 * receiving thread reads both parts; W3: REQ/REP round trips with an
 * 8-byte reply. One JSON line per figure, as bench.c prints; `--quick`
 * runs a small size. */
#define _POSIX_C_SOURCE 200809L
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zmq.h>

static uint64_t now_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

static void check(int result, const char *what) {
  if (result >= 0) return;
  fprintf(stderr, "%s: %s\n", what, zmq_strerror(zmq_errno()));
  exit(1);
}

static void print_figure(const char *workload, const char *metric, double value, const char *unit,
                         const char *params) {
  printf("{\"surface\": \"c\", \"workload\": \"%s\", \"implementation\": \"libzmq\", \"metric\": \"%s\", "
         "\"value\": %.6g, \"unit\": \"%s\", \"params\": {%s}}\n",
         workload, metric, value, unit, params);
}

typedef struct {
  void *socket;
  size_t messages;
  size_t sum;
} receiver;

/* The message: the payload, then the sequence number. */
enum { FRAME = 24 };

static void pack(uint8_t frame[FRAME], int64_t seq) {
  static const uint8_t payload[16] = {7};
  memcpy(frame, payload, sizeof payload);
  memcpy(frame + sizeof payload, &seq, sizeof seq);
}

/* Receives `messages` messages and reads both parts of each. */
static void *receive(void *arg) {
  receiver *r = arg;
  uint8_t frame[FRAME];
  for (size_t i = 0; i < r->messages; i++) {
    int64_t seq = 0;
    check(zmq_recv(r->socket, frame, sizeof frame, 0), "recv");
    memcpy(&seq, frame + 16, sizeof seq);
    r->sum += frame[0] + (size_t)seq;
  }
  return NULL;
}

/* Seconds from the first send until the receiving thread has read them all. */
static double push_pull(void *context, size_t messages) {
  /* A closed socket's inproc name is released in the background: each run
   * binds a name of its own. */
  static int run;
  char endpoint[32];
  snprintf(endpoint, sizeof endpoint, "inproc://bench-w1-%d", run++);
  void *pull = zmq_socket(context, ZMQ_PULL), *push = zmq_socket(context, ZMQ_PUSH);
  check(zmq_bind(pull, endpoint), "bind");
  check(zmq_connect(push, endpoint), "connect");
  receiver r = {pull, messages, 0};
  uint64_t start = now_ns();
  pthread_t thread;
  pthread_create(&thread, NULL, receive, &r);
  for (size_t i = 0; i < messages; i++) {
    uint8_t frame[FRAME];
    pack(frame, (int64_t)i);
    check(zmq_send(push, frame, sizeof frame, 0), "send");
  }
  pthread_join(thread, NULL);
  double seconds = (double)(now_ns() - start) / 1e9;
  zmq_close(push);
  zmq_close(pull);
  return seconds;
}

typedef struct {
  void *socket;
  size_t rounds;
} responder;

static void *respond(void *arg) {
  responder *r = arg;
  uint8_t frame[FRAME];
  int64_t one = 1;
  for (size_t i = 0; i < r->rounds; i++) {
    check(zmq_recv(r->socket, frame, sizeof frame, 0), "recv request");
    check(zmq_send(r->socket, &one, sizeof one, 0), "send reply");
  }
  return NULL;
}

static int compare(const void *a, const void *b) {
  uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
  return (x > y) - (x < y);
}

static void req_rep(void *context, size_t rounds) {
  void *rep = zmq_socket(context, ZMQ_REP), *req = zmq_socket(context, ZMQ_REQ);
  check(zmq_bind(rep, "inproc://bench-w3"), "bind");
  check(zmq_connect(req, "inproc://bench-w3"), "connect");
  responder r = {rep, rounds};
  pthread_t thread;
  pthread_create(&thread, NULL, respond, &r);
  uint64_t *samples = malloc(rounds * sizeof *samples);
  int64_t reply = 0;
  for (size_t i = 0; i < rounds; i++) {
    uint8_t frame[FRAME];
    uint64_t start = now_ns();
    pack(frame, (int64_t)i);
    check(zmq_send(req, frame, sizeof frame, 0), "send request");
    check(zmq_recv(req, &reply, sizeof reply, 0), "recv reply");
    samples[i] = now_ns() - start;
  }
  pthread_join(thread, NULL);
  qsort(samples, rounds, sizeof *samples, compare);
  char params[64];
  snprintf(params, sizeof params, "\"rounds\": %zu", rounds);
  print_figure("W3", "p50", (double)samples[(rounds - 1) / 2] / 1e3, "us", params);
  print_figure("W3", "p99", (double)samples[(size_t)((double)(rounds - 1) * 0.99)] / 1e3, "us", params);
  free(samples);
  zmq_close(req);
  zmq_close(rep);
}

int main(int argc, char **argv) {
  size_t scale = argc > 1 && strcmp(argv[1], "--quick") == 0 ? 50 : 1;
  void *context = zmq_ctx_new();
  size_t messages = 1000000 / scale;
  /* The second of two runs, as for msgbus: the first grows the heap. */
  push_pull(context, messages);
  double seconds = push_pull(context, messages);
  char params[128];
  snprintf(params, sizeof params, "\"messages\": %zu, \"listeners\": 1, \"producers\": 1, \"payload\": 16", messages);
  print_figure("W1", "throughput", (double)messages / seconds, "deliveries/s", params);
  req_rep(context, 100000 / scale);
  zmq_ctx_term(context);
  return 0;
}
