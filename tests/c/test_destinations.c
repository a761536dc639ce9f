/* The three destination types, the registry, pending listeners,
 * statistics, graceful shutdown and the rejection policies, from C. */
#include "check.h"

#define N 200

/* Records (listener, payload) pairs in call order. */
typedef struct {
  pthread_mutex_t mutex;
  int calls[3 * N][2];
  int n;
  latch done;
} log_book;

typedef struct {
  log_book *book;
  int listener;
} tagged;

static msgbus_result record(void *user_data, const msgbus_message *m) {
  tagged *t = user_data;
  int64_t i = -1;
  msgbus_value_as_int(msgbus_message_payload(m), &i);
  pthread_mutex_lock(&t->book->mutex);
  t->book->calls[t->book->n][0] = t->listener;
  t->book->calls[t->book->n][1] = (int)i;
  t->book->n++;
  pthread_mutex_unlock(&t->book->mutex);
  latch_count_down(&t->book->done);
  return MSGBUS_RESULT_OK;
}

static msgbus_message *int_message(int64_t i) {
  msgbus_message *m = msgbus_message_new();
  msgbus_value *v = msgbus_value_new_int(i);
  msgbus_message_set_payload(m, v);
  msgbus_value_free(v);
  return m;
}

static void send_int(msgbus_bus *bus, const char *dest, int64_t i, msgbus_result expected) {
  msgbus_message *m = int_message(i);
  CHECK_RESULT(msgbus_bus_send(bus, dest, m), expected);
  msgbus_message_free(m);
}

static void serial_order(msgbus_bus *bus) {
  log_book book = {.n = 0};
  pthread_mutex_init(&book.mutex, NULL);
  latch_init(&book.done, 3 * N);
  tagged t[3] = {{&book, 0}, {&book, 1}, {&book, 2}};
  uint64_t id;
  CHECK_OK(msgbus_bus_add_destination(bus, "acme/serial", MSGBUS_DESTINATION_TYPE_SERIAL));
  for (int l = 0; l < 3; l++) CHECK_OK(msgbus_bus_register_listener(bus, "acme/serial", record, &t[l], NULL, &id));
  for (int i = 0; i < N; i++) send_int(bus, "acme/serial", i, MSGBUS_RESULT_OK);
  CHECK(latch_wait(&book.done));
  int in_order = 1;
  for (int k = 0; k < 3 * N; k++) in_order &= book.calls[k][0] == k % 3 && book.calls[k][1] == k / 3;
  CHECK(in_order);
  msgbus_destination_statistics s;
  CHECK_OK(msgbus_bus_destination_statistics(bus, "acme/serial", &s));
  CHECK(s.min_thread_pool_size == 1 && s.max_thread_pool_size == 1 && s.listener_count == 3);
  CHECK(s.sent_message_count == N);
  CHECK_OK(msgbus_bus_remove_destination(bus, "acme/serial"));
  latch_destroy(&book.done);
}

typedef struct {
  latch done;
  int count[4];
  pthread_mutex_t mutex;
} fan;

typedef struct {
  fan *f;
  int index;
} fan_slot;

static msgbus_result fan_listener(void *user_data, const msgbus_message *m) {
  (void)m;
  fan_slot *s = user_data;
  pthread_mutex_lock(&s->f->mutex);
  s->f->count[s->index]++;
  pthread_mutex_unlock(&s->f->mutex);
  latch_count_down(&s->f->done);
  return MSGBUS_RESULT_OK;
}

