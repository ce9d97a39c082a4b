/*
 * pgx-latency: measure the wake-up latency of a waiting consumer.
 *
 * Two connections, two threads. For each sample:
 *   1. the waiter starts waiting: either it sends a blocking SQL call (--wait,
 *      e.g. a read_with_poll / poll(wait) function, or a polling loop), or it
 *      blocks on the socket of a LISTENing connection (--listen CHANNEL);
 *   2. the sender sleeps a random delay (--delay-ms MIN-MAX), runs
 *      BEGIN; <--send SQL>; COMMIT and notes when COMMIT was sent and when it
 *      was acknowledged;
 *   3. the waiter notes when its call returned a row (or the notification
 *      arrived).
 * Reported per sample: return - commit sent ("from commit"), return - commit
 * acknowledged ("from ack", may be slightly negative: the commit is visible to
 * others before its acknowledgement reaches the sender) and the commit's own
 * duration. The summary (one CSV line on stdout) gives p50/p90/p99/max.
 *
 * Generic on purpose: it knows nothing about pgstreamx. A new latency row is
 * a bench/latency/<id>.conf file naming its SQL.
 *
 * Build: cc -O2 -Wall -pthread -I$(pg_config --includedir) pgx-latency.c \
 *           -L$(pg_config --libdir) -lpq -o pgx-latency
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <libpq-fe.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/select.h>
#include <time.h>
#include <unistd.h>

static const char *conninfo = "";
static const char *wait_sql = NULL;
static const char *listen_channel = NULL;
static const char *send_sql = NULL;
static const char *setup_sql = NULL;
static const char *csv_path = NULL;
static int nsamples = 100;
static int warmup = 3;
static double delay_min_ms = 2, delay_max_ms = 20;
static double timeout_s = 30;

/* shared state between the threads */
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static int waiter_ready = -1;   /* iteration the waiter is waiting for */
static int waiter_done = -1;    /* iteration whose wait has returned */
static int waiter_failed = 0;
static char waiter_err[512];
static double *t_return;        /* per iteration, monotonic seconds */

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

static void die(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "pgx-latency: ");
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\n");
    va_end(ap);
    exit(2);
}

static void exec_ok(PGconn *c, const char *sql)
{
    PGresult *r = PQexec(c, sql);
    ExecStatusType st = PQresultStatus(r);
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK)
        die("query failed: %s\n  SQL: %s", PQerrorMessage(c), sql);
    PQclear(r);
}

static PGconn *connect_db(void)
{
    PGconn *c = PQconnectdb(conninfo);
    if (PQstatus(c) != CONNECTION_OK)
        die("connection failed: %s", PQerrorMessage(c));
    return c;
}

static void waiter_fail(const char *msg, PGconn *c)
{
    pthread_mutex_lock(&mu);
    waiter_failed = 1;
    snprintf(waiter_err, sizeof waiter_err, "%s%s", msg, c ? PQerrorMessage(c) : "");
    pthread_cond_broadcast(&cv);
    pthread_mutex_unlock(&mu);
}

static void mark(int *slot, int value)
{
    pthread_mutex_lock(&mu);
    *slot = value;
    pthread_cond_broadcast(&cv);
    pthread_mutex_unlock(&mu);
}

/* wait until *slot >= value; returns 0 on success, -1 on waiter failure or timeout */
static int await(int *slot, int value, double tmo)
{
    struct timespec dl;
    clock_gettime(CLOCK_REALTIME, &dl);
    dl.tv_sec += (time_t) tmo;
    int rc = 0;
    pthread_mutex_lock(&mu);
    while (*slot < value && !waiter_failed) {
        if (pthread_cond_timedwait(&cv, &mu, &dl) == ETIMEDOUT) {
            rc = -1;
            break;
        }
    }
    if (waiter_failed)
        rc = -1;
    pthread_mutex_unlock(&mu);
    return rc;
}

