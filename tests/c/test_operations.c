/* Operations (SPEC §9) from C: dead letters, interceptors, delayed and
 * periodic sends, metrics. Every wait is on a latch or a condition
 * variable; nothing sleeps to let something happen. */
#include <stdint.h>
#include <stdlib.h>

#include "check.h"

/* Keeps a copy of every message it is given, and lets a thread wait for a
 * number of them. */
#define MAILBOX_SIZE 32
typedef struct {
  pthread_mutex_t mutex;
  pthread_cond_t cond;
  msgbus_message *messages[MAILBOX_SIZE];
  int n;
} mailbox;

static void mailbox_init(mailbox *box) {
  memset(box, 0, sizeof *box);
  pthread_mutex_init(&box->mutex, NULL);
  pthread_cond_init(&box->cond, NULL);
}

static void mailbox_destroy(mailbox *box) {
  for (int i = 0; i < box->n && i < MAILBOX_SIZE; i++) msgbus_message_free(box->messages[i]);
  pthread_mutex_destroy(&box->mutex);
  pthread_cond_destroy(&box->cond);
}

static msgbus_result keep(void *user_data, const msgbus_message *m) {
  mailbox *box = user_data;
  pthread_mutex_lock(&box->mutex);
  if (box->n < MAILBOX_SIZE) box->messages[box->n] = msgbus_message_clone(m);
  box->n++;
  pthread_cond_broadcast(&box->cond);
  pthread_mutex_unlock(&box->mutex);
  return MSGBUS_RESULT_OK;
}

static int mailbox_count(mailbox *box) {
  pthread_mutex_lock(&box->mutex);
  int n = box->n;
  pthread_mutex_unlock(&box->mutex);
  return n;
}

/* Waits until the box holds `n` messages; 0 after 30 s. */
static int mailbox_wait(mailbox *box, int n) {
  struct timespec deadline;
  clock_gettime(CLOCK_REALTIME, &deadline);
  deadline.tv_sec += 30;
  int ok = 1;
  pthread_mutex_lock(&box->mutex);
  while (box->n < n && ok) ok = pthread_cond_timedwait(&box->cond, &box->mutex, &deadline) != ETIMEDOUT;
  ok = box->n >= n;
  pthread_mutex_unlock(&box->mutex);
  return ok;
}

/* The message number `i` of the box (it must hold it). */
static const msgbus_message *mail(mailbox *box, int i) {
  pthread_mutex_lock(&box->mutex);
  const msgbus_message *m = i < box->n && i < MAILBOX_SIZE ? box->messages[i] : NULL;
  pthread_mutex_unlock(&box->mutex);
  return m;
}

/* The string value under `key`, or "" if there is none. */
static const char *string_at(const msgbus_message *m, const char *key) {
  const msgbus_value *v = NULL;
  const char *text = "";
  if (m != NULL && msgbus_message_get(m, key, &v) == MSGBUS_RESULT_OK) msgbus_value_as_string(v, &text, NULL);
  return text;
}

static void send_text(msgbus_bus *bus, const char *destination, const char *payload, msgbus_result expected) {
  msgbus_message *m = message_with(payload);
  CHECK_RESULT(msgbus_bus_send(bus, destination, m), expected);
  msgbus_message_free(m);
}

/* Fails, describing its failure. */
static msgbus_result failing(void *user_data, const msgbus_message *m) {
  (void)m;
  msgbus_listener_set_failure((const char *)user_data, false);
  return MSGBUS_RESULT_LISTENER_FAILED;
}

/* Collects ERROR records, so that the failures these tests cause are
 * checked rather than printed. */
typedef struct {
  pthread_mutex_t mutex;
  int errors;
  int interceptor_failures; /* records naming the interceptor's detail */
} log_sink;

static log_sink sink = {.mutex = PTHREAD_MUTEX_INITIALIZER};

static void on_log(void *user_data, msgbus_log_level level, const char *target, const char *message) {
  (void)target;
  log_sink *s = user_data;
  if (level != MSGBUS_LOG_LEVEL_ERROR) return;
  pthread_mutex_lock(&s->mutex);
  s->errors++;
  if (strstr(message, "no trace context today") != NULL && strstr(message, "acme/traced") != NULL) {
    s->interceptor_failures++;
  }
  pthread_mutex_unlock(&s->mutex);
}

