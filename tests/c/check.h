/* Shared by the C tests: checks that count, latches that wait without
 * sleeping. Each test program ends by printing "N passed, M failed". */
#ifndef MSGBUS_TEST_CHECK_H
#define MSGBUS_TEST_CHECK_H

#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "msgbus.h"

/* Atomic: listeners check from worker threads. */
static atomic_int checks_passed, checks_failed;

#define CHECK(cond)                                                          \
  do {                                                                       \
    if (cond) {                                                              \
      checks_passed++;                                                       \
    } else {                                                                 \
      checks_failed++;                                                       \
      fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__,       \
              #cond);                                                        \
    }                                                                        \
  } while (0)

#define CHECK_RESULT(call, expected)                                         \
  do {                                                                       \
    msgbus_result r_ = (call);                                               \
    if (r_ == (msgbus_result)(expected)) {                                   \
      checks_passed++;                                                       \
    } else {                                                                 \
      checks_failed++;                                                       \
      fprintf(stderr, "%s:%d: %s returned %u (%s: %s), expected %u\n",       \
              __FILE__, __LINE__, #call, (unsigned)r_,                       \
              msgbus_result_str(r_), msgbus_last_error_message(),            \
              (unsigned)(expected));                                         \
    }                                                                        \
  } while (0)

#define CHECK_OK(call) CHECK_RESULT(call, MSGBUS_RESULT_OK)

#define CHECK_STR(actual, expected)                                          \
  do {                                                                       \
    const char *a_ = (actual);                                               \
    CHECK(a_ != NULL && strcmp(a_, (expected)) == 0);                        \
  } while (0)

static inline int finish(void) {
  int passed = atomic_load(&checks_passed), failed = atomic_load(&checks_failed);
  printf("%d passed, %d failed\n", passed, failed);
  return failed == 0 ? 0 : 1;
}

/* A count-down latch. */
typedef struct {
  pthread_mutex_t mutex;
  pthread_cond_t cond;
  int count;
} latch;

static inline void latch_init(latch *l, int count) {
  pthread_mutex_init(&l->mutex, NULL);
  pthread_cond_init(&l->cond, NULL);
  l->count = count;
}

static inline void latch_destroy(latch *l) {
  pthread_mutex_destroy(&l->mutex);
  pthread_cond_destroy(&l->cond);
}

static inline void latch_count_down(latch *l) {
  pthread_mutex_lock(&l->mutex);
  if (l->count > 0 && --l->count == 0) pthread_cond_broadcast(&l->cond);
  pthread_mutex_unlock(&l->mutex);
}

/* Waits for zero; 0 after 30 s (a deadlock or a lost message). */
static inline int latch_wait(latch *l) {
  struct timespec deadline;
  clock_gettime(CLOCK_REALTIME, &deadline);
  deadline.tv_sec += 30;
  int ok = 1;
  pthread_mutex_lock(&l->mutex);
  while (l->count > 0 && ok) {
    ok = pthread_cond_timedwait(&l->cond, &l->mutex, &deadline) != ETIMEDOUT;
  }
  ok = l->count == 0;
  pthread_mutex_unlock(&l->mutex);
  return ok;
}

static inline int latch_count(latch *l) {
  pthread_mutex_lock(&l->mutex);
  int count = l->count;
  pthread_mutex_unlock(&l->mutex);
  return count;
}

/* A listener that counts a latch down (user_data is the latch). */
static inline msgbus_result count_down_listener(void *user_data,
                                                const msgbus_message *m) {
  (void)m;
  latch_count_down((latch *)user_data);
  return MSGBUS_RESULT_OK;
}

/* A new message with a string payload. */
static inline msgbus_message *message_with(const char *payload) {
  msgbus_message *m = msgbus_message_new();
  msgbus_message_set_payload_string(m, payload);
  return m;
}

/* The string payload of a message, or "" if it has none. */
static inline const char *payload_of(const msgbus_message *m) {
  const char *text = "";
  msgbus_message_payload_string(m, &text, NULL);
  return text;
}

#endif