static void *waiter_main(void *arg)
{
    PGconn *c = (PGconn *) arg;
    int total = warmup + nsamples;
    for (int i = 0; i < total; i++) {
        if (wait_sql) {
            if (!PQsendQuery(c, wait_sql)) {
                waiter_fail("send wait query: ", c);
                return NULL;
            }
            mark(&waiter_ready, i);
            PGresult *r;
            int got_row = 0, first = 1;
            double t = 0;
            while ((r = PQgetResult(c)) != NULL) {
                if (first) {
                    t = now_s();
                    first = 0;
                }
                ExecStatusType st = PQresultStatus(r);
                if (st == PGRES_TUPLES_OK && PQntuples(r) > 0)
                    got_row = 1;
                else if (st != PGRES_TUPLES_OK && st != PGRES_COMMAND_OK) {
                    PQclear(r);
                    waiter_fail("wait query failed: ", c);
                    return NULL;
                }
                PQclear(r);
            }
            if (!got_row) {
                waiter_fail("wait query returned no row (timed out?)", NULL);
                return NULL;
            }
            t_return[i] = t;
        } else {
            int sock = PQsocket(c);
            mark(&waiter_ready, i);
            double deadline = now_s() + timeout_s;
            int got = 0;
            while (!got) {
                PGnotify *n;
                if (!PQconsumeInput(c)) {
                    waiter_fail("consume input: ", c);
                    return NULL;
                }
                while ((n = PQnotifies(c)) != NULL) {
                    if (!got)
                        t_return[i] = now_s();
                    got = 1;
                    PQfreemem(n);
                }
                if (got)
                    break;
                double left = deadline - now_s();
                if (left <= 0) {
                    waiter_fail("no notification within the timeout", NULL);
                    return NULL;
                }
                fd_set rs;
                FD_ZERO(&rs);
                FD_SET(sock, &rs);
                struct timeval tv = {(time_t) left, (suseconds_t) ((left - (long) left) * 1e6)};
                if (select(sock + 1, &rs, NULL, NULL, &tv) < 0 && errno != EINTR) {
                    waiter_fail("select failed", NULL);
                    return NULL;
                }
            }
        }
        mark(&waiter_done, i);
    }
    return NULL;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *) a, y = *(const double *) b;
    return (x > y) - (x < y);
}

/* nearest-rank percentile of a sorted array */
static double pct(const double *v, int n, double p)
{
    if (n == 0)
        return 0;
    int k = (int) (p / 100.0 * n + 0.999999) - 1;
    if (k < 0)
        k = 0;
    if (k >= n)
        k = n - 1;
    return v[k];
}

static void usage(void)
{
    fprintf(stderr,
            "usage: pgx-latency -d CONNINFO (--wait SQL | --listen CHANNEL) --send SQL\n"
            "                   [--setup SQL] [-n SAMPLES] [--warmup N] [--delay-ms MIN-MAX]\n"
            "                   [--timeout-s S] [--csv FILE]\n"
            "Prints: n,p50_us,p90_us,p99_us,max_us,p50_ack_us,p99_ack_us,commit_p50_us\n");
    exit(2);
}