static void add_serial(msgbus_bus *bus, const char *name, const char *dead_letters, size_t max_queue_size) {
  msgbus_destination_config *config = NULL;
  CHECK_OK(msgbus_destination_config_new(MSGBUS_DESTINATION_TYPE_SERIAL, &config));
  if (dead_letters != NULL) CHECK_OK(msgbus_destination_config_set_dead_letter_destination(config, dead_letters));
  if (max_queue_size != 0) CHECK_OK(msgbus_destination_config_set_max_queue_size(config, max_queue_size));
  CHECK_OK(msgbus_destination_config_set_timing_every(config, 1));
  CHECK_OK(msgbus_bus_add_destination_with_config(bus, name, config));
  msgbus_destination_config_free(config);
}

/* A failing listener's message reaches the bus's dead-letter destination
 * with its payload, values and why. */
static void failed_messages_are_dead_lettered(msgbus_bus *bus, mailbox *dead) {
  uint64_t id;
  add_serial(bus, "acme/fails", NULL, 0);
  CHECK_OK(msgbus_bus_register_listener(bus, "acme/fails", failing, "card 4711 declined", NULL, &id));
  msgbus_message *m = message_with("order 12");
  msgbus_value *v = msgbus_value_new_int(12);
  CHECK_OK(msgbus_message_put(m, "order", v));
  msgbus_value_free(v);
  CHECK_OK(msgbus_bus_send(bus, "acme/fails", m));
  msgbus_message_free(m);
  CHECK(mailbox_wait(dead, 1));
  const msgbus_message *letter = mail(dead, 0);
  CHECK_STR(payload_of(letter), "order 12");
  CHECK_STR(string_at(letter, "msgbus.reason"), "failed");
  CHECK_STR(string_at(letter, "msgbus.destination"), "acme/fails");
  CHECK(strstr(string_at(letter, "msgbus.error"), "card 4711 declined") != NULL);
  const msgbus_value *order = NULL;
  int64_t number = 0;
  CHECK_OK(msgbus_message_get(letter, "order", &order));
  CHECK_OK(msgbus_value_as_int(order, &number));
  CHECK(number == 12);
}

/* Holds every message until the valve opens; `entered` counts down as the
 * first one arrives. */
typedef struct {
  latch entered, valve;
} holder;

static msgbus_result hold(void *user_data, const msgbus_message *m) {
  (void)m;
  holder *h = user_data;
  latch_count_down(&h->entered);
  latch_wait(&h->valve);
  return MSGBUS_RESULT_OK;
}

/* Lives until the bus is freed: its worker may still be in `hold`. */
static holder full_holder;

/* A message a full queue rejects is dead-lettered as "rejected". */
static void rejected_messages_are_dead_lettered(msgbus_bus *bus, mailbox *dead) {
  holder *h = &full_holder;
  latch_init(&h->entered, 1);
  latch_init(&h->valve, 1);
  uint64_t id;
  int before = mailbox_count(dead);
  add_serial(bus, "acme/full", NULL, 1);
  CHECK_OK(msgbus_bus_register_listener(bus, "acme/full", hold, h, NULL, &id));
  send_text(bus, "acme/full", "held", MSGBUS_RESULT_OK);
  CHECK(latch_wait(&h->entered));
  send_text(bus, "acme/full", "queued", MSGBUS_RESULT_OK);
  send_text(bus, "acme/full", "no room", MSGBUS_RESULT_QUEUE_FULL);
  CHECK(mailbox_wait(dead, before + 1));
  const msgbus_message *letter = mail(dead, before);
  CHECK_STR(payload_of(letter), "no room");
  CHECK_STR(string_at(letter, "msgbus.reason"), "rejected");
  CHECK_STR(string_at(letter, "msgbus.destination"), "acme/full");
  latch_count_down(&h->valve);
}

