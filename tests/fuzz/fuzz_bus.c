/* libFuzzer harness: each input is a program of C API calls on one bus —
 * add, replace and remove destinations (any type, small queues, every
 * rejection policy), register and unregister listeners (plain, failing,
 * replying), send, send synchronously with tiny timeouts, send directly,
 * make requests (waited on, handed to a callback, or dropped before their
 * reply), send through a second handle with a payload described in place,
 * send a long payload that carries twins offered to it, add and remove
 * interceptors (which mark messages, or consume them), schedule sends far
 * ahead and cancel them, render the metrics, send through destination
 * handles kept across replaces and removes (one message, a payload and a
 * value described in place, or a batch), shut down (graceful or forced,
 * with or without waiting) — three bytes per call. Every
 * undelivered message goes to a dead-letter destination, fuzz/dead.
 * After the program the bus is shut down and the accounting law is
 * checked for every destination name: nothing pending, every message sent
 * delivered, failed, rejected, dropped or discarded, sent - rejected equal
 * to the calls that reported the message accepted less those an
 * interceptor consumed, and one dead letter per failed, rejected, dropped
 * and discarded message, of that reason; every send to a missing name
 * dead-lettered once; once the bus is freed, every twin offered was freed
 * once. A violation aborts, which libFuzzer reports with the input.
 *
 *   make fuzz FUZZ_SECONDS=600 */
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "msgbus.h"

#define NAMES 4
#define MAX_LISTENERS 8
#define MAX_INTERCEPTORS 4
#define REASONS 4

static const char *const NAME[NAMES] = {"fuzz/a", "fuzz/b", "fuzz/c", "fuzz/d"};
static const char *const DEAD = "fuzz/dead";
/* The reasons a dead letter of a fuzz destination may carry, in the order
 * of the counters they match; `expired` replies come from
 * msgbus/default_response, `no_such_destination` is counted apart. */
static const char *const REASON[REASONS] = {"failed", "rejected", "no_listener", "discarded"};

/* What the dead-letter destination received, by destination and reason;
 * and messages interceptors consumed, by destination. Written from any
 * thread. */
static atomic_ulong letters[NAMES][REASONS], unknown_letters, consumed[NAMES];

static int name_index(const char *name) {
  for (int i = 0; i < NAMES; i++)
    if (strcmp(name, NAME[i]) == 0) return i;
  return -1;
}

static const char *text_value(const msgbus_message *message, const char *key) {
  const msgbus_value *value = NULL;
  const char *text = NULL;
  size_t len = 0;
  if (msgbus_message_get(message, key, &value) != MSGBUS_RESULT_OK ||
      msgbus_value_as_string(value, &text, &len) != MSGBUS_RESULT_OK) {
    fprintf(stderr, "a dead letter without %s\n", key);
    abort();
  }
  return text;
}

static msgbus_result collect_letter(void *user_data, const msgbus_message *message) {
  (void)user_data;
  const char *from = text_value(message, "msgbus.destination"), *reason = text_value(message, "msgbus.reason");
  if (strcmp(reason, "no_such_destination") == 0) {
    atomic_fetch_add(&unknown_letters, 1);
    return MSGBUS_RESULT_OK;
  }
  int at = name_index(from);
  if (at < 0) return MSGBUS_RESULT_OK; /* expired replies of msgbus/default_response */
  for (int r = 0; r < REASONS; r++)
    if (strcmp(reason, REASON[r]) == 0) {
      atomic_fetch_add(&letters[at][r], 1);
      return MSGBUS_RESULT_OK;
    }
  fprintf(stderr, "a dead letter of %s with reason %s\n", from, reason);
  abort();
}

