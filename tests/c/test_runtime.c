/* A language runtime's global lock from C: a lock in the manner of
 * CPython's GIL, registered with msgbus_runtime_register. Its listeners
 * run holding it, others never do, a worker holds it across a run of its
 * listeners' calls, and a sender waiting inside the bus lets go of it. */
#include "check.h"

/* The lock: an owner and a depth, PyGILState-style tokens. */
static pthread_mutex_t gil_mutex = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t gil_freed = PTHREAD_COND_INITIALIZER;
static int gil_owned, gil_depth;
static pthread_t gil_owner;
static atomic_int enters, suspends;

static int held_here(void) {
  pthread_mutex_lock(&gil_mutex);
  int held = gil_owned && pthread_equal(gil_owner, pthread_self());
  pthread_mutex_unlock(&gil_mutex);
  return held;
}

static void take(int depth) {
  pthread_mutex_lock(&gil_mutex);
  while (gil_owned) pthread_cond_wait(&gil_freed, &gil_mutex);
  gil_owned = 1;
  gil_owner = pthread_self();
  gil_depth = depth;
  pthread_mutex_unlock(&gil_mutex);
}

static int give_back(void) {
  pthread_mutex_lock(&gil_mutex);
  int depth = gil_depth;
  gil_owned = 0;
  pthread_cond_broadcast(&gil_freed);
  pthread_mutex_unlock(&gil_mutex);
  return depth;
}

static size_t enter(void *u) {
  (void)u;
  enters++;
  if (held_here()) {
    gil_depth++;
    return 1;
  }
  take(1);
  return 0;
}

static void leave(void *u, size_t token) {
  (void)u;
  if (token == 1)
    gil_depth--;
  else
    give_back();
}

static size_t suspend(void *u) {
  (void)u;
  if (!held_here()) return 0;
  pthread_mutex_lock(&gil_mutex);
  int depth = gil_depth;
  gil_owned = 0;
  suspends++;
  pthread_cond_broadcast(&gil_freed);
  pthread_mutex_unlock(&gil_mutex);
  return (size_t)depth;
}

static void resume(void *u, size_t token) {
  (void)u;
  if (token != 0) take((int)token);
}

/* A pending "Ctrl-C", for the waits that ask. */
static atomic_int interrupt;
static bool interrupted(void *u) {
  (void)u;
  return interrupt;
}

/* Records whether each call held the lock; the first call of "hold"
 * messages waits for a valve. */
typedef struct {
  latch entered, valve, done;
  atomic_int calls_without_lock;
  char held[8];
  atomic_int n;
} record;

static msgbus_result note(void *user_data, const msgbus_message *m) {
  record *r = user_data;
  int i = r->n++;
  if (i < (int)sizeof r->held) r->held[i] = held_here() ? '1' : '0';
  if (!held_here()) r->calls_without_lock++;
  if (strcmp(payload_of(m), "hold") == 0) {
    latch_count_down(&r->entered);
    /* Lets go of the lock while it waits, as a Python listener does. */
    size_t token = suspend(NULL);
    latch_wait(&r->valve);
    resume(NULL, token);
  }
  latch_count_down(&r->done);
  return MSGBUS_RESULT_OK;
}

static void record_init(record *r, int done) {
  memset(r, 0, sizeof *r);
  latch_init(&r->entered, 1);
  latch_init(&r->valve, 1);
  latch_init(&r->done, done);
}

/* Waits until nobody holds the lock (`suspensions` < 0) or it was
 * suspended that many times; 0 after 30 s. */
static int wait_for(int suspensions) {
  struct timespec deadline;
  clock_gettime(CLOCK_REALTIME, &deadline);
  deadline.tv_sec += 30;
  pthread_mutex_lock(&gil_mutex);
#define REACHED (suspensions < 0 ? !gil_owned : suspends >= suspensions)
  int timed_out = 0;
  while (!REACHED && !timed_out) timed_out = pthread_cond_timedwait(&gil_freed, &gil_mutex, &deadline) == ETIMEDOUT;
  int reached = REACHED;
#undef REACHED
  pthread_mutex_unlock(&gil_mutex);
  return reached;
}

