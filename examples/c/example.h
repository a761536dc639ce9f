/* What every C example shares: stopping on the first failed call with the
 * library's detail message, and reading a string payload or value. */
#ifndef MSGBUS_EXAMPLE_H
#define MSGBUS_EXAMPLE_H

#include <msgbus.h>
#include <stdio.h>

static inline int example_fail(const char *what) {
  fprintf(stderr, "%s: %s\n", what, msgbus_last_error_message());
  return 1;
}

/* Returns 1 from the enclosing function (main) when `call` fails. */
#define TRY(call)                                                       \
  do {                                                                  \
    msgbus_result try_result_ = (call);                                 \
    if (try_result_ != MSGBUS_RESULT_OK) return example_fail(#call);    \
  } while (0)

/* The payload of `message` as a string ("" when it is not one). */
static inline const char *example_payload(const msgbus_message *message) {
  const char *payload = NULL;
  size_t length = 0;
  return msgbus_message_payload_string(message, &payload, &length) == MSGBUS_RESULT_OK ? payload : "";
}

/* The calling thread as the bus named it, or "main" for the program's own. */
static inline const char *example_thread(void) {
  const char *name = msgbus_thread_name();
  return name ? name : "main";
}

#endif
