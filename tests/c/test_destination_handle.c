/* Destination handles from C: sends through one arrive in order and are
 * counted as sends to the name, a bare-bytes send carries its bytes, a
 * batch goes in order, and a handle follows its name to a replacement. */
#include "check.h"

#define N 100

typedef struct {
  pthread_mutex_t mutex;
  int64_t seen[3 * N];
  int n;
  latch done;
} record_book;

/* Records each int payload, or a bytes payload's length as its negation. */
static msgbus_result record(void *user_data, const msgbus_message *m) {
  record_book *book = user_data;
  const msgbus_value *payload = msgbus_message_payload(m);
  int64_t i = 0;
  const uint8_t *data = NULL;
  size_t len = 0;
  if (msgbus_value_as_int(payload, &i) != MSGBUS_RESULT_OK) {
    CHECK_OK(msgbus_value_as_bytes(payload, &data, &len));
    CHECK(len == 0 || memcmp(data, "abc", len) == 0);
    i = -(int64_t)len;
  }
  pthread_mutex_lock(&book->mutex);
  book->seen[book->n++] = i;
  pthread_mutex_unlock(&book->mutex);
  latch_count_down(&book->done);
  return MSGBUS_RESULT_OK;
}

static msgbus_message *int_message(int64_t i) {
  msgbus_message *m = msgbus_message_new();
  msgbus_value *v = msgbus_value_new_int(i);
  CHECK_OK(msgbus_message_set_payload(m, v));
  msgbus_value_free(v);
  return m;
}

static void sends_in_order(void) {
  msgbus_bus *bus = NULL;
  CHECK_OK(msgbus_bus_new(&bus));
  CHECK_OK(msgbus_bus_add_destination(bus, "acme/h", MSGBUS_DESTINATION_TYPE_SERIAL));
  record_book book = {.n = 0};
  pthread_mutex_init(&book.mutex, NULL);
  latch_init(&book.done, 2 * N + 2);
  uint64_t id = 0;
  CHECK_OK(msgbus_bus_register_listener(bus, "acme/h", record, &book, NULL, &id));
  msgbus_destination *handle = NULL;
  CHECK_OK(msgbus_bus_destination(bus, "acme/h", &handle));
  for (int64_t i = 0; i < N; i++) {
    msgbus_message *m = int_message(i);
    CHECK_OK(msgbus_destination_send(handle, m));
    msgbus_message_free(m);
  }
  msgbus_message *batch[N];
  for (int64_t i = 0; i < N; i++) batch[i] = int_message(N + i);
  size_t sent = 0;
  CHECK_OK(msgbus_destination_send_many(handle, (const msgbus_message *const *)batch, N, &sent));
  CHECK(sent == N);
  for (int i = 0; i < N; i++) msgbus_message_free(batch[i]);
  CHECK_OK(msgbus_destination_send_bytes(handle, (const uint8_t *)"abc", 3));
  CHECK_OK(msgbus_destination_send_bytes(handle, NULL, 0));
  CHECK(latch_wait(&book.done));
  for (int i = 0; i < 2 * N; i++) CHECK(book.seen[i] == i);
  CHECK(book.seen[2 * N] == -3 && book.seen[2 * N + 1] == 0);
  struct msgbus_destination_statistics stats;
  CHECK_OK(msgbus_bus_destination_statistics(bus, "acme/h", &stats));
  CHECK(stats.sent_message_count == 2 * N + 2);
  msgbus_destination_free(handle);
  msgbus_bus_free(bus);
  latch_destroy(&book.done);
  pthread_mutex_destroy(&book.mutex);
}

static msgbus_result double_it(void *user_data, const msgbus_message *m) {
  (void)user_data;
  int64_t i = 0;
  CHECK_OK(msgbus_value_as_int(msgbus_message_payload(m), &i));
  msgbus_value *v = msgbus_value_new_int(2 * i);
  msgbus_message_set_response(m, v);
  msgbus_value_free(v);
  return MSGBUS_RESULT_OK;
}