static void parallel_fan_out(msgbus_bus *bus) {
  fan f = {.count = {0}};
  pthread_mutex_init(&f.mutex, NULL);
  latch_init(&f.done, 4 * N);
  fan_slot slots[4];
  uint64_t id;
  CHECK_OK(msgbus_bus_add_destination(bus, "acme/parallel", MSGBUS_DESTINATION_TYPE_PARALLEL));
  for (int l = 0; l < 4; l++) {
    slots[l] = (fan_slot){&f, l};
    CHECK_OK(msgbus_bus_register_listener(bus, "acme/parallel", fan_listener, &slots[l], NULL, &id));
  }
  for (int i = 0; i < N; i++) send_int(bus, "acme/parallel", i, MSGBUS_RESULT_OK);
  CHECK(latch_wait(&f.done));
  CHECK(f.count[0] == N && f.count[1] == N && f.count[2] == N && f.count[3] == N);
  msgbus_destination_statistics s;
  CHECK_OK(msgbus_bus_destination_statistics(bus, "acme/parallel", &s));
  CHECK(s.min_thread_pool_size == 2 && s.max_thread_pool_size == 5);
  CHECK_OK(msgbus_bus_remove_destination(bus, "acme/parallel"));
  latch_destroy(&f.done);
}

static msgbus_result note_thread(void *user_data, const msgbus_message *m) {
  (void)m;
  *(pthread_t *)user_data = pthread_self();
  return MSGBUS_RESULT_OK;
}

/* The thread acme/sync's listener last ran on; it lives as long as the bus. */
static pthread_t sync_seen;

static void synchronous_in_sender_thread(msgbus_bus *bus) {
  uint64_t id;
  CHECK_OK(msgbus_bus_add_destination(bus, "acme/sync", MSGBUS_DESTINATION_TYPE_SYNCHRONOUS));
  CHECK_OK(msgbus_bus_register_listener(bus, "acme/sync", note_thread, &sync_seen, NULL, &id));
  send_int(bus, "acme/sync", 1, MSGBUS_RESULT_OK);
  CHECK(sync_seen != 0 && pthread_equal(sync_seen, pthread_self()));
}

static void count_name(void *user_data, const char *name) {
  (void)name;
  (*(int *)user_data)++;
}

static void registry_and_pending_listeners(msgbus_bus *bus) {
  latch got;
  latch_init(&got, 1);
  uint64_t id;
  bool has = true;
  CHECK_OK(msgbus_bus_register_listener(bus, "acme/later", count_down_listener, &got, NULL, &id));
  CHECK_OK(msgbus_bus_has_listener(bus, "acme/later", &has));
  CHECK(!has);
  send_int(bus, "acme/later", 0, MSGBUS_RESULT_NO_SUCH_DESTINATION);
  CHECK_OK(msgbus_bus_add_destination(bus, "acme/later", MSGBUS_DESTINATION_TYPE_SERIAL));
  CHECK_RESULT(msgbus_bus_add_destination(bus, "acme/later", MSGBUS_DESTINATION_TYPE_SERIAL),
               MSGBUS_RESULT_DESTINATION_EXISTS);
  CHECK_OK(msgbus_bus_has_destination(bus, "acme/later", &has));
  CHECK(has);
  CHECK_OK(msgbus_bus_has_listener(bus, "acme/later", &has));
  CHECK(has);
  send_int(bus, "acme/later", 1, MSGBUS_RESULT_OK);
  CHECK(latch_wait(&got));
  int names = 0;
  CHECK_OK(msgbus_bus_destination_names(bus, count_name, &names));
  CHECK(names == 3); /* acme/later, acme/sync, msgbus/default_response */

  msgbus_destination_config *config = NULL;
  CHECK_OK(msgbus_destination_config_new(MSGBUS_DESTINATION_TYPE_PARALLEL, &config));
  CHECK_OK(msgbus_destination_config_set_workers(config, 1, 3));
  CHECK_OK(msgbus_bus_replace_destination(bus, "acme/later", config));
  msgbus_destination_config_free(config);
  msgbus_destination_statistics s;
  CHECK_OK(msgbus_bus_destination_statistics(bus, "acme/later", &s));
  CHECK(s.max_thread_pool_size == 3 && s.listener_count == 1);
  CHECK_OK(msgbus_bus_remove_destination(bus, "acme/later"));
  CHECK_OK(msgbus_bus_unregister_listener(bus, id));
  CHECK_RESULT(msgbus_bus_unregister_listener(bus, id), MSGBUS_RESULT_NO_SUCH_LISTENER);
  latch_destroy(&got);
}

