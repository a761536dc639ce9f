/* 4 threads send while 2 threads register and unregister listeners: no
 * call reaches a listener after its unregister returned, and every
 * user_data_free runs exactly once. */
#include <stdlib.h>

#include "check.h"

#define SENDERS 4
#define CHURNERS 2
#define ROUNDS 150

typedef struct {
  latch first_call;
  atomic_int calls;
  atomic_int late_calls; /* calls after unregister returned */
  atomic_int frees;
  atomic_bool unregistered;
} probe;

static msgbus_result probe_listener(void *user_data, const msgbus_message *m) {
  (void)m;
  probe *p = user_data;
  if (atomic_load(&p->unregistered)) atomic_fetch_add(&p->late_calls, 1);
  atomic_fetch_add(&p->calls, 1);
  latch_count_down(&p->first_call);
  return MSGBUS_RESULT_OK;
}

static void probe_free(void *user_data) {
  atomic_fetch_add(&((probe *)user_data)->frees, 1);
}

typedef struct {
  msgbus_bus *bus;
  atomic_bool *stop;
  const char *destination;
} sender;

static void *send_until_stopped(void *arg) {
  sender *s = arg;
  msgbus_message *m = message_with("tick");
  while (!atomic_load(s->stop)) {
    if (msgbus_bus_send(s->bus, s->destination, m) != MSGBUS_RESULT_OK) break;
  }
  msgbus_message_free(m);
  return NULL;
}

typedef struct {
  msgbus_bus *bus;
  const char *destination;
  probe probes[ROUNDS];
  int failures;
} churner;

static void *churn(void *arg) {
  churner *c = arg;
  for (int i = 0; i < ROUNDS; i++) {
    probe *p = &c->probes[i];
    latch_init(&p->first_call, 1);
    uint64_t id;
    /* Unregister while messages keep coming, once this listener has one. */
    if (msgbus_bus_register_listener(c->bus, c->destination, probe_listener, p, probe_free, &id) != MSGBUS_RESULT_OK ||
        !latch_wait(&p->first_call) || msgbus_bus_unregister_listener(c->bus, id) != MSGBUS_RESULT_OK) {
      c->failures++;
      continue;
    }
    /* unregister returned: the user data is already released */
    if (atomic_load(&p->frees) != 1) c->failures++;
    atomic_store(&p->unregistered, true);
  }
  return NULL;
}

static void run(msgbus_bus *bus, const char *destination) {
  atomic_bool stop = false;
  sender senders[SENDERS];
  pthread_t threads[SENDERS + CHURNERS];
  churner *churners = calloc(CHURNERS, sizeof *churners);
  for (int i = 0; i < SENDERS; i++) {
    senders[i] = (sender){bus, &stop, destination};
    pthread_create(&threads[i], NULL, send_until_stopped, &senders[i]);
  }
  for (int i = 0; i < CHURNERS; i++) {
    churners[i].bus = bus;
    churners[i].destination = destination;
    pthread_create(&threads[SENDERS + i], NULL, churn, &churners[i]);
  }
  for (int i = 0; i < CHURNERS; i++) pthread_join(threads[SENDERS + i], NULL);
  atomic_store(&stop, true);
  for (int i = 0; i < SENDERS; i++) pthread_join(threads[i], NULL);
  CHECK_OK(msgbus_bus_shutdown(bus, false, MSGBUS_WAIT_FOREVER));

  int late = 0, frees_wrong = 0, failures = 0, called = 0;
  for (int i = 0; i < CHURNERS; i++) {
    failures += churners[i].failures;
    for (int r = 0; r < ROUNDS; r++) {
      probe *p = &churners[i].probes[r];
      late += atomic_load(&p->late_calls);
      frees_wrong += atomic_load(&p->frees) != 1;
      called += atomic_load(&p->calls) > 0;
      latch_destroy(&p->first_call);
    }
  }
  CHECK(failures == 0);
  CHECK(late == 0);
  CHECK(frees_wrong == 0);
  CHECK(called == CHURNERS * ROUNDS);
  msgbus_destination_statistics s;
  CHECK_OK(msgbus_bus_destination_statistics(bus, destination, &s));
  CHECK(s.pending_message_count == 0);
  CHECK(s.sent_message_count == s.delivered_message_count + s.failed_message_count +
                                    s.rejected_message_count + s.dropped_no_listener_count);
  free(churners);
}

int main(void) {
  const msgbus_destination_type types[] = {MSGBUS_DESTINATION_TYPE_SERIAL, MSGBUS_DESTINATION_TYPE_PARALLEL,
                                           MSGBUS_DESTINATION_TYPE_SYNCHRONOUS};
  for (int t = 0; t < 3; t++) {
    msgbus_bus *bus = NULL;
    CHECK_OK(msgbus_bus_new(&bus));
    /* Senders outrun the workers: block them rather than grow the queue. */
    msgbus_destination_config *config = NULL;
    CHECK_OK(msgbus_destination_config_new(types[t], &config));
    CHECK_OK(msgbus_destination_config_set_max_queue_size(config, 64));
    CHECK_OK(msgbus_destination_config_set_rejection_policy(config, MSGBUS_REJECTION_POLICY_BLOCK, 60000));
    CHECK_OK(msgbus_bus_add_destination_with_config(bus, "acme/busy", config));
    msgbus_destination_config_free(config);
    run(bus, "acme/busy");
    msgbus_bus_free(bus);
  }
  return finish();
}
