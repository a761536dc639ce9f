/* Bridges from C, between two buses of this process through a nats-server
 * the test starts: a program that never connects has no bridge thread and
 * no socket; a broadcast arrives whole and in order, a synchronous
 * send is answered by the other bus, a pointer value is refused, the
 * counters add up (and stay readable after close), and a live bridge's
 * bad input is refused as the bad-input table's is. */
#include "check.h"

#include <dirent.h>
#include <ftw.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#define N 1000

static const char BAD_UTF8[] = {'a', (char)0xc3, (char)0x28, 0};

/* A nats-server of our own: its pid, its directory (JetStream store,
 * ports file, log) and the url it listens at. */
typedef struct {
  pid_t pid;
  char dir[128];
  char url[64];
} nats_server;

/* The url in `path`, the server's ports file, if it is written yet. */
static int read_url(const char *path, char *url, size_t size) {
  FILE *f = fopen(path, "r");
  if (f == NULL) return 0;
  char text[512];
  size_t len = fread(text, 1, sizeof text - 1, f);
  fclose(f);
  text[len] = 0;
  const char *start = strstr(text, "nats://"), *end = start ? strchr(start, '"') : NULL;
  if (end == NULL || (size_t)(end - start) >= size) return 0;
  memcpy(url, start, (size_t)(end - start));
  url[end - start] = 0;
  return 1;
}

static void print_log(const nats_server *s) {
  char path[160];
  snprintf(path, sizeof path, "%s/nats.log", s->dir);
  FILE *f = fopen(path, "r");
  if (f == NULL) return;
  fprintf(stderr, "--- %s\n", path);
  char line[512];
  while (fgets(line, sizeof line, f)) fputs(line, stderr);
  fclose(f);
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
  (void)st;
  (void)flag;
  (void)ftw;
  return remove(path);
}

/* Stops the server (SIGTERM, then reaps it) if it runs, and removes its
 * directory. */
