/* What a process sharing one core needs from C: a second handle to a bus
 * (the last one shuts it down), the path of the core in use, the function
 * table bindings call through, and pointer values read back with the
 * function that frees them. */
#include <stdint.h>
#include <stdlib.h>

#include "check.h"

/* The file /proc/self/maps gives for the mapping that holds `address`. */
static void mapped_file(const void *address, char *path, size_t size) {
  FILE *maps = fopen("/proc/self/maps", "r");
  char line[4096];
  path[0] = 0;
  while (maps != NULL && fgets(line, sizeof line, maps) != NULL) {
    uintptr_t start, end;
    int offset = 0;
    if (sscanf(line, "%lx-%lx %*s %*s %*s %*s %n", &start, &end, &offset) < 2) continue;
    if ((uintptr_t)address >= start && (uintptr_t)address < end) {
      snprintf(path, size, "%s", line + offset);
      path[strcspn(path, "\n")] = 0;
      break;
    }
  }
  if (maps != NULL) fclose(maps);
}

static void core_path_names_the_mapped_file(void) {
  char mapped[4096];
  mapped_file((const void *)msgbus_core_path, mapped, sizeof mapped);
  CHECK(mapped[0] == '/');
  CHECK_STR(msgbus_core_path(), mapped);
  CHECK(msgbus_core_path() == msgbus_core_path()); /* static */
}

typedef struct {
  latch delivered;
  atomic_int count;
} counter;

static msgbus_result count(void *user_data, const msgbus_message *m) {
  (void)m;
  counter *c = user_data;
  c->count++;
  latch_count_down(&c->delivered);
  return MSGBUS_RESULT_OK;
}

static void the_last_handle_shuts_the_bus_down(void) {
  msgbus_bus *first = NULL, *second = NULL;
  counter c = {.count = 0};
  latch_init(&c.delivered, 1000);
  uint64_t id;
  CHECK_OK(msgbus_bus_new(&first));
  CHECK_OK(msgbus_bus_clone(first, &second));
  CHECK(first != second);
  CHECK_OK(msgbus_bus_add_destination(first, "acme/count", MSGBUS_DESTINATION_TYPE_SERIAL));
  CHECK_OK(msgbus_bus_register_listener(second, "acme/count", count, &c, NULL, &id));
  msgbus_message *m = message_with("x");
  for (int i = 0; i < 500; i++) CHECK_OK(msgbus_bus_send(first, "acme/count", m));
  msgbus_bus_free(first);
  for (int i = 0; i < 500; i++) CHECK_OK(msgbus_bus_send(second, "acme/count", m)); /* still open */
  msgbus_bus_free(second); /* graceful: returns once all are delivered */
  CHECK(c.count == 1000);
  msgbus_message_free(m);
  latch_destroy(&c.delivered);
}

static void a_clone_of_the_default_bus_leaves_it_open(void) {
  msgbus_bus *handle = NULL;
  bool has = false;
  CHECK_OK(msgbus_bus_clone(msgbus_default_bus(), &handle));
  CHECK_OK(msgbus_bus_add_destination(handle, "acme/default_clone", MSGBUS_DESTINATION_TYPE_SERIAL));
  msgbus_bus_free(handle);
  CHECK_OK(msgbus_bus_has_destination(msgbus_default_bus(), "acme/default_clone", &has));
  CHECK(has);
  msgbus_message *m = message_with("x");
  CHECK_OK(msgbus_bus_send(msgbus_default_bus(), "acme/default_clone", m));
  msgbus_message_free(m);
  CHECK_OK(msgbus_bus_shutdown(msgbus_default_bus(), false, MSGBUS_WAIT_FOREVER));
}