/* A destination's own dead-letter destination wins over the bus's. */
static void own_dead_letters_win(msgbus_bus *bus, mailbox *dead) {
  mailbox own;
  mailbox_init(&own);
  uint64_t id, own_id;
  int before = mailbox_count(dead);
  CHECK_OK(msgbus_bus_add_destination(bus, "acme/own-dead", MSGBUS_DESTINATION_TYPE_SYNCHRONOUS));
  CHECK_OK(msgbus_bus_register_listener(bus, "acme/own-dead", keep, &own, NULL, &own_id));
  add_serial(bus, "acme/own", "acme/own-dead", 0);
  CHECK_OK(msgbus_bus_register_listener(bus, "acme/own", failing, "own failure", NULL, &id));
  send_text(bus, "acme/own", "mine", MSGBUS_RESULT_OK);
  CHECK(mailbox_wait(&own, 1));
  CHECK_STR(payload_of(mail(&own, 0)), "mine");
  CHECK_STR(string_at(mail(&own, 0), "msgbus.reason"), "failed");
  CHECK_STR(string_at(mail(&own, 0), "msgbus.destination"), "acme/own");
  /* A later failure on a destination without its own reaches the bus's
   * after anything sent there before it: the first was not. */
  send_text(bus, "acme/fails", "marker", MSGBUS_RESULT_OK);
  CHECK(mailbox_wait(dead, before + 1));
  CHECK(mailbox_count(dead) == before + 1);
  CHECK_STR(payload_of(mail(dead, before)), "marker");
  CHECK_OK(msgbus_bus_unregister_listener(bus, own_id));
  mailbox_destroy(&own);
}

static void dead_letters(msgbus_bus *bus) {
  mailbox dead;
  mailbox_init(&dead);
  uint64_t id;
  add_serial(bus, "acme/dead", NULL, 0);
  CHECK_OK(msgbus_bus_register_listener(bus, "acme/dead", keep, &dead, NULL, &id));
  CHECK_OK(msgbus_bus_set_dead_letter_destination(bus, "acme/dead"));
  failed_messages_are_dead_lettered(bus, &dead);
  rejected_messages_are_dead_lettered(bus, &dead);
  own_dead_letters_win(bus, &dead);
  CHECK_OK(msgbus_bus_set_dead_letter_destination(bus, NULL));
  /* Without one, nothing is dead-lettered: a synchronous destination
   * fails before its send returns, and a marker sent after that through
   * acme/dead's queue arrives alone. */
  uint64_t now_id;
  CHECK_OK(msgbus_bus_add_destination(bus, "acme/fails-now", MSGBUS_DESTINATION_TYPE_SYNCHRONOUS));
  CHECK_OK(msgbus_bus_register_listener(bus, "acme/fails-now", failing, "not dead-lettered", NULL, &now_id));
  int before = mailbox_count(&dead);
  send_text(bus, "acme/fails-now", "not dead-lettered", MSGBUS_RESULT_OK);
  send_text(bus, "acme/dead", "marker", MSGBUS_RESULT_OK);
  CHECK(mailbox_wait(&dead, before + 1));
  CHECK_STR(payload_of(mail(&dead, before)), "marker");
  CHECK_OK(msgbus_bus_unregister_listener(bus, id));
  CHECK(mailbox_count(&dead) == before + 1);
  mailbox_destroy(&dead);
}

/* An interceptor's state: what it saw, what it does. */
typedef struct {
  atomic_int calls, frees;
  int consume;      /* consumes what it sees */
  int fail;         /* fails (described) instead */
  char seen[64];    /* the destination of its last call */
} interceptor_state;

static msgbus_result intercept(void *user_data, const char *destination, msgbus_message *m, bool *out_consume) {
  interceptor_state *s = user_data;
  s->calls++;
  snprintf(s->seen, sizeof s->seen, "%s", destination);
  if (s->fail) {
    msgbus_listener_set_failure("no trace context today", false);
    return MSGBUS_RESULT_LISTENER_FAILED;
  }
  if (*out_consume) return MSGBUS_RESULT_PANIC; /* it must start false */
  if (s->consume) {
    *out_consume = true;
    return MSGBUS_RESULT_OK;
  }
  msgbus_value *trace = NULL;
  const char *traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
  msgbus_result r = msgbus_value_new_string(traceparent, strlen(traceparent), &trace);
  if (r == MSGBUS_RESULT_OK) r = msgbus_message_put(m, "traceparent", trace);
  msgbus_value_free(trace);
  return r;
}