/* kind 0 marks the message, 1 consumes it, 2 fails. */
static msgbus_result intercept(void *user_data, const char *destination, msgbus_message *message, bool *out_consume) {
  int kind = (int)(intptr_t)user_data, at = name_index(destination);
  if (kind == 2) return MSGBUS_RESULT_INVALID_ARGUMENT;
  if (kind == 1 && at >= 0) {
    atomic_fetch_add(&consumed[at], 1);
    *out_consume = true;
    return MSGBUS_RESULT_OK;
  }
  msgbus_value *mark = msgbus_value_new_int(1);
  msgbus_result r = msgbus_message_put(message, "fuzz.mark", mark);
  msgbus_value_free(mark);
  return r;
}

static void ignore_text(void *user_data, const char *text, size_t len) {
  (void)user_data;
  if (strlen(text) != len) abort();
}

typedef struct {
  const msgbus_bus *bus;
  int kind; /* 0 plain, 1 fails, 2 replies to requests */
} listener_data;

static msgbus_result listen(void *user_data, const msgbus_message *message) {
  listener_data *data = user_data;
  if (data->kind == 1) return MSGBUS_RESULT_INVALID_ARGUMENT;
  if (data->kind == 2 && msgbus_message_response_id(message) != NULL) {
    msgbus_value *reply = msgbus_value_new_int(1);
    /* After a shutdown a reply may be refused: that is the bus's right. */
    (void)msgbus_bus_reply(data->bus, message, reply);
    msgbus_value_free(reply);
  }
  return MSGBUS_RESULT_OK;
}

static void release(void *user_data) { free(user_data); }

static void on_reply(void *user_data, const msgbus_value *payload) {
  (void)payload;
  ++*(int *)user_data;
}

static void fail(const char *what, const char *name, unsigned long long a, unsigned long long b) {
  fprintf(stderr, "accounting law broken on %s: %s (%llu vs %llu)\n", name, what, a, b);
  abort();
}

/* Set once the program shuts the bus down: before that, no send may be
 * refused as closed (a replace or a remove never does). */
static bool shut_down;
/* Sends refused because no destination had the name. */
static unsigned long long unknown_sends;

/* Whether a send's result means the bus took the message. Any result other
 * than the refusals the calls document is a bug. */
static bool accepted(msgbus_result r, bool waits) {
  switch (r) {
  case MSGBUS_RESULT_OK:
    return true;
  case MSGBUS_RESULT_TIMEOUT:
    if (waits) return true;
    break;
  case MSGBUS_RESULT_LISTENER_FAILED:
    return true;
  case MSGBUS_RESULT_CLOSED:
    if (!shut_down) break;
    return false;
  case MSGBUS_RESULT_NO_SUCH_DESTINATION:
    unknown_sends++;
    return false;
  case MSGBUS_RESULT_QUEUE_FULL:
  case MSGBUS_RESULT_NO_LISTENERS:
    return false;
  default:
    break;
  }
  fprintf(stderr, "unexpected result %s: %s\n", msgbus_result_str(r), msgbus_last_error_message());
  abort();
}

static msgbus_destination_config *config_from(uint8_t kind, uint8_t arg) {
  msgbus_destination_config *config = NULL;
  if (msgbus_destination_config_new(kind % 3, &config) != MSGBUS_RESULT_OK) abort();
  if (arg & 1) (void)msgbus_destination_config_set_max_queue_size(config, 1 + (arg >> 4));
  (void)msgbus_destination_config_set_workers(config, 1 + ((arg >> 1) & 1), 1 + ((arg >> 1) & 3));
  (void)msgbus_destination_config_set_rejection_policy(config, (arg >> 2) % 3, arg & 2);
  return config;
}

static void quiet(void *user_data, msgbus_log_level level, const char *target, const char *text) {
  (void)user_data, (void)level, (void)target, (void)text;
}

/* Listener failures are expected by the thousand: keep them off stderr. */
int LLVMFuzzerInitialize(int *argc, char ***argv) {
  (void)argc, (void)argv;
  if (msgbus_set_log_handler(MSGBUS_LOG_LEVEL_ERROR, quiet, NULL, NULL) != MSGBUS_RESULT_OK) abort();
  return 0;
}

