/* Bad input across the C boundary, as a table: every exported function,
 * each pointer argument NULL in turn, invalid UTF-8, empty and very long
 * names, zero and maximum sizes, unknown and already-freed ids, unknown
 * enum values. Each row names the function, what is bad, the exact result
 * code and the exact detail msgbus_last_error_message() gives. Refused
 * calls write no out-parameter and free no user data.
 *
 * `make test` checks that every exported function has a row
 * (tests/c/bad_input_coverage.sh). The last line before the summary gives
 * the number of rows, for RELIABILITY.md. */
#include <stdint.h>
#include <stdlib.h>

#include "check.h"

#define OK MSGBUS_RESULT_OK
#define NULLP MSGBUS_RESULT_NULL_PARAMETER
#define INVALID MSGBUS_RESULT_INVALID_ARGUMENT
#define WRONG MSGBUS_RESULT_WRONG_TYPE

static const char BAD_UTF8[] = {'a', (char)0xc3, (char)0x28, 0};
/* The detail for BAD_UTF8 given as the argument `param`. */
#define NOT_UTF8(param) param " is not UTF-8: invalid utf-8 sequence of 1 bytes from index 1"

static int rows;

/* A row returning a result: the code and, when `detail` is not NULL, the
 * exact detail message. */
#define ROW(function, bad, expected, detail, call)                          \
  check_row(#function, bad, (call), expected, detail, __LINE__)
/* A row returning a pointer that must be NULL. */
#define NULL_ROW(function, bad, call)                                       \
  do {                                                                      \
    rows++;                                                                 \
    if ((call) != NULL) {                                                   \
      checks_failed++;                                                      \
      fprintf(stderr, "line %d: %s with %s: not NULL\n", __LINE__,          \
              #function, bad);                                              \
    } else {                                                                \
      checks_passed++;                                                      \
    }                                                                       \
  } while (0)
/* A row returning nothing: it must simply not crash or leak. */
#define VOID_ROW(function, bad, call)                                       \
  do {                                                                      \
    rows++;                                                                 \
    call;                                                                   \
    checks_passed++;                                                        \
  } while (0)

static void check_row(const char *function, const char *bad, msgbus_result got,
                      msgbus_result expected, const char *detail, int line) {
  rows++;
  const char *message = msgbus_last_error_message();
  if (got != expected) {
    checks_failed++;
    fprintf(stderr, "line %d: %s with %s: got %s (%s), expected %s\n", line,
            function, bad, msgbus_result_str(got), message,
            msgbus_result_str(expected));
  } else if (detail != NULL && strcmp(message, detail) != 0) {
    checks_failed++;
    fprintf(stderr, "line %d: %s with %s: detail \"%s\", expected \"%s\"\n",
            line, function, bad, message, detail);
  } else {
    checks_passed++;
  }
}

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
static void reply_fn(void *u, const msgbus_value *v) {
  (void)u;
  (void)v;
}
static size_t enter_fn(void *u) {
  (void)u;
  return 0;
}
static void leave_fn(void *u, size_t t) {
  (void)u;
  (void)t;
}
static void log_fn(void *u, msgbus_log_level l, const char *t, const char *m) {
  (void)u;
  (void)l;
  (void)t;
  (void)m;
}

/* Out-parameters start as this and must still be it after a refusal. */
static int sentinel;
#define UNTOUCHED ((void *)&sentinel)

static void values(void) {
  msgbus_value *v = msgbus_value_new_int(1), *out = UNTOUCHED;
  static int thing;
  bool b;
  int64_t i;
  double d;
  const char *s;
  size_t len;
  const uint8_t *data;
  void *p;
  NULL_ROW(msgbus_value_clone, "NULL value", msgbus_value_clone(NULL));
  VOID_ROW(msgbus_value_free, "NULL value", msgbus_value_free(NULL));
  ROW(msgbus_value_type, "NULL value", MSGBUS_VALUE_TYPE_NULL, NULL, msgbus_value_type(NULL));
  ROW(msgbus_value_new_string, "NULL out_value", NULLP, "out_value is NULL", msgbus_value_new_string("x", 1, NULL));
  ROW(msgbus_value_new_string, "NULL text, length 1", NULLP, "text is NULL", msgbus_value_new_string(NULL, 1, &out));
  ROW(msgbus_value_new_string, "invalid UTF-8", INVALID, NOT_UTF8("text"), msgbus_value_new_string(BAD_UTF8, 3, &out));
  ROW(msgbus_value_new_string, "length above isize::MAX", INVALID, "text: length 18446744073709551615 is too large",
      msgbus_value_new_string("x", SIZE_MAX, &out));
  ROW(msgbus_value_new_bytes, "NULL out_value", NULLP, "out_value is NULL", msgbus_value_new_bytes((const uint8_t *)"x", 1, NULL));
  ROW(msgbus_value_new_bytes, "NULL data, length 1", NULLP, "data is NULL", msgbus_value_new_bytes(NULL, 1, &out));
  ROW(msgbus_value_new_bytes, "length above isize::MAX", INVALID, "data: length 18446744073709551615 is too large",
      msgbus_value_new_bytes((const uint8_t *)"x", SIZE_MAX, &out));
  ROW(msgbus_value_new_pointer, "NULL out_value", NULLP, "out_value is NULL", msgbus_value_new_pointer(&thing, count_free, NULL));
  ROW(msgbus_value_new_pointer, "NULL pointer", NULLP, "pointer is NULL", msgbus_value_new_pointer(NULL, count_free, &out));
  CHECK(out == UNTOUCHED && frees == 0);

  ROW(msgbus_value_as_bool, "NULL value", NULLP, "value is NULL", msgbus_value_as_bool(NULL, &b));
  ROW(msgbus_value_as_bool, "NULL out_bool", NULLP, "out_bool is NULL", msgbus_value_as_bool(v, NULL));
  ROW(msgbus_value_as_bool, "an int", WRONG, "expected a bool value, found int", msgbus_value_as_bool(v, &b));
  ROW(msgbus_value_as_int, "NULL value", NULLP, "value is NULL", msgbus_value_as_int(NULL, &i));
  ROW(msgbus_value_as_int, "NULL out_int", NULLP, "out_int is NULL", msgbus_value_as_int(v, NULL));
  ROW(msgbus_value_as_double, "NULL value", NULLP, "value is NULL", msgbus_value_as_double(NULL, &d));
  ROW(msgbus_value_as_double, "NULL out_double", NULLP, "out_double is NULL", msgbus_value_as_double(v, NULL));
  ROW(msgbus_value_as_double, "an int", WRONG, "expected a double value, found int", msgbus_value_as_double(v, &d));
  ROW(msgbus_value_as_string, "NULL value", NULLP, "value is NULL", msgbus_value_as_string(NULL, &s, &len));
  ROW(msgbus_value_as_string, "NULL out_text", NULLP, "out_text is NULL", msgbus_value_as_string(v, NULL, &len));
  ROW(msgbus_value_as_string, "an int", WRONG, "expected a string value, found int", msgbus_value_as_string(v, &s, NULL));
  ROW(msgbus_value_as_bytes, "NULL value", NULLP, "value is NULL", msgbus_value_as_bytes(NULL, &data, &len));
  ROW(msgbus_value_as_bytes, "NULL out_data", NULLP, "out_data is NULL", msgbus_value_as_bytes(v, NULL, &len));
  ROW(msgbus_value_as_bytes, "NULL out_len", NULLP, "out_len is NULL", msgbus_value_as_bytes(v, &data, NULL));
  ROW(msgbus_value_as_bytes, "an int", WRONG, "expected a bytes value, found int", msgbus_value_as_bytes(v, &data, &len));
  ROW(msgbus_value_as_pointer, "NULL value", NULLP, "value is NULL", msgbus_value_as_pointer(NULL, &p));
  ROW(msgbus_value_as_pointer, "NULL out_pointer", NULLP, "out_pointer is NULL", msgbus_value_as_pointer(v, NULL));
  ROW(msgbus_value_as_pointer, "an int", WRONG, "expected a pointer value, found int", msgbus_value_as_pointer(v, &p));
  msgbus_free_fn free_fn;
  ROW(msgbus_value_as_pointer_with_free, "NULL value", NULLP, "value is NULL", msgbus_value_as_pointer_with_free(NULL, &p, &free_fn));
  ROW(msgbus_value_as_pointer_with_free, "NULL out_pointer", NULLP, "out_pointer is NULL",
      msgbus_value_as_pointer_with_free(v, NULL, &free_fn));
  ROW(msgbus_value_as_pointer_with_free, "NULL out_free", NULLP, "out_free is NULL", msgbus_value_as_pointer_with_free(v, &p, NULL));
  ROW(msgbus_value_as_pointer_with_free, "an int", WRONG, "expected a pointer value, found int",
      msgbus_value_as_pointer_with_free(v, &p, &free_fn));
  ROW(msgbus_value_twin, "NULL value", NULLP, "value is NULL", msgbus_value_twin(NULL, &p, &free_fn));
  ROW(msgbus_value_twin, "NULL out_twin", NULLP, "out_twin is NULL", msgbus_value_twin(v, NULL, &free_fn));
  ROW(msgbus_value_twin, "NULL out_free", NULLP, "out_free is NULL", msgbus_value_twin(v, &p, NULL));
  ROW(msgbus_value_twin, "an int", WRONG, "expected a string or bytes value, found int",
      msgbus_value_twin(v, &p, &free_fn));
  /* Refused offers are not taken: count_free must not run. */
  ROW(msgbus_value_set_twin, "NULL value", NULLP, "value is NULL",
      msgbus_value_set_twin(NULL, &frees, count_free, &p, &free_fn));
  ROW(msgbus_value_set_twin, "NULL twin", NULLP, "twin is NULL", msgbus_value_set_twin(v, NULL, count_free, &p, &free_fn));
  ROW(msgbus_value_set_twin, "NULL out_twin", NULLP, "out_twin is NULL",
      msgbus_value_set_twin(v, &frees, count_free, NULL, &free_fn));
  ROW(msgbus_value_set_twin, "NULL out_free", NULLP, "out_free is NULL",
      msgbus_value_set_twin(v, &frees, count_free, &p, NULL));
  ROW(msgbus_value_set_twin, "an int", WRONG, "expected a string or bytes value, found int",
      msgbus_value_set_twin(v, &frees, count_free, &p, &free_fn));
  CHECK(frees == 0);

  /* Edge values that are valid: empty strings and bytes, extreme numbers. */
  msgbus_value *made[6] = {msgbus_value_new_null(), msgbus_value_new_bool(true),
                           msgbus_value_new_int(INT64_MIN), msgbus_value_new_double(-0.0)};
  ROW(msgbus_value_new_null, "nothing to refuse", MSGBUS_VALUE_TYPE_NULL, NULL, msgbus_value_type(made[0]));
  ROW(msgbus_value_new_bool, "nothing to refuse", MSGBUS_VALUE_TYPE_BOOL, NULL, msgbus_value_type(made[1]));
  ROW(msgbus_value_new_int, "INT64_MIN", MSGBUS_VALUE_TYPE_INT, NULL, msgbus_value_type(made[2]));
  ROW(msgbus_value_new_double, "-0.0", MSGBUS_VALUE_TYPE_DOUBLE, NULL, msgbus_value_type(made[3]));
  ROW(msgbus_value_new_string, "NULL text, length 0", OK, NULL, msgbus_value_new_string(NULL, 0, &made[4]));
  ROW(msgbus_value_new_bytes, "NULL data, length 0", OK, NULL, msgbus_value_new_bytes(NULL, 0, &made[5]));
  for (int k = 0; k < 6; k++) msgbus_value_free(made[k]);
  msgbus_value_free(v);
}

static void messages(void) {
  msgbus_message *m = msgbus_message_new();
  msgbus_value *v = msgbus_value_new_int(1), *owned = UNTOUCHED;
  const msgbus_value *got = UNTOUCHED;
  const char *s = UNTOUCHED;
  size_t len;
  bool has;
  VOID_ROW(msgbus_message_free, "NULL message", msgbus_message_free(NULL));
  NULL_ROW(msgbus_message_clone, "NULL message", msgbus_message_clone(NULL));
  NULL_ROW(msgbus_message_payload, "NULL message", msgbus_message_payload(NULL));
  NULL_ROW(msgbus_message_destination_name, "NULL message", msgbus_message_destination_name(NULL));
  NULL_ROW(msgbus_message_destination_name, "a message never sent", msgbus_message_destination_name(m));
  NULL_ROW(msgbus_message_response_destination_name, "NULL message", msgbus_message_response_destination_name(NULL));
  NULL_ROW(msgbus_message_response_id, "NULL message", msgbus_message_response_id(NULL));
  ROW(msgbus_message_set_payload, "NULL message", NULLP, "message is NULL", msgbus_message_set_payload(NULL, v));
  ROW(msgbus_message_set_payload, "NULL value", NULLP, "value is NULL", msgbus_message_set_payload(m, NULL));
  ROW(msgbus_message_set_payload_string, "NULL message", NULLP, "message is NULL", msgbus_message_set_payload_string(NULL, "x"));
  ROW(msgbus_message_set_payload_string, "NULL text", NULLP, "text is NULL", msgbus_message_set_payload_string(m, NULL));
  ROW(msgbus_message_set_payload_string, "invalid UTF-8", INVALID, NOT_UTF8("text"), msgbus_message_set_payload_string(m, BAD_UTF8));
  ROW(msgbus_message_payload_string, "NULL message", NULLP, "message is NULL", msgbus_message_payload_string(NULL, &s, &len));
  ROW(msgbus_message_payload_string, "NULL out_text", NULLP, "out_text is NULL", msgbus_message_payload_string(m, NULL, &len));
  ROW(msgbus_message_payload_string, "a null payload", WRONG, "expected a string value, found null",
      msgbus_message_payload_string(m, &s, &len));
  ROW(msgbus_message_put, "NULL message", NULLP, "message is NULL", msgbus_message_put(NULL, "k", v));
  ROW(msgbus_message_put, "NULL key", NULLP, "key is NULL", msgbus_message_put(m, NULL, v));
  ROW(msgbus_message_put, "NULL value", NULLP, "value is NULL", msgbus_message_put(m, "k", NULL));
  ROW(msgbus_message_put, "invalid UTF-8 key", INVALID, NOT_UTF8("key"), msgbus_message_put(m, BAD_UTF8, v));
  msgbus_value_view int_view = {.value_type = MSGBUS_VALUE_TYPE_INT, .integer = 1};
  msgbus_value_view bad_text = {.value_type = MSGBUS_VALUE_TYPE_STRING, .data = (const uint8_t *)BAD_UTF8, .len = 3};
  msgbus_value_view no_data = {.value_type = MSGBUS_VALUE_TYPE_BYTES, .data = NULL, .len = 1};
  msgbus_value_view pointer_view = {.value_type = MSGBUS_VALUE_TYPE_POINTER};
  ROW(msgbus_message_set_payload_view, "NULL message", NULLP, "message is NULL", msgbus_message_set_payload_view(NULL, &int_view));
  ROW(msgbus_message_set_payload_view, "NULL view", NULLP, "view is NULL", msgbus_message_set_payload_view(m, NULL));
  ROW(msgbus_message_set_payload_view, "invalid UTF-8 text", INVALID, NOT_UTF8("view.data"),
      msgbus_message_set_payload_view(m, &bad_text));
  ROW(msgbus_message_set_payload_view, "NULL data, length 1", NULLP, "view.data is NULL", msgbus_message_set_payload_view(m, &no_data));
  ROW(msgbus_message_set_payload_view, "a pointer type", INVALID,
      "view has type 6: a view holds null, bool, int, double, string or bytes", msgbus_message_set_payload_view(m, &pointer_view));
  ROW(msgbus_message_put_view, "NULL message", NULLP, "message is NULL", msgbus_message_put_view(NULL, "k", &int_view));
  ROW(msgbus_message_put_view, "NULL key", NULLP, "key is NULL", msgbus_message_put_view(m, NULL, &int_view));
  ROW(msgbus_message_put_view, "invalid UTF-8 key", INVALID, NOT_UTF8("key"), msgbus_message_put_view(m, BAD_UTF8, &int_view));
  ROW(msgbus_message_put_view, "NULL view", NULLP, "view is NULL", msgbus_message_put_view(m, "k", NULL));
  ROW(msgbus_message_put_view, "an unknown type 99", INVALID,
      "view has type 99: a view holds null, bool, int, double, string or bytes",
      msgbus_message_put_view(m, "k", &(msgbus_value_view){.value_type = 99}));
  ROW(msgbus_message_get, "NULL message", NULLP, "message is NULL", msgbus_message_get(NULL, "k", &got));
  ROW(msgbus_message_get, "NULL key", NULLP, "key is NULL", msgbus_message_get(m, NULL, &got));
  ROW(msgbus_message_get, "NULL out_value", NULLP, "out_value is NULL", msgbus_message_get(m, "k", NULL));
  ROW(msgbus_message_get, "invalid UTF-8 key", INVALID, NOT_UTF8("key"), msgbus_message_get(m, BAD_UTF8, &got));
  ROW(msgbus_message_get, "a missing key", MSGBUS_RESULT_NOT_FOUND, "no value under \"k\"", msgbus_message_get(m, "k", &got));
  ROW(msgbus_message_remove, "NULL message", NULLP, "message is NULL", msgbus_message_remove(NULL, "k"));
  ROW(msgbus_message_remove, "NULL key", NULLP, "key is NULL", msgbus_message_remove(m, NULL));
  ROW(msgbus_message_remove, "invalid UTF-8 key", INVALID, NOT_UTF8("key"), msgbus_message_remove(m, BAD_UTF8));
  ROW(msgbus_message_remove, "a missing key", MSGBUS_RESULT_NOT_FOUND, "no value under \"k\"", msgbus_message_remove(m, "k"));
  ROW(msgbus_message_contains, "NULL message", NULLP, "message is NULL", msgbus_message_contains(NULL, "k", &has));
  ROW(msgbus_message_contains, "NULL key", NULLP, "key is NULL", msgbus_message_contains(m, NULL, &has));
  ROW(msgbus_message_contains, "NULL out_contains", NULLP, "out_contains is NULL", msgbus_message_contains(m, "k", NULL));
  ROW(msgbus_message_for_each_value, "NULL message", NULLP, "message is NULL", msgbus_message_for_each_value(NULL, value_visitor, NULL));
  ROW(msgbus_message_for_each_value, "NULL visitor", NULLP, "visitor is NULL", msgbus_message_for_each_value(m, NULL, NULL));
  ROW(msgbus_message_set_response_destination_name, "NULL message", NULLP, "message is NULL",
      msgbus_message_set_response_destination_name(NULL, "x"));
  ROW(msgbus_message_set_response_destination_name, "invalid UTF-8", INVALID, NOT_UTF8("name"),
      msgbus_message_set_response_destination_name(m, BAD_UTF8));
  ROW(msgbus_message_set_response_id, "NULL message", NULLP, "message is NULL", msgbus_message_set_response_id(NULL, "x"));
  ROW(msgbus_message_set_response_id, "invalid UTF-8", INVALID, NOT_UTF8("id"), msgbus_message_set_response_id(m, BAD_UTF8));
  ROW(msgbus_message_set_response, "NULL message", NULLP, "message is NULL", msgbus_message_set_response(NULL, v));
  ROW(msgbus_message_set_response, "NULL value", NULLP, "value is NULL", msgbus_message_set_response(m, NULL));
  ROW(msgbus_message_response, "NULL message", NULLP, "message is NULL", msgbus_message_response(NULL, &owned));
  ROW(msgbus_message_response, "NULL out_value", NULLP, "out_value is NULL", msgbus_message_response(m, NULL));
  CHECK(owned == UNTOUCHED && got == UNTOUCHED && s == UNTOUCHED);
  /* msgbus_message_new cannot be given bad input; its message is valid. */
  ROW(msgbus_message_new, "nothing to refuse", OK, NULL, msgbus_message_set_payload_string(m, ""));
  msgbus_value_free(v);
  msgbus_message_free(m);
}

static void configs(void) {
  msgbus_destination_config *c = UNTOUCHED;
  ROW(msgbus_destination_config_new, "NULL out_config", NULLP, "out_config is NULL",
      msgbus_destination_config_new(MSGBUS_DESTINATION_TYPE_SERIAL, NULL));
  ROW(msgbus_destination_config_new, "unknown type 3", INVALID, "unknown destination type 3", msgbus_destination_config_new(3, &c));
  ROW(msgbus_destination_config_new, "unknown type UINT32_MAX", INVALID, "unknown destination type 4294967295",
      msgbus_destination_config_new(UINT32_MAX, &c));
  CHECK(c == UNTOUCHED);
  VOID_ROW(msgbus_destination_config_free, "NULL config", msgbus_destination_config_free(NULL));
  CHECK_OK(msgbus_destination_config_new(MSGBUS_DESTINATION_TYPE_PARALLEL, &c));
  ROW(msgbus_destination_config_set_max_queue_size, "NULL config", NULLP, "config is NULL",
      msgbus_destination_config_set_max_queue_size(NULL, 1));
  ROW(msgbus_destination_config_set_max_queue_size, "size 0", INVALID, "max_queue_size is 0",
      msgbus_destination_config_set_max_queue_size(c, 0));
  ROW(msgbus_destination_config_set_max_queue_size, "size SIZE_MAX", OK, NULL, msgbus_destination_config_set_max_queue_size(c, SIZE_MAX));
  ROW(msgbus_destination_config_set_workers, "NULL config", NULLP, "config is NULL", msgbus_destination_config_set_workers(NULL, 1, 1));
  ROW(msgbus_destination_config_set_workers, "core size 0", INVALID, "workers 0/5: need 1 <= core <= max",
      msgbus_destination_config_set_workers(c, 0, 5));
  ROW(msgbus_destination_config_set_workers, "core above max", INVALID, "workers 6/5: need 1 <= core <= max",
      msgbus_destination_config_set_workers(c, 6, 5));
  ROW(msgbus_destination_config_set_workers, "max SIZE_MAX", OK, NULL, msgbus_destination_config_set_workers(c, 1, SIZE_MAX));
  ROW(msgbus_destination_config_set_keep_alive, "NULL config", NULLP, "config is NULL", msgbus_destination_config_set_keep_alive(NULL, 1));
  ROW(msgbus_destination_config_set_stack_size, "NULL config", NULLP, "config is NULL",
      msgbus_destination_config_set_stack_size(NULL, MSGBUS_DEFAULT_STACK_SIZE));
  ROW(msgbus_destination_config_set_stack_size, "4 KiB", INVALID,
      "invalid argument: stack_size 4096 is below the 16384 bytes a thread needs", msgbus_destination_config_set_stack_size(c, 4096));
  ROW(msgbus_destination_config_set_stack_size, "MSGBUS_MIN_STACK_SIZE", OK, NULL,
      msgbus_destination_config_set_stack_size(c, MSGBUS_MIN_STACK_SIZE));
  ROW(msgbus_destination_config_set_keep_alive, "UINT64_MAX ms", OK, NULL, msgbus_destination_config_set_keep_alive(c, UINT64_MAX));
  ROW(msgbus_destination_config_set_rejection_policy, "NULL config", NULLP, "config is NULL",
      msgbus_destination_config_set_rejection_policy(NULL, MSGBUS_REJECTION_POLICY_BLOCK, 1));
  ROW(msgbus_destination_config_set_rejection_policy, "unknown policy 9", INVALID, "unknown rejection policy 9",
      msgbus_destination_config_set_rejection_policy(c, 9, 1));
  ROW(msgbus_destination_config_set_rejection_policy, "block for UINT64_MAX ms", OK, NULL,
      msgbus_destination_config_set_rejection_policy(c, MSGBUS_REJECTION_POLICY_BLOCK, UINT64_MAX));
  ROW(msgbus_destination_config_set_dead_letter_destination, "NULL config", NULLP, "config is NULL",
      msgbus_destination_config_set_dead_letter_destination(NULL, "acme/dead"));
  ROW(msgbus_destination_config_set_dead_letter_destination, "invalid UTF-8 name", INVALID, NOT_UTF8("name"),
      msgbus_destination_config_set_dead_letter_destination(c, BAD_UTF8));
  ROW(msgbus_destination_config_set_dead_letter_destination, "empty name", INVALID, "name is empty",
      msgbus_destination_config_set_dead_letter_destination(c, ""));
  ROW(msgbus_destination_config_set_dead_letter_destination, "NULL name (the bus's)", OK, NULL,
      msgbus_destination_config_set_dead_letter_destination(c, NULL));
  ROW(msgbus_destination_config_set_timing_every, "NULL config", NULLP, "config is NULL",
      msgbus_destination_config_set_timing_every(NULL, 1));
  ROW(msgbus_destination_config_set_timing_every, "every 3", INVALID,
      "invalid argument: timing_every 3 is neither 0 nor a power of two", msgbus_destination_config_set_timing_every(c, 3));
  ROW(msgbus_destination_config_set_timing_every, "every UINT32_MAX", INVALID,
      "invalid argument: timing_every 4294967295 is neither 0 nor a power of two",
      msgbus_destination_config_set_timing_every(c, UINT32_MAX));
  ROW(msgbus_destination_config_set_timing_every, "every 0 (none)", OK, NULL, msgbus_destination_config_set_timing_every(c, 0));
  ROW(msgbus_destination_config_set_timing_every, "every 2^31", OK, NULL, msgbus_destination_config_set_timing_every(c, 1u << 31));
  msgbus_destination_config_free(c);
}

static void buses(void) {
  msgbus_bus *bus = UNTOUCHED;
  msgbus_message *m = msgbus_message_new();
  msgbus_value *v = msgbus_value_new_int(1), *out = UNTOUCHED;
  msgbus_destination_config *c = NULL;
  msgbus_destination_statistics stats;
  uint64_t id = 77, freed_id, freed_event_id;
  bool has;
  char *long_name = malloc(1 << 20);
  memset(long_name, 'n', (1 << 20) - 1);
  long_name[(1 << 20) - 1] = 0;
  ROW(msgbus_bus_new, "NULL out_bus", NULLP, "out_bus is NULL", msgbus_bus_new(NULL));
  CHECK(bus == UNTOUCHED);
  CHECK_OK(msgbus_bus_new(&bus));
  CHECK_OK(msgbus_destination_config_new(MSGBUS_DESTINATION_TYPE_SERIAL, &c));
  CHECK_OK(msgbus_message_set_payload_string(m, "x"));
  VOID_ROW(msgbus_bus_free, "NULL bus", msgbus_bus_free(NULL));

  ROW(msgbus_bus_add_destination, "NULL bus", NULLP, "bus is NULL", msgbus_bus_add_destination(NULL, "acme/x", MSGBUS_DESTINATION_TYPE_SERIAL));
  ROW(msgbus_bus_add_destination, "NULL name", NULLP, "name is NULL", msgbus_bus_add_destination(bus, NULL, MSGBUS_DESTINATION_TYPE_SERIAL));
  ROW(msgbus_bus_add_destination, "empty name", INVALID, "name is empty", msgbus_bus_add_destination(bus, "", MSGBUS_DESTINATION_TYPE_SERIAL));
  ROW(msgbus_bus_add_destination, "invalid UTF-8 name", INVALID, NOT_UTF8("name"), msgbus_bus_add_destination(bus, BAD_UTF8, MSGBUS_DESTINATION_TYPE_SERIAL));
  ROW(msgbus_bus_add_destination, "unknown type 3", INVALID, "unknown destination type 3", msgbus_bus_add_destination(bus, "acme/x", 3));
  ROW(msgbus_bus_add_destination, "a 1 MiB name", OK, NULL, msgbus_bus_add_destination(bus, long_name, MSGBUS_DESTINATION_TYPE_SERIAL));
  ROW(msgbus_bus_add_destination_with_config, "NULL bus", NULLP, "bus is NULL", msgbus_bus_add_destination_with_config(NULL, "acme/x", c));
  ROW(msgbus_bus_add_destination_with_config, "NULL name", NULLP, "name is NULL", msgbus_bus_add_destination_with_config(bus, NULL, c));
  ROW(msgbus_bus_add_destination_with_config, "NULL config", NULLP, "config is NULL", msgbus_bus_add_destination_with_config(bus, "acme/x", NULL));
  ROW(msgbus_bus_add_destination_with_config, "empty name", INVALID, "name is empty", msgbus_bus_add_destination_with_config(bus, "", c));
  ROW(msgbus_bus_add_destination_with_config, "a name taken", MSGBUS_RESULT_DESTINATION_EXISTS,
      "destination exists: msgbus/default_response", msgbus_bus_add_destination_with_config(bus, "msgbus/default_response", c));
  ROW(msgbus_bus_replace_destination, "NULL bus", NULLP, "bus is NULL", msgbus_bus_replace_destination(NULL, "acme/x", c));
  ROW(msgbus_bus_replace_destination, "NULL name", NULLP, "name is NULL", msgbus_bus_replace_destination(bus, NULL, c));
  ROW(msgbus_bus_replace_destination, "NULL config", NULLP, "config is NULL", msgbus_bus_replace_destination(bus, "acme/x", NULL));
  ROW(msgbus_bus_replace_destination, "invalid UTF-8 name", INVALID, NOT_UTF8("name"), msgbus_bus_replace_destination(bus, BAD_UTF8, c));
  ROW(msgbus_bus_replace_destination, "the reply destination", MSGBUS_RESULT_DESTINATION_EXISTS,
      "destination exists: msgbus/default_response", msgbus_bus_replace_destination(bus, "msgbus/default_response", c));
  ROW(msgbus_bus_remove_destination, "NULL bus", NULLP, "bus is NULL", msgbus_bus_remove_destination(NULL, "acme/x"));
  ROW(msgbus_bus_remove_destination, "NULL name", NULLP, "name is NULL", msgbus_bus_remove_destination(bus, NULL));
  ROW(msgbus_bus_remove_destination, "empty name", INVALID, "name is empty", msgbus_bus_remove_destination(bus, ""));
  ROW(msgbus_bus_remove_destination, "an unknown name", MSGBUS_RESULT_NO_SUCH_DESTINATION, "no such destination: acme/x",
      msgbus_bus_remove_destination(bus, "acme/x"));
  ROW(msgbus_bus_remove_destination, "the reply destination", INVALID,
      "invalid argument: msgbus/default_response is built in and cannot be removed",
      msgbus_bus_remove_destination(bus, "msgbus/default_response"));
  ROW(msgbus_bus_remove_destination, "a 1 MiB name", OK, NULL, msgbus_bus_remove_destination(bus, long_name));
  ROW(msgbus_bus_has_destination, "NULL bus", NULLP, "bus is NULL", msgbus_bus_has_destination(NULL, "acme/x", &has));
  ROW(msgbus_bus_has_destination, "NULL name", NULLP, "name is NULL", msgbus_bus_has_destination(bus, NULL, &has));
  ROW(msgbus_bus_has_destination, "NULL out_has", NULLP, "out_has is NULL", msgbus_bus_has_destination(bus, "acme/x", NULL));
  ROW(msgbus_bus_has_destination, "invalid UTF-8 name", INVALID, NOT_UTF8("name"), msgbus_bus_has_destination(bus, BAD_UTF8, &has));
  ROW(msgbus_bus_destination_names, "NULL bus", NULLP, "bus is NULL", msgbus_bus_destination_names(NULL, name_visitor, NULL));
  ROW(msgbus_bus_destination_names, "NULL visitor", NULLP, "visitor is NULL", msgbus_bus_destination_names(bus, NULL, NULL));

  ROW(msgbus_bus_register_listener, "NULL bus", NULLP, "bus is NULL",
      msgbus_bus_register_listener(NULL, "acme/x", listener, &frees, count_free, &id));
  ROW(msgbus_bus_register_listener, "NULL name", NULLP, "name is NULL",
      msgbus_bus_register_listener(bus, NULL, listener, &frees, count_free, &id));
  ROW(msgbus_bus_register_listener, "empty name", INVALID, "name is empty",
      msgbus_bus_register_listener(bus, "", listener, &frees, count_free, &id));
  ROW(msgbus_bus_register_listener, "invalid UTF-8 name", INVALID, NOT_UTF8("name"),
      msgbus_bus_register_listener(bus, BAD_UTF8, listener, &frees, count_free, &id));
  ROW(msgbus_bus_register_listener, "NULL callback", NULLP, "callback is NULL",
      msgbus_bus_register_listener(bus, "acme/x", NULL, &frees, count_free, &id));
  ROW(msgbus_bus_register_listener, "NULL out_id", NULLP, "out_id is NULL",
      msgbus_bus_register_listener(bus, "acme/x", listener, &frees, count_free, NULL));
  CHECK(id == 77 && frees == 0); /* refused: nothing written, nothing freed */
  CHECK_OK(msgbus_bus_register_listener(bus, "acme/x", listener, &frees, count_free, &freed_id));
  CHECK_OK(msgbus_bus_unregister_listener(bus, freed_id));
  CHECK(frees == 1);
  ROW(msgbus_bus_unregister_listener, "NULL bus", NULLP, "bus is NULL", msgbus_bus_unregister_listener(NULL, 1));
  ROW(msgbus_bus_unregister_listener, "an unknown id", MSGBUS_RESULT_NO_SUCH_LISTENER, "no such listener",
      msgbus_bus_unregister_listener(bus, 123456));
  ROW(msgbus_bus_unregister_listener, "id 0", MSGBUS_RESULT_NO_SUCH_LISTENER, "no such listener", msgbus_bus_unregister_listener(bus, 0));
  ROW(msgbus_bus_unregister_listener, "an id already unregistered", MSGBUS_RESULT_NO_SUCH_LISTENER, "no such listener",
      msgbus_bus_unregister_listener(bus, freed_id));
  CHECK(frees == 1);
  const msgbus_runtime *runtime = NULL;
  msgbus_runtime_hooks hooks = {&frees, enter_fn, leave_fn, enter_fn, leave_fn, NULL};
  CHECK_OK(msgbus_runtime_register(&hooks, &runtime));
  ROW(msgbus_bus_register_listener_in_runtime, "NULL bus", NULLP, "bus is NULL",
      msgbus_bus_register_listener_in_runtime(NULL, "acme/x", runtime, listener, &frees, count_free, &id));
  ROW(msgbus_bus_register_listener_in_runtime, "NULL runtime", NULLP, "runtime is NULL",
      msgbus_bus_register_listener_in_runtime(bus, "acme/x", NULL, listener, &frees, count_free, &id));
  ROW(msgbus_bus_register_listener_in_runtime, "NULL name", NULLP, "name is NULL",
      msgbus_bus_register_listener_in_runtime(bus, NULL, runtime, listener, &frees, count_free, &id));
  ROW(msgbus_bus_register_listener_in_runtime, "invalid UTF-8 name", INVALID, NOT_UTF8("name"),
      msgbus_bus_register_listener_in_runtime(bus, BAD_UTF8, runtime, listener, &frees, count_free, &id));
  ROW(msgbus_bus_register_listener_in_runtime, "NULL callback", NULLP, "callback is NULL",
      msgbus_bus_register_listener_in_runtime(bus, "acme/x", runtime, NULL, &frees, count_free, &id));
  ROW(msgbus_bus_register_listener_in_runtime, "NULL out_id", NULLP, "out_id is NULL",
      msgbus_bus_register_listener_in_runtime(bus, "acme/x", runtime, listener, &frees, count_free, NULL));
  CHECK(id == 77 && frees == 1);
  ROW(msgbus_bus_has_listener, "NULL bus", NULLP, "bus is NULL", msgbus_bus_has_listener(NULL, "acme/x", &has));
  ROW(msgbus_bus_has_listener, "NULL name", NULLP, "name is NULL", msgbus_bus_has_listener(bus, NULL, &has));
  ROW(msgbus_bus_has_listener, "NULL out_has", NULLP, "out_has is NULL", msgbus_bus_has_listener(bus, "acme/x", NULL));

  ROW(msgbus_bus_send, "NULL bus", NULLP, "bus is NULL", msgbus_bus_send(NULL, "acme/x", m));
  ROW(msgbus_bus_send, "NULL destination", NULLP, "destination is NULL", msgbus_bus_send(bus, NULL, m));
  ROW(msgbus_bus_send, "NULL message", NULLP, "message is NULL", msgbus_bus_send(bus, "acme/x", NULL));
  ROW(msgbus_bus_send, "empty destination", INVALID, "destination is empty", msgbus_bus_send(bus, "", m));
  ROW(msgbus_bus_send, "invalid UTF-8 destination", INVALID, NOT_UTF8("destination"), msgbus_bus_send(bus, BAD_UTF8, m));
  ROW(msgbus_bus_send, "an unknown destination", MSGBUS_RESULT_NO_SUCH_DESTINATION, "no such destination: acme/x",
      msgbus_bus_send(bus, "acme/x", m));
  ROW(msgbus_bus_send, "an unknown 1 MiB destination", MSGBUS_RESULT_NO_SUCH_DESTINATION, NULL, msgbus_bus_send(bus, long_name, m));
  ROW(msgbus_bus_send_synchronous, "NULL bus", NULLP, "bus is NULL", msgbus_bus_send_synchronous(NULL, "acme/x", m, 1, &out));
  ROW(msgbus_bus_send_synchronous, "NULL destination", NULLP, "destination is NULL", msgbus_bus_send_synchronous(bus, NULL, m, 1, &out));
  ROW(msgbus_bus_send_synchronous, "NULL message", NULLP, "message is NULL", msgbus_bus_send_synchronous(bus, "acme/x", NULL, 1, &out));
  ROW(msgbus_bus_send_synchronous, "NULL out_response", NULLP, "out_response is NULL",
      msgbus_bus_send_synchronous(bus, "acme/x", m, 1, NULL));
  ROW(msgbus_bus_send_synchronous, "an unknown destination", MSGBUS_RESULT_NO_SUCH_DESTINATION, "no such destination: acme/x",
      msgbus_bus_send_synchronous(bus, "acme/x", m, 1, &out));
  ROW(msgbus_bus_send_direct, "NULL bus", NULLP, "bus is NULL", msgbus_bus_send_direct(NULL, "acme/x", m, &out));
  ROW(msgbus_bus_send_direct, "NULL destination", NULLP, "destination is NULL", msgbus_bus_send_direct(bus, NULL, m, &out));
  ROW(msgbus_bus_send_direct, "NULL message", NULLP, "message is NULL", msgbus_bus_send_direct(bus, "acme/x", NULL, &out));
  ROW(msgbus_bus_send_direct, "NULL out_response", NULLP, "out_response is NULL", msgbus_bus_send_direct(bus, "acme/x", m, NULL));
  ROW(msgbus_bus_send_direct, "an unknown destination", MSGBUS_RESULT_NO_SUCH_DESTINATION, "no such destination: acme/x",
      msgbus_bus_send_direct(bus, "acme/x", m, &out));
  CHECK(out == UNTOUCHED);
  msgbus_request *request = UNTOUCHED;
  ROW(msgbus_bus_request, "NULL bus", NULLP, "bus is NULL", msgbus_bus_request(NULL, "acme/x", m, &request));
  ROW(msgbus_bus_request, "NULL destination", NULLP, "destination is NULL", msgbus_bus_request(bus, NULL, m, &request));
  ROW(msgbus_bus_request, "NULL message", NULLP, "message is NULL", msgbus_bus_request(bus, "acme/x", NULL, &request));
  ROW(msgbus_bus_request, "NULL out_request", NULLP, "out_request is NULL", msgbus_bus_request(bus, "acme/x", m, NULL));
  ROW(msgbus_bus_request, "an unknown destination", MSGBUS_RESULT_NO_SUCH_DESTINATION, "no such destination: acme/x",
      msgbus_bus_request(bus, "acme/x", m, &request));
  CHECK(request == UNTOUCHED);
  ROW(msgbus_request_wait, "NULL request", NULLP, "request is NULL", msgbus_request_wait(NULL, 0, &out));
  ROW(msgbus_request_on_reply, "NULL request", NULLP, "request is NULL", msgbus_request_on_reply(NULL, reply_fn, &frees, count_free));
  VOID_ROW(msgbus_request_free, "NULL request", msgbus_request_free(NULL));
  CHECK(out == UNTOUCHED && frees == 1);
  msgbus_bus *second = UNTOUCHED;
  ROW(msgbus_bus_clone, "NULL bus", NULLP, "bus is NULL", msgbus_bus_clone(NULL, &second));
  ROW(msgbus_bus_clone, "NULL out_bus", NULLP, "out_bus is NULL", msgbus_bus_clone(bus, NULL));
  CHECK(second == UNTOUCHED);
  ROW(msgbus_bus_reply, "NULL bus", NULLP, "bus is NULL", msgbus_bus_reply(NULL, m, v));
  ROW(msgbus_bus_reply, "NULL request", NULLP, "request is NULL", msgbus_bus_reply(bus, NULL, v));
  ROW(msgbus_bus_reply, "NULL payload", NULLP, "payload is NULL", msgbus_bus_reply(bus, m, NULL));
  ROW(msgbus_bus_reply, "a request without response destination", INVALID,
      "invalid argument: the request has no response destination", msgbus_bus_reply(bus, m, v));

  ROW(msgbus_bus_add_event_listener, "NULL bus", NULLP, "bus is NULL",
      msgbus_bus_add_event_listener(NULL, NULL, event_listener, &frees, count_free, &id));
  ROW(msgbus_bus_add_event_listener, "empty destination", INVALID, "destination is empty",
      msgbus_bus_add_event_listener(bus, "", event_listener, &frees, count_free, &id));
  ROW(msgbus_bus_add_event_listener, "invalid UTF-8 destination", INVALID, NOT_UTF8("destination"),
      msgbus_bus_add_event_listener(bus, BAD_UTF8, event_listener, &frees, count_free, &id));
  ROW(msgbus_bus_add_event_listener, "NULL callback", NULLP, "callback is NULL",
      msgbus_bus_add_event_listener(bus, NULL, NULL, &frees, count_free, &id));
  ROW(msgbus_bus_add_event_listener, "NULL out_id", NULLP, "out_id is NULL",
      msgbus_bus_add_event_listener(bus, NULL, event_listener, &frees, count_free, NULL));
  CHECK(id == 77 && frees == 1);
  CHECK_OK(msgbus_bus_add_event_listener(bus, NULL, event_listener, &frees, count_free, &freed_event_id));
  CHECK_OK(msgbus_bus_remove_event_listener(bus, freed_event_id));
  ROW(msgbus_bus_remove_event_listener, "NULL bus", NULLP, "bus is NULL", msgbus_bus_remove_event_listener(NULL, 1));
  ROW(msgbus_bus_remove_event_listener, "an unknown id", MSGBUS_RESULT_NO_SUCH_LISTENER, "no such listener",
      msgbus_bus_remove_event_listener(bus, 123456));
  ROW(msgbus_bus_remove_event_listener, "an id already removed", MSGBUS_RESULT_NO_SUCH_LISTENER, "no such listener",
      msgbus_bus_remove_event_listener(bus, freed_event_id));
  ROW(msgbus_bus_remove_event_listener, "a listener id", MSGBUS_RESULT_NO_SUCH_LISTENER, "no such listener",
      msgbus_bus_remove_event_listener(bus, freed_id));
  CHECK(frees == 2);
  ROW(msgbus_bus_destination_statistics, "NULL bus", NULLP, "bus is NULL", msgbus_bus_destination_statistics(NULL, "acme/x", &stats));
  ROW(msgbus_bus_destination_statistics, "NULL name", NULLP, "name is NULL", msgbus_bus_destination_statistics(bus, NULL, &stats));
  ROW(msgbus_bus_destination_statistics, "NULL out_statistics", NULLP, "out_statistics is NULL",
      msgbus_bus_destination_statistics(bus, "acme/x", NULL));
  ROW(msgbus_bus_destination_statistics, "an unknown name", MSGBUS_RESULT_NO_SUCH_DESTINATION, "no such destination: acme/x",
      msgbus_bus_destination_statistics(bus, "acme/x", &stats));
  ROW(msgbus_bus_shutdown, "NULL bus", NULLP, "bus is NULL", msgbus_bus_shutdown(NULL, false, 0));

  CHECK_OK(msgbus_bus_add_destination(bus, "acme/x", MSGBUS_DESTINATION_TYPE_SERIAL));
  ROW(msgbus_bus_add_destination, "a name taken", MSGBUS_RESULT_DESTINATION_EXISTS, "destination exists: acme/x",
      msgbus_bus_add_destination(bus, "acme/x", MSGBUS_DESTINATION_TYPE_SERIAL));
  ROW(msgbus_bus_send_synchronous, "a destination without listeners", MSGBUS_RESULT_NO_LISTENERS,
      "no listeners on destination acme/x", msgbus_bus_send_synchronous(bus, "acme/x", m, 0, &out));
  ROW(msgbus_bus_request, "a destination without listeners", MSGBUS_RESULT_NO_LISTENERS,
      "no listeners on destination acme/x", msgbus_bus_request(bus, "acme/x", m, &request));
  CHECK(out == UNTOUCHED && request == UNTOUCHED);
  CHECK_OK(msgbus_bus_add_destination(bus, "acme/sync", MSGBUS_DESTINATION_TYPE_SYNCHRONOUS));
  CHECK_OK(msgbus_bus_register_listener(bus, "acme/sync", listener, NULL, NULL, &id));
  CHECK_OK(msgbus_bus_request(bus, "acme/sync", m, &request));
  ROW(msgbus_request_wait, "NULL out_response", NULLP, "out_response is NULL", msgbus_request_wait(request, 0, NULL));
  ROW(msgbus_request_wait, "no reply in 0 ms", MSGBUS_RESULT_TIMEOUT, "timed out after 0ns", msgbus_request_wait(request, 0, &out));
  ROW(msgbus_request_on_reply, "NULL callback", NULLP, "callback is NULL", msgbus_request_on_reply(request, NULL, &frees, count_free));
  CHECK(out == UNTOUCHED && frees == 2);
  msgbus_request_free(request);
  ROW(msgbus_bus_shutdown, "a timeout of 0 ms", OK, NULL, msgbus_bus_shutdown(bus, false, 0));
  ROW(msgbus_bus_shutdown, "a second shutdown, forced", OK, NULL, msgbus_bus_shutdown(bus, true, MSGBUS_WAIT_FOREVER));
  ROW(msgbus_bus_send, "a shut-down bus", MSGBUS_RESULT_CLOSED, "closed: acme/x", msgbus_bus_send(bus, "acme/x", m));
  ROW(msgbus_bus_add_destination, "a queued one after shutdown", MSGBUS_RESULT_CLOSED, "closed: bus is shut down; cannot add acme/y",
      msgbus_bus_add_destination(bus, "acme/y", MSGBUS_DESTINATION_TYPE_PARALLEL));
  msgbus_destination_config_free(c);
  msgbus_value_free(v);
  msgbus_message_free(m);
  msgbus_bus_free(bus);
  free(long_name);
}

static msgbus_result interceptor(void *u, const char *d, msgbus_message *m, bool *consume) {
  (void)u;
  (void)d;
  (void)m;
  (void)consume;
  return MSGBUS_RESULT_OK;
}
static void count_into(void *u) { (*(int *)u)++; }
static void text_visitor(void *u, const char *t, size_t len) {
  (void)t;
  (void)len;
  (*(int *)u)++;
}

/* Dead letters, interceptors, schedules and metrics (SPEC §9). */
static void operations(void) {
  msgbus_bus *bus = NULL;
  msgbus_message *m = message_with("x");
  uint64_t id = 77, removed_id, listener_id;
  bool cancelled = true;
  int visits = 0, freed = 0;
  CHECK_OK(msgbus_bus_new(&bus));
  ROW(msgbus_bus_set_dead_letter_destination, "NULL bus", NULLP, "bus is NULL",
      msgbus_bus_set_dead_letter_destination(NULL, "acme/dead"));
  ROW(msgbus_bus_set_dead_letter_destination, "invalid UTF-8 name", INVALID, NOT_UTF8("name"),
      msgbus_bus_set_dead_letter_destination(bus, BAD_UTF8));
  ROW(msgbus_bus_set_dead_letter_destination, "empty name", INVALID, "name is empty",
      msgbus_bus_set_dead_letter_destination(bus, ""));
  ROW(msgbus_bus_set_dead_letter_destination, "a name no destination has yet", OK, NULL,
      msgbus_bus_set_dead_letter_destination(bus, "acme/dead"));
  ROW(msgbus_bus_set_dead_letter_destination, "NULL name (none)", OK, NULL, msgbus_bus_set_dead_letter_destination(bus, NULL));

  ROW(msgbus_bus_add_interceptor, "NULL bus", NULLP, "bus is NULL", msgbus_bus_add_interceptor(NULL, interceptor, &freed, count_into, &id));
  ROW(msgbus_bus_add_interceptor, "NULL callback", NULLP, "callback is NULL",
      msgbus_bus_add_interceptor(bus, NULL, &freed, count_into, &id));
  ROW(msgbus_bus_add_interceptor, "NULL out_id", NULLP, "out_id is NULL",
      msgbus_bus_add_interceptor(bus, interceptor, &freed, count_into, NULL));
  const msgbus_runtime *runtime = NULL;
  msgbus_runtime_hooks hooks = {&frees, enter_fn, leave_fn, enter_fn, leave_fn, NULL};
  CHECK_OK(msgbus_runtime_register(&hooks, &runtime));
  ROW(msgbus_bus_add_interceptor_in_runtime, "NULL bus", NULLP, "bus is NULL",
      msgbus_bus_add_interceptor_in_runtime(NULL, runtime, interceptor, &freed, count_into, &id));
  ROW(msgbus_bus_add_interceptor_in_runtime, "NULL runtime", NULLP, "runtime is NULL",
      msgbus_bus_add_interceptor_in_runtime(bus, NULL, interceptor, &freed, count_into, &id));
  ROW(msgbus_bus_add_interceptor_in_runtime, "NULL callback", NULLP, "callback is NULL",
      msgbus_bus_add_interceptor_in_runtime(bus, runtime, NULL, &freed, count_into, &id));
  ROW(msgbus_bus_add_interceptor_in_runtime, "NULL out_id", NULLP, "out_id is NULL",
      msgbus_bus_add_interceptor_in_runtime(bus, runtime, interceptor, &freed, count_into, NULL));
  CHECK(id == 77 && freed == 0); /* refused: nothing written, nothing freed */
  CHECK_OK(msgbus_bus_add_interceptor(bus, interceptor, &freed, count_into, &removed_id));
  CHECK_OK(msgbus_bus_remove_interceptor(bus, removed_id));
  CHECK(freed == 1);
  CHECK_OK(msgbus_bus_register_listener(bus, "acme/x", listener, NULL, NULL, &listener_id));
  ROW(msgbus_bus_remove_interceptor, "NULL bus", NULLP, "bus is NULL", msgbus_bus_remove_interceptor(NULL, 1));
  ROW(msgbus_bus_remove_interceptor, "an unknown id", MSGBUS_RESULT_NO_SUCH_LISTENER, "no such listener",
      msgbus_bus_remove_interceptor(bus, 123456));
  ROW(msgbus_bus_remove_interceptor, "id 0", MSGBUS_RESULT_NO_SUCH_LISTENER, "no such listener", msgbus_bus_remove_interceptor(bus, 0));
  ROW(msgbus_bus_remove_interceptor, "an id already removed", MSGBUS_RESULT_NO_SUCH_LISTENER, "no such listener",
      msgbus_bus_remove_interceptor(bus, removed_id));
  ROW(msgbus_bus_remove_interceptor, "a listener id", MSGBUS_RESULT_NO_SUCH_LISTENER, "no such listener",
      msgbus_bus_remove_interceptor(bus, listener_id));
  CHECK(freed == 1);

  ROW(msgbus_bus_schedule, "NULL bus", NULLP, "bus is NULL", msgbus_bus_schedule(NULL, "acme/x", m, 0, 0, &id));
  ROW(msgbus_bus_schedule, "NULL name", NULLP, "name is NULL", msgbus_bus_schedule(bus, NULL, m, 0, 0, &id));
  ROW(msgbus_bus_schedule, "NULL message", NULLP, "message is NULL", msgbus_bus_schedule(bus, "acme/x", NULL, 0, 0, &id));
  ROW(msgbus_bus_schedule, "NULL out_id", NULLP, "out_id is NULL", msgbus_bus_schedule(bus, "acme/x", m, 0, 0, NULL));
  ROW(msgbus_bus_schedule, "empty name", INVALID, "name is empty", msgbus_bus_schedule(bus, "", m, 0, 0, &id));
  ROW(msgbus_bus_schedule, "invalid UTF-8 name", INVALID, NOT_UTF8("name"), msgbus_bus_schedule(bus, BAD_UTF8, m, 0, 0, &id));
  ROW(msgbus_bus_schedule, "an unknown destination", MSGBUS_RESULT_NO_SUCH_DESTINATION, "no such destination: acme/x",
      msgbus_bus_schedule(bus, "acme/x", m, 0, 0, &id));
  CHECK(id == 77);
  ROW(msgbus_bus_cancel_schedule, "NULL bus", NULLP, "bus is NULL", msgbus_bus_cancel_schedule(NULL, 1, &cancelled));
  ROW(msgbus_bus_cancel_schedule, "NULL out_cancelled", NULLP, "out_cancelled is NULL", msgbus_bus_cancel_schedule(bus, 1, NULL));
  CHECK(cancelled);
  ROW(msgbus_bus_cancel_schedule, "an unknown id", OK, NULL, msgbus_bus_cancel_schedule(bus, 123456, &cancelled));
  CHECK(!cancelled);
  CHECK_OK(msgbus_bus_add_destination(bus, "acme/x", MSGBUS_DESTINATION_TYPE_SERIAL));
  ROW(msgbus_bus_schedule, "a delay and period of UINT64_MAX ms", OK, NULL,
      msgbus_bus_schedule(bus, "acme/x", m, UINT64_MAX, UINT64_MAX, &id));
  cancelled = false;
  ROW(msgbus_bus_cancel_schedule, "a pending schedule", OK, NULL, msgbus_bus_cancel_schedule(bus, id, &cancelled));
  CHECK(cancelled);
  ROW(msgbus_bus_cancel_schedule, "a schedule cancelled already", OK, NULL, msgbus_bus_cancel_schedule(bus, id, &cancelled));
  CHECK(!cancelled);

  ROW(msgbus_bus_metrics_text, "NULL bus", NULLP, "bus is NULL", msgbus_bus_metrics_text(NULL, text_visitor, &visits));
  ROW(msgbus_bus_metrics_text, "NULL visitor", NULLP, "visitor is NULL", msgbus_bus_metrics_text(bus, NULL, &visits));
  ROW(msgbus_bus_metrics_json, "NULL bus", NULLP, "bus is NULL", msgbus_bus_metrics_json(NULL, text_visitor, &visits));
  ROW(msgbus_bus_metrics_json, "NULL visitor", NULLP, "visitor is NULL", msgbus_bus_metrics_json(bus, NULL, &visits));
  CHECK(visits == 0);
  ROW(msgbus_bus_metrics_text, "nothing to refuse", OK, NULL, msgbus_bus_metrics_text(bus, text_visitor, &visits));
  ROW(msgbus_bus_metrics_json, "nothing to refuse", OK, NULL, msgbus_bus_metrics_json(bus, text_visitor, &visits));
  CHECK(visits == 2);

  CHECK_OK(msgbus_bus_shutdown(bus, false, MSGBUS_WAIT_FOREVER));
  ROW(msgbus_bus_schedule, "a shut-down bus", MSGBUS_RESULT_CLOSED, "closed: bus is shut down; cannot schedule a send to acme/x",
      msgbus_bus_schedule(bus, "acme/x", m, 0, 0, &id));
  ROW(msgbus_bus_add_interceptor, "a shut-down bus", OK, NULL, msgbus_bus_add_interceptor(bus, interceptor, &freed, count_into, &id));
  msgbus_message_free(m);
  msgbus_bus_free(bus);
  CHECK(freed == 2); /* the last interceptor's, as the bus is freed */
}

/* Destination handles (msgbus_destination). */
static void destination_handles(void) {
  msgbus_bus *bus = NULL;
  msgbus_destination *d = UNTOUCHED, *gone = NULL;
  msgbus_message *m = message_with("x");
  msgbus_value *response = UNTOUCHED;
  size_t sent = 99;
  CHECK_OK(msgbus_bus_new(&bus));
  ROW(msgbus_bus_destination, "NULL bus", NULLP, "bus is NULL", msgbus_bus_destination(NULL, "acme/d", &d));
  ROW(msgbus_bus_destination, "NULL name", NULLP, "name is NULL", msgbus_bus_destination(bus, NULL, &d));
  ROW(msgbus_bus_destination, "NULL out_destination", NULLP, "out_destination is NULL",
      msgbus_bus_destination(bus, "acme/d", NULL));
  ROW(msgbus_bus_destination, "empty name", INVALID, "name is empty", msgbus_bus_destination(bus, "", &d));
  ROW(msgbus_bus_destination, "invalid UTF-8 name", INVALID, NOT_UTF8("name"), msgbus_bus_destination(bus, BAD_UTF8, &d));
  ROW(msgbus_bus_destination, "an unknown destination", MSGBUS_RESULT_NO_SUCH_DESTINATION, "no such destination: acme/d",
      msgbus_bus_destination(bus, "acme/d", &d));
  CHECK(d == UNTOUCHED);
  CHECK_OK(msgbus_bus_add_destination(bus, "acme/d", MSGBUS_DESTINATION_TYPE_SYNCHRONOUS));
  CHECK_OK(msgbus_bus_add_destination(bus, "acme/gone", MSGBUS_DESTINATION_TYPE_SERIAL));
  CHECK_OK(msgbus_bus_destination(bus, "acme/d", &d));
  CHECK_OK(msgbus_bus_destination(bus, "acme/gone", &gone));
  CHECK_OK(msgbus_bus_remove_destination(bus, "acme/gone"));

  ROW(msgbus_destination_send, "NULL destination", NULLP, "destination is NULL", msgbus_destination_send(NULL, m));
  ROW(msgbus_destination_send, "NULL message", NULLP, "message is NULL", msgbus_destination_send(d, NULL));
  ROW(msgbus_destination_send, "a removed destination", MSGBUS_RESULT_NO_SUCH_DESTINATION, "no such destination: acme/gone",
      msgbus_destination_send(gone, m));
  ROW(msgbus_destination_send_bytes, "NULL destination", NULLP, "destination is NULL", msgbus_destination_send_bytes(NULL, NULL, 0));
  ROW(msgbus_destination_send_bytes, "NULL data of length 1", NULLP, "data is NULL", msgbus_destination_send_bytes(d, NULL, 1));
  ROW(msgbus_destination_send_bytes, "a length beyond PTRDIFF_MAX", INVALID, NULL,
      msgbus_destination_send_bytes(d, (const uint8_t *)"x", SIZE_MAX));
  ROW(msgbus_destination_send_bytes, "NULL data of length 0", OK, NULL, msgbus_destination_send_bytes(d, NULL, 0));

  msgbus_value_view payload = {.value_type = MSGBUS_VALUE_TYPE_INT, .integer = 1};
  msgbus_value_view no_data = {.value_type = MSGBUS_VALUE_TYPE_BYTES, .len = 2};
  msgbus_entry_view entries[] = {{"seq", 3, payload}, {BAD_UTF8, 3, payload}, {"a\0b", 3, payload}, {NULL, 1, payload},
                                 {"k", 1, no_data}};
  ROW(msgbus_destination_send_view, "NULL destination", NULLP, "destination is NULL",
      msgbus_destination_send_view(NULL, &payload, entries, 1));
  ROW(msgbus_destination_send_view, "NULL payload", NULLP, "view is NULL", msgbus_destination_send_view(d, NULL, entries, 1));
  ROW(msgbus_destination_send_view, "NULL values of count 1", NULLP, "values is NULL",
      msgbus_destination_send_view(d, &payload, NULL, 1));
  ROW(msgbus_destination_send_view, "an invalid UTF-8 key", INVALID, NOT_UTF8("key"),
      msgbus_destination_send_view(d, &payload, entries, 2));
  ROW(msgbus_destination_send_view, "a key with a NUL byte", INVALID, "key \"a\\0b\" holds a NUL byte, which no C string can",
      msgbus_destination_send_view(d, &payload, entries + 2, 1));
  ROW(msgbus_destination_send_view, "a NULL key of length 1", NULLP, "key is NULL", msgbus_destination_send_view(d, &payload, entries + 3, 1));
  ROW(msgbus_destination_send_view, "a value view of NULL data and length 2", NULLP, "view.data is NULL",
      msgbus_destination_send_view(d, &payload, entries + 4, 1));
  ROW(msgbus_destination_send_view, "an unknown payload type", INVALID, NULL,
      msgbus_destination_send_view(d, &(msgbus_value_view){.value_type = 99}, NULL, 0));
  ROW(msgbus_destination_send_view, "a removed destination", MSGBUS_RESULT_NO_SUCH_DESTINATION, "no such destination: acme/gone",
      msgbus_destination_send_view(gone, &payload, entries, 1));
  ROW(msgbus_destination_send_view, "NULL values of count 0", OK, NULL, msgbus_destination_send_view(d, &payload, NULL, 0));

  const msgbus_message *batch[] = {m, NULL, m};
  ROW(msgbus_destination_send_many, "NULL destination", NULLP, "destination is NULL",
      msgbus_destination_send_many(NULL, batch, 1, &sent));
  CHECK(sent == 0);
  sent = 99;
  ROW(msgbus_destination_send_many, "NULL out_sent", NULLP, "out_sent is NULL", msgbus_destination_send_many(d, batch, 1, NULL));
  ROW(msgbus_destination_send_many, "NULL messages of count 2", NULLP, "messages is NULL",
      msgbus_destination_send_many(d, NULL, 2, &sent));
  CHECK(sent == 0);
  ROW(msgbus_destination_send_many, "a NULL message among them", NULLP, "messages[1] is NULL",
      msgbus_destination_send_many(d, batch, 3, &sent));
  CHECK(sent == 0); /* checked before any was sent */
  ROW(msgbus_destination_send_many, "a count beyond PTRDIFF_MAX", INVALID, "messages: length 18446744073709551615 is too large",
      msgbus_destination_send_many(d, batch, SIZE_MAX, &sent));
  ROW(msgbus_destination_send_many, "NULL messages of count 0", OK, NULL, msgbus_destination_send_many(d, NULL, 0, &sent));
  CHECK(sent == 0);
  ROW(msgbus_destination_send_many, "a removed destination", MSGBUS_RESULT_NO_SUCH_DESTINATION, "no such destination: acme/gone",
      msgbus_destination_send_many(gone, batch, 1, &sent));
  CHECK(sent == 0);

  ROW(msgbus_destination_send_direct, "NULL destination", NULLP, "destination is NULL",
      msgbus_destination_send_direct(NULL, m, &response));
  ROW(msgbus_destination_send_direct, "NULL message", NULLP, "message is NULL", msgbus_destination_send_direct(d, NULL, &response));
  ROW(msgbus_destination_send_direct, "NULL out_response", NULLP, "out_response is NULL", msgbus_destination_send_direct(d, m, NULL));
  ROW(msgbus_destination_send_direct, "a removed destination", MSGBUS_RESULT_NO_SUCH_DESTINATION, "no such destination: acme/gone",
      msgbus_destination_send_direct(gone, m, &response));
  CHECK(response == UNTOUCHED);

  msgbus_value_view view = {.value_type = 99};
  ROW(msgbus_message_payload_view, "NULL message", NULLP, "message is NULL", msgbus_message_payload_view(NULL, &view));
  ROW(msgbus_message_payload_view, "NULL out_view", NULLP, "out_view is NULL", msgbus_message_payload_view(m, NULL));
  CHECK(view.value_type == 99);
  ROW(msgbus_message_payload_view, "nothing to refuse", OK, NULL, msgbus_message_payload_view(m, &view));
  CHECK(view.value_type == MSGBUS_VALUE_TYPE_STRING && view.len == 1 && view.data[0] == 'x');
  CHECK_OK(msgbus_message_put_view(m, "seq", &payload));
  view.value_type = 99;
  ROW(msgbus_message_get_view, "NULL message", NULLP, "message is NULL", msgbus_message_get_view(NULL, "seq", 3, &view));
  ROW(msgbus_message_get_view, "NULL key of length 3", NULLP, "key is NULL", msgbus_message_get_view(m, NULL, 3, &view));
  ROW(msgbus_message_get_view, "NULL out_view", NULLP, "out_view is NULL", msgbus_message_get_view(m, "seq", 3, NULL));
  ROW(msgbus_message_get_view, "invalid UTF-8 key", INVALID, NOT_UTF8("key"), msgbus_message_get_view(m, BAD_UTF8, 3, &view));
  ROW(msgbus_message_get_view, "an absent key", MSGBUS_RESULT_NOT_FOUND, "no value under \"se\"",
      msgbus_message_get_view(m, "seq", 2, &view));
  CHECK(view.value_type == 99);
  ROW(msgbus_message_get_view, "a key without its NUL", OK, NULL, msgbus_message_get_view(m, "seqX", 3, &view));
  CHECK(view.value_type == MSGBUS_VALUE_TYPE_INT && view.integer == 1);
  msgbus_message *holder = msgbus_message_new();
  msgbus_value *pointer = NULL;
  CHECK_OK(msgbus_value_new_pointer(&view, NULL, &pointer));
  CHECK_OK(msgbus_message_set_payload(holder, pointer));
  ROW(msgbus_message_payload_view, "a pointer payload (its type only)", OK, NULL, msgbus_message_payload_view(holder, &view));
  CHECK(view.value_type == MSGBUS_VALUE_TYPE_POINTER && view.data == NULL && view.len == 0);
  msgbus_value_free(pointer);
  msgbus_message_free(holder);

  VOID_ROW(msgbus_destination_free, "NULL", msgbus_destination_free(NULL));
  msgbus_destination_free(gone);
  CHECK_OK(msgbus_bus_shutdown(bus, false, MSGBUS_WAIT_FOREVER));
  msgbus_bus_free(bus);
  ROW(msgbus_destination_send, "a freed bus (the handle outlives it)", MSGBUS_RESULT_CLOSED, "closed: acme/d: its bus is gone",
      msgbus_destination_send(d, m));
  msgbus_destination_free(d);
  msgbus_message_free(m);
}

/* Bridges (msgbus_bridge) up to connecting: what needs a live bridge, and
 * so a server, is in test_bridge.c. */
static void bridges(void) {
  msgbus_bus *bus = NULL;
  msgbus_bridge *bridge = UNTOUCHED;
  msgbus_bridge_counters stats = {.published = 77};
  CHECK_OK(msgbus_bus_new(&bus));
  msgbus_bridge_options no_url = {.url = NULL}, bad_url = {.url = BAD_UTF8}, empty_url = {.url = ""},
                        bad_cluster = {.url = "nats://127.0.0.1:1", .cluster = BAD_UTF8},
                        dotted_cluster = {.url = "nats://127.0.0.1:1", .cluster = "a.b"},
                        empty_node_id = {.url = "nats://127.0.0.1:1", .node_id = ""},
                        unreachable = {.url = "nats://127.0.0.1:1"};
  ROW(msgbus_bridge_connect, "NULL bus", NULLP, "bus is NULL", msgbus_bridge_connect(NULL, &unreachable, &bridge));
  ROW(msgbus_bridge_connect, "NULL options", NULLP, "options is NULL", msgbus_bridge_connect(bus, NULL, &bridge));
  ROW(msgbus_bridge_connect, "NULL out_bridge", NULLP, "out_bridge is NULL", msgbus_bridge_connect(bus, &unreachable, NULL));
  ROW(msgbus_bridge_connect, "NULL options.url", NULLP, "options.url is NULL", msgbus_bridge_connect(bus, &no_url, &bridge));
  ROW(msgbus_bridge_connect, "invalid UTF-8 options.url", INVALID, NOT_UTF8("options.url"),
      msgbus_bridge_connect(bus, &bad_url, &bridge));
  ROW(msgbus_bridge_connect, "empty options.url", INVALID, "invalid argument: url: empty",
      msgbus_bridge_connect(bus, &empty_url, &bridge));
  ROW(msgbus_bridge_connect, "invalid UTF-8 options.cluster", INVALID, NOT_UTF8("options.cluster"),
      msgbus_bridge_connect(bus, &bad_cluster, &bridge));
  ROW(msgbus_bridge_connect, "cluster \"a.b\"", INVALID, "invalid argument: cluster: \"a.b\" is not letters, digits, _ and -",
      msgbus_bridge_connect(bus, &dotted_cluster, &bridge));
  ROW(msgbus_bridge_connect, "empty options.node_id", INVALID, "invalid argument: node_id: empty or with a NUL",
      msgbus_bridge_connect(bus, &empty_node_id, &bridge));
  /* CLOSED, with the reason, when the server cannot be reached. */
  ROW(msgbus_bridge_connect, "a url nothing listens at", MSGBUS_RESULT_CLOSED, NULL,
      msgbus_bridge_connect(bus, &unreachable, &bridge));
  const char *refused = "closed: nats://127.0.0.1:1: cannot connect: ";
  CHECK(strncmp(msgbus_last_error_message(), refused, strlen(refused)) == 0);
  CHECK(bridge == UNTOUCHED);

  ROW(msgbus_bridge_add, "NULL bridge", NULLP, "bridge is NULL", msgbus_bridge_add(NULL, "acme/x", MSGBUS_BRIDGE_MODE_BROADCAST));
  ROW(msgbus_bridge_remove, "NULL bridge", NULLP, "bridge is NULL", msgbus_bridge_remove(NULL, "acme/x"));
  ROW(msgbus_bridge_statistics, "NULL bridge", NULLP, "bridge is NULL", msgbus_bridge_statistics(NULL, &stats));
  ROW(msgbus_bridge_statistics, "NULL out_statistics (checked first)", NULLP, "out_statistics is NULL", msgbus_bridge_statistics(NULL, NULL));
  CHECK(stats.published == 77);
  NULL_ROW(msgbus_bridge_node_id, "NULL bridge", msgbus_bridge_node_id(NULL));
  ROW(msgbus_bridge_close, "NULL bridge", NULLP, "bridge is NULL", msgbus_bridge_close(NULL));
  VOID_ROW(msgbus_bridge_free, "NULL bridge", msgbus_bridge_free(NULL));
  msgbus_bus_free(bus);
}

static void globals(void) {
  bool has = false;
  ROW(msgbus_result_str, "an unknown code", 0, NULL, strcmp(msgbus_result_str(9999), "unknown result code"));
  for (msgbus_result r = 0; r <= MSGBUS_RESULT_INTERRUPTED; r++) {
    CHECK(strcmp(msgbus_result_str(r), "unknown result code") != 0);
  }
  ROW(msgbus_version, "nothing to refuse", 0, NULL, strcmp(msgbus_version(), "") == 0);
  ROW(msgbus_core_path, "nothing to refuse", 0, NULL, strcmp(msgbus_core_path(), "") == 0);
  const msgbus_api *api = msgbus_api_get();
  ROW(msgbus_api_get, "nothing to refuse", 0, NULL, api->abi_version != MSGBUS_ABI_VERSION || api->size != sizeof *api);
  const msgbus_runtime *runtime = UNTOUCHED;
  msgbus_runtime_hooks no_enter = {NULL, NULL, leave_fn, enter_fn, leave_fn, NULL},
                       no_resume = {NULL, enter_fn, leave_fn, enter_fn, NULL, NULL};
  ROW(msgbus_runtime_register, "NULL hooks", NULLP, "hooks is NULL", msgbus_runtime_register(NULL, &runtime));
  ROW(msgbus_runtime_register, "NULL out_runtime", NULLP, "out_runtime is NULL", msgbus_runtime_register(&no_enter, NULL));
  ROW(msgbus_runtime_register, "NULL hooks->enter", NULLP, "hooks->enter is NULL", msgbus_runtime_register(&no_enter, &runtime));
  ROW(msgbus_runtime_register, "NULL hooks->resume", NULLP, "hooks->resume is NULL", msgbus_runtime_register(&no_resume, &runtime));
  CHECK(runtime == UNTOUCHED);
  ROW(msgbus_listener_set_failure, "NULL detail", NULLP, "detail is NULL", msgbus_listener_set_failure(NULL, false));
  ROW(msgbus_listener_set_failure, "invalid UTF-8 detail", INVALID, NOT_UTF8("detail"), msgbus_listener_set_failure(BAD_UTF8, false));
  ROW(msgbus_last_error_message, "after a failure", 0, NULL, msgbus_last_error_message() == NULL);
  ROW(msgbus_thread_name, "on a thread the bus did not start", 0, NULL, msgbus_thread_name() != NULL);
  ROW(msgbus_set_log_handler, "unknown level 0", INVALID, "unknown log level 0", msgbus_set_log_handler(0, log_fn, &frees, count_free));
  ROW(msgbus_set_log_handler, "unknown level 99", INVALID, "unknown log level 99", msgbus_set_log_handler(99, log_fn, &frees, count_free));
  CHECK(frees == 2);
  msgbus_bus *def = msgbus_default_bus();
  ROW(msgbus_default_bus, "called twice", 0, NULL, def != msgbus_default_bus());
  VOID_ROW(msgbus_bus_free, "the default bus (does nothing)", msgbus_bus_free(def));
  CHECK_OK(msgbus_bus_has_destination(def, "msgbus/default_response", &has));
  CHECK(has);
  CHECK_OK(msgbus_bus_shutdown(def, false, MSGBUS_WAIT_FOREVER));
}

int main(void) {
  values();
  messages();
  configs();
  buses();
  operations();
  destination_handles();
  bridges();
  globals();
  printf("RELIABILITY bad_input_c rows=%d\n", rows);
  return finish();
}
