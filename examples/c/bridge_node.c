/* Process B of the seed scenario across processes (make demo-bridge): over
 * a NATS server, N8K5CharlieMessageListener on acme/n8k5_able answers
 * process A (examples/python/bridge_seed.py) twice: N8K5Baker#_activate
 * by replying to acme/n8k5_baker, then A's send_synchronous. Prints
 * "ready" once bridged, and exits after the two answers.
 *
 * usage: bridge_node NATS_URL CLUSTER */
#include <pthread.h>
#include <string.h>

#include "example.h"

enum { ANSWERS = 2 };

typedef struct {
  msgbus_bus *bus;
  pthread_mutex_t lock;
  pthread_cond_t answered;
  int count;
} charlie_state;

static msgbus_result charlie(void *user_data, const msgbus_message *message) {
  charlie_state *state = user_data;
  printf("INFO [%s][N8K5CharlieMessageListener] Received message payload %s\n", example_thread(),
         example_payload(message));
  fflush(stdout);
  msgbus_value *reply = NULL;
  const char *answer = "N8K5CharlieMessageListener";
  msgbus_result result = msgbus_value_new_string(answer, strlen(answer), &reply);
  if (result != MSGBUS_RESULT_OK) return result;
  result = msgbus_bus_reply(state->bus, message, reply);
  msgbus_value_free(reply);
  pthread_mutex_lock(&state->lock);
  state->count++;
  pthread_cond_signal(&state->answered);
  pthread_mutex_unlock(&state->lock);
  return result;
}

int main(int argc, char **argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: %s NATS_URL CLUSTER\n", argv[0]);
    return 2;
  }
  static charlie_state state = {NULL, PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0};
  TRY(msgbus_bus_new(&state.bus));
  TRY(msgbus_bus_add_destination(state.bus, "acme/n8k5_able", MSGBUS_DESTINATION_TYPE_SERIAL));
  /* Where the reply goes; A's listener is there, B's copy has none. */
  TRY(msgbus_bus_add_destination(state.bus, "acme/n8k5_baker", MSGBUS_DESTINATION_TYPE_SERIAL));
  uint64_t id = 0;
  TRY(msgbus_bus_register_listener(state.bus, "acme/n8k5_able", charlie, &state, NULL, &id));

  msgbus_bridge_options options = {0};
  options.url = argv[1];
  options.cluster = argv[2];
  options.node_id = "process-b";
  msgbus_bridge *bridge = NULL;
  TRY(msgbus_bridge_connect(state.bus, &options, &bridge));
  TRY(msgbus_bridge_add(bridge, "acme/n8k5_able", MSGBUS_BRIDGE_MODE_BROADCAST));
  TRY(msgbus_bridge_add(bridge, "acme/n8k5_baker", MSGBUS_BRIDGE_MODE_BROADCAST));
  printf("ready\n");
  fflush(stdout);

  pthread_mutex_lock(&state.lock);
  while (state.count < ANSWERS) pthread_cond_wait(&state.answered, &state.lock);
  pthread_mutex_unlock(&state.lock);
  /* Publishes the last reply before it returns. */
  TRY(msgbus_bridge_close(bridge));
  msgbus_bridge_counters statistics;
  TRY(msgbus_bridge_statistics(bridge, &statistics));
  printf("process B: received %llu, published %llu\n", (unsigned long long)statistics.received,
         (unsigned long long)statistics.published);
  msgbus_bridge_free(bridge);
  TRY(msgbus_bus_shutdown(state.bus, false, MSGBUS_WAIT_FOREVER));
  msgbus_bus_free(state.bus);
  return 0;
}