static void follows_a_replacement(void) {
  msgbus_bus *bus = NULL;
  CHECK_OK(msgbus_bus_new(&bus));
  CHECK_OK(msgbus_bus_add_destination(bus, "acme/r", MSGBUS_DESTINATION_TYPE_SERIAL));
  msgbus_destination *handle = NULL;
  CHECK_OK(msgbus_bus_destination(bus, "acme/r", &handle));
  msgbus_destination_config *config = NULL;
  CHECK_OK(msgbus_destination_config_new(MSGBUS_DESTINATION_TYPE_SYNCHRONOUS, &config));
  CHECK_OK(msgbus_bus_replace_destination(bus, "acme/r", config));
  msgbus_destination_config_free(config);
  uint64_t id = 0;
  CHECK_OK(msgbus_bus_register_listener(bus, "acme/r", double_it, NULL, NULL, &id));
  msgbus_message *m = int_message(21);
  msgbus_value *response = NULL;
  CHECK_OK(msgbus_destination_send_direct(handle, m, &response));
  int64_t got = 0;
  CHECK_OK(msgbus_value_as_int(response, &got));
  CHECK(got == 42);
  msgbus_value_free(response);
  msgbus_message_free(m);
  msgbus_destination_free(handle);
  msgbus_bus_free(bus);
}

typedef struct {
  int64_t seq;
  char text[8];
  size_t values;
  latch done;
} view_seen;

static void count_value(void *user_data, const char *key, const msgbus_value *value) {
  (void)key;
  (void)value;
  ((view_seen *)user_data)->values++;
}

static msgbus_result read_view(void *user_data, const msgbus_message *m) {
  view_seen *seen = user_data;
  const char *text = NULL;
  size_t len = 0;
  CHECK_OK(msgbus_value_as_string(msgbus_message_payload(m), &text, &len));
  CHECK(len < sizeof seen->text);
  memcpy(seen->text, text, len);
  const msgbus_value *seq = NULL;
  CHECK_OK(msgbus_message_get(m, "seq", &seq));
  CHECK_OK(msgbus_value_as_int(seq, &seen->seq));
  CHECK_OK(msgbus_message_for_each_value(m, count_value, seen));
  latch_count_down(&seen->done);
  return MSGBUS_RESULT_OK;
}

/* A bare payload and values described in place, in one call: a key given
 * twice keeps its last value. */
static void sends_views(void) {
  msgbus_bus *bus = NULL;
  CHECK_OK(msgbus_bus_new(&bus));
  CHECK_OK(msgbus_bus_add_destination(bus, "acme/v", MSGBUS_DESTINATION_TYPE_SERIAL));
  view_seen seen = {.seq = 0};
  latch_init(&seen.done, 1);
  uint64_t id = 0;
  CHECK_OK(msgbus_bus_register_listener(bus, "acme/v", read_view, &seen, NULL, &id));
  msgbus_destination *handle = NULL;
  CHECK_OK(msgbus_bus_destination(bus, "acme/v", &handle));
  msgbus_value_view payload = {.value_type = MSGBUS_VALUE_TYPE_STRING, .data = (const uint8_t *)"hello", .len = 5};
  msgbus_entry_view values[] = {
      {"seq", 3, {.value_type = MSGBUS_VALUE_TYPE_INT, .integer = 1}},
      {"flag", 4, {.value_type = MSGBUS_VALUE_TYPE_BOOL, .boolean = true}},
      {"seq", 3, {.value_type = MSGBUS_VALUE_TYPE_INT, .integer = 7}},
  };
  CHECK_OK(msgbus_destination_send_view(handle, &payload, values, 3));
  CHECK(latch_wait(&seen.done));
  CHECK_STR(seen.text, "hello");
  CHECK(seen.seq == 7 && seen.values == 2);
  msgbus_destination_free(handle);
  msgbus_bus_free(bus);
  latch_destroy(&seen.done);
}

int main(void) {
  sends_in_order();
  sends_views();
  follows_a_replacement();
  return finish();
}
