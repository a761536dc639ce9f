/* Direct synchronous messaging: msgbus_bus_send_direct calls the
 * destination's listeners one after another in the sending thread,
 * bypassing its queue and workers. Each may set the message's response;
 * the sender gets the one the last listener set. A failing listener stops
 * the call.
 *
 * cc direct_synchronous.c $(pkg-config --cflags --libs msgbus) -pthread -o direct_synchronous */
#include <pthread.h>
#include <string.h>

#include "example.h"

static pthread_t sender;

static msgbus_result respond(const msgbus_message *message, const char *text) {
  msgbus_value *response = NULL;
  msgbus_result result = msgbus_value_new_string(text, strlen(text), &response);
  if (result != MSGBUS_RESULT_OK) return result;
  result = msgbus_message_set_response(message, response);
  msgbus_value_free(response);
  return result;
}

static msgbus_result first(void *user_data, const msgbus_message *message) {
  (void)user_data;
  printf("first listener: %s, in the sender's thread: %s\n", example_payload(message),
         pthread_equal(pthread_self(), sender) ? "yes" : "no");
  return respond(message, "first's response");
}

/* Sees the response the first listener set, and replaces it. */
static msgbus_result second(void *user_data, const msgbus_message *message) {
  (void)user_data;
  msgbus_value *previous = NULL;
  msgbus_result result = msgbus_message_response(message, &previous);
  if (result != MSGBUS_RESULT_OK) return result;
  const char *text = NULL;
  size_t length = 0;
  result = msgbus_value_as_string(previous, &text, &length);
  if (result == MSGBUS_RESULT_OK) printf("second listener: sees %s\n", text);
  msgbus_value_free(previous);
  return result == MSGBUS_RESULT_OK ? respond(message, "second's response") : result;
}

static msgbus_result refuse(void *user_data, const msgbus_message *message) {
  (void)user_data;
  (void)message;
  return MSGBUS_RESULT_INVALID_ARGUMENT;
}

int main(void) {
  sender = pthread_self();
  msgbus_bus *bus = NULL;
  uint64_t id = 0;
  TRY(msgbus_bus_new(&bus));
  TRY(msgbus_bus_add_destination(bus, "acme/direct", MSGBUS_DESTINATION_TYPE_SERIAL));
  TRY(msgbus_bus_register_listener(bus, "acme/direct", first, NULL, NULL, &id));
  TRY(msgbus_bus_register_listener(bus, "acme/direct", second, NULL, NULL, &id));
  TRY(msgbus_bus_add_destination(bus, "acme/strict", MSGBUS_DESTINATION_TYPE_SERIAL));
  TRY(msgbus_bus_register_listener(bus, "acme/strict", refuse, NULL, NULL, &id));
  TRY(msgbus_bus_register_listener(bus, "acme/strict", second, NULL, NULL, &id));

  msgbus_message *message = msgbus_message_new();
  TRY(msgbus_message_set_payload_string(message, "hello"));
  msgbus_value *response = NULL;
  TRY(msgbus_bus_send_direct(bus, "acme/direct", message, &response));
  const char *text = NULL;
  size_t length = 0;
  TRY(msgbus_value_as_string(response, &text, &length));
  printf("response: %s\n", text);
  msgbus_value_free(response);

  msgbus_result result = msgbus_bus_send_direct(bus, "acme/strict", message, &response);
  printf("acme/strict: %s\n",
         result == MSGBUS_RESULT_LISTENER_FAILED ? "the first listener failed; the second was not called" : "unexpected");

  msgbus_message_free(message);
  msgbus_bus_free(bus);
  return 0;
}
