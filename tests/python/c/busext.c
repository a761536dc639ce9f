/* A C extension module for Python that drives a bus through libmsgbus
 * itself, compiled by the one-bus tests against msgbus.get_include() and
 * msgbus.get_library_dir(). Buses come from Python as `MessageBus.address`.
 * Every call that may wait or run listeners lets go of the GIL, as C
 * extensions do around blocking work. */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <pthread.h>
#include <msgbus.h>

static msgbus_bus *bus_at(PyObject *address) { return (msgbus_bus *)PyLong_AsVoidPtr(address); }

static PyObject *failed(void) {
  return PyErr_Format(PyExc_RuntimeError, "%s", msgbus_last_error_message());
}

/* send_many(address, destination, count): sends the ints 0..count-1. */
static PyObject *send_many(PyObject *self, PyObject *args) {
  (void)self;
  PyObject *address;
  const char *destination;
  long long count;
  if (!PyArg_ParseTuple(args, "OsL", &address, &destination, &count)) return NULL;
  msgbus_bus *bus = bus_at(address);
  msgbus_message *m = msgbus_message_new();
  msgbus_result result = MSGBUS_RESULT_OK;
  Py_BEGIN_ALLOW_THREADS
  for (long long i = 0; i < count && result == MSGBUS_RESULT_OK; i++) {
    msgbus_value_view v = {.value_type = MSGBUS_VALUE_TYPE_INT, .integer = i};
    result = msgbus_message_set_payload_view(m, &v);
    if (result == MSGBUS_RESULT_OK) result = msgbus_bus_send(bus, destination, m);
  }
  Py_END_ALLOW_THREADS
  msgbus_message_free(m);
  if (result != MSGBUS_RESULT_OK) return failed();
  Py_RETURN_NONE;
}

/* send_bytes(address, destination, size): sends `size` bytes of 7s from C. */
static PyObject *send_bytes(PyObject *self, PyObject *args) {
  (void)self;
  PyObject *address;
  const char *destination;
  Py_ssize_t size;
  if (!PyArg_ParseTuple(args, "Osn", &address, &destination, &size)) return NULL;
  msgbus_bus *bus = bus_at(address);
  uint8_t *data = malloc((size_t)size);
  if (data == NULL) return PyErr_NoMemory();
  memset(data, 7, (size_t)size);
  msgbus_message *m = msgbus_message_new();
  msgbus_value_view v = {.value_type = MSGBUS_VALUE_TYPE_BYTES, .data = data, .len = (size_t)size};
  msgbus_result result = msgbus_message_set_payload_view(m, &v);
  free(data);
  if (result == MSGBUS_RESULT_OK) result = msgbus_bus_send(bus, destination, m);
  msgbus_message_free(m);
  if (result != MSGBUS_RESULT_OK) return failed();
  Py_RETURN_NONE;
}

/* What a recording listener saw: the int payloads in order, the pointer
 * payloads, and whether any call held the GIL. One per record_on call. */
typedef struct {
  long long ints, in_order, pointers, calls_holding_gil;
  void *last_pointer;
} record_t;

static pthread_mutex_t seen_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t seen_more = PTHREAD_COND_INITIALIZER;
static record_t records[8];
static int used;

static msgbus_result record(void *user_data, const msgbus_message *m) {
  record_t *r = user_data;
  const msgbus_value *payload = msgbus_message_payload(m);
  int holds_gil = PyGILState_Check();
  pthread_mutex_lock(&seen_lock);
  r->calls_holding_gil += holds_gil;
  if (msgbus_value_type(payload) == MSGBUS_VALUE_TYPE_INT) {
    int64_t i = -1;
    msgbus_value_as_int(payload, &i);
    r->in_order &= i == r->ints;
    r->ints++;
  } else if (msgbus_value_type(payload) == MSGBUS_VALUE_TYPE_POINTER) {
    msgbus_value_as_pointer(payload, &r->last_pointer);
    r->pointers++;
  }
  pthread_cond_broadcast(&seen_more);
  pthread_mutex_unlock(&seen_lock);
  return MSGBUS_RESULT_OK;
}

/* record_on(address, destination): registers a recording listener;
 * returns its number, for recorded(). */
static PyObject *record_on(PyObject *self, PyObject *args) {
  (void)self;
  PyObject *address;
  const char *destination;
  uint64_t id;
  if (!PyArg_ParseTuple(args, "Os", &address, &destination)) return NULL;
  if (used == 8) return PyErr_Format(PyExc_RuntimeError, "8 recorders at most");
  record_t *r = &records[used];
  r->in_order = 1;
  msgbus_result result;
  Py_BEGIN_ALLOW_THREADS
  result = msgbus_bus_register_listener(bus_at(address), destination, record, r, NULL, &id);
  Py_END_ALLOW_THREADS
  if (result != MSGBUS_RESULT_OK) return failed();
  return PyLong_FromLong(used++);
}

