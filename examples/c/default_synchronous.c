/* Default synchronous messaging: msgbus_bus_send_synchronous gives the
 * message a fresh response id, queues it, and waits until a listener
 * replies to it with msgbus_bus_reply, or until the timeout. The listener
 * runs on the destination's worker, as for any asynchronous send.
 *
 * cc default_synchronous.c $(pkg-config --cflags --libs msgbus) -o default_synchronous */
#include <string.h>

#include "example.h"

/* Replies with what it received and the thread it ran in. */
static msgbus_result greeter(void *bus, const msgbus_message *request) {
  char text[128];
  snprintf(text, sizeof text, "%s received %s", example_thread(), example_payload(request));
  msgbus_value *reply = NULL;
  msgbus_result result = msgbus_value_new_string(text, strlen(text), &reply);
  if (result != MSGBUS_RESULT_OK) return result;
  result = msgbus_bus_reply(bus, request, reply);
  msgbus_value_free(reply);
  return result;
}

/* Takes the message and never replies. */
static msgbus_result mute(void *user_data, const msgbus_message *request) {
  (void)user_data;
  (void)request;
  return MSGBUS_RESULT_OK;
}

int main(void) {
  msgbus_bus *bus = NULL;
  uint64_t id = 0;
  TRY(msgbus_bus_new(&bus));
  TRY(msgbus_bus_add_destination(bus, "acme/greeter", MSGBUS_DESTINATION_TYPE_SERIAL));
  TRY(msgbus_bus_add_destination(bus, "acme/mute", MSGBUS_DESTINATION_TYPE_SERIAL));
  TRY(msgbus_bus_register_listener(bus, "acme/greeter", greeter, bus, NULL, &id));
  TRY(msgbus_bus_register_listener(bus, "acme/mute", mute, NULL, NULL, &id));

  msgbus_message *request = msgbus_message_new();
  TRY(msgbus_message_set_payload_string(request, "hello"));
  msgbus_value *reply = NULL;
  TRY(msgbus_bus_send_synchronous(bus, "acme/greeter", request, 10000, &reply));
  const char *text = NULL;
  size_t length = 0;
  TRY(msgbus_value_as_string(reply, &text, &length));
  printf("reply: %s\n", text);
  msgbus_value_free(reply);

  msgbus_result result = msgbus_bus_send_synchronous(bus, "acme/mute", request, 100, &reply);
  printf("acme/mute: %s\n", result == MSGBUS_RESULT_TIMEOUT ? "no reply within 100 ms" : "unexpected");
  result = msgbus_bus_send_synchronous(bus, "acme/missing", request, 100, &reply);
  printf("acme/missing: %s\n", result == MSGBUS_RESULT_NO_SUCH_DESTINATION ? "no such destination" : "unexpected");

  msgbus_message_free(request);
  msgbus_bus_free(bus);
  return 0;
}
