/* msgbus.h on its own, twice in one translation unit; compiled as C11 and
 * as C++17 by `make test-header`. */
#include "msgbus.h"
#include "msgbus.h"

int main(void) {
  msgbus_result (*send)(const msgbus_bus *, const char *, const msgbus_message *) = msgbus_bus_send;
  return send == 0 || MSGBUS_VERSION_MAJOR < 0;
}
