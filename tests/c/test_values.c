/* Values and messages: constructors, accessors, ownership. */
#include "check.h"

static int pointer_frees;
static void count_free(void *p) {
  (void)p;
  pointer_frees++;
}

typedef struct {
  char keys[8][16];
  int n;
} visited;

static void visit(void *user_data, const char *key, const msgbus_value *value) {
  visited *v = user_data;
  CHECK(value != NULL);
  snprintf(v->keys[v->n++], sizeof v->keys[0], "%s", key);
}

static void scalars(void) {
  msgbus_value *v = msgbus_value_new_bool(true);
  bool b = false;
  int64_t i = 0;
  double d = 0;
  CHECK(msgbus_value_type(v) == MSGBUS_VALUE_TYPE_BOOL);
  CHECK_OK(msgbus_value_as_bool(v, &b));
  CHECK(b);
  i = 99;
  CHECK_RESULT(msgbus_value_as_int(v, &i), MSGBUS_RESULT_WRONG_TYPE);
  CHECK(i == 99); /* out-parameters are written only on success */
  msgbus_value_free(v);

  v = msgbus_value_new_int(-42);
  CHECK(msgbus_value_type(v) == MSGBUS_VALUE_TYPE_INT);
  CHECK_OK(msgbus_value_as_int(v, &i));
  CHECK(i == -42);
  msgbus_value *copy = msgbus_value_clone(v);
  msgbus_value_free(v);
  CHECK_OK(msgbus_value_as_int(copy, &i));
  CHECK(i == -42);
  msgbus_value_free(copy);

  v = msgbus_value_new_double(2.5);
  CHECK_OK(msgbus_value_as_double(v, &d));
  CHECK(d == 2.5);
  msgbus_value_free(v);

  v = msgbus_value_new_null();
  CHECK(msgbus_value_type(v) == MSGBUS_VALUE_TYPE_NULL);
  msgbus_value_free(v);
}

static void strings_and_bytes(void) {
  msgbus_value *v = NULL;
  const char *text = NULL;
  size_t len = 0;
  CHECK_OK(msgbus_value_new_string("a\0b", 3, &v));
  CHECK_OK(msgbus_value_as_string(v, &text, &len));
  CHECK(len == 3 && memcmp(text, "a\0b", 4) == 0); /* NUL after the text */
  msgbus_value_free(v);

  CHECK_OK(msgbus_value_new_string(NULL, 0, &v));
  CHECK_OK(msgbus_value_as_string(v, &text, NULL));
  CHECK_STR(text, "");
  msgbus_value_free(v);

  v = (msgbus_value *)&len; /* a sentinel: must stay as it is */
  CHECK_RESULT(msgbus_value_new_string("\xff\xfe", 2, &v), MSGBUS_RESULT_INVALID_ARGUMENT);
  CHECK(v == (msgbus_value *)&len);

  const uint8_t raw[] = {0, 1, 2, 255};
  const uint8_t *data = NULL;
  CHECK_OK(msgbus_value_new_bytes(raw, sizeof raw, &v));
  CHECK(msgbus_value_type(v) == MSGBUS_VALUE_TYPE_BYTES);
  CHECK_OK(msgbus_value_as_bytes(v, &data, &len));
  CHECK(len == 4 && memcmp(data, raw, 4) == 0);
  CHECK_RESULT(msgbus_value_as_string(v, &text, &len), MSGBUS_RESULT_WRONG_TYPE);
  msgbus_value_free(v);
}

static void pointers(void) {
  static int thing;
  msgbus_value *v = NULL;
  void *p = NULL;
  pointer_frees = 0;
  CHECK_OK(msgbus_value_new_pointer(&thing, count_free, &v));
  CHECK(msgbus_value_type(v) == MSGBUS_VALUE_TYPE_POINTER);
  CHECK_OK(msgbus_value_as_pointer(v, &p));
  CHECK(p == &thing);
  msgbus_value *copy = msgbus_value_clone(v);
  msgbus_message *m = msgbus_message_new();
  CHECK_OK(msgbus_message_put(m, "p", v));
  msgbus_value_free(v);
  msgbus_value_free(copy);
  CHECK(pointer_frees == 0); /* the message still holds it */
  msgbus_message_free(m);
  CHECK(pointer_frees == 1);
}

static void message_values(void) {
  msgbus_message *m = msgbus_message_new();
  msgbus_value *one = msgbus_value_new_int(1), *null = msgbus_value_new_null();
  const msgbus_value *got = NULL;
  bool has = false;
  CHECK_OK(msgbus_message_put(m, "b", one));
  CHECK_OK(msgbus_message_put(m, "a", one));
  CHECK_OK(msgbus_message_put(m, "c", one));
  CHECK_OK(msgbus_message_get(m, "a", &got));
  CHECK(msgbus_value_type(got) == MSGBUS_VALUE_TYPE_INT);
  CHECK_OK(msgbus_message_contains(m, "c", &has));
  CHECK(has);
  CHECK_OK(msgbus_message_put(m, "c", null)); /* null removes */
  CHECK_OK(msgbus_message_contains(m, "c", &has));
  CHECK(!has);
  got = NULL;
  CHECK_RESULT(msgbus_message_get(m, "c", &got), MSGBUS_RESULT_NOT_FOUND);
  CHECK(got == NULL);
  CHECK_OK(msgbus_message_remove(m, "a"));
  CHECK_RESULT(msgbus_message_remove(m, "a"), MSGBUS_RESULT_NOT_FOUND);
  CHECK_OK(msgbus_message_put(m, "d", one));
  visited v = {.n = 0};
  CHECK_OK(msgbus_message_for_each_value(m, visit, &v));
  CHECK(v.n == 2 && strcmp(v.keys[0], "b") == 0 && strcmp(v.keys[1], "d") == 0);

  msgbus_message *kept = msgbus_message_clone(m);
  CHECK_OK(msgbus_message_remove(m, "b"));
  CHECK_OK(msgbus_message_contains(kept, "b", &has));
  CHECK(has); /* a clone does not see later changes */
  msgbus_message_free(kept);
  msgbus_value_free(one);
  msgbus_value_free(null);
  msgbus_message_free(m);
}