/* Holds payload 0 until the valve opens; counts the others in. */
typedef struct {
  latch entered, valve;
  pthread_t thread_of[8];
  int delivered;
  pthread_mutex_t mutex;
} holder;

static msgbus_result hold_first(void *user_data, const msgbus_message *m) {
  holder *h = user_data;
  int64_t i = -1;
  msgbus_value_as_int(msgbus_message_payload(m), &i);
  if (i == 0) {
    latch_count_down(&h->entered);
    latch_wait(&h->valve);
  }
  pthread_mutex_lock(&h->mutex);
  if (i >= 0 && i < 8) h->thread_of[i] = pthread_self();
  h->delivered++;
  pthread_mutex_unlock(&h->mutex);
  return MSGBUS_RESULT_OK;
}

/* A serial destination with a queue of one place whose worker holds
 * message 0 and whose queue holds message 1. */
static void held_queue(msgbus_bus *bus, const char *name, holder *h, msgbus_rejection_policy policy,
                       uint64_t block_ms) {
  memset(h, 0, sizeof *h);
  latch_init(&h->entered, 1);
  latch_init(&h->valve, 1);
  pthread_mutex_init(&h->mutex, NULL);
  msgbus_destination_config *config = NULL;
  uint64_t id;
  CHECK_OK(msgbus_destination_config_new(MSGBUS_DESTINATION_TYPE_SERIAL, &config));
  CHECK_OK(msgbus_destination_config_set_max_queue_size(config, 1));
  CHECK_OK(msgbus_destination_config_set_rejection_policy(config, policy, block_ms));
  CHECK_OK(msgbus_bus_add_destination_with_config(bus, name, config));
  msgbus_destination_config_free(config);
  CHECK_OK(msgbus_bus_register_listener(bus, name, hold_first, h, NULL, &id));
  send_int(bus, name, 0, MSGBUS_RESULT_OK);
  CHECK(latch_wait(&h->entered));
  send_int(bus, name, 1, MSGBUS_RESULT_OK);
}

/* One per held destination; workers use them until the bus shuts down. */
static holder discard_holder, caller_holder, block_holder, drain_holder;

static void rejection_policies(msgbus_bus *bus) {
  msgbus_destination_statistics s;

  held_queue(bus, "acme/discard", &discard_holder, MSGBUS_REJECTION_POLICY_DISCARD, 0);
  send_int(bus, "acme/discard", 2, MSGBUS_RESULT_QUEUE_FULL);
  CHECK_OK(msgbus_bus_destination_statistics(bus, "acme/discard", &s));
  CHECK(s.rejected_message_count == 1 && s.pending_message_count == 1);
  latch_count_down(&discard_holder.valve);

  held_queue(bus, "acme/caller", &caller_holder, MSGBUS_REJECTION_POLICY_CALLER_RUNS, 0);
  send_int(bus, "acme/caller", 2, MSGBUS_RESULT_OK);
  CHECK(pthread_equal(caller_holder.thread_of[2], pthread_self()));
  latch_count_down(&caller_holder.valve);

  held_queue(bus, "acme/block", &block_holder, MSGBUS_REJECTION_POLICY_BLOCK, 20);
  send_int(bus, "acme/block", 2, MSGBUS_RESULT_QUEUE_FULL);
  CHECK_OK(msgbus_bus_destination_statistics(bus, "acme/block", &s));
  CHECK(s.rejected_message_count == 1);
  latch_count_down(&block_holder.valve);
}

typedef struct {
  msgbus_bus *bus;
  msgbus_result result;
} shutdown_call;

static void *shut_down(void *arg) {
  shutdown_call *call = arg;
  call->result = msgbus_bus_shutdown(call->bus, false, MSGBUS_WAIT_FOREVER);
  return NULL;
}

/* Everything a send accepted is delivered by a graceful shutdown, even
 * what was queued while it began. */