int main(int argc, char **argv)
{
    static struct option opts[] = {
        {"dbname", required_argument, 0, 'd'}, {"wait", required_argument, 0, 'w'},
        {"listen", required_argument, 0, 'l'}, {"send", required_argument, 0, 's'},
        {"setup", required_argument, 0, 'S'},  {"samples", required_argument, 0, 'n'},
        {"warmup", required_argument, 0, 'W'}, {"delay-ms", required_argument, 0, 'D'},
        {"timeout-s", required_argument, 0, 't'}, {"csv", required_argument, 0, 'c'},
        {"help", no_argument, 0, 'h'},         {0, 0, 0, 0}};
    int o;
    while ((o = getopt_long(argc, argv, "d:n:h", opts, NULL)) != -1) {
        switch (o) {
        case 'd': conninfo = optarg; break;
        case 'w': wait_sql = optarg; break;
        case 'l': listen_channel = optarg; break;
        case 's': send_sql = optarg; break;
        case 'S': setup_sql = optarg; break;
        case 'n': nsamples = atoi(optarg); break;
        case 'W': warmup = atoi(optarg); break;
        case 'D':
            if (sscanf(optarg, "%lf-%lf", &delay_min_ms, &delay_max_ms) != 2)
                die("--delay-ms wants MIN-MAX, e.g. 2-20");
            break;
        case 't': timeout_s = atof(optarg); break;
        case 'c': csv_path = optarg; break;
        default: usage();
        }
    }
    if (!send_sql || (!wait_sql == !listen_channel) || nsamples <= 0 || delay_max_ms < delay_min_ms)
        usage();

    PGconn *sender = connect_db();
    PGconn *waiter = connect_db();
    if (setup_sql)
        exec_ok(sender, setup_sql);
    if (listen_channel) {
        char *q = PQescapeIdentifier(waiter, listen_channel, strlen(listen_channel));
        char buf[512];
        snprintf(buf, sizeof buf, "LISTEN %s", q);
        PQfreemem(q);
        exec_ok(waiter, buf);
    }

    int total = warmup + nsamples;
    t_return = calloc((size_t) total, sizeof(double));
    double *t_sent = calloc((size_t) total, sizeof(double));
    double *t_ack = calloc((size_t) total, sizeof(double));
    if (!t_return || !t_sent || !t_ack)
        die("out of memory");

    pthread_t th;
    if (pthread_create(&th, NULL, waiter_main, waiter) != 0)
        die("pthread_create failed");

    srand48((long) getpid());
    for (int i = 0; i < total; i++) {
        if (await(&waiter_ready, i, timeout_s) != 0)
            die("waiter did not start iteration %d: %s", i, waiter_err);
        double d = delay_min_ms + drand48() * (delay_max_ms - delay_min_ms);
        struct timespec ts = {(time_t) (d / 1000), (long) (((d / 1000) - (long) (d / 1000)) * 1e9)};
        nanosleep(&ts, NULL);
        exec_ok(sender, "BEGIN");
        exec_ok(sender, send_sql);
        t_sent[i] = now_s();
        exec_ok(sender, "COMMIT");
        t_ack[i] = now_s();
        if (await(&waiter_done, i, timeout_s) != 0)
            die("waiter did not return for sample %d: %s", i, waiter_failed ? waiter_err : "timeout");
    }
    pthread_join(th, NULL);

    double *a = malloc(sizeof(double) * (size_t) nsamples);
    double *b = malloc(sizeof(double) * (size_t) nsamples);
    double *cm = malloc(sizeof(double) * (size_t) nsamples);
    FILE *f = csv_path ? fopen(csv_path, "w") : NULL;
    if (csv_path && !f)
        die("cannot write %s", csv_path);
    if (f)
        fprintf(f, "sample,from_commit_us,from_ack_us,commit_us\n");
    for (int i = 0; i < nsamples; i++) {
        int k = warmup + i;
        a[i] = (t_return[k] - t_sent[k]) * 1e6;
        b[i] = (t_return[k] - t_ack[k]) * 1e6;
        cm[i] = (t_ack[k] - t_sent[k]) * 1e6;
        if (f)
            fprintf(f, "%d,%.1f,%.1f,%.1f\n", i + 1, a[i], b[i], cm[i]);
    }
    if (f)
        fclose(f);
    qsort(a, (size_t) nsamples, sizeof(double), cmp_double);
    qsort(b, (size_t) nsamples, sizeof(double), cmp_double);
    qsort(cm, (size_t) nsamples, sizeof(double), cmp_double);
    printf("%d,%.0f,%.0f,%.0f,%.0f,%.0f,%.0f,%.0f\n", nsamples, pct(a, nsamples, 50), pct(a, nsamples, 90),
           pct(a, nsamples, 99), pct(a, nsamples, 100), pct(b, nsamples, 50), pct(b, nsamples, 99),
           pct(cm, nsamples, 50));
    PQfinish(sender);
    PQfinish(waiter);
    return 0;
}
