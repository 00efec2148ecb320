// The library's worker threads: `workers - 1` helper threads plus the calling thread run the
// indices 0 ..< count of one job, each index once (see CKernels.h, `fedvlm_pool_run`).
//
// Why not DispatchQueue.concurrentPerform: libdispatch puts its threads to sleep as soon as a
// job ends and wakes them with a system call for the next one. The training step calls the
// pool thousands of times a second, often for 10-50 us of work, and profiles showed the
// kernel's wake-up paths at 5 % of a training step and 16 % of a small experiment
// (Docs/Performance.md, section 6). Here a helper that finishes a job spins for a while
// (`FEDVLM_SPIN_US`, default 100 us) watching for the next one before it sleeps, as OpenMP
// runtimes do, so back-to-back jobs hand off through shared memory.
//
// Protocol (one job at a time; `busy` is the job's lock):
//   - the caller takes `busy` (or, when another job holds it, runs all indices itself: nested
//     and concurrent calls still work, serially), sets `generation` odd ("writing"), waits
//     until no helper is `active`, writes the job, and publishes it by setting `generation` to
//     the next even value;
//   - a helper that sees a new even generation becomes `active` first and only then reads the
//     generation again, so either the caller waits for it or it sees "writing"; while it is
//     active the job cannot be rewritten;
//   - everyone claims indices from `next`; the caller returns when `finished` reaches count.
// Which thread runs an index never changes a result: callers give each index its own output.

#include "CKernels.h"
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#if defined(__x86_64__)
#include <immintrin.h>
static inline void relax(void) { _mm_pause(); }
#elif defined(__aarch64__)
static inline void relax(void) { __asm__ __volatile__("yield"); }
#else
static inline void relax(void) {}
#endif

static struct {
    pthread_once_t once;
    long helpers;                 // helper threads started
    long spinNanoseconds;         // how long an idle helper watches for work before sleeping
    atomic_flag busy;             // held by the caller of the job in flight
    atomic_uint generation;       // even: job published; odd: the caller is writing one
    atomic_int active;            // helpers between seeing a generation and leaving its job
    atomic_int sleepers;          // helpers waiting on `wake`
    pthread_mutex_t lock;         // for `wake` only
    pthread_cond_t wake;
    // The job (written only while no helper is active and `generation` is odd).
    fedvlm_pool_task task;
    void *context;
    long count;
    atomic_long next, finished;
} pool = {PTHREAD_ONCE_INIT, 0, 0, ATOMIC_FLAG_INIT, 0, 0, 0, PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER,
          0, 0, 0, 0, 0};

static long monotonicNanoseconds(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (long)t.tv_sec * 1000000000L + t.tv_nsec;
}

// Runs indices of the current job until none is left.
static void claimAndRun(void) {
    long count = pool.count;
    for (long i; (i = atomic_fetch_add_explicit(&pool.next, 1, memory_order_relaxed)) < count;) {
        pool.task(pool.context, i);
        atomic_fetch_add_explicit(&pool.finished, 1, memory_order_release);
    }
}

// Waits until `generation` differs from `seen` and is even (spinning, then sleeping); returns it.
static unsigned awaitJob(unsigned seen) {
    long deadline = monotonicNanoseconds() + pool.spinNanoseconds;
    for (unsigned spins = 0;; spins++) {
        unsigned g = atomic_load(&pool.generation);
        if (g != seen && !(g & 1)) return g;
        relax();
        if ((spins & 63) == 63 && monotonicNanoseconds() > deadline) {
            pthread_mutex_lock(&pool.lock);
            atomic_fetch_add(&pool.sleepers, 1);
            // Re-checked under the lock after announcing the sleep: a publisher that bumps the
            // generation after this load sees `sleepers` > 0 and signals under the same lock.
            while ((g = atomic_load(&pool.generation)) == seen || (g & 1)) pthread_cond_wait(&pool.wake, &pool.lock);
            atomic_fetch_sub(&pool.sleepers, 1);
            pthread_mutex_unlock(&pool.lock);
            return g;
        }
    }
}

static void *helperMain(void *unused) {
    (void)unused;
    unsigned seen = 0;
    for (;;) {
        awaitJob(seen);
        atomic_fetch_add(&pool.active, 1);
        unsigned g = atomic_load(&pool.generation);
        if (g != seen && !(g & 1)) {
            seen = g;
            claimAndRun();
        }
        atomic_fetch_sub(&pool.active, 1);
    }
    return 0;
}

static long requestedHelpers;

static void startHelpers(void) {
    // More workers than online cores (FEDVLM_THREADS set high): a spinning helper would hold a
    // core another worker needs, so by default helpers then sleep at once.
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    const char *spin = getenv("FEDVLM_SPIN_US");
    long microseconds = spin ? atol(spin) : cores > 0 && requestedHelpers + 1 > cores ? 0 : 100;
    pool.spinNanoseconds = (microseconds < 0 ? 0 : microseconds) * 1000L;
    for (long i = 0; i < requestedHelpers; i++) {
        pthread_t thread;
        pthread_attr_t attributes;
        pthread_attr_init(&attributes);
        pthread_attr_setdetachstate(&attributes, PTHREAD_CREATE_DETACHED);
        if (pthread_create(&thread, &attributes, helperMain, 0) == 0) pool.helpers++;
        pthread_attr_destroy(&attributes);
    }
}

long fedvlm_pool_start(long workers) {
    requestedHelpers = workers > 1 ? workers - 1 : 0;
    pthread_once(&pool.once, startHelpers);
    return pool.helpers + 1;
}

void fedvlm_pool_run(long count, fedvlm_pool_task task, void *context) {
    if (count <= 0) return;
    if (count == 1 || pool.helpers == 0 || atomic_flag_test_and_set_explicit(&pool.busy, memory_order_acquire)) {
        // One index, no helpers, or another job in flight (a nested or concurrent call): here.
        for (long i = 0; i < count; i++) task(context, i);
        return;
    }
    unsigned g = atomic_load(&pool.generation);
    atomic_store(&pool.generation, g + 1);  // odd: writing
    while (atomic_load(&pool.active) != 0) relax();
    pool.task = task;
    pool.context = context;
    pool.count = count;
    atomic_store_explicit(&pool.next, 0, memory_order_relaxed);
    atomic_store_explicit(&pool.finished, 0, memory_order_relaxed);
    atomic_store(&pool.generation, g + 2);  // published (seq_cst: also orders the job's fields)
    if (atomic_load(&pool.sleepers) > 0) {
        pthread_mutex_lock(&pool.lock);
        pthread_cond_broadcast(&pool.wake);
        pthread_mutex_unlock(&pool.lock);
    }
    claimAndRun();
    // The last indices run on helpers; a helper descheduled mid-index would keep this core
    // spinning, so after a while the wait yields the core.
    for (unsigned spins = 0; atomic_load_explicit(&pool.finished, memory_order_acquire) < count; spins++) {
        relax();
        if (spins > 100000) sched_yield();
    }
    atomic_flag_clear_explicit(&pool.busy, memory_order_release);
}