/* recorded(number, ints): waits (up to 30 s) until that recorder saw that
 * many ints; returns (ints, in_order, pointers, last_pointer,
 * calls_holding_gil). */
static PyObject *recorded(PyObject *self, PyObject *args) {
  (void)self;
  int number;
  long long wanted;
  if (!PyArg_ParseTuple(args, "iL", &number, &wanted)) return NULL;
  if (number < 0 || number >= used) return PyErr_Format(PyExc_IndexError, "no recorder %d", number);
  record_t *r = &records[number], copy;
  Py_BEGIN_ALLOW_THREADS
  struct timespec deadline;
  clock_gettime(CLOCK_REALTIME, &deadline);
  deadline.tv_sec += 30;
  pthread_mutex_lock(&seen_lock);
  while (r->ints < wanted && pthread_cond_timedwait(&seen_more, &seen_lock, &deadline) == 0) {
  }
  copy = *r;
  pthread_mutex_unlock(&seen_lock);
  Py_END_ALLOW_THREADS
  return Py_BuildValue("(LLLKL)", copy.ints, copy.in_order, copy.pointers,
                       (unsigned long long)(uintptr_t)copy.last_pointer, copy.calls_holding_gil);
}

/* A listener that replies with the int payload doubled. */
static msgbus_result double_it(void *bus, const msgbus_message *request) {
  int64_t i = 0;
  msgbus_value_as_int(msgbus_message_payload(request), &i);
  msgbus_value *reply = msgbus_value_new_int(2 * i);
  msgbus_result result = msgbus_bus_reply(bus, request, reply);
  msgbus_value_free(reply);
  return result;
}

/* answer_on(address, destination): registers the doubling replier. */
static PyObject *answer_on(PyObject *self, PyObject *args) {
  (void)self;
  PyObject *address;
  const char *destination;
  uint64_t id;
  if (!PyArg_ParseTuple(args, "Os", &address, &destination)) return NULL;
  msgbus_bus *bus = bus_at(address);
  msgbus_result result;
  Py_BEGIN_ALLOW_THREADS
  result = msgbus_bus_register_listener(bus, destination, double_it, bus, NULL, &id);
  Py_END_ALLOW_THREADS
  if (result != MSGBUS_RESULT_OK) return failed();
  Py_RETURN_NONE;
}

/* ask(address, destination, n): a default-synchronous send of the int n;
 * returns the int reply. */
static PyObject *ask(PyObject *self, PyObject *args) {
  (void)self;
  PyObject *address;
  const char *destination;
  long long n;
  if (!PyArg_ParseTuple(args, "OsL", &address, &destination, &n)) return NULL;
  msgbus_message *m = msgbus_message_new();
  msgbus_value_view v = {.value_type = MSGBUS_VALUE_TYPE_INT, .integer = n};
  msgbus_value *reply = NULL;
  int64_t answer = 0;
  msgbus_result result = msgbus_message_set_payload_view(m, &v);
  Py_BEGIN_ALLOW_THREADS
  if (result == MSGBUS_RESULT_OK) result = msgbus_bus_send_synchronous(bus_at(address), destination, m, 30000, &reply);
  Py_END_ALLOW_THREADS
  if (result == MSGBUS_RESULT_OK) result = msgbus_value_as_int(reply, &answer);
  msgbus_value_free(reply);
  msgbus_message_free(m);
  if (result != MSGBUS_RESULT_OK) return failed();
  return PyLong_FromLongLong(answer);
}

static int pointer_frees;
static void free_pointer(void *p) {
  __atomic_add_fetch(&pointer_frees, 1, __ATOMIC_SEQ_CST);
  free(p);
}

/* send_pointer(address, destination): sends a malloc'd pointer value;
 * returns its address. */
static PyObject *send_pointer(PyObject *self, PyObject *args) {
  (void)self;
  PyObject *address;
  const char *destination;
  if (!PyArg_ParseTuple(args, "Os", &address, &destination)) return NULL;
  void *thing = malloc(8);
  msgbus_value *v = NULL;
  msgbus_message *m = msgbus_message_new();
  msgbus_result result = msgbus_value_new_pointer(thing, free_pointer, &v);
  if (result == MSGBUS_RESULT_OK) result = msgbus_message_set_payload(m, v);
  msgbus_value_free(v);
  Py_BEGIN_ALLOW_THREADS
  if (result == MSGBUS_RESULT_OK) result = msgbus_bus_send(bus_at(address), destination, m);
  Py_END_ALLOW_THREADS
  msgbus_message_free(m);
  if (result != MSGBUS_RESULT_OK) return failed();
  return PyLong_FromVoidPtr(thing);
}

