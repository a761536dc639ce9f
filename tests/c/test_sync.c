/* Default synchronous sending with replies and timeouts, requests waited
 * on or answered through a callback, and direct synchronous sending with
 * the failures listeners describe, from C. */
#include "check.h"

typedef struct {
  msgbus_bus *bus;
  int doubles; /* reply with payload * 2 instead of "pong" */
  char response_destination[64];
} replier;

static msgbus_result reply_listener(void *user_data, const msgbus_message *m) {
  replier *r = user_data;
  const char *to = msgbus_message_response_destination_name(m);
  snprintf(r->response_destination, sizeof r->response_destination, "%s", to ? to : "(none)");
  CHECK(msgbus_message_response_id(m) != NULL);
  msgbus_value *reply = NULL;
  if (r->doubles) {
    int64_t i = 0;
    msgbus_value_as_int(msgbus_message_payload(m), &i);
    reply = msgbus_value_new_int(2 * i);
  } else {
    msgbus_value_new_string("pong", 4, &reply);
  }
  msgbus_result result = msgbus_bus_reply(r->bus, m, reply);
  msgbus_value_free(reply);
  return result;
}

static msgbus_result null_replier(void *user_data, const msgbus_message *m) {
  msgbus_value *null = msgbus_value_new_null();
  msgbus_result result = msgbus_bus_reply(user_data, m, null);
  msgbus_value_free(null);
  return result;
}

static msgbus_result silent(void *user_data, const msgbus_message *m) {
  (void)user_data;
  (void)m;
  return MSGBUS_RESULT_OK;
}

static void default_synchronous(msgbus_bus *bus) {
  replier r = {.bus = bus};
  uint64_t id;
  CHECK_OK(msgbus_bus_add_destination(bus, "acme/ask", MSGBUS_DESTINATION_TYPE_SERIAL));
  CHECK_OK(msgbus_bus_register_listener(bus, "acme/ask", reply_listener, &r, NULL, &id));
  msgbus_message *m = message_with("ping");
  msgbus_value *reply = NULL;
  const char *text = NULL;
  CHECK_OK(msgbus_bus_send_synchronous(bus, "acme/ask", m, 10000, &reply));
  CHECK_OK(msgbus_value_as_string(reply, &text, NULL));
  CHECK_STR(text, "pong");
  CHECK_STR(r.response_destination, "msgbus/default_response");
  CHECK(msgbus_message_response_id(m) == NULL); /* the caller's copy is untouched */
  msgbus_value_free(reply);

  CHECK_OK(msgbus_bus_add_destination(bus, "acme/null", MSGBUS_DESTINATION_TYPE_PARALLEL));
  CHECK_OK(msgbus_bus_register_listener(bus, "acme/null", null_replier, bus, NULL, &id));
  CHECK_OK(msgbus_bus_send_synchronous(bus, "acme/null", m, 10000, &reply));
  CHECK(msgbus_value_type(reply) == MSGBUS_VALUE_TYPE_NULL);
  msgbus_value_free(reply);

  CHECK_OK(msgbus_bus_add_destination(bus, "acme/silent", MSGBUS_DESTINATION_TYPE_SERIAL));
  CHECK_OK(msgbus_bus_register_listener(bus, "acme/silent", silent, NULL, NULL, &id));
  reply = NULL;
  CHECK_RESULT(msgbus_bus_send_synchronous(bus, "acme/silent", m, 20, &reply), MSGBUS_RESULT_TIMEOUT);
  CHECK(reply == NULL);

  CHECK_OK(msgbus_bus_add_destination(bus, "acme/empty", MSGBUS_DESTINATION_TYPE_SERIAL));
  CHECK_RESULT(msgbus_bus_send_synchronous(bus, "acme/empty", m, 20, &reply), MSGBUS_RESULT_NO_LISTENERS);
  CHECK_RESULT(msgbus_bus_send_synchronous(bus, "acme/none", m, 20, &reply), MSGBUS_RESULT_NO_SUCH_DESTINATION);
  CHECK_RESULT(msgbus_bus_reply(bus, m, msgbus_message_payload(m)), MSGBUS_RESULT_INVALID_ARGUMENT);
  msgbus_message_free(m);
}

typedef struct {
  msgbus_bus *bus;
  int base;
  int wrong;
} asker;