static void server_stop(nats_server *s) {
  if (s->pid > 0) {
    kill(s->pid, SIGTERM);
    waitpid(s->pid, NULL, 0);
  }
  nftw(s->dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* Starts nats-server on a free loopback port, with JetStream; waits up to
 * 20 s for its ports file. 0 (the log printed) if it does not start. */
static int server_start(nats_server *s) {
  snprintf(s->dir, sizeof s->dir, "%s/msgbus-c-bridge-XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
  if (mkdtemp(s->dir) == NULL) return 0;
  char js[160], log[160], ports[192];
  snprintf(js, sizeof js, "%s/js", s->dir);
  snprintf(log, sizeof log, "%s/nats.log", s->dir);
  s->pid = fork();
  if (s->pid == 0) {
    execlp("nats-server", "nats-server", "-a", "127.0.0.1", "-p", "-1", "-js", "-sd", js, "--ports_file_dir",
           s->dir, "-l", log, (char *)NULL);
    _exit(127);
  }
  if (s->pid < 0) {
    server_stop(s);
    return 0;
  }
  snprintf(ports, sizeof ports, "%s/nats-server_%d.ports", s->dir, (int)s->pid);
  struct timespec deadline, now, tick = {0, 10 * 1000 * 1000};
  clock_gettime(CLOCK_MONOTONIC, &deadline);
  deadline.tv_sec += 20;
  /* The server writes the file when it listens; nothing to wait on but it. */
  while (!read_url(ports, s->url, sizeof s->url)) {
    clock_gettime(CLOCK_MONOTONIC, &now);
    if (waitpid(s->pid, NULL, WNOHANG) == s->pid) s->pid = -1;
    if (s->pid < 0 || now.tv_sec > deadline.tv_sec) {
      fprintf(stderr, "nats-server did not start\n");
      print_log(s);
      server_stop(s);
      return 0;
    }
    nanosleep(&tick, NULL);
  }
  return 1;
}

/* What bus B's listener on acme/c_bridge took: each message's "seq". */
typedef struct {
  pthread_mutex_t mutex;
  int64_t seqs[N + 1];
  int n;
  latch all;
} taken;

static msgbus_result take(void *user_data, const msgbus_message *m) {
  taken *t = user_data;
  msgbus_value_view seq = {.value_type = 99};
  CHECK_OK(msgbus_message_get_view(m, "seq", 3, &seq));
  CHECK(seq.value_type == MSGBUS_VALUE_TYPE_INT);
  pthread_mutex_lock(&t->mutex);
  if (t->n <= N) t->seqs[t->n++] = seq.integer;
  pthread_mutex_unlock(&t->mutex);
  latch_count_down(&t->all);
  return MSGBUS_RESULT_OK;
}

/* Bus B's answer to a question q: "q: yes", replied to the asker. */
static msgbus_result answer(void *user_data, const msgbus_message *m) {
  msgbus_bus *bus = user_data;
  char text[64];
  int len = snprintf(text, sizeof text, "%s: yes", payload_of(m));
  msgbus_value *reply = NULL;
  CHECK_OK(msgbus_value_new_string(text, (size_t)len, &reply));
  msgbus_result result = msgbus_bus_reply(bus, m, reply);
  msgbus_value_free(reply);
  return result;
}

/* A bus with the serial destinations acme/c_bridge and acme/c_ask, and a
 * bridge to `url` in `cluster` as node `node_id`. */
static msgbus_bridge *node(msgbus_bus **bus, const char *url, const char *cluster, const char *node_id) {
  CHECK_OK(msgbus_bus_new(bus));
  CHECK_OK(msgbus_bus_add_destination(*bus, "acme/c_bridge", MSGBUS_DESTINATION_TYPE_SERIAL));
  CHECK_OK(msgbus_bus_add_destination(*bus, "acme/c_ask", MSGBUS_DESTINATION_TYPE_SERIAL));
  msgbus_bridge_options options = {.url = url, .cluster = cluster, .node_id = node_id};
  msgbus_bridge *bridge = NULL;
  CHECK_OK(msgbus_bridge_connect(*bus, &options, &bridge));
  return bridge;
}

/* Bad input that needs a live bridge (the rest is in test_bad_input.c). */
static void refusals(const msgbus_bridge *bridge) {
  CHECK_RESULT(msgbus_bridge_add(bridge, NULL, MSGBUS_BRIDGE_MODE_BROADCAST), MSGBUS_RESULT_NULL_PARAMETER);
  CHECK_STR(msgbus_last_error_message(), "name is NULL");
  CHECK_RESULT(msgbus_bridge_add(bridge, "", MSGBUS_BRIDGE_MODE_BROADCAST), MSGBUS_RESULT_INVALID_ARGUMENT);
  CHECK_STR(msgbus_last_error_message(), "name is empty");
  CHECK_RESULT(msgbus_bridge_add(bridge, BAD_UTF8, MSGBUS_BRIDGE_MODE_BROADCAST), MSGBUS_RESULT_INVALID_ARGUMENT);
  CHECK_STR(msgbus_last_error_message(), "name is not UTF-8: invalid utf-8 sequence of 1 bytes from index 1");
  CHECK_RESULT(msgbus_bridge_add(bridge, "acme/c_bridge", 99), MSGBUS_RESULT_INVALID_ARGUMENT);
  CHECK_STR(msgbus_last_error_message(), "mode: 99 is no msgbus_bridge_mode");
  CHECK_OK(msgbus_bridge_add(bridge, "acme/c_bridge", MSGBUS_BRIDGE_MODE_BROADCAST)); /* again: nothing */
  CHECK_RESULT(msgbus_bridge_add(bridge, "acme/c_bridge", MSGBUS_BRIDGE_MODE_WORK_SHARE), MSGBUS_RESULT_INVALID_ARGUMENT);
  CHECK_STR(msgbus_last_error_message(),
            "invalid argument: acme/c_bridge is bridged as broadcast already; remove it first");
  CHECK_RESULT(msgbus_bridge_remove(bridge, NULL), MSGBUS_RESULT_NULL_PARAMETER);
  CHECK_STR(msgbus_last_error_message(), "name is NULL");
  CHECK_RESULT(msgbus_bridge_remove(bridge, BAD_UTF8), MSGBUS_RESULT_INVALID_ARGUMENT);
  CHECK_OK(msgbus_bridge_add(bridge, "acme/c_extra", MSGBUS_BRIDGE_MODE_WORK_SHARE));
  CHECK_OK(msgbus_bridge_remove(bridge, "acme/c_extra"));
  CHECK_RESULT(msgbus_bridge_remove(bridge, "acme/c_extra"), MSGBUS_RESULT_NO_SUCH_DESTINATION);
}

/* This process's threads whose name starts with `prefix`. */
static int threads_named(const char *prefix) {
  DIR *tasks = opendir("/proc/self/task");
  if (!tasks) return -1;
  int count = 0;
  for (struct dirent *task; (task = readdir(tasks));) {
    char path[300], name[32] = "";
    snprintf(path, sizeof path, "/proc/self/task/%s/comm", task->d_name);
    FILE *comm = fopen(path, "r");
    if (!comm) continue;
    if (fgets(name, sizeof name, comm) && strncmp(name, prefix, strlen(prefix)) == 0) count++;
    fclose(comm);
  }
  closedir(tasks);
  return count;
}

/* This process's open sockets. */
static int sockets(void) {
  DIR *fds = opendir("/proc/self/fd");
  if (!fds) return -1;
  int count = 0;
  for (struct dirent *fd; (fd = readdir(fds));) {
    char path[300], target[64] = "";
    snprintf(path, sizeof path, "/proc/self/fd/%s", fd->d_name);
    if (readlink(path, target, sizeof target - 1) > 0 && strncmp(target, "socket:", 7) == 0) count++;
  }
  closedir(fds);
  return count;
}

static void two_buses(const char *url) {
  char cluster[32];
  snprintf(cluster, sizeof cluster, "ctest%d", (int)getpid());
  msgbus_bus *a_bus = NULL, *b_bus = NULL;
  msgbus_bridge *a = node(&a_bus, url, cluster, "a"), *b = node(&b_bus, url, cluster, "b");
  CHECK_STR(msgbus_bridge_node_id(a), "a");
  CHECK_STR(msgbus_bridge_node_id(b), "b");
  /* Each bridge: its runtime and inbound threads, and two connections. */
  CHECK(threads_named("msgbus-nats") == 4);
  CHECK(sockets() >= 4);

  taken t = {.n = 0};
  pthread_mutex_init(&t.mutex, NULL);
  latch_init(&t.all, N);
  uint64_t id = 0;
  CHECK_OK(msgbus_bus_register_listener(b_bus, "acme/c_bridge", take, &t, NULL, &id));
  CHECK_OK(msgbus_bus_register_listener(b_bus, "acme/c_ask", answer, b_bus, NULL, &id));
  const char *names[] = {"acme/c_bridge", "acme/c_ask"};
  for (int i = 0; i < 2; i++) {
    CHECK_OK(msgbus_bridge_add(a, names[i], MSGBUS_BRIDGE_MODE_BROADCAST));
    CHECK_OK(msgbus_bridge_add(b, names[i], MSGBUS_BRIDGE_MODE_BROADCAST));
  }
  refusals(a);

  /* (a) A broadcast reaches the other bus whole and in order. */
  for (int64_t seq = 0; seq < N; seq++) {
    msgbus_message *m = msgbus_message_new();
    CHECK_OK(msgbus_message_put_view(m, "seq", &(msgbus_value_view){.value_type = MSGBUS_VALUE_TYPE_INT, .integer = seq}));
    CHECK_OK(msgbus_bus_send(a_bus, "acme/c_bridge", m));
    msgbus_message_free(m);
  }
  CHECK(latch_wait(&t.all));
  pthread_mutex_lock(&t.mutex);
  int in_order = t.n == N;
  for (int i = 0; in_order && i < N; i++) in_order = t.seqs[i] == i;
  pthread_mutex_unlock(&t.mutex);
  CHECK(in_order);

  /* (b) A synchronous send is answered by bus B's listener. */
  msgbus_message *question = message_with("ready?");
  msgbus_value *response = NULL;
  CHECK_OK(msgbus_bus_send_synchronous(a_bus, "acme/c_ask", question, 30000, &response));
  const char *text = NULL;
  size_t len = 0;
  CHECK_OK(msgbus_value_as_string(response, &text, &len));
  CHECK(len == 11 && memcmp(text, "ready?: yes", len) == 0);
  msgbus_value_free(response);
  msgbus_message_free(question);

  /* (c) A pointer cannot cross to another process: refused, not sent. */
  static int thing;
  msgbus_message *m = message_with("x");
  msgbus_value *pointer = NULL;
  CHECK_OK(msgbus_value_new_pointer(&thing, NULL, &pointer));
  CHECK_OK(msgbus_message_put(m, "handle", pointer));
  CHECK_RESULT(msgbus_bus_send(a_bus, "acme/c_bridge", m), MSGBUS_RESULT_INVALID_ARGUMENT);
  CHECK(strstr(msgbus_last_error_message(), "handle") != NULL);
  msgbus_value_free(pointer);
  msgbus_message_free(m);

  /* (d) The counters, read live and again after close. After B's close
   * and shutdown every arrival is in, so they are exact. */
  msgbus_bridge_counters sa = {0}, sb = {0};
  CHECK_OK(msgbus_bridge_statistics(a, &sa));
  CHECK(sa.published <= N && sa.received == 0);
  CHECK_OK(msgbus_bridge_close(a));
  CHECK_OK(msgbus_bridge_close(a)); /* again: nothing */
  CHECK_OK(msgbus_bridge_close(b));
  CHECK_OK(msgbus_bus_shutdown(b_bus, false, 30000));
  CHECK_OK(msgbus_bridge_statistics(a, &sa));
  CHECK_OK(msgbus_bridge_statistics(b, &sb));
  CHECK(sa.published == N && sa.received == 0 && sa.failed == 0);
  /* B's received: the broadcast and the request. */
  CHECK(sb.published == 0 && sb.received == N + 1 && sb.failed == 0 && sb.unknown_destination == 0);
  CHECK(sa.request_timeouts == 0 && sb.request_timeouts == 0);
  CHECK(t.n == N); /* the refused message never arrived */
  CHECK_STR(msgbus_bridge_node_id(a), "a"); /* (e) until freed */

  msgbus_bridge_free(a);
  msgbus_bridge_free(b);
  msgbus_bus_free(a_bus);
  msgbus_bus_free(b_bus);
  latch_destroy(&t.all);
  pthread_mutex_destroy(&t.mutex);
}

/* libmsgbus carries the bridge, which costs nothing until a connect: a
 * bus used in every other way starts no bridge thread and opens no socket. */
static void nothing_until_connect(void) {
  msgbus_bus *bus = NULL;
  CHECK_OK(msgbus_bus_new(&bus));
  CHECK_OK(msgbus_bus_add_destination(bus, "acme/local", MSGBUS_DESTINATION_TYPE_SERIAL));
  msgbus_message *message = msgbus_message_new();
  CHECK_OK(msgbus_bus_send(bus, "acme/local", message));
  msgbus_message_free(message);
  CHECK(threads_named("msgbus-nats") == 0);
  CHECK(sockets() == 0);
  CHECK_OK(msgbus_bus_shutdown(bus, false, MSGBUS_WAIT_FOREVER));
  msgbus_bus_free(bus);
}

int main(void) {
  nothing_until_connect();
  nats_server server;
  if (!server_start(&server)) {
    checks_failed++;
    return finish();
  }
  two_buses(server.url);
  if (atomic_load(&checks_failed) != 0) print_log(&server);
  server_stop(&server);
  return finish();
}
