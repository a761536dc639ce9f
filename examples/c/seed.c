/* The seed scenario of Liferay's message bus guide, in C:
 * N8K5CharlieMessageListener on the serial destination acme/n8k5_able
 * answers N8K5Baker#_activate by replying to the response destination
 * acme/n8k5_baker, where the N8K5Baker listener logs the reply.
 *
 * cc seed.c $(pkg-config --cflags --libs msgbus) -pthread -o seed */
#include <pthread.h>
#include <stdbool.h>
#include <string.h>

#include "example.h"

static void log_info(const char *class_name, const char *text, const char *payload) {
  printf("INFO [%s][%s] %s %s\n", example_thread(), class_name, text, payload);
  fflush(stdout);
}

static msgbus_result charlie(void *bus, const msgbus_message *message) {
  log_info("N8K5CharlieMessageListener", "Received message payload", example_payload(message));
  msgbus_value *reply = NULL;
  const char *answer = "N8K5CharlieMessageListener";
  msgbus_result result = msgbus_value_new_string(answer, strlen(answer), &reply);
  if (result != MSGBUS_RESULT_OK) return result;
  result = msgbus_bus_reply(bus, message, reply);
  msgbus_value_free(reply);
  return result;
}

/* The sender's side: logs the reply and wakes main. */
typedef struct {
  pthread_mutex_t lock;
  pthread_cond_t replied;
  bool done;
} baker;

static msgbus_result baker_listener(void *user_data, const msgbus_message *message) {
  baker *b = user_data;
  log_info("N8K5Baker", "Received message payload", example_payload(message));
  pthread_mutex_lock(&b->lock);
  b->done = true;
  pthread_cond_signal(&b->replied);
  pthread_mutex_unlock(&b->lock);
  return MSGBUS_RESULT_OK;
}

int main(void) {
  static baker b = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, false};
  msgbus_bus *bus = NULL;
  TRY(msgbus_bus_new(&bus));
  TRY(msgbus_bus_add_destination(bus, "acme/n8k5_able", MSGBUS_DESTINATION_TYPE_SERIAL));
  TRY(msgbus_bus_add_destination(bus, "acme/n8k5_baker", MSGBUS_DESTINATION_TYPE_SERIAL));
  uint64_t id = 0;
  TRY(msgbus_bus_register_listener(bus, "acme/n8k5_able", charlie, bus, NULL, &id));
  TRY(msgbus_bus_register_listener(bus, "acme/n8k5_baker", baker_listener, &b, NULL, &id));

  msgbus_message *message = msgbus_message_new();
  const char *payload = "N8K5Baker#_activate";
  TRY(msgbus_message_set_payload_string(message, payload));
  TRY(msgbus_message_set_response_destination_name(message, "acme/n8k5_baker"));
  log_info("N8K5Baker", "Sending message payload", payload);
  TRY(msgbus_bus_send(bus, "acme/n8k5_able", message));
  msgbus_message_free(message);

  pthread_mutex_lock(&b.lock);
  while (!b.done) pthread_cond_wait(&b.replied, &b.lock);
  pthread_mutex_unlock(&b.lock);
  TRY(msgbus_bus_shutdown(bus, false, MSGBUS_WAIT_FOREVER));
  msgbus_bus_free(bus);
  return 0;
}
