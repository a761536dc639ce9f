/* Operations: an interceptor stamps every send with a trace context; a
 * dead-letter destination receives what the bus does not deliver (a
 * listener's failure, a send to no destination) with the reason, where it
 * was sent and the failure's detail; a periodic schedule sends a tick
 * every 10 ms until cancelled; and the metrics text counts all of it.
 *
 * The main thread waits for each step's listener calls before the next,
 * so the output is always the same.
 *
 * cc operations.c $(pkg-config --cflags --libs msgbus) -pthread -o operations */
#include <pthread.h>
#include <stdbool.h>
#include <string.h>

#include "example.h"

#define TRACEPARENT "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
#define TICKS 3

/* What the listeners have done so far, for the main thread to wait on. */
typedef struct {
  pthread_mutex_t lock;
  pthread_cond_t changed;
  int calls;
  int ticks;
} progress;

static void wait_for(progress *p, const int *count, int at_least) {
  pthread_mutex_lock(&p->lock);
  while (*count < at_least) pthread_cond_wait(&p->changed, &p->lock);
  pthread_mutex_unlock(&p->lock);
}

static void called(progress *p) {
  pthread_mutex_lock(&p->lock);
  p->calls++;
  pthread_cond_broadcast(&p->changed);
  pthread_mutex_unlock(&p->lock);
}

/* The string value of `key` in `message`, or NULL when it has none. */
static const char *value(const msgbus_message *message, const char *key) {
  const msgbus_value *found = NULL;
  const char *text = NULL;
  size_t length = 0;
  if (msgbus_message_get(message, key, &found) != MSGBUS_RESULT_OK) return NULL;
  return msgbus_value_as_string(found, &text, &length) == MSGBUS_RESULT_OK ? text : NULL;
}

/* Runs on the sender's thread for every send: adds the trace context. */
static msgbus_result stamp(void *user_data, const char *destination, msgbus_message *message, bool *out_consume) {
  (void)user_data;
  (void)destination;
  (void)out_consume;
  msgbus_value *traceparent = NULL;
  msgbus_result result = msgbus_value_new_string(TRACEPARENT, strlen(TRACEPARENT), &traceparent);
  if (result != MSGBUS_RESULT_OK) return result;
  result = msgbus_message_put(message, "traceparent", traceparent);
  msgbus_value_free(traceparent);
  return result;
}

/* Takes an order; the lamp is out of stock. */
static msgbus_result take_order(void *user_data, const msgbus_message *order) {
  const char *item = example_payload(order);
  const char *traceparent = value(order, "traceparent");
  printf("order %s, traceparent %s\n", item, traceparent ? traceparent : "none");
  called(user_data);
  if (strcmp(item, "lamp") != 0) return MSGBUS_RESULT_OK;
  msgbus_listener_set_failure("out of stock", false);
  return MSGBUS_RESULT_LISTENER_FAILED;
}

static msgbus_result print_dead_letter(void *user_data, const msgbus_message *letter) {
  const char *error = value(letter, "msgbus.error");
  printf("dead letter: %s %s%s%s\n", value(letter, "msgbus.reason"), value(letter, "msgbus.destination"),
         error ? ": " : "", error ? error : "");
  called(user_data);
  return MSGBUS_RESULT_OK;
}

/* Counts the first TICKS ticks; a firing under way when the schedule is
 * cancelled may still come, and is not counted. */
static msgbus_result count_tick(void *user_data, const msgbus_message *tick) {
  progress *p = user_data;
  (void)tick;
  pthread_mutex_lock(&p->lock);
  if (p->ticks < TICKS) p->ticks++;
  pthread_cond_broadcast(&p->changed);
  pthread_mutex_unlock(&p->lock);
  return MSGBUS_RESULT_OK;
}

/* Prints the lines of the metrics text that start with one of `wanted`. */
static const char *const wanted[] = {
    "msgbus_messages_sent_total{destination=\"acme/orders\"} ",
    "msgbus_dead_letters_total{destination=\"acme/orders\",reason=\"failed\"} ",
    "msgbus_dead_letters_total{reason=\"no_such_destination\"} ",
    "msgbus_schedules_cancelled_total{cause=\"handle\"} ",
};

static void print_selected(void *user_data, const char *text, size_t len) {
  (void)user_data;
  (void)len;
  for (const char *line = text; *line;) {
    size_t length = strcspn(line, "\n");
    for (size_t i = 0; i < sizeof wanted / sizeof *wanted; i++)
      if (strncmp(line, wanted[i], strlen(wanted[i])) == 0) printf("%.*s\n", (int)length, line);
    line += length + (line[length] == '\n');
  }
}

static int send_text(msgbus_bus *bus, const char *destination, const char *text, msgbus_result *out_result) {
  msgbus_message *message = msgbus_message_new();
  TRY(msgbus_message_set_payload_string(message, text));
  *out_result = msgbus_bus_send(bus, destination, message);
  msgbus_message_free(message);
  return 0;
}

int main(void) {
  static progress p = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, 0};
  static const char *const orders[] = {"book", "lamp", "pen"};
  msgbus_bus *bus = NULL;
  msgbus_result result = MSGBUS_RESULT_OK;
  uint64_t id = 0;
  TRY(msgbus_bus_new(&bus));
  TRY(msgbus_bus_add_destination(bus, "acme/orders", MSGBUS_DESTINATION_TYPE_SERIAL));
  TRY(msgbus_bus_add_destination(bus, "acme/dead", MSGBUS_DESTINATION_TYPE_SYNCHRONOUS));
  TRY(msgbus_bus_add_destination(bus, "acme/ticks", MSGBUS_DESTINATION_TYPE_SYNCHRONOUS));
  TRY(msgbus_bus_set_dead_letter_destination(bus, "acme/dead"));
  TRY(msgbus_bus_add_interceptor(bus, stamp, NULL, NULL, &id));
  TRY(msgbus_bus_register_listener(bus, "acme/orders", take_order, &p, NULL, &id));
  TRY(msgbus_bus_register_listener(bus, "acme/dead", print_dead_letter, &p, NULL, &id));
  TRY(msgbus_bus_register_listener(bus, "acme/ticks", count_tick, &p, NULL, &id));

  /* Three orders and the lamp's dead letter, in order: one serial worker. */
  for (size_t i = 0; i < sizeof orders / sizeof *orders; i++) {
    if (send_text(bus, "acme/orders", orders[i], &result)) return 1;
    TRY(result);
  }
  wait_for(&p, &p.calls, 4);

  if (send_text(bus, "acme/nowhere", "parcel", &result)) return 1;
  wait_for(&p, &p.calls, 5);
  printf("acme/nowhere: %s\n", result == MSGBUS_RESULT_NO_SUCH_DESTINATION ? "no such destination" : "unexpected");

  msgbus_message *tick = msgbus_message_new();
  bool cancelled = false;
  TRY(msgbus_bus_schedule(bus, "acme/ticks", tick, 10, 10, &id));
  msgbus_message_free(tick);
  wait_for(&p, &p.ticks, TICKS);
  TRY(msgbus_bus_cancel_schedule(bus, id, &cancelled));
  printf("%d ticks, then %s\n", TICKS, cancelled ? "cancelled" : "unexpected");

  TRY(msgbus_bus_shutdown(bus, false, MSGBUS_WAIT_FOREVER));
  TRY(msgbus_bus_metrics_text(bus, print_selected, NULL));
  msgbus_bus_free(bus);
  return 0;
}