static void graceful_shutdown_drains(msgbus_bus *bus) {
  holder *h = &drain_holder;
  held_queue(bus, "acme/drain", h, MSGBUS_REJECTION_POLICY_BLOCK, 60000);
  shutdown_call call = {bus, MSGBUS_RESULT_PANIC};
  pthread_t thread;
  pthread_create(&thread, NULL, shut_down, &call);
  /* Sends succeed until the shutdown closes the destination. */
  int accepted = 2;
  msgbus_message *m = int_message(9);
  msgbus_result r;
  while ((r = msgbus_bus_send(bus, "acme/drain", m)) == MSGBUS_RESULT_OK) accepted++;
  msgbus_message_free(m);
  CHECK(r == MSGBUS_RESULT_CLOSED);
  latch_count_down(&h->valve);
  pthread_join(thread, NULL);
  CHECK_OK(call.result);
  CHECK(h->delivered == accepted);
  msgbus_destination_statistics s;
  CHECK_OK(msgbus_bus_destination_statistics(bus, "acme/drain", &s));
  CHECK(s.delivered_message_count == (uint64_t)accepted && s.pending_message_count == 0);
  CHECK(s.sent_message_count == s.delivered_message_count + s.rejected_message_count);
  CHECK(s.current_thread_count == 0);
}

static msgbus_result failing(void *user_data, const msgbus_message *m) {
  (void)user_data;
  (void)m;
  return MSGBUS_RESULT_LISTENER_FAILED;
}

static void failures_are_counted(msgbus_bus *bus) {
  latch got;
  latch_init(&got, 1);
  uint64_t id;
  CHECK_OK(msgbus_bus_add_destination(bus, "acme/fails", MSGBUS_DESTINATION_TYPE_SYNCHRONOUS));
  CHECK_OK(msgbus_bus_register_listener(bus, "acme/fails", failing, NULL, NULL, &id));
  CHECK_OK(msgbus_bus_register_listener(bus, "acme/fails", count_down_listener, &got, NULL, &id));
  send_int(bus, "acme/fails", 1, MSGBUS_RESULT_OK);
  CHECK(latch_count(&got) == 0);
  msgbus_destination_statistics s;
  CHECK_OK(msgbus_bus_destination_statistics(bus, "acme/fails", &s));
  CHECK(s.failed_message_count == 1 && s.delivered_message_count == 0);
  latch_destroy(&got);
}

static void count_free(void *user_data) { (*(int *)user_data)++; }

/* After a shutdown a listener is refused where workers stopped, and the
 * refused registration does not free its user data: the caller still owns
 * it. A synchronous destination still takes one. */
static void registering_after_shutdown(msgbus_bus *bus) {
  int frees = 0;
  uint64_t id = 0;
  CHECK_RESULT(msgbus_bus_register_listener(bus, "acme/drain", failing, &frees, count_free, &id), MSGBUS_RESULT_CLOSED);
  CHECK(strstr(msgbus_last_error_message(), "acme/drain delivers no more messages") != NULL);
  CHECK(frees == 0);
  CHECK_OK(msgbus_bus_register_listener(bus, "acme/sync", failing, &frees, count_free, &id));
  CHECK_OK(msgbus_bus_unregister_listener(bus, id));
  CHECK(frees == 1);
}

int main(void) {
  msgbus_set_log_handler(MSGBUS_LOG_LEVEL_ERROR, NULL, NULL, NULL);
  msgbus_bus *bus = NULL;
  CHECK_OK(msgbus_bus_new(&bus));
  serial_order(bus);
  parallel_fan_out(bus);
  synchronous_in_sender_thread(bus);
  registry_and_pending_listeners(bus);
  rejection_policies(bus);
  failures_are_counted(bus);
  graceful_shutdown_drains(bus);
  registering_after_shutdown(bus);
  sync_seen = 0;
  send_int(bus, "acme/sync", 2, MSGBUS_RESULT_OK); /* synchronous still works */
  CHECK(pthread_equal(sync_seen, pthread_self()));
  msgbus_bus_free(bus);
  return finish();
}
