/* Every exported function with NULL for each pointer, invalid UTF-8, empty
 * names, unknown ids and unknown enum values: the exact result code, no
 * crash, no leak, and out-parameters left alone. */
#include "check.h"

#define NULLP MSGBUS_RESULT_NULL_PARAMETER
#define INVALID MSGBUS_RESULT_INVALID_ARGUMENT

static const char BAD_UTF8[] = {'a', (char)0xc3, (char)0x28, 0};

static int frees;
static void count_free(void *p) {
  (void)p;
  frees++;
}
static msgbus_result listener(void *u, const msgbus_message *m) {
  (void)u;
  (void)m;
  return MSGBUS_RESULT_OK;
}
static void event_listener(void *u, const msgbus_event *e) {
  (void)u;
  (void)e;
}
static void name_visitor(void *u, const char *n) {
  (void)u;
  (void)n;
}
static void value_visitor(void *u, const char *k, const msgbus_value *v) {
  (void)u;
  (void)k;
  (void)v;
}
static void log_fn(void *u, msgbus_log_level l, const char *t, const char *m) {
  (void)u;
  (void)l;
  (void)t;
  (void)m;
}

static void values(void) {
  msgbus_value *out = (msgbus_value *)&frees, *v = msgbus_value_new_int(1);
  static int thing;
  CHECK_RESULT(msgbus_value_new_string("x", 1, NULL), NULLP);
  CHECK_RESULT(msgbus_value_new_string(NULL, 1, &out), NULLP);
  CHECK_RESULT(msgbus_value_new_string(BAD_UTF8, 3, &out), INVALID);
  CHECK_RESULT(msgbus_value_new_bytes((const uint8_t *)"x", 1, NULL), NULLP);
  CHECK_RESULT(msgbus_value_new_bytes(NULL, 1, &out), NULLP);
  CHECK_RESULT(msgbus_value_new_pointer(&thing, count_free, NULL), NULLP);
  CHECK_RESULT(msgbus_value_new_pointer(NULL, count_free, &out), NULLP);
  CHECK(out == (msgbus_value *)&frees);
  CHECK(frees == 0);
  msgbus_value_free(NULL);
  CHECK(msgbus_value_clone(NULL) == NULL);
  CHECK(msgbus_value_type(NULL) == MSGBUS_VALUE_TYPE_NULL);

  bool b;
  int64_t i;
  double d;
  const char *s;
  size_t len;
  const uint8_t *data;
  void *p;
  CHECK_RESULT(msgbus_value_as_bool(NULL, &b), NULLP);
  CHECK_RESULT(msgbus_value_as_bool(v, NULL), NULLP);
  CHECK_RESULT(msgbus_value_as_bool(v, &b), MSGBUS_RESULT_WRONG_TYPE);
  CHECK_RESULT(msgbus_value_as_int(NULL, &i), NULLP);
  CHECK_RESULT(msgbus_value_as_int(v, NULL), NULLP);
  CHECK_RESULT(msgbus_value_as_double(NULL, &d), NULLP);
  CHECK_RESULT(msgbus_value_as_double(v, NULL), NULLP);
  CHECK_RESULT(msgbus_value_as_double(v, &d), MSGBUS_RESULT_WRONG_TYPE);
  CHECK_RESULT(msgbus_value_as_string(NULL, &s, &len), NULLP);
  CHECK_RESULT(msgbus_value_as_string(v, NULL, &len), NULLP);
  CHECK_RESULT(msgbus_value_as_string(v, &s, NULL), MSGBUS_RESULT_WRONG_TYPE);
  CHECK_RESULT(msgbus_value_as_bytes(NULL, &data, &len), NULLP);
  CHECK_RESULT(msgbus_value_as_bytes(v, NULL, &len), NULLP);
  CHECK_RESULT(msgbus_value_as_bytes(v, &data, NULL), NULLP);
  CHECK_RESULT(msgbus_value_as_bytes(v, &data, &len), MSGBUS_RESULT_WRONG_TYPE);
  CHECK_RESULT(msgbus_value_as_pointer(NULL, &p), NULLP);
  CHECK_RESULT(msgbus_value_as_pointer(v, NULL), NULLP);
  CHECK_RESULT(msgbus_value_as_pointer(v, &p), MSGBUS_RESULT_WRONG_TYPE);
  msgbus_value_free(v);
}