/* Twins offered to payloads, and twins freed (on any thread). */
static atomic_ulong twins_offered, twins_freed;
static void free_twin(void *twin) {
  (void)twin;
  atomic_fetch_add(&twins_freed, 1);
}

int LLVMFuzzerTestOneInput(const uint8_t *input, size_t size) {
  msgbus_bus *bus = NULL;
  if (msgbus_bus_new(&bus) != MSGBUS_RESULT_OK) abort();
  shut_down = false;
  unknown_sends = 0;
  msgbus_message *message = msgbus_message_new();
  (void)msgbus_message_set_payload_string(message, "fuzz");
  uint64_t ids[MAX_LISTENERS], interceptors[MAX_INTERCEPTORS];
  msgbus_destination *handles[NAMES] = {NULL};
  size_t listeners = 0, intercepting = 0;
  unsigned long long told[NAMES] = {0};
  for (int i = 0; i < NAMES; i++) {
    atomic_store(&consumed[i], 0);
    for (int r = 0; r < REASONS; r++) atomic_store(&letters[i][r], 0);
  }
  atomic_store(&unknown_letters, 0);
  uint64_t dead_listener = 0;
  if (msgbus_bus_add_destination(bus, DEAD, MSGBUS_DESTINATION_TYPE_SYNCHRONOUS) != MSGBUS_RESULT_OK ||
      msgbus_bus_register_listener(bus, DEAD, collect_letter, NULL, NULL, &dead_listener) != MSGBUS_RESULT_OK ||
      msgbus_bus_set_dead_letter_destination(bus, DEAD) != MSGBUS_RESULT_OK)
    abort();

  for (size_t at = 0; at + 3 <= size; at += 3) {
    uint8_t op = input[at] % 18, target = input[at + 1] % NAMES, arg = input[at + 2];
    const char *name = NAME[target];
    msgbus_value *response = NULL;
    msgbus_destination_config *config = NULL;
    switch (op) {
    case 0:
      (void)msgbus_bus_add_destination(bus, name, arg % 3);
      break;
    case 1:
      config = config_from(arg, arg);
      (void)msgbus_bus_replace_destination(bus, name, config);
      msgbus_destination_config_free(config);
      break;
    case 2:
      (void)msgbus_bus_remove_destination(bus, name);
      break;
    case 3:
      if (listeners < MAX_LISTENERS) {
        listener_data *data = malloc(sizeof *data);
        data->bus = bus;
        data->kind = arg % 3;
        msgbus_result r = msgbus_bus_register_listener(bus, name, listen, data, release, &ids[listeners]);
        if (r == MSGBUS_RESULT_OK) {
          listeners++;
        } else if (r == MSGBUS_RESULT_CLOSED && shut_down) {
          free(data); /* refused where a shutdown stopped the workers: still ours */
        } else {
          abort();
        }
      }
      break;
    case 4:
      if (listeners > 0) {
        size_t which = arg % listeners;
        if (msgbus_bus_unregister_listener(bus, ids[which]) != MSGBUS_RESULT_OK) abort();
        ids[which] = ids[--listeners];
      }
      break;
    case 5:
    case 6:
      told[target] += accepted(msgbus_bus_send(bus, name, message), false);
      break;
    case 7:
      told[target] += accepted(msgbus_bus_send_synchronous(bus, name, message, arg % 3, &response), true);
      break;
    case 8:
      told[target] += accepted(msgbus_bus_send_direct(bus, name, message, &response), false);
      break;
    case 9: {
      /* A request waited on, handed to a callback (whose data the library
       * frees, perhaps on a worker after the request is freed), or dropped. */
      msgbus_request *request = NULL;
      msgbus_result r = msgbus_bus_request(bus, name, message, &request);
      told[target] += accepted(r, false);
      if (r == MSGBUS_RESULT_OK && arg % 3 == 0) {
        r = msgbus_request_wait(request, arg % 2, &response);
        /* A listener's failure with no reply ends the wait at once. */
        if (r != MSGBUS_RESULT_OK && r != MSGBUS_RESULT_TIMEOUT && r != MSGBUS_RESULT_LISTENER_FAILED) abort();
      } else if (r == MSGBUS_RESULT_OK && arg % 3 == 1) {
        int *calls = calloc(1, sizeof *calls);
        if (msgbus_request_on_reply(request, on_reply, calls, free) != MSGBUS_RESULT_OK) abort();
      }
      msgbus_request_free(request);
      break;
    }
    case 10: {
      /* The same bus through a second handle; a view for its payload. */
      msgbus_bus *second = NULL;
      msgbus_message *viewed = msgbus_message_new();
      msgbus_value_view v = {.value_type = MSGBUS_VALUE_TYPE_INT, .integer = arg};
      if (msgbus_bus_clone(bus, &second) != MSGBUS_RESULT_OK) abort();
      if (msgbus_message_set_payload_view(viewed, &v) != MSGBUS_RESULT_OK) abort();
      told[target] += accepted(msgbus_bus_send(second, name, viewed), false);
      msgbus_message_free(viewed);
      msgbus_bus_free(second);
      break;
    }
    case 11: {
      /* A payload long enough for a twin, offered twice: the second offer
       * is freed at once, the first with the value's last holder. */
      uint8_t data[64];
      memset(data, arg, sizeof data);
      msgbus_value *value = NULL;
      msgbus_message *carrier = msgbus_message_new();
      void *twin = NULL;
      msgbus_free_fn twin_free = NULL;
      if (msgbus_value_new_bytes(data, sizeof data, &value) != MSGBUS_RESULT_OK) abort();
      for (int offer = 0; offer < 2; offer++) {
        atomic_fetch_add(&twins_offered, 1);
        if (msgbus_value_set_twin(value, data, free_twin, &twin, &twin_free) != MSGBUS_RESULT_OK) abort();
        if (twin != data || twin_free != free_twin) abort();
      }
      if (msgbus_message_set_payload(carrier, value) != MSGBUS_RESULT_OK) abort();
      msgbus_value_free(value);
      told[target] += accepted(msgbus_bus_send(bus, name, carrier), false);
      msgbus_message_free(carrier);
      break;
    }
    case 12:
      if (intercepting < MAX_INTERCEPTORS && !(arg & 0x80)) {
        if (msgbus_bus_add_interceptor(bus, intercept, (void *)(intptr_t)(arg % 3), NULL, &interceptors[intercepting]) !=
            MSGBUS_RESULT_OK)
          abort();
        intercepting++;
      } else if (intercepting > 0) {
        size_t which = arg % intercepting;
        if (msgbus_bus_remove_interceptor(bus, interceptors[which]) != MSGBUS_RESULT_OK) abort();
        interceptors[which] = interceptors[--intercepting];
      }
      break;
    case 13: {
      /* A schedule far ahead: cancelled now, or left for the shutdown. */
      uint64_t id = 0;
      bool cancelled = false;
      msgbus_result r = msgbus_bus_schedule(bus, name, message, 3600000, arg & 1, &id);
      if (r == MSGBUS_RESULT_OK && (arg & 2)) {
        if (msgbus_bus_cancel_schedule(bus, id, &cancelled) != MSGBUS_RESULT_OK || !cancelled) abort();
      } else if (r != MSGBUS_RESULT_OK && r != MSGBUS_RESULT_NO_SUCH_DESTINATION && !(r == MSGBUS_RESULT_CLOSED && shut_down)) {
        abort();
      }
      break;
    }
    case 14:
      if (msgbus_bus_metrics_text(bus, ignore_text, NULL) != MSGBUS_RESULT_OK ||
          msgbus_bus_metrics_json(bus, ignore_text, NULL) != MSGBUS_RESULT_OK)
        abort();
      break;
    case 15:
    case 16: {
      /* A handle made when the name has a destination, and kept. */
      if (!handles[target]) {
        msgbus_result r = msgbus_bus_destination(bus, name, &handles[target]);
        if (r != MSGBUS_RESULT_OK && r != MSGBUS_RESULT_NO_SUCH_DESTINATION) abort();
        if (!handles[target]) break;
      }
      msgbus_value_view payload = {.value_type = MSGBUS_VALUE_TYPE_INT, .integer = arg};
      msgbus_entry_view value = {"seq", 3, payload};
      const msgbus_message *batch[3] = {message, message, message};
      size_t sent = 0;
      if (op == 15) {
        told[target] += accepted(msgbus_destination_send(handles[target], message), false);
      } else if (arg & 1) {
        told[target] += accepted(msgbus_destination_send_view(handles[target], &payload, &value, 1), false);
      } else {
        /* Those sent, and the one refused (if any) as a send of its own. */
        msgbus_result r = msgbus_destination_send_many(handles[target], batch, 1 + arg % 3, &sent);
        told[target] += sent;
        if (r != MSGBUS_RESULT_OK) told[target] += accepted(r, false);
      }
      break;
    }
    default:
      shut_down = true;
      (void)msgbus_bus_shutdown(bus, arg & 1, (arg & 2) ? MSGBUS_WAIT_FOREVER : 0);
      break;
    }
    msgbus_value_free(response);
  }

  if (msgbus_bus_shutdown(bus, false, MSGBUS_WAIT_FOREVER) != MSGBUS_RESULT_OK) abort();
  for (int i = 0; i < NAMES; i++) {
    bool exists = false;
    (void)msgbus_bus_has_destination(bus, NAME[i], &exists);
    /* A removed name's counters are read through a synchronous destination
     * added for the purpose (allowed after shutdown). */
    if (!exists && msgbus_bus_add_destination(bus, NAME[i], MSGBUS_DESTINATION_TYPE_SYNCHRONOUS) != MSGBUS_RESULT_OK) abort();
    msgbus_destination_statistics s;
    if (msgbus_bus_destination_statistics(bus, NAME[i], &s) != MSGBUS_RESULT_OK) abort();
    unsigned long long ended = s.delivered_message_count + s.failed_message_count + s.rejected_message_count +
                               s.dropped_no_listener_count + s.discarded_message_count;
    if (s.sent_message_count != ended) fail("sent != outcomes", NAME[i], s.sent_message_count, ended);
    if (s.pending_message_count != 0) fail("pending after shutdown", NAME[i], s.pending_message_count, 0);
    unsigned long long taken = told[i] - atomic_load(&consumed[i]);
    if (s.sent_message_count - s.rejected_message_count != taken)
      fail("accepted != told - consumed", NAME[i], s.sent_message_count - s.rejected_message_count, taken);
    unsigned long long undelivered[REASONS] = {s.failed_message_count, s.rejected_message_count,
                                               s.dropped_no_listener_count, s.discarded_message_count};
    for (int r = 0; r < REASONS; r++)
      if (atomic_load(&letters[i][r]) != undelivered[r]) fail(REASON[r], NAME[i], atomic_load(&letters[i][r]), undelivered[r]);
  }
  if (atomic_load(&unknown_letters) != unknown_sends)
    fail("no_such_destination letters != refused sends", "-", atomic_load(&unknown_letters), unknown_sends);
  msgbus_message_free(message);
  for (int i = 0; i < NAMES; i++) msgbus_destination_free(handles[i]);
  msgbus_bus_free(bus);
  if (atomic_load(&twins_freed) != atomic_load(&twins_offered))
    fail("twins freed != offered", "-", atomic_load(&twins_freed), atomic_load(&twins_offered));
  return 0;
}
