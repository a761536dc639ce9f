/* Registration events and the log handler, from C. */
#include "check.h"

typedef struct {
  int types[16];
  uint64_t ids[16];
  char names[16][32];
  int n;
  int frees;
} recorder;

static void record_event(void *user_data, const msgbus_event *e) {
  recorder *r = user_data;
  if (r->n < 16) {
    r->types[r->n] = (int)e->event_type;
    r->ids[r->n] = e->listener_id;
    snprintf(r->names[r->n], sizeof r->names[0], "%s", e->destination);
    r->n++;
  }
}

static void count_free(void *user_data) {
  ((recorder *)user_data)->frees++;
}

static msgbus_result ok_listener(void *user_data, const msgbus_message *m) {
  (void)user_data;
  (void)m;
  return MSGBUS_RESULT_OK;
}

typedef struct {
  msgbus_bus *bus;
  latch delivered;
} reentrant;

/* On every added destination, registers a listener and sends to it. */
static void register_on_add(void *user_data, const msgbus_event *e) {
  reentrant *r = user_data;
  if (e->event_type != MSGBUS_EVENT_DESTINATION_ADDED) return;
  uint64_t id;
  CHECK_OK(msgbus_bus_register_listener(r->bus, e->destination, count_down_listener, &r->delivered, NULL, &id));
  msgbus_message *m = message_with("from an event");
  CHECK_OK(msgbus_bus_send(r->bus, e->destination, m));
  msgbus_message_free(m);
}

static void events(msgbus_bus *bus) {
  recorder all = {.n = 0}, only_a = {.n = 0};
  uint64_t all_id, a_id, listener;
  CHECK_OK(msgbus_bus_add_event_listener(bus, NULL, record_event, &all, count_free, &all_id));
  CHECK_OK(msgbus_bus_add_event_listener(bus, "acme/a", record_event, &only_a, count_free, &a_id));
  CHECK_OK(msgbus_bus_add_destination(bus, "acme/a", MSGBUS_DESTINATION_TYPE_SERIAL));
  CHECK_OK(msgbus_bus_add_destination(bus, "acme/b", MSGBUS_DESTINATION_TYPE_SERIAL));
  CHECK_OK(msgbus_bus_register_listener(bus, "acme/a", ok_listener, NULL, NULL, &listener));
  CHECK_OK(msgbus_bus_unregister_listener(bus, listener));
  CHECK_OK(msgbus_bus_remove_destination(bus, "acme/a"));

  CHECK(only_a.n == 4);
  CHECK(only_a.types[0] == MSGBUS_EVENT_DESTINATION_ADDED && only_a.ids[0] == 0);
  CHECK(only_a.types[1] == MSGBUS_EVENT_LISTENER_REGISTERED && only_a.ids[1] == listener);
  CHECK(only_a.types[2] == MSGBUS_EVENT_LISTENER_UNREGISTERED && only_a.ids[2] == listener);
  CHECK(only_a.types[3] == MSGBUS_EVENT_DESTINATION_REMOVED);
  CHECK_STR(only_a.names[3], "acme/a");
  CHECK(all.n == 5);
  CHECK_STR(all.names[1], "acme/b");

  CHECK_OK(msgbus_bus_remove_event_listener(bus, all_id));
  CHECK(all.frees == 1);
  CHECK_RESULT(msgbus_bus_remove_event_listener(bus, all_id), MSGBUS_RESULT_NO_SUCH_LISTENER);
  CHECK_OK(msgbus_bus_remove_destination(bus, "acme/b"));
  CHECK(all.n == 5); /* removed: hears nothing more */

  reentrant r = {.bus = bus};
  latch_init(&r.delivered, 1);
  uint64_t r_id;
  CHECK_OK(msgbus_bus_add_event_listener(bus, NULL, register_on_add, &r, NULL, &r_id));
  CHECK_OK(msgbus_bus_add_destination(bus, "acme/reentrant", MSGBUS_DESTINATION_TYPE_SERIAL));
  CHECK(latch_wait(&r.delivered));
  CHECK_OK(msgbus_bus_remove_event_listener(bus, r_id));
  CHECK_OK(msgbus_bus_shutdown(bus, false, MSGBUS_WAIT_FOREVER));
  CHECK(only_a.frees == 0);
  CHECK_OK(msgbus_bus_remove_event_listener(bus, a_id));
  CHECK(only_a.frees == 1);
  latch_destroy(&r.delivered);
}

/* Freeing the bus releases the event listeners' user data. */
static void freeing_the_bus_frees_user_data(void) {
  static recorder kept = {.n = 0};
  msgbus_bus *bus = NULL;
  uint64_t id;
  CHECK_OK(msgbus_bus_new(&bus));
  CHECK_OK(msgbus_bus_add_event_listener(bus, NULL, record_event, &kept, count_free, &id));
  msgbus_bus_free(bus);
  CHECK(kept.frees == 1);
}

typedef struct {
  pthread_mutex_t mutex;
  int errors, warnings, frees;
  char last_error[256];
} log_sink;

static void on_log(void *user_data, msgbus_log_level level, const char *target, const char *message) {
  log_sink *s = user_data;
  CHECK(target != NULL && strncmp(target, "msgbus", 6) == 0);
  pthread_mutex_lock(&s->mutex);
  if (level == MSGBUS_LOG_LEVEL_ERROR) {
    s->errors++;
    snprintf(s->last_error, sizeof s->last_error, "%s", message);
  }
  if (level == MSGBUS_LOG_LEVEL_WARN) s->warnings++;
  pthread_mutex_unlock(&s->mutex);
}

static void free_sink(void *user_data) {
  ((log_sink *)user_data)->frees++;
}

static msgbus_result failing(void *user_data, const msgbus_message *m) {
  (void)user_data;
  (void)m;
  return MSGBUS_RESULT_LISTENER_FAILED;
}

static void log_handler(void) {
  static log_sink sink = {.errors = 0};
  pthread_mutex_init(&sink.mutex, NULL);
  CHECK_RESULT(msgbus_set_log_handler(99, on_log, &sink, free_sink), MSGBUS_RESULT_INVALID_ARGUMENT);
  CHECK(sink.frees == 0); /* refused: not taken */
  CHECK_OK(msgbus_set_log_handler(MSGBUS_LOG_LEVEL_INFO, on_log, &sink, free_sink));
  msgbus_bus *bus = NULL;
  uint64_t id;
  CHECK_OK(msgbus_bus_new(&bus));
  CHECK_OK(msgbus_bus_add_destination(bus, "acme/logged", MSGBUS_DESTINATION_TYPE_SYNCHRONOUS));
  CHECK_OK(msgbus_bus_register_listener(bus, "acme/logged", failing, NULL, NULL, &id));
  msgbus_message *m = message_with("x");
  CHECK_OK(msgbus_bus_send(bus, "acme/logged", m));
  msgbus_message_free(m);
  CHECK(sink.errors == 1);
  CHECK(strstr(sink.last_error, "acme/logged") != NULL);
  CHECK_OK(msgbus_set_log_handler(MSGBUS_LOG_LEVEL_WARN, NULL, NULL, NULL));
  CHECK(sink.frees == 1);
  msgbus_bus_free(bus);
  pthread_mutex_destroy(&sink.mutex);
}

int main(void) {
  msgbus_bus *bus = NULL;
  CHECK_OK(msgbus_bus_new(&bus));
  events(bus);
  msgbus_bus_free(bus);
  freeing_the_bus_frees_user_data();
  log_handler();
  return finish();
}