static void messages(void) {
  msgbus_message *m = msgbus_message_new();
  msgbus_value *v = msgbus_value_new_int(1), *owned = NULL;
  const msgbus_value *got = NULL;
  const char *s;
  size_t len;
  bool has;
  msgbus_message_free(NULL);
  CHECK(msgbus_message_clone(NULL) == NULL);
  CHECK(msgbus_message_payload(NULL) == NULL);
  CHECK(msgbus_message_destination_name(NULL) == NULL);
  CHECK(msgbus_message_response_destination_name(NULL) == NULL);
  CHECK(msgbus_message_response_id(NULL) == NULL);
  CHECK_RESULT(msgbus_message_set_payload(NULL, v), NULLP);
  CHECK_RESULT(msgbus_message_set_payload(m, NULL), NULLP);
  CHECK_RESULT(msgbus_message_set_payload_string(NULL, "x"), NULLP);
  CHECK_RESULT(msgbus_message_set_payload_string(m, NULL), NULLP);
  CHECK_RESULT(msgbus_message_set_payload_string(m, BAD_UTF8), INVALID);
  CHECK_RESULT(msgbus_message_payload_string(NULL, &s, &len), NULLP);
  CHECK_RESULT(msgbus_message_payload_string(m, NULL, &len), NULLP);
  CHECK_RESULT(msgbus_message_payload_string(m, &s, &len), MSGBUS_RESULT_WRONG_TYPE);
  CHECK_RESULT(msgbus_message_put(NULL, "k", v), NULLP);
  CHECK_RESULT(msgbus_message_put(m, NULL, v), NULLP);
  CHECK_RESULT(msgbus_message_put(m, "k", NULL), NULLP);
  CHECK_RESULT(msgbus_message_put(m, BAD_UTF8, v), INVALID);
  CHECK_RESULT(msgbus_message_get(NULL, "k", &got), NULLP);
  CHECK_RESULT(msgbus_message_get(m, NULL, &got), NULLP);
  CHECK_RESULT(msgbus_message_get(m, "k", NULL), NULLP);
  CHECK_RESULT(msgbus_message_get(m, BAD_UTF8, &got), INVALID);
  CHECK_RESULT(msgbus_message_get(m, "k", &got), MSGBUS_RESULT_NOT_FOUND);
  CHECK(got == NULL);
  CHECK_RESULT(msgbus_message_remove(NULL, "k"), NULLP);
  CHECK_RESULT(msgbus_message_remove(m, NULL), NULLP);
  CHECK_RESULT(msgbus_message_remove(m, "k"), MSGBUS_RESULT_NOT_FOUND);
  CHECK_RESULT(msgbus_message_contains(NULL, "k", &has), NULLP);
  CHECK_RESULT(msgbus_message_contains(m, NULL, &has), NULLP);
  CHECK_RESULT(msgbus_message_contains(m, "k", NULL), NULLP);
  CHECK_RESULT(msgbus_message_for_each_value(NULL, value_visitor, NULL), NULLP);
  CHECK_RESULT(msgbus_message_for_each_value(m, NULL, NULL), NULLP);
  CHECK_RESULT(msgbus_message_set_response_destination_name(NULL, "x"), NULLP);
  CHECK_RESULT(msgbus_message_set_response_destination_name(m, BAD_UTF8), INVALID);
  CHECK_RESULT(msgbus_message_set_response_id(NULL, "x"), NULLP);
  CHECK_RESULT(msgbus_message_set_response_id(m, BAD_UTF8), INVALID);
  CHECK_RESULT(msgbus_message_set_response(NULL, v), NULLP);
  CHECK_RESULT(msgbus_message_set_response(m, NULL), NULLP);
  CHECK_RESULT(msgbus_message_response(NULL, &owned), NULLP);
  CHECK_RESULT(msgbus_message_response(m, NULL), NULLP);
  CHECK(owned == NULL);
  msgbus_value_free(v);
  msgbus_message_free(m);
}

