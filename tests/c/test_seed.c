/* The seed scenario: N8K5CharlieMessageListener on the serial destination
 * acme/n8k5_able replies to acme/n8k5_baker, whose listener receives it. */
#include "check.h"

typedef struct {
  msgbus_bus *bus;
  char thread_name[32];
  char full_name[32];
} charlie;

static msgbus_result charlie_listener(void *user_data, const msgbus_message *message) {
  charlie *c = user_data;
  pthread_getname_np(pthread_self(), c->thread_name, sizeof c->thread_name);
  snprintf(c->full_name, sizeof c->full_name, "%s", msgbus_thread_name());
  CHECK_STR(payload_of(message), "N8K5Baker#_activate");
  CHECK_STR(msgbus_message_destination_name(message), "acme/n8k5_able");
  msgbus_value *reply = NULL;
  CHECK_OK(msgbus_value_new_string("N8K5CharlieMessageListener", 26, &reply));
  msgbus_result result = msgbus_bus_reply(c->bus, message, reply);
  msgbus_value_free(reply);
  return result;
}

typedef struct {
  latch received;
  char payload[64];
} baker;

static msgbus_result baker_listener(void *user_data, const msgbus_message *message) {
  baker *b = user_data;
  snprintf(b->payload, sizeof b->payload, "%s", payload_of(message));
  latch_count_down(&b->received);
  return MSGBUS_RESULT_OK;
}

int main(void) {
  msgbus_bus *bus = NULL;
  CHECK_OK(msgbus_bus_new(&bus));
  CHECK_OK(msgbus_bus_add_destination(bus, "acme/n8k5_able", MSGBUS_DESTINATION_TYPE_SERIAL));
  CHECK_OK(msgbus_bus_add_destination(bus, "acme/n8k5_baker", MSGBUS_DESTINATION_TYPE_SERIAL));
  charlie c = {.bus = bus};
  baker b;
  latch_init(&b.received, 1);
  uint64_t charlie_id = 0, baker_id = 0;
  CHECK_OK(msgbus_bus_register_listener(bus, "acme/n8k5_able", charlie_listener, &c, NULL, &charlie_id));
  CHECK_OK(msgbus_bus_register_listener(bus, "acme/n8k5_baker", baker_listener, &b, NULL, &baker_id));
  CHECK(charlie_id != baker_id);

  msgbus_message *message = message_with("N8K5Baker#_activate");
  CHECK_OK(msgbus_message_set_response_destination_name(message, "acme/n8k5_baker"));
  CHECK_OK(msgbus_bus_send(bus, "acme/n8k5_able", message));
  msgbus_message_free(message);

  CHECK(latch_wait(&b.received));
  CHECK_STR(b.payload, "N8K5CharlieMessageListener");
  /* The OS keeps 15 bytes of "acme/n8k5_able-1"; msgbus_thread_name all. */
  CHECK_STR(c.thread_name, "acme/n8k5_able-");
  CHECK_STR(c.full_name, "acme/n8k5_able-1");
  CHECK(msgbus_thread_name() == NULL);
  CHECK_OK(msgbus_bus_shutdown(bus, false, MSGBUS_WAIT_FOREVER));
  msgbus_bus_free(bus);
  latch_destroy(&b.received);
  return finish();
}
