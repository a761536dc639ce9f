/* A C program that embeds CPython and shares its bus with a Python
 * plugin: the seed scenario with the roles split by language. The host
 * makes the bus and both destinations and hands the bus's address to the
 * plugin (argv[1]), whose listener on acme/n8k5_able replies to
 * acme/n8k5_baker, where the host's listener counts the replies. The host
 * sends argv[2] messages, shuts the bus down gracefully, and checks that
 * every message was delivered and answered. With argv[3] "separate", the
 * plugin is expected to run on a core of its own (a static host that does
 * not export msgbus_api_get): it only reports which core it runs on. */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <msgbus.h>
#include <stdatomic.h>

static atomic_long replies;

static msgbus_result count_reply(void *user_data, const msgbus_message *m) {
  (void)user_data;
  const char *text = NULL;
  if (msgbus_message_payload_string(m, &text, NULL) == MSGBUS_RESULT_OK &&
      strcmp(text, "N8K5CharlieMessageListener") == 0)
    replies++;
  return MSGBUS_RESULT_OK;
}

#define CHECK(call)                                                             \
  do {                                                                          \
    msgbus_result r_ = (call);                                                  \
    if (r_ != MSGBUS_RESULT_OK) {                                               \
      fprintf(stderr, "host: %s: %s\n", #call, msgbus_last_error_message());    \
      return 1;                                                                 \
    }                                                                           \
  } while (0)

int main(int argc, char **argv) {
  if (argc < 3) return 2;
  long count = atol(argv[2]);
  int separate = argc > 3 && strcmp(argv[3], "separate") == 0;
  msgbus_bus *bus = NULL;
  uint64_t id;
  CHECK(msgbus_bus_new(&bus));
  CHECK(msgbus_bus_add_destination(bus, "acme/n8k5_able", MSGBUS_DESTINATION_TYPE_SERIAL));
  CHECK(msgbus_bus_add_destination(bus, "acme/n8k5_baker", MSGBUS_DESTINATION_TYPE_SYNCHRONOUS));
  CHECK(msgbus_bus_register_listener(bus, "acme/n8k5_baker", count_reply, NULL, NULL, &id));

  Py_Initialize();
  PyObject *core = PyUnicode_FromString(msgbus_core_path());
  PyObject *plugin = PyUnicode_FromString(argv[1]);
  PyObject *code = PyUnicode_FromFormat(
      "ADDRESS = %llu\nDEFAULT = %llu\nCORE = %R\nSEPARATE = %s\nexec(open(%R).read())\n",
      (unsigned long long)(uintptr_t)bus, (unsigned long long)(uintptr_t)msgbus_default_bus(), core,
      separate ? "True" : "False", plugin);
  const char *text = code ? PyUnicode_AsUTF8(code) : NULL;
  if (text == NULL || PyRun_SimpleString(text) != 0) return 3;
  Py_XDECREF(code);
  Py_XDECREF(core);
  Py_XDECREF(plugin);
  if (separate) {
    Py_FinalizeEx();
    msgbus_bus_free(bus);
    return 0;
  }

  /* Python listeners run on the bus's workers: let go of the GIL. */
  PyThreadState *main_thread = PyEval_SaveThread();
  msgbus_message *m = msgbus_message_new();
  CHECK(msgbus_message_set_payload_string(m, "N8K5Baker#_activate"));
  CHECK(msgbus_message_set_response_destination_name(m, "acme/n8k5_baker"));
  for (long i = 0; i < count; i++) CHECK(msgbus_bus_send(bus, "acme/n8k5_able", m));
  msgbus_message_free(m);
  CHECK(msgbus_bus_shutdown(bus, false, MSGBUS_WAIT_FOREVER));
  msgbus_destination_statistics stats;
  CHECK(msgbus_bus_destination_statistics(bus, "acme/n8k5_able", &stats));
  PyEval_RestoreThread(main_thread);
  if (Py_FinalizeEx() < 0) return 4;
  msgbus_bus_free(bus);
  printf("host: sent %ld, delivered %llu, replies %ld\n", count,
         (unsigned long long)stats.delivered_message_count, (long)replies);
  return stats.delivered_message_count == (uint64_t)count && replies == count ? 0 : 5;
}