static void *ask_many(void *arg) {
  asker *a = arg;
  for (int i = 0; i < 200; i++) {
    msgbus_message *m = msgbus_message_new();
    msgbus_value *v = msgbus_value_new_int(a->base + i), *reply = NULL;
    msgbus_message_set_payload(m, v);
    int64_t got = -1;
    if (msgbus_bus_send_synchronous(a->bus, "acme/double", m, 10000, &reply) != MSGBUS_RESULT_OK ||
        msgbus_value_as_int(reply, &got) != MSGBUS_RESULT_OK || got != 2 * (a->base + i)) {
      a->wrong++;
    }
    msgbus_value_free(reply);
    msgbus_value_free(v);
    msgbus_message_free(m);
  }
  return NULL;
}

static void concurrent_requests_correlate(msgbus_bus *bus) {
  replier r = {.bus = bus, .doubles = 1};
  uint64_t id;
  CHECK_OK(msgbus_bus_add_destination(bus, "acme/double", MSGBUS_DESTINATION_TYPE_PARALLEL));
  CHECK_OK(msgbus_bus_register_listener(bus, "acme/double", reply_listener, &r, NULL, &id));
  pthread_t threads[8];
  asker askers[8];
  for (int t = 0; t < 8; t++) {
    askers[t] = (asker){bus, t * 1000, 0};
    pthread_create(&threads[t], NULL, ask_many, &askers[t]);
  }
  int wrong = 0;
  for (int t = 0; t < 8; t++) {
    pthread_join(threads[t], NULL);
    wrong += askers[t].wrong;
  }
  CHECK(wrong == 0);
  CHECK_OK(msgbus_bus_unregister_listener(bus, id));
}

/* A reply handed to a callback: its text, the thread it ran on. */
typedef struct {
  latch called;
  char text[16];
  pthread_t thread;
  int frees;
} reply_box;

static void on_reply(void *user_data, const msgbus_value *payload) {
  reply_box *box = user_data;
  const char *text = "";
  msgbus_value_as_string(payload, &text, NULL);
  snprintf(box->text, sizeof box->text, "%s", text);
  box->thread = pthread_self();
  latch_count_down(&box->called);
}

static void free_box(void *user_data) { ((reply_box *)user_data)->frees++; }

/* Holds its message until the valve opens, then replies "pong". */
typedef struct {
  msgbus_bus *bus;
  latch entered, valve, replied;
} gate_replier;

static msgbus_result reply_after_valve(void *user_data, const msgbus_message *m) {
  gate_replier *g = user_data;
  latch_count_down(&g->entered);
  latch_wait(&g->valve);
  msgbus_value *reply = NULL;
  msgbus_value_new_string("pong", 4, &reply);
  msgbus_result result = msgbus_bus_reply(g->bus, m, reply);
  msgbus_value_free(reply);
  latch_count_down(&g->replied);
  return result;
}

static void gate_reset(gate_replier *g, int valve) {
  latch_init(&g->entered, 1);
  latch_init(&g->valve, valve);
  latch_init(&g->replied, 1);
}