static PyObject *pointers_freed(PyObject *self, PyObject *args) {
  (void)self;
  (void)args;
  return PyLong_FromLong(__atomic_load_n(&pointer_frees, __ATOMIC_SEQ_CST));
}

static PyObject *core_path(PyObject *self, PyObject *args) {
  (void)self;
  (void)args;
  return PyUnicode_FromString(msgbus_core_path());
}

static PyObject *default_address(PyObject *self, PyObject *args) {
  (void)self;
  (void)args;
  return PyLong_FromVoidPtr(msgbus_default_bus());
}

/* What a key-watching listener saw: the string value of its key in each
 * message ("" when the message has none), the first 16 of them. */
typedef struct {
  char key[64];
  long long count;
  char values[16][128];
} watch_t;

static watch_t watches[4];
static int watching;

static msgbus_result watch(void *user_data, const msgbus_message *m) {
  watch_t *w = user_data;
  const msgbus_value *value = NULL;
  const char *text = "";
  size_t len = 0;
  if (msgbus_message_get(m, w->key, &value) == MSGBUS_RESULT_OK &&
      msgbus_value_as_string(value, &text, &len) != MSGBUS_RESULT_OK) {
    text = "";
    len = 0;
  }
  pthread_mutex_lock(&seen_lock);
  if (w->count < 16) snprintf(w->values[w->count], sizeof w->values[0], "%.*s", (int)len, text);
  w->count++;
  pthread_cond_broadcast(&seen_more);
  pthread_mutex_unlock(&seen_lock);
  return MSGBUS_RESULT_OK;
}

/* watch_on(address, destination, key): registers a C listener that keeps
 * the string value of `key` of each message; returns its number, for
 * watched(). */
static PyObject *watch_on(PyObject *self, PyObject *args) {
  (void)self;
  PyObject *address;
  const char *destination, *key;
  uint64_t id;
  if (!PyArg_ParseTuple(args, "Oss", &address, &destination, &key)) return NULL;
  if (watching == 4) return PyErr_Format(PyExc_RuntimeError, "4 watchers at most");
  watch_t *w = &watches[watching];
  snprintf(w->key, sizeof w->key, "%s", key);
  msgbus_result result;
  Py_BEGIN_ALLOW_THREADS
  result = msgbus_bus_register_listener(bus_at(address), destination, watch, w, NULL, &id);
  Py_END_ALLOW_THREADS
  if (result != MSGBUS_RESULT_OK) return failed();
  return PyLong_FromLong(watching++);
}

/* watched(number, count): waits (up to 30 s) until that watcher saw
 * `count` messages (at most 16); returns the values it kept, as a list of
 * str. */
static PyObject *watched(PyObject *self, PyObject *args) {
  (void)self;
  int number;
  long long wanted;
  if (!PyArg_ParseTuple(args, "iL", &number, &wanted)) return NULL;
  if (number < 0 || number >= watching) return PyErr_Format(PyExc_IndexError, "no watcher %d", number);
  if (wanted > 16) wanted = 16;
  watch_t *w = &watches[number];
  long long seen;
  Py_BEGIN_ALLOW_THREADS
  struct timespec deadline;
  clock_gettime(CLOCK_REALTIME, &deadline);
  deadline.tv_sec += 30;
  pthread_mutex_lock(&seen_lock);
  while (w->count < wanted && pthread_cond_timedwait(&seen_more, &seen_lock, &deadline) == 0) {
  }
  seen = w->count < 16 ? w->count : 16;
  pthread_mutex_unlock(&seen_lock);
  Py_END_ALLOW_THREADS
  PyObject *values = PyList_New(0);
  for (long long i = 0; values != NULL && i < seen; i++) {
    PyObject *value = PyUnicode_FromString(w->values[i]);
    if (value == NULL || PyList_Append(values, value) < 0) Py_CLEAR(values);
    Py_XDECREF(value);
  }
  return values;
}

static PyMethodDef methods[] = {
    {"send_many", send_many, METH_VARARGS, NULL},
    {"send_bytes", send_bytes, METH_VARARGS, NULL},
    {"record_on", record_on, METH_VARARGS, NULL},
    {"recorded", recorded, METH_VARARGS, NULL},
    {"answer_on", answer_on, METH_VARARGS, NULL},
    {"ask", ask, METH_VARARGS, NULL},
    {"send_pointer", send_pointer, METH_VARARGS, NULL},
    {"pointers_freed", pointers_freed, METH_NOARGS, NULL},
    {"core_path", core_path, METH_NOARGS, NULL},
    {"default_address", default_address, METH_NOARGS, NULL},
    {"watch_on", watch_on, METH_VARARGS, NULL},
    {"watched", watched, METH_VARARGS, NULL},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "busext", NULL, -1, methods, NULL, NULL, NULL, NULL};

PyMODINIT_FUNC PyInit_busext(void) { return PyModule_Create(&module); }