static void the_table_calls_the_same_core(void) {
  const msgbus_api *api = msgbus_api_get();
  CHECK(api == msgbus_api_get());
  CHECK(api->abi_version == MSGBUS_ABI_VERSION && api->size == sizeof *api);
  CHECK_STR(api->version(), msgbus_version());
  CHECK_STR(api->core_path(), msgbus_core_path());
  CHECK(api->default_bus() == msgbus_default_bus());
  msgbus_bus *bus = NULL;
  bool has = false;
  CHECK_OK(api->bus_new(&bus));
  CHECK_OK(api->bus_add_destination(bus, "acme/table", MSGBUS_DESTINATION_TYPE_SYNCHRONOUS));
  CHECK_OK(msgbus_bus_has_destination(bus, "acme/table", &has));
  CHECK(has);
  CHECK_RESULT(api->bus_add_destination(bus, "", MSGBUS_DESTINATION_TYPE_SERIAL), MSGBUS_RESULT_INVALID_ARGUMENT);
  CHECK_STR(api->last_error_message(), "name is empty");
  api->bus_free(bus);
}

static int frees;
static void free_thing(void *p) {
  (void)p;
  frees++;
}

static void pointers_read_back_with_their_free_function(void) {
  static int thing, other;
  msgbus_value *freed = NULL, *kept = NULL;
  void *pointer = NULL;
  msgbus_free_fn free_fn = NULL;
  CHECK_OK(msgbus_value_new_pointer(&thing, free_thing, &freed));
  CHECK_OK(msgbus_value_new_pointer(&other, NULL, &kept));
  CHECK_OK(msgbus_value_as_pointer_with_free(freed, &pointer, &free_fn));
  CHECK(pointer == &thing && free_fn == free_thing);
  CHECK_OK(msgbus_value_as_pointer_with_free(kept, &pointer, &free_fn));
  CHECK(pointer == &other && free_fn == NULL);
  msgbus_value_free(freed);
  msgbus_value_free(kept);
  CHECK(frees == 1);
}

static void a_long_value_keeps_the_first_twin_offered(void) {
  static int first, second, third;
  const char text[] = "twenty-two bytes and more";
  msgbus_value *bytes = NULL, *string = NULL, *small = NULL;
  void *twin = NULL;
  msgbus_free_fn free_fn = NULL;
  CHECK_OK(msgbus_value_new_bytes((const uint8_t *)text, sizeof text, &bytes));
  CHECK_OK(msgbus_value_new_string(text, strlen(text), &string));
  CHECK_OK(msgbus_value_new_bytes((const uint8_t *)"short", 5, &small));
  msgbus_value *clone = msgbus_value_clone(bytes);
  frees = 0;
  CHECK_OK(msgbus_value_twin(bytes, &twin, &free_fn));
  CHECK(twin == NULL && free_fn == NULL);
  CHECK_OK(msgbus_value_set_twin(bytes, &first, free_thing, &twin, &free_fn));
  CHECK(twin == &first && free_fn == free_thing && frees == 0);
  /* A clone shares the twin; a later offer is freed at once. */
  CHECK_OK(msgbus_value_set_twin(clone, &second, free_thing, &twin, &free_fn));
  CHECK(twin == &first && frees == 1);
  CHECK_OK(msgbus_value_twin(clone, &twin, &free_fn));
  CHECK(twin == &first && free_fn == free_thing);
  CHECK_OK(msgbus_value_set_twin(string, &third, NULL, &twin, &free_fn));
  CHECK(twin == &third && free_fn == NULL);
  /* Stored in place, no room for a twin: the offer is freed. */
  CHECK_OK(msgbus_value_set_twin(small, &second, free_thing, &twin, &free_fn));
  CHECK(twin == NULL && free_fn == NULL && frees == 2);
  msgbus_value_free(bytes);
  CHECK(frees == 2);
  msgbus_value_free(clone);
  CHECK(frees == 3);
  msgbus_value_free(string);
  msgbus_value_free(small);
}

int main(void) {
  core_path_names_the_mapped_file();
  the_last_handle_shuts_the_bus_down();
  a_clone_of_the_default_bus_leaves_it_open();
  the_table_calls_the_same_core();
  pointers_read_back_with_their_free_function();
  a_long_value_keeps_the_first_twin_offered();
  return finish();
}