static void requests(msgbus_bus *bus) {
  gate_replier g = {.bus = bus};
  replier r = {.bus = bus};
  uint64_t id;
  CHECK_OK(msgbus_bus_add_destination(bus, "acme/later", MSGBUS_DESTINATION_TYPE_SERIAL));
  CHECK_OK(msgbus_bus_register_listener(bus, "acme/later", reply_after_valve, &g, NULL, &id));
  CHECK_OK(msgbus_bus_add_destination(bus, "acme/at_once", MSGBUS_DESTINATION_TYPE_SYNCHRONOUS));
  CHECK_OK(msgbus_bus_register_listener(bus, "acme/at_once", reply_listener, &r, NULL, &id));
  msgbus_message *m = message_with("ping");
  msgbus_request *request = NULL;
  msgbus_value *reply = NULL;
  const char *text = NULL;

  /* Waited on: a timeout leaves the request waiting; the reply comes once. */
  gate_reset(&g, 1);
  CHECK_OK(msgbus_bus_request(bus, "acme/later", m, &request));
  CHECK(latch_wait(&g.entered));
  CHECK_RESULT(msgbus_request_wait(request, 10, &reply), MSGBUS_RESULT_TIMEOUT);
  CHECK(reply == NULL);
  latch_count_down(&g.valve);
  CHECK_OK(msgbus_request_wait(request, 10000, &reply));
  CHECK_OK(msgbus_value_as_string(reply, &text, NULL));
  CHECK_STR(text, "pong");
  msgbus_value_free(reply);
  reply = NULL;
  CHECK_RESULT(msgbus_request_wait(request, 0, &reply), MSGBUS_RESULT_TIMEOUT);
  msgbus_request_free(request);
  /* The listener call ends before its latches are made anew. */
  CHECK(latch_wait(&g.replied));

  /* Handed to a callback on the replying worker; user data freed after. */
  reply_box later = {.frees = 0};
  latch_init(&later.called, 1);
  gate_reset(&g, 1);
  CHECK_OK(msgbus_bus_request(bus, "acme/later", m, &request));
  CHECK_OK(msgbus_request_on_reply(request, on_reply, &later, free_box));
  latch_count_down(&g.valve);
  CHECK(latch_wait(&later.called));
  CHECK_STR(later.text, "pong");
  CHECK(!pthread_equal(later.thread, pthread_self()));
  CHECK(latch_wait(&g.replied) && later.frees == 1);
  msgbus_request_free(request);
  CHECK(later.frees == 1);

  /* A reply already here is handed over in the call itself. */
  reply_box now = {.frees = 0};
  latch_init(&now.called, 1);
  CHECK_OK(msgbus_bus_request(bus, "acme/at_once", m, &request));
  CHECK_OK(msgbus_request_on_reply(request, on_reply, &now, free_box));
  CHECK(latch_count(&now.called) == 0 && pthread_equal(now.thread, pthread_self()));
  CHECK_STR(now.text, "pong");
  CHECK(now.frees == 1);
  msgbus_request_free(request);

  /* Freed before its reply: the callback never runs, its data is freed. */
  reply_box never = {.frees = 0};
  latch_init(&never.called, 1);
  gate_reset(&g, 1);
  CHECK_OK(msgbus_bus_request(bus, "acme/later", m, &request));
  CHECK_OK(msgbus_request_on_reply(request, on_reply, &never, free_box));
  msgbus_request_free(request);
  CHECK(never.frees == 1);
  latch_count_down(&g.valve);
  CHECK(latch_wait(&g.replied));
  CHECK(latch_count(&never.called) == 1);

  latch_destroy(&later.called);
  latch_destroy(&now.called);
  latch_destroy(&never.called);
  msgbus_message_free(m);
}

typedef struct {
  const char *answer;
  pthread_t thread;
  int calls;
} responder;

static msgbus_result respond(void *user_data, const msgbus_message *m) {
  responder *r = user_data;
  r->thread = pthread_self();
  r->calls++;
  CHECK_STR(msgbus_message_destination_name(m), "acme/direct");
  msgbus_value *v = NULL;
  msgbus_value_new_string(r->answer, strlen(r->answer), &v);
  msgbus_result result = msgbus_message_set_response(m, v);
  msgbus_value_free(v);
  return result;
}

static msgbus_result refuse(void *user_data, const msgbus_message *m) {
  (void)user_data;
  (void)m;
  return MSGBUS_RESULT_LISTENER_FAILED;
}

/* Fails, describing why; user_data says whether it logged that itself. */
static msgbus_result refuse_saying_why(void *user_data, const msgbus_message *m) {
  (void)m;
  msgbus_listener_set_failure("the oven is cold", *(bool *)user_data);
  return MSGBUS_RESULT_LISTENER_FAILED;
}

static atomic_int oven_records;
static void count_oven_records(void *u, msgbus_log_level level, const char *target, const char *message) {
  (void)u;
  (void)target;
  if (level == MSGBUS_LOG_LEVEL_ERROR && strstr(message, "the oven is cold") != NULL) oven_records++;
}