static void message_fields(void) {
  msgbus_message *m = message_with("hello");
  const char *text = NULL;
  size_t len = 0;
  CHECK_OK(msgbus_message_payload_string(m, &text, &len));
  CHECK(len == 5);
  CHECK_STR(text, "hello");
  CHECK(msgbus_value_type(msgbus_message_payload(m)) == MSGBUS_VALUE_TYPE_STRING);
  msgbus_value *seven = msgbus_value_new_int(7);
  CHECK_OK(msgbus_message_set_payload(m, seven));
  CHECK_RESULT(msgbus_message_payload_string(m, &text, &len), MSGBUS_RESULT_WRONG_TYPE);

  CHECK(msgbus_message_destination_name(m) == NULL);
  CHECK(msgbus_message_response_destination_name(m) == NULL);
  CHECK_OK(msgbus_message_set_response_destination_name(m, "acme/replies"));
  CHECK_STR(msgbus_message_response_destination_name(m), "acme/replies");
  CHECK_OK(msgbus_message_set_response_destination_name(m, NULL));
  CHECK(msgbus_message_response_destination_name(m) == NULL);
  CHECK_OK(msgbus_message_set_response_id(m, "id-1"));
  CHECK_STR(msgbus_message_response_id(m), "id-1");

  msgbus_value *response = NULL;
  CHECK_OK(msgbus_message_response(m, &response));
  CHECK(msgbus_value_type(response) == MSGBUS_VALUE_TYPE_NULL);
  msgbus_value_free(response);
  CHECK_OK(msgbus_message_set_response(m, seven));
  CHECK_OK(msgbus_message_response(m, &response));
  int64_t i = 0;
  CHECK_OK(msgbus_value_as_int(response, &i));
  CHECK(i == 7);
  msgbus_value_free(response);
  msgbus_value_free(seven);
  msgbus_message_free(m);
}

/* A value described in place lands in the message as the value made from
 * the same contents would. */
static void views(void) {
  msgbus_message *m = msgbus_message_new();
  const msgbus_value *got = NULL;
  const char *text = NULL;
  const uint8_t *data = NULL;
  size_t len = 0;
  int64_t i = 0;
  bool b = false, has = true;
  double d = 0;
  msgbus_value_view text_view = {.value_type = MSGBUS_VALUE_TYPE_STRING, .data = (const uint8_t *)"a\0b", .len = 3};
  CHECK_OK(msgbus_message_set_payload_view(m, &text_view));
  CHECK_OK(msgbus_value_as_string(msgbus_message_payload(m), &text, &len));
  CHECK(len == 3 && memcmp(text, "a\0b", 4) == 0);
  msgbus_value_view bytes_view = {.value_type = MSGBUS_VALUE_TYPE_BYTES, .data = (const uint8_t *)"xyz", .len = 3};
  CHECK_OK(msgbus_message_put_view(m, "bytes", &bytes_view));
  CHECK_OK(msgbus_message_get(m, "bytes", &got));
  CHECK_OK(msgbus_value_as_bytes(got, &data, &len));
  CHECK(len == 3 && memcmp(data, "xyz", 3) == 0);
  CHECK_OK(msgbus_message_put_view(m, "int", &(msgbus_value_view){.value_type = MSGBUS_VALUE_TYPE_INT, .integer = INT64_MIN}));
  CHECK_OK(msgbus_message_get(m, "int", &got));
  CHECK_OK(msgbus_value_as_int(got, &i));
  CHECK(i == INT64_MIN);
  CHECK_OK(msgbus_message_put_view(m, "bool", &(msgbus_value_view){.value_type = MSGBUS_VALUE_TYPE_BOOL, .boolean = true}));
  CHECK_OK(msgbus_message_get(m, "bool", &got));
  CHECK_OK(msgbus_value_as_bool(got, &b));
  CHECK(b);
  CHECK_OK(msgbus_message_put_view(m, "double", &(msgbus_value_view){.value_type = MSGBUS_VALUE_TYPE_DOUBLE, .number = -0.5}));
  CHECK_OK(msgbus_message_get(m, "double", &got));
  CHECK_OK(msgbus_value_as_double(got, &d));
  CHECK(d == -0.5);
  CHECK_OK(msgbus_message_put_view(m, "int", &(msgbus_value_view){.value_type = MSGBUS_VALUE_TYPE_NULL}));
  CHECK_OK(msgbus_message_contains(m, "int", &has));
  CHECK(!has); /* a null view removes the key */
  CHECK_OK(msgbus_message_set_payload_view(m, &(msgbus_value_view){.value_type = MSGBUS_VALUE_TYPE_BYTES, .data = NULL, .len = 0}));
  CHECK_OK(msgbus_value_as_bytes(msgbus_message_payload(m), &data, &len));
  CHECK(len == 0 && data != NULL);
  msgbus_message_free(m);
}

int main(void) {
  views();
  scalars();
  strings_and_bytes();
  pointers();
  message_values();
  message_fields();
  CHECK_STR(msgbus_version(), MSGBUS_VERSION);
  CHECK_STR(msgbus_result_str(MSGBUS_RESULT_QUEUE_FULL), "queue full");
  CHECK_STR(msgbus_result_str(12345), "unknown result code");
  return finish();
}