static int wait_until_free(void) { return wait_for(-1); }

static void a_worker_holds_the_lock_across_a_run(msgbus_bus *bus, const msgbus_runtime *runtime) {
  record r;
  record_init(&r, 10);
  uint64_t id;
  CHECK_OK(msgbus_bus_add_destination(bus, "acme/run", MSGBUS_DESTINATION_TYPE_SERIAL));
  CHECK_OK(msgbus_bus_register_listener_in_runtime(bus, "acme/run", runtime, note, &r, NULL, &id));
  int before = enters;
  msgbus_message *hold = message_with("hold"), *m = message_with("go");
  CHECK_OK(msgbus_bus_send(bus, "acme/run", hold));
  CHECK(latch_wait(&r.entered));
  for (int i = 0; i < 9; i++) CHECK_OK(msgbus_bus_send(bus, "acme/run", m));
  latch_count_down(&r.valve);
  CHECK(latch_wait(&r.done));
  CHECK(wait_until_free()); /* it left before waiting for more */
  CHECK(r.calls_without_lock == 0);
  CHECK(enters - before == 1);
  msgbus_message_free(hold);
  msgbus_message_free(m);
}

static void listeners_of_no_runtime_run_outside(msgbus_bus *bus, const msgbus_runtime *runtime) {
  record r;
  record_init(&r, 3);
  uint64_t id;
  CHECK_OK(msgbus_bus_add_destination(bus, "acme/mixed", MSGBUS_DESTINATION_TYPE_SERIAL));
  CHECK_OK(msgbus_bus_register_listener_in_runtime(bus, "acme/mixed", runtime, note, &r, NULL, &id));
  CHECK_OK(msgbus_bus_register_listener(bus, "acme/mixed", note, &r, NULL, &id));
  CHECK_OK(msgbus_bus_register_listener_in_runtime(bus, "acme/mixed", runtime, note, &r, NULL, &id));
  msgbus_message *m = message_with("go");
  CHECK_OK(msgbus_bus_send(bus, "acme/mixed", m));
  CHECK(latch_wait(&r.done));
  CHECK(memcmp(r.held, "101", 3) == 0);
  CHECK(wait_until_free());

  /* From a sender holding the lock, in place: let go only for the other. */
  record s;
  record_init(&s, 2);
  CHECK_OK(msgbus_bus_add_destination(bus, "acme/here", MSGBUS_DESTINATION_TYPE_SYNCHRONOUS));
  CHECK_OK(msgbus_bus_register_listener(bus, "acme/here", note, &s, NULL, &id));
  CHECK_OK(msgbus_bus_register_listener_in_runtime(bus, "acme/here", runtime, note, &s, NULL, &id));
  take(1);
  int suspended_before = suspends;
  CHECK_OK(msgbus_bus_send(bus, "acme/here", m));
  CHECK(held_here());
  CHECK(give_back() == 1);
  CHECK(memcmp(s.held, "01", 2) == 0);
  CHECK(suspends - suspended_before == 1);
  msgbus_message_free(m);
}

typedef struct {
  msgbus_bus *bus;
  msgbus_result result;
  int depth;
} blocked_sender;

static void *send_holding_the_lock(void *arg) {
  blocked_sender *b = arg;
  msgbus_message *m = message_with("third");
  take(1);
  b->result = msgbus_bus_send(b->bus, "acme/full", m);
  b->depth = give_back();
  msgbus_message_free(m);
  return NULL;
}