static void described_failures(msgbus_bus *bus) {
  uint64_t id;
  bool logged = false;
  msgbus_value *response = NULL;
  msgbus_message *m = message_with("q");
  CHECK_OK(msgbus_set_log_handler(MSGBUS_LOG_LEVEL_WARN, count_oven_records, NULL, NULL));
  CHECK_OK(msgbus_bus_add_destination(bus, "acme/oven", MSGBUS_DESTINATION_TYPE_SYNCHRONOUS));
  CHECK_OK(msgbus_bus_register_listener(bus, "acme/oven", refuse_saying_why, &logged, NULL, &id));
  CHECK_RESULT(msgbus_bus_send_direct(bus, "acme/oven", m, &response), MSGBUS_RESULT_LISTENER_FAILED);
  CHECK_STR(msgbus_last_error_message(), "listener failed: the oven is cold");
  CHECK(oven_records == 1); /* the bus logged it */
  logged = true;
  CHECK_RESULT(msgbus_bus_send_direct(bus, "acme/oven", m, &response), MSGBUS_RESULT_LISTENER_FAILED);
  CHECK_STR(msgbus_last_error_message(), "listener failed: the oven is cold");
  CHECK(oven_records == 1); /* the listener had logged it */
  msgbus_destination_statistics stats;
  CHECK_OK(msgbus_bus_destination_statistics(bus, "acme/oven", &stats));
  CHECK(stats.failed_message_count == 2);

  /* A request whose only listener failed without replying fails at once
   * with the failure's detail, not after its 60 s timeout. */
  CHECK_OK(msgbus_bus_add_destination(bus, "acme/oven-queue", MSGBUS_DESTINATION_TYPE_SERIAL));
  CHECK_OK(msgbus_bus_register_listener(bus, "acme/oven-queue", refuse_saying_why, &logged, NULL, &id));
  CHECK_RESULT(msgbus_bus_send_synchronous(bus, "acme/oven-queue", m, 60000, &response), MSGBUS_RESULT_LISTENER_FAILED);
  CHECK_STR(msgbus_last_error_message(), "listener failed: the oven is cold");
  msgbus_request *request = NULL;
  CHECK_OK(msgbus_bus_request(bus, "acme/oven-queue", m, &request));
  CHECK_RESULT(msgbus_request_wait(request, 60000, &response), MSGBUS_RESULT_LISTENER_FAILED);
  CHECK_STR(msgbus_last_error_message(), "listener failed: the oven is cold");
  msgbus_request_free(request);
  CHECK(oven_records == 1);
  CHECK_OK(msgbus_set_log_handler(MSGBUS_LOG_LEVEL_WARN, NULL, NULL, NULL));
  msgbus_message_free(m);
}

static void direct_synchronous(msgbus_bus *bus) {
  responder first = {.answer = "first"}, last = {.answer = "last"};
  uint64_t id, refuser;
  msgbus_value *response = NULL;
  const char *text = NULL;
  msgbus_message *m = message_with("q");
  CHECK_OK(msgbus_bus_add_destination(bus, "acme/direct", MSGBUS_DESTINATION_TYPE_SERIAL));
  CHECK_OK(msgbus_bus_send_direct(bus, "acme/direct", m, &response));
  CHECK(msgbus_value_type(response) == MSGBUS_VALUE_TYPE_NULL); /* no listeners */
  msgbus_value_free(response);
  CHECK_OK(msgbus_bus_register_listener(bus, "acme/direct", respond, &first, NULL, &id));
  CHECK_OK(msgbus_bus_register_listener(bus, "acme/direct", respond, &last, NULL, &id));
  CHECK_OK(msgbus_bus_send_direct(bus, "acme/direct", m, &response));
  CHECK_OK(msgbus_value_as_string(response, &text, NULL));
  CHECK_STR(text, "last");
  CHECK(pthread_equal(first.thread, pthread_self()) && pthread_equal(last.thread, pthread_self()));
  msgbus_value_free(response);

  CHECK_OK(msgbus_bus_unregister_listener(bus, id));
  CHECK_OK(msgbus_bus_register_listener(bus, "acme/direct", refuse, NULL, NULL, &refuser));
  CHECK_OK(msgbus_bus_register_listener(bus, "acme/direct", respond, &last, NULL, &id));
  int calls_before = last.calls;
  response = NULL;
  CHECK_RESULT(msgbus_bus_send_direct(bus, "acme/direct", m, &response), MSGBUS_RESULT_LISTENER_FAILED);
  CHECK(response == NULL);
  CHECK(last.calls == calls_before); /* the failure stopped the call */
  CHECK(strstr(msgbus_last_error_message(), "listener") != NULL);
  msgbus_message_free(m);
}

int main(void) {
  msgbus_bus *bus = NULL;
  CHECK_OK(msgbus_bus_new(&bus));
  default_synchronous(bus);
  concurrent_requests_correlate(bus);
  direct_synchronous(bus);
  requests(bus);
  described_failures(bus);
  CHECK_OK(msgbus_bus_shutdown(bus, false, MSGBUS_WAIT_FOREVER));
  msgbus_bus_free(bus);
  return finish();
}
