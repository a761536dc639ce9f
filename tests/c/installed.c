/* Built by `make test-install` (tests/c/packaging.sh) against an installed
 * libmsgbus, found with pkg-config (shared and --static) and with CMake's
 * find_package (msgbus::msgbus and msgbus::msgbus_static). */
#include <msgbus.h>
#include <stdio.h>
#include <string.h>

static msgbus_result echo(void *user_data, const msgbus_message *message) {
  (void)user_data;
  return msgbus_message_set_response(message, msgbus_message_payload(message));
}

int main(void) {
  msgbus_bus *bus = NULL;
  uint64_t id = 0;
  msgbus_value *response = NULL;
  const char *text = NULL;
  msgbus_message *message = msgbus_message_new();
  int ok = strcmp(msgbus_version(), MSGBUS_VERSION) == 0 &&
           msgbus_bus_new(&bus) == MSGBUS_RESULT_OK &&
           msgbus_bus_add_destination(bus, "acme/installed", MSGBUS_DESTINATION_TYPE_SYNCHRONOUS) == MSGBUS_RESULT_OK &&
           msgbus_bus_register_listener(bus, "acme/installed", echo, NULL, NULL, &id) == MSGBUS_RESULT_OK &&
           msgbus_message_set_payload_string(message, "installed") == MSGBUS_RESULT_OK &&
           msgbus_bus_send_direct(bus, "acme/installed", message, &response) == MSGBUS_RESULT_OK &&
           msgbus_value_as_string(response, &text, NULL) == MSGBUS_RESULT_OK && strcmp(text, "installed") == 0;
  msgbus_value_free(response);
  msgbus_message_free(message);
  msgbus_bus_free(bus);
  printf("installed libmsgbus %s: %s\n", msgbus_version(), ok ? "works" : "FAILED");
  return ok ? 0 : 1;
}