static void configs(void) {
  msgbus_destination_config *c = (msgbus_destination_config *)&frees;
  CHECK_RESULT(msgbus_destination_config_new(MSGBUS_DESTINATION_TYPE_SERIAL, NULL), NULLP);
  CHECK_RESULT(msgbus_destination_config_new(7, &c), INVALID);
  CHECK(c == (msgbus_destination_config *)&frees);
  msgbus_destination_config_free(NULL);
  CHECK_OK(msgbus_destination_config_new(MSGBUS_DESTINATION_TYPE_PARALLEL, &c));
  CHECK_RESULT(msgbus_destination_config_set_max_queue_size(NULL, 1), NULLP);
  CHECK_RESULT(msgbus_destination_config_set_max_queue_size(c, 0), INVALID);
  CHECK_RESULT(msgbus_destination_config_set_workers(NULL, 1, 1), NULLP);
  CHECK_RESULT(msgbus_destination_config_set_workers(c, 0, 5), INVALID);
  CHECK_RESULT(msgbus_destination_config_set_workers(c, 6, 5), INVALID);
  CHECK_RESULT(msgbus_destination_config_set_keep_alive(NULL, 1), NULLP);
  CHECK_RESULT(msgbus_destination_config_set_rejection_policy(NULL, MSGBUS_REJECTION_POLICY_BLOCK, 1), NULLP);
  CHECK_RESULT(msgbus_destination_config_set_rejection_policy(c, 9, 1), INVALID);
  msgbus_destination_config_free(c);
}