static void free_interceptor_state(void *user_data) {
  ((interceptor_state *)user_data)->frees++;
}

static void interceptors(msgbus_bus *bus) {
  mailbox box;
  mailbox_init(&box);
  interceptor_state tracing = {.consume = 0}, consuming = {.consume = 1}, failing_one = {.fail = 1};
  uint64_t listener, tracing_id, consuming_id, failing_id;
  CHECK_OK(msgbus_bus_add_destination(bus, "acme/traced", MSGBUS_DESTINATION_TYPE_SYNCHRONOUS));
  CHECK_OK(msgbus_bus_register_listener(bus, "acme/traced", keep, &box, NULL, &listener));

  CHECK_OK(msgbus_bus_add_interceptor(bus, intercept, &tracing, free_interceptor_state, &tracing_id));
  send_text(bus, "acme/traced", "one", MSGBUS_RESULT_OK);
  CHECK(mailbox_count(&box) == 1);
  CHECK_STR(string_at(mail(&box, 0), "traceparent"), "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
  CHECK_STR(tracing.seen, "acme/traced");

  /* Interceptors run before the lookup: an unknown name passes them too. */
  send_text(bus, "acme/nowhere", "lost", MSGBUS_RESULT_NO_SUCH_DESTINATION);
  CHECK_STR(tracing.seen, "acme/nowhere");

  /* A consuming interceptor: the send succeeds, the listener is not called. */
  CHECK_OK(msgbus_bus_add_interceptor(bus, intercept, &consuming, free_interceptor_state, &consuming_id));
  send_text(bus, "acme/traced", "two", MSGBUS_RESULT_OK);
  CHECK(consuming.calls == 1 && mailbox_count(&box) == 1);
  CHECK_OK(msgbus_bus_remove_interceptor(bus, consuming_id));
  CHECK(consuming.frees == 1);
  send_text(bus, "acme/traced", "three", MSGBUS_RESULT_OK);
  CHECK(consuming.calls == 1 && mailbox_count(&box) == 2);
  CHECK_STR(payload_of(mail(&box, 1)), "three");

  /* A failing one is logged with its detail; the message goes on. */
  CHECK_OK(msgbus_bus_add_interceptor(bus, intercept, &failing_one, free_interceptor_state, &failing_id));
  send_text(bus, "acme/traced", "four", MSGBUS_RESULT_OK);
  CHECK(failing_one.calls == 1 && mailbox_count(&box) == 3);
  CHECK_STR(string_at(mail(&box, 2), "traceparent"), "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
  pthread_mutex_lock(&sink.mutex);
  CHECK(sink.interceptor_failures == 1);
  pthread_mutex_unlock(&sink.mutex);
  CHECK_OK(msgbus_bus_remove_interceptor(bus, failing_id));

  /* Removed, the tracing one stops. */
  CHECK_OK(msgbus_bus_remove_interceptor(bus, tracing_id));
  CHECK(tracing.frees == 1);
  int calls = tracing.calls;
  send_text(bus, "acme/traced", "five", MSGBUS_RESULT_OK);
  CHECK(mailbox_count(&box) == 4 && tracing.calls == calls);
  bool has = true;
  CHECK_OK(msgbus_message_contains(mail(&box, 3), "traceparent", &has));
  CHECK(!has);
  CHECK_RESULT(msgbus_bus_remove_interceptor(bus, tracing_id), MSGBUS_RESULT_NO_SUCH_LISTENER);
  CHECK(tracing.frees == 1 && consuming.frees == 1 && failing_one.frees == 1);
  CHECK_OK(msgbus_bus_unregister_listener(bus, listener));
  mailbox_destroy(&box);
}

static double now_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

/* A schedule cancelled before it fires never sends: a later one to the
 * same serial destination arrives alone. The bus's one timer thread is
 * held in a firing meanwhile, so that the cancel surely comes first. */
static void cancelled_schedules_never_fire(msgbus_bus *bus) {
  mailbox box;
  mailbox_init(&box);
  holder timer;
  latch_init(&timer.entered, 1);
  latch_init(&timer.valve, 1);
  uint64_t listener, blocker_listener, blocker, early, late;
  bool cancelled = false;
  CHECK_OK(msgbus_bus_add_destination(bus, "acme/timer-blocker", MSGBUS_DESTINATION_TYPE_SYNCHRONOUS));
  CHECK_OK(msgbus_bus_register_listener(bus, "acme/timer-blocker", hold, &timer, NULL, &blocker_listener));
  add_serial(bus, "acme/timed", NULL, 0);
  CHECK_OK(msgbus_bus_register_listener(bus, "acme/timed", keep, &box, NULL, &listener));
  msgbus_message *m = message_with("cancelled");
  CHECK_OK(msgbus_bus_schedule(bus, "acme/timer-blocker", m, 0, 0, &blocker));
  CHECK(latch_wait(&timer.entered)); /* the timer thread is in `hold` */
  CHECK_OK(msgbus_bus_schedule(bus, "acme/timed", m, 0, 0, &early));
  CHECK_OK(msgbus_message_set_payload_string(m, "later")); /* the schedule has its own copy */
  CHECK_OK(msgbus_bus_cancel_schedule(bus, early, &cancelled));
  CHECK(cancelled);
  CHECK_OK(msgbus_bus_schedule(bus, "acme/timed", m, 1, 0, &late));
  msgbus_message_free(m);
  latch_count_down(&timer.valve);
  CHECK(mailbox_wait(&box, 1));
  CHECK(mailbox_count(&box) == 1);
  CHECK_STR(payload_of(mail(&box, 0)), "later");
  CHECK_OK(msgbus_bus_cancel_schedule(bus, late, &cancelled));
  CHECK(!cancelled); /* fired already */
  CHECK_OK(msgbus_bus_cancel_schedule(bus, blocker, &cancelled));
  CHECK(!cancelled);
  CHECK_OK(msgbus_bus_unregister_listener(bus, listener));
  CHECK_OK(msgbus_bus_unregister_listener(bus, blocker_listener));
  latch_destroy(&timer.entered);
  latch_destroy(&timer.valve);
  mailbox_destroy(&box);
}

#define TICKS 5
#define PERIOD_MS 20

/* Counts the firings of the periodic schedule (payload "tick") and when
 * the TICKS-th came; keeps the marker that ends the test. */
typedef struct {
  pthread_mutex_t mutex;
  int ticks;
  double at[TICKS];
  latch ticked;
  latch marked;
} ticker;

static msgbus_result tick(void *user_data, const msgbus_message *m) {
  ticker *t = user_data;
  if (strcmp(payload_of(m), "marker") == 0) {
    latch_count_down(&t->marked);
    return MSGBUS_RESULT_OK;
  }
  pthread_mutex_lock(&t->mutex);
  if (t->ticks < TICKS) t->at[t->ticks] = now_ms();
  t->ticks++;
  pthread_mutex_unlock(&t->mutex);
  latch_count_down(&t->ticked);
  return MSGBUS_RESULT_OK;
}

static int ticks_of(ticker *t) {
  pthread_mutex_lock(&t->mutex);
  int n = t->ticks;
  pthread_mutex_unlock(&t->mutex);
  return n;
}

/* A periodic schedule fires at its period until cancelled. Its
 * destination is synchronous, so that each firing is delivered on the
 * timer thread before the next begins. */
static void periodic_schedules_fire_until_cancelled(msgbus_bus *bus) {
  ticker t = {.ticks = 0};
  pthread_mutex_init(&t.mutex, NULL);
  latch_init(&t.ticked, TICKS);
  latch_init(&t.marked, 1);
  uint64_t listener, periodic, marker;
  bool cancelled = false;
  CHECK_OK(msgbus_bus_add_destination(bus, "acme/tick", MSGBUS_DESTINATION_TYPE_SYNCHRONOUS));
  CHECK_OK(msgbus_bus_register_listener(bus, "acme/tick", tick, &t, NULL, &listener));
  msgbus_message *m = message_with("tick");
  double start = now_ms();
  CHECK_OK(msgbus_bus_schedule(bus, "acme/tick", m, PERIOD_MS, PERIOD_MS, &periodic));
  CHECK(latch_wait(&t.ticked));
  /* The n-th firing is due PERIOD_MS * n after the schedule, never sooner. */
  pthread_mutex_lock(&t.mutex);
  for (int i = 0; i < TICKS; i++) {
    if (t.at[i] - start < (double)PERIOD_MS * (i + 1) - 1.0) {
      checks_failed++;
      fprintf(stderr, "firing %d came %.1f ms after the schedule\n", i + 1, t.at[i] - start);
    }
  }
  pthread_mutex_unlock(&t.mutex);
  CHECK_OK(msgbus_bus_cancel_schedule(bus, periodic, &cancelled));
  CHECK(cancelled);
  int at_cancel = ticks_of(&t);
  /* A one-shot due three periods later: the timer fires in deadline
   * order, so the periodic one would have fired twice more by then. One
   * firing running as the cancel came may complete. */
  CHECK_OK(msgbus_message_set_payload_string(m, "marker"));
  CHECK_OK(msgbus_bus_schedule(bus, "acme/tick", m, 3 * PERIOD_MS, 0, &marker));
  msgbus_message_free(m);
  CHECK(latch_wait(&t.marked));
  CHECK(ticks_of(&t) <= at_cancel + 1);
  CHECK_OK(msgbus_bus_cancel_schedule(bus, periodic, &cancelled));
  CHECK(!cancelled);
  CHECK_OK(msgbus_bus_unregister_listener(bus, listener));
  latch_destroy(&t.ticked);
  latch_destroy(&t.marked);
  pthread_mutex_destroy(&t.mutex);
}

/* The text a visitor was given, copied. */
typedef struct {
  char *text;
  size_t len;
  int calls;
} text_copy;

static void copy_text(void *user_data, const char *text, size_t len) {
  text_copy *copy = user_data;
  copy->calls++;
  free(copy->text);
  copy->text = malloc(len + 1);
  memcpy(copy->text, text, len + 1);
  copy->len = len;
}

static void metrics(msgbus_bus *bus) {
  latch got;
  latch_init(&got, 3);
  uint64_t listener;
  CHECK_OK(msgbus_bus_add_destination(bus, "acme/metered", MSGBUS_DESTINATION_TYPE_SERIAL));
  CHECK_OK(msgbus_bus_register_listener(bus, "acme/metered", count_down_listener, &got, NULL, &listener));
  for (int i = 0; i < 3; i++) send_text(bus, "acme/metered", "counted", MSGBUS_RESULT_OK);
  CHECK(latch_wait(&got));

  text_copy text = {NULL, 0, 0}, json = {NULL, 0, 0};
  CHECK_OK(msgbus_bus_metrics_text(bus, copy_text, &text));
  CHECK(text.calls == 1 && text.text != NULL && strlen(text.text) == text.len);
  if (text.text != NULL) {
    CHECK(strstr(text.text, "\nmsgbus_messages_sent_total{destination=\"acme/metered\"} 3\n") != NULL);
    CHECK(strstr(text.text, "# TYPE msgbus_messages_sent_total counter\n") != NULL);
  }
  CHECK_OK(msgbus_bus_metrics_json(bus, copy_text, &json));
  CHECK(json.calls == 1 && json.text != NULL && strlen(json.text) == json.len);
  if (json.text != NULL) {
    CHECK(json.text[0] == '{' && json.text[json.len - 1] == '}');
    CHECK(strstr(json.text, "\"acme/metered\"") != NULL);
  }
  free(text.text);
  free(json.text);
  CHECK_OK(msgbus_bus_unregister_listener(bus, listener));
  latch_destroy(&got);
}

int main(void) {
  CHECK_OK(msgbus_set_log_handler(MSGBUS_LOG_LEVEL_ERROR, on_log, &sink, NULL));
  msgbus_bus *bus = NULL;
  CHECK_OK(msgbus_bus_new(&bus));
  dead_letters(bus);
  interceptors(bus);
  cancelled_schedules_never_fire(bus);
  periodic_schedules_fire_until_cancelled(bus);
  metrics(bus);
  CHECK_OK(msgbus_bus_shutdown(bus, false, MSGBUS_WAIT_FOREVER));
  msgbus_bus_free(bus);
  CHECK_OK(msgbus_set_log_handler(MSGBUS_LOG_LEVEL_WARN, NULL, NULL, NULL));
  latch_destroy(&full_holder.entered);
  latch_destroy(&full_holder.valve);
  return finish();
}
