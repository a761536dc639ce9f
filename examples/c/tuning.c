/* Tuning: a msgbus_destination_config sets a parallel destination's queue
 * size and worker pool. Under load the statistics show the pool at its
 * maximum and the rest queued; msgbus_bus_replace_destination reconfigures
 * the destination without losing a message (the old queue drains before
 * the new one starts), and the statistics show the larger pool.
 *
 * The listener holds each message until its round is let through, so the
 * figures printed under load are exact, not a race.
 *
 * cc tuning.c $(pkg-config --cflags --libs msgbus) -pthread -o tuning */
#include <inttypes.h>
#include <pthread.h>
#include <stdbool.h>

#include "example.h"

#define MESSAGES 40

/* The listener's side: how many calls are waiting, and which round may go. */
typedef struct {
  pthread_mutex_t lock;
  pthread_cond_t changed;
  int64_t released_round;
  int waiting;
} gate;

static msgbus_result work(void *user_data, const msgbus_message *message) {
  gate *g = user_data;
  const msgbus_value *round = NULL;
  int64_t number = 0;
  msgbus_result result = msgbus_message_get(message, "round", &round);
  if (result == MSGBUS_RESULT_OK) result = msgbus_value_as_int(round, &number);
  if (result != MSGBUS_RESULT_OK) return result;
  pthread_mutex_lock(&g->lock);
  g->waiting++;
  pthread_cond_broadcast(&g->changed);
  while (g->released_round < number) pthread_cond_wait(&g->changed, &g->lock);
  g->waiting--;
  pthread_mutex_unlock(&g->lock);
  return MSGBUS_RESULT_OK;
}

static int print_statistics(msgbus_bus *bus, const char *when) {
  msgbus_destination_statistics s;
  TRY(msgbus_bus_destination_statistics(bus, "acme/tuned", &s));
  printf("%s: workers %" PRIu64 " busy, %" PRIu64 " alive, %" PRIu64 " at most (pool %" PRIu64 "..%" PRIu64
         "); %" PRIu64 " queued; %" PRIu64 " sent, %" PRIu64 " delivered, %" PRIu64 " rejected\n",
         when, s.active_thread_count, s.current_thread_count, s.largest_thread_count, s.min_thread_pool_size,
         s.max_thread_pool_size, s.pending_message_count, s.sent_message_count, s.delivered_message_count,
         s.rejected_message_count);
  return 0;
}

/* Sends a round of messages and waits until `workers` of them are held. */
static int load(msgbus_bus *bus, gate *g, int64_t round, int workers) {
  msgbus_message *message = msgbus_message_new();
  msgbus_value *number = msgbus_value_new_int(round);
  TRY(msgbus_message_put(message, "round", number));
  msgbus_value_free(number);
  for (int i = 0; i < MESSAGES; i++) TRY(msgbus_bus_send(bus, "acme/tuned", message));
  msgbus_message_free(message);
  pthread_mutex_lock(&g->lock);
  while (g->waiting < workers) pthread_cond_wait(&g->changed, &g->lock);
  pthread_mutex_unlock(&g->lock);
  return 0;
}

static void release(gate *g, int64_t round) {
  pthread_mutex_lock(&g->lock);
  g->released_round = round;
  pthread_cond_broadcast(&g->changed);
  pthread_mutex_unlock(&g->lock);
}

static int configure(msgbus_bus *bus, int workers, bool replace) {
  msgbus_destination_config *config = NULL;
  TRY(msgbus_destination_config_new(MSGBUS_DESTINATION_TYPE_PARALLEL, &config));
  TRY(msgbus_destination_config_set_workers(config, 1, (size_t)workers));
  TRY(msgbus_destination_config_set_max_queue_size(config, 100));
  TRY(msgbus_destination_config_set_rejection_policy(config, MSGBUS_REJECTION_POLICY_BLOCK, 10000));
  TRY(replace ? msgbus_bus_replace_destination(bus, "acme/tuned", config)
              : msgbus_bus_add_destination_with_config(bus, "acme/tuned", config));
  msgbus_destination_config_free(config);
  return 0;
}

int main(void) {
  static gate g = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, 0};
  msgbus_bus *bus = NULL;
  uint64_t id = 0;
  TRY(msgbus_bus_new(&bus));
  TRY(msgbus_bus_register_listener(bus, "acme/tuned", work, &g, NULL, &id));

  if (configure(bus, 2, false) || load(bus, &g, 1, 2) || print_statistics(bus, "2 workers, under load")) return 1;
  release(&g, 1);
  if (configure(bus, 8, true) || load(bus, &g, 2, 8) || print_statistics(bus, "8 workers, under load")) return 1;
  release(&g, 2);
  TRY(msgbus_bus_shutdown(bus, false, MSGBUS_WAIT_FOREVER));
  if (print_statistics(bus, "8 workers, after shutdown")) return 1;
  msgbus_bus_free(bus);
  return 0;
}