static void buses(void) {
  msgbus_bus *bus = NULL;
  msgbus_message *m = message_with("x");
  msgbus_value *v = msgbus_value_new_int(1), *out = NULL;
  msgbus_destination_config *c = NULL;
  msgbus_destination_statistics stats;
  uint64_t id = 77;
  bool has;
  CHECK_RESULT(msgbus_bus_new(NULL), NULLP);
  CHECK_OK(msgbus_bus_new(&bus));
  CHECK_OK(msgbus_destination_config_new(MSGBUS_DESTINATION_TYPE_SERIAL, &c));
  msgbus_bus_free(NULL);

  CHECK_RESULT(msgbus_bus_add_destination(NULL, "acme/x", MSGBUS_DESTINATION_TYPE_SERIAL), NULLP);
  CHECK_RESULT(msgbus_bus_add_destination(bus, NULL, MSGBUS_DESTINATION_TYPE_SERIAL), NULLP);
  CHECK_RESULT(msgbus_bus_add_destination(bus, "", MSGBUS_DESTINATION_TYPE_SERIAL), INVALID);
  CHECK(strstr(msgbus_last_error_message(), "empty") != NULL);
  CHECK_RESULT(msgbus_bus_add_destination(bus, BAD_UTF8, MSGBUS_DESTINATION_TYPE_SERIAL), INVALID);
  CHECK_RESULT(msgbus_bus_add_destination(bus, "acme/x", 3), INVALID);
  CHECK_RESULT(msgbus_bus_add_destination_with_config(NULL, "acme/x", c), NULLP);
  CHECK_RESULT(msgbus_bus_add_destination_with_config(bus, NULL, c), NULLP);
  CHECK_RESULT(msgbus_bus_add_destination_with_config(bus, "acme/x", NULL), NULLP);
  CHECK_RESULT(msgbus_bus_replace_destination(NULL, "acme/x", c), NULLP);
  CHECK_RESULT(msgbus_bus_replace_destination(bus, NULL, c), NULLP);
  CHECK_RESULT(msgbus_bus_replace_destination(bus, "acme/x", NULL), NULLP);
  CHECK_RESULT(msgbus_bus_remove_destination(NULL, "acme/x"), NULLP);
  CHECK_RESULT(msgbus_bus_remove_destination(bus, NULL), NULLP);
  CHECK_RESULT(msgbus_bus_remove_destination(bus, "acme/x"), MSGBUS_RESULT_NO_SUCH_DESTINATION);
  CHECK_RESULT(msgbus_bus_remove_destination(bus, "msgbus/default_response"), INVALID);
  CHECK_RESULT(msgbus_bus_has_destination(NULL, "acme/x", &has), NULLP);
  CHECK_RESULT(msgbus_bus_has_destination(bus, NULL, &has), NULLP);
  CHECK_RESULT(msgbus_bus_has_destination(bus, "acme/x", NULL), NULLP);
  CHECK_RESULT(msgbus_bus_destination_names(NULL, name_visitor, NULL), NULLP);
  CHECK_RESULT(msgbus_bus_destination_names(bus, NULL, NULL), NULLP);

  CHECK_RESULT(msgbus_bus_register_listener(NULL, "acme/x", listener, &frees, count_free, &id), NULLP);
  CHECK_RESULT(msgbus_bus_register_listener(bus, NULL, listener, &frees, count_free, &id), NULLP);
  CHECK_RESULT(msgbus_bus_register_listener(bus, "", listener, &frees, count_free, &id), INVALID);
  CHECK_RESULT(msgbus_bus_register_listener(bus, BAD_UTF8, listener, &frees, count_free, &id), INVALID);
  CHECK_RESULT(msgbus_bus_register_listener(bus, "acme/x", NULL, &frees, count_free, &id), NULLP);
  CHECK_RESULT(msgbus_bus_register_listener(bus, "acme/x", listener, &frees, count_free, NULL), NULLP);
  CHECK(id == 77 && frees == 0); /* refused: nothing written, nothing freed */
  CHECK_RESULT(msgbus_bus_unregister_listener(NULL, 1), NULLP);
  CHECK_RESULT(msgbus_bus_unregister_listener(bus, 123456), MSGBUS_RESULT_NO_SUCH_LISTENER);
  CHECK_RESULT(msgbus_bus_has_listener(NULL, "acme/x", &has), NULLP);
  CHECK_RESULT(msgbus_bus_has_listener(bus, NULL, &has), NULLP);
  CHECK_RESULT(msgbus_bus_has_listener(bus, "acme/x", NULL), NULLP);

  CHECK_RESULT(msgbus_bus_send(NULL, "acme/x", m), NULLP);
  CHECK_RESULT(msgbus_bus_send(bus, NULL, m), NULLP);
  CHECK_RESULT(msgbus_bus_send(bus, "acme/x", NULL), NULLP);
  CHECK_RESULT(msgbus_bus_send(bus, "", m), INVALID);
  CHECK_RESULT(msgbus_bus_send(bus, BAD_UTF8, m), INVALID);
  CHECK_RESULT(msgbus_bus_send(bus, "acme/x", m), MSGBUS_RESULT_NO_SUCH_DESTINATION);
  CHECK_RESULT(msgbus_bus_send_synchronous(NULL, "acme/x", m, 1, &out), NULLP);
  CHECK_RESULT(msgbus_bus_send_synchronous(bus, NULL, m, 1, &out), NULLP);
  CHECK_RESULT(msgbus_bus_send_synchronous(bus, "acme/x", NULL, 1, &out), NULLP);
  CHECK_RESULT(msgbus_bus_send_synchronous(bus, "acme/x", m, 1, NULL), NULLP);
  CHECK_RESULT(msgbus_bus_send_synchronous(bus, "acme/x", m, 1, &out), MSGBUS_RESULT_NO_SUCH_DESTINATION);
  CHECK_RESULT(msgbus_bus_send_direct(NULL, "acme/x", m, &out), NULLP);
  CHECK_RESULT(msgbus_bus_send_direct(bus, NULL, m, &out), NULLP);
  CHECK_RESULT(msgbus_bus_send_direct(bus, "acme/x", NULL, &out), NULLP);
  CHECK_RESULT(msgbus_bus_send_direct(bus, "acme/x", m, NULL), NULLP);
  CHECK_RESULT(msgbus_bus_send_direct(bus, "acme/x", m, &out), MSGBUS_RESULT_NO_SUCH_DESTINATION);
  CHECK(out == NULL);
  CHECK_RESULT(msgbus_bus_reply(NULL, m, v), NULLP);
  CHECK_RESULT(msgbus_bus_reply(bus, NULL, v), NULLP);
  CHECK_RESULT(msgbus_bus_reply(bus, m, NULL), NULLP);

  CHECK_RESULT(msgbus_bus_add_event_listener(NULL, NULL, event_listener, &frees, count_free, &id), NULLP);
  CHECK_RESULT(msgbus_bus_add_event_listener(bus, "", event_listener, &frees, count_free, &id), INVALID);
  CHECK_RESULT(msgbus_bus_add_event_listener(bus, BAD_UTF8, event_listener, &frees, count_free, &id), INVALID);
  CHECK_RESULT(msgbus_bus_add_event_listener(bus, NULL, NULL, &frees, count_free, &id), NULLP);
  CHECK_RESULT(msgbus_bus_add_event_listener(bus, NULL, event_listener, &frees, count_free, NULL), NULLP);
  CHECK(id == 77 && frees == 0);
  CHECK_RESULT(msgbus_bus_remove_event_listener(NULL, 1), NULLP);
  CHECK_RESULT(msgbus_bus_remove_event_listener(bus, 123456), MSGBUS_RESULT_NO_SUCH_LISTENER);
  CHECK_RESULT(msgbus_bus_destination_statistics(NULL, "acme/x", &stats), NULLP);
  CHECK_RESULT(msgbus_bus_destination_statistics(bus, NULL, &stats), NULLP);
  CHECK_RESULT(msgbus_bus_destination_statistics(bus, "acme/x", NULL), NULLP);
  CHECK_RESULT(msgbus_bus_destination_statistics(bus, "acme/x", &stats), MSGBUS_RESULT_NO_SUCH_DESTINATION);
  CHECK_RESULT(msgbus_bus_shutdown(NULL, false, 0), NULLP);

  CHECK_OK(msgbus_bus_add_destination(bus, "acme/x", MSGBUS_DESTINATION_TYPE_SERIAL));
  CHECK_RESULT(msgbus_bus_add_destination(bus, "acme/x", MSGBUS_DESTINATION_TYPE_SERIAL),
               MSGBUS_RESULT_DESTINATION_EXISTS);
  CHECK_OK(msgbus_bus_shutdown(bus, false, MSGBUS_WAIT_FOREVER));
  CHECK_RESULT(msgbus_bus_send(bus, "acme/x", m), MSGBUS_RESULT_CLOSED);
  CHECK_RESULT(msgbus_bus_add_destination(bus, "acme/y", MSGBUS_DESTINATION_TYPE_PARALLEL), MSGBUS_RESULT_CLOSED);
  msgbus_destination_config_free(c);
  msgbus_value_free(v);
  msgbus_message_free(m);
  msgbus_bus_free(bus);
}

static void globals(void) {
  CHECK(msgbus_result_str(MSGBUS_RESULT_OK) != NULL);
  for (msgbus_result r = 0; r <= MSGBUS_RESULT_PANIC; r++) {
    CHECK(strcmp(msgbus_result_str(r), "unknown result code") != 0);
  }
  CHECK(msgbus_last_error_message() != NULL);
  CHECK_RESULT(msgbus_set_log_handler(0, log_fn, &frees, count_free), INVALID);
  CHECK(frees == 0);
  msgbus_bus *def = msgbus_default_bus();
  CHECK(def != NULL && def == msgbus_default_bus());
  msgbus_bus_free(def); /* does nothing */
  bool has = false;
  CHECK_OK(msgbus_bus_has_destination(def, "msgbus/default_response", &has));
  CHECK(has);
  CHECK_OK(msgbus_bus_shutdown(def, false, MSGBUS_WAIT_FOREVER));
}

int main(void) {
  values();
  messages();
  configs();
  buses();
  globals();
  return finish();
}
