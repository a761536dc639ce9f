/* Listening for registration events: an event listener for the whole bus
 * hears every destination and listener come and go; one for a destination
 * name hears only about that name. Event listeners run in the thread that
 * made the change, with no lock held.
 *
 * cc registration_events.c $(pkg-config --cflags --libs msgbus) -o registration_events */
#include "example.h"

static const char *describe(msgbus_event_type type) {
  switch (type) {
    case MSGBUS_EVENT_DESTINATION_ADDED: return "destination added";
    case MSGBUS_EVENT_DESTINATION_REMOVED: return "destination removed";
    case MSGBUS_EVENT_LISTENER_REGISTERED: return "listener registered";
    case MSGBUS_EVENT_LISTENER_UNREGISTERED: return "listener unregistered";
    default: return "unknown event";
  }
}

/* `user_data` is the event listener's label. */
static void print_event(void *user_data, const msgbus_event *event) {
  printf("%s: %s %s\n", (const char *)user_data, describe(event->event_type), event->destination);
}

static msgbus_result ignore(void *user_data, const msgbus_message *message) {
  (void)user_data;
  (void)message;
  return MSGBUS_RESULT_OK;
}

int main(void) {
  msgbus_bus *bus = NULL;
  uint64_t bus_wide = 0, watcher = 0, listener = 0;
  TRY(msgbus_bus_new(&bus));
  TRY(msgbus_bus_add_event_listener(bus, NULL, print_event, "bus", NULL, &bus_wide));
  TRY(msgbus_bus_add_event_listener(bus, "acme/watched", print_event, "watcher of acme/watched", NULL, &watcher));

  TRY(msgbus_bus_add_destination(bus, "acme/watched", MSGBUS_DESTINATION_TYPE_SERIAL));
  TRY(msgbus_bus_register_listener(bus, "acme/watched", ignore, NULL, NULL, &listener));
  TRY(msgbus_bus_unregister_listener(bus, listener));
  TRY(msgbus_bus_remove_destination(bus, "acme/watched"));
  TRY(msgbus_bus_add_destination(bus, "acme/other", MSGBUS_DESTINATION_TYPE_PARALLEL));

  TRY(msgbus_bus_remove_event_listener(bus, bus_wide));
  TRY(msgbus_bus_remove_destination(bus, "acme/other"));
  printf("removed the bus-wide event listener: acme/other's removal was not heard\n");
  msgbus_bus_free(bus);
  return 0;
}