static void a_blocked_sender_lets_go(msgbus_bus *bus, const msgbus_runtime *runtime) {
  record r;
  record_init(&r, 3);
  uint64_t id;
  msgbus_destination_config *c = NULL;
  CHECK_OK(msgbus_destination_config_new(MSGBUS_DESTINATION_TYPE_SERIAL, &c));
  CHECK_OK(msgbus_destination_config_set_max_queue_size(c, 1));
  CHECK_OK(msgbus_destination_config_set_rejection_policy(c, MSGBUS_REJECTION_POLICY_BLOCK, 30000));
  CHECK_OK(msgbus_bus_add_destination_with_config(bus, "acme/full", c));
  CHECK_OK(msgbus_bus_register_listener_in_runtime(bus, "acme/full", runtime, note, &r, NULL, &id));
  msgbus_message *hold = message_with("hold"), *m = message_with("second");
  CHECK_OK(msgbus_bus_send(bus, "acme/full", hold));
  CHECK(latch_wait(&r.entered));
  CHECK_OK(msgbus_bus_send(bus, "acme/full", m)); /* fills the queue */
  int suspended_before = suspends;
  blocked_sender b = {.bus = bus};
  pthread_t sender;
  pthread_create(&sender, NULL, send_holding_the_lock, &b);
  /* The worker needs the lock to go on: it gets it only if the blocked
   * sender let go of it. */
  CHECK(wait_for(suspended_before + 1));
  latch_count_down(&r.valve);
  pthread_join(sender, NULL);
  CHECK_OK(b.result);
  CHECK(b.depth == 1);
  CHECK(latch_wait(&r.done));
  msgbus_destination_config_free(c);
  msgbus_message_free(hold);
  msgbus_message_free(m);
}

/* A sender waiting for room gives up when its runtime is interrupted; the
 * message is not counted. */
static void an_interrupted_sender_gives_up(msgbus_bus *bus) {
  record r;
  record_init(&r, 2);
  uint64_t id;
  msgbus_destination_config *c = NULL;
  CHECK_OK(msgbus_destination_config_new(MSGBUS_DESTINATION_TYPE_SERIAL, &c));
  CHECK_OK(msgbus_destination_config_set_max_queue_size(c, 1));
  CHECK_OK(msgbus_destination_config_set_rejection_policy(c, MSGBUS_REJECTION_POLICY_BLOCK, MSGBUS_WAIT_FOREVER));
  CHECK_OK(msgbus_bus_add_destination_with_config(bus, "acme/gives_up", c));
  CHECK_OK(msgbus_bus_register_listener(bus, "acme/gives_up", note, &r, NULL, &id));
  msgbus_message *hold = message_with("hold"), *m = message_with("second");
  CHECK_OK(msgbus_bus_send(bus, "acme/gives_up", hold));
  CHECK(latch_wait(&r.entered));
  CHECK_OK(msgbus_bus_send(bus, "acme/gives_up", m)); /* fills the queue */
  interrupt = 1;
  take(1);
  CHECK_RESULT(msgbus_bus_send(bus, "acme/gives_up", m), MSGBUS_RESULT_INTERRUPTED);
  CHECK(held_here() && give_back() == 1);
  interrupt = 0;
  latch_count_down(&r.valve);
  CHECK(latch_wait(&r.done));
  msgbus_destination_statistics stats;
  CHECK_OK(msgbus_bus_shutdown(bus, false, MSGBUS_WAIT_FOREVER));
  CHECK_OK(msgbus_bus_destination_statistics(bus, "acme/gives_up", &stats));
  CHECK(stats.sent_message_count == 2 && stats.delivered_message_count == 2 && stats.rejected_message_count == 0);
  msgbus_destination_config_free(c);
  msgbus_message_free(hold);
  msgbus_message_free(m);
}

int main(void) {
  msgbus_runtime_hooks hooks = {NULL, enter, leave, suspend, resume, interrupted};
  const msgbus_runtime *runtime = NULL;
  msgbus_bus *bus = NULL;
  CHECK_OK(msgbus_runtime_register(&hooks, &runtime));
  CHECK(runtime != NULL);
  CHECK_OK(msgbus_bus_new(&bus));
  a_worker_holds_the_lock_across_a_run(bus, runtime);
  listeners_of_no_runtime_run_outside(bus, runtime);
  a_blocked_sender_lets_go(bus, runtime);
  an_interrupted_sender_gives_up(bus);
  CHECK_OK(msgbus_bus_shutdown(bus, false, MSGBUS_WAIT_FOREVER));
  msgbus_bus_free(bus);
  return finish();
}
