/*
 * xfer-ref.c — kernel-only reference for the file-to-socket transfer bench.
 *
 * Two roles:
 *   sink  A loopback TCP sink that every sender (this program and the Node
 *         addon under test) sends to. It discards data with
 *         recv(fd, NULL, 1 MiB, MSG_TRUNC) (no copy to user space on Linux
 *         TCP), falling back to recv into a 1 MiB buffer on EFAULT/EINVAL.
 *   send  The reference sender: moves [O, O+BYTES) of a file to the sink N
 *         times with sendfile, mmap+write or pread+write, timing the loop,
 *         counting every syscall by kind and measuring CPU via getrusage.
 *         Its JSON line is the baseline the addon's numbers are compared to.
 *
 * Build (from /work/main):
 *   mkdir -p build && cc -O2 -std=gnu11 -Wall -Wextra -o build/xfer-ref \
 *       bench/transfer/xfer-ref.c -lpthread
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/sendfile.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define SINK_BUF (1u << 20)
#define COPY_BUF (256u * 1024u)

static void usage(FILE *out)
{
    fprintf(out,
        "usage:\n"
        "  xfer-ref sink [--port P]\n"
        "      Listen on 127.0.0.1:P (default 0 = ephemeral), print 'PORT <n>',\n"
        "      discard everything received on any number of connections.\n"
        "      Exits 0 on stdin EOF or SIGTERM/SIGINT (after letting open\n"
        "      connections drain for up to 1 s), printing\n"
        "      'SINK bytes=<total> connections=<n>'.\n"
        "  xfer-ref send --port P --file F --strategy sendfile|mmap|copy\n"
        "                --size BYTES --count N [--offset O]\n"
        "      Send bytes [O, O+BYTES) of F to 127.0.0.1:P, N times; print one\n"
        "      JSON line with timing, CPU and per-kind syscall counts.\n"
        "      Exit 2 on bad arguments / setup errors, 1 on I/O errors mid-run.\n"
        "  xfer-ref --help\n");
}

static _Noreturn void die(int code, const char *fmt, const char *arg)
{
    fprintf(stderr, "xfer-ref: ");
    fprintf(stderr, fmt, arg);
    if (errno) fprintf(stderr, ": %s", strerror(errno));
    fputc('\n', stderr);
    exit(code);
}

static unsigned long long parse_u64(const char *name, const char *s)
{
    char *end;
    errno = 0;
    if (!s || !*s || *s == '-') { errno = 0; die(2, "bad value for %s", name); }
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || *end) { errno = 0; die(2, "bad value for %s", name); }
    return v;
}

/* ------------------------------------------------------------------ sink */

static atomic_ullong g_bytes;
static atomic_ullong g_conns;
static atomic_int g_active;

static void *sink_conn(void *arg)
{
    int fd = (int)(intptr_t)arg;
    char *buf = NULL;          /* allocated only if MSG_TRUNC is refused */
    /* This connection's bytes go straight into the global total, so the
     * count is complete even if we exit while the connection is open. */
    for (;;) {
        ssize_t n = buf ? recv(fd, buf, SINK_BUF, 0)
                        : recv(fd, NULL, SINK_BUF, MSG_TRUNC);
        if (n > 0) {
            atomic_fetch_add_explicit(&g_bytes, (unsigned long long)n,
                                      memory_order_relaxed);
            continue;
        }
        if (n == 0) break;
        if (errno == EINTR) continue;
        if (!buf && (errno == EFAULT || errno == EINVAL)) {
            if (!(buf = malloc(SINK_BUF))) break;
            continue;
        }
        break; /* ECONNRESET etc.: connection is over */
    }
    free(buf);
    close(fd);
    atomic_fetch_sub(&g_active, 1);
    return NULL;
}

static int run_sink(int argc, char **argv)
{
    unsigned long long port = 0;
    for (int i = 2; i < argc; i++) {
        if (!strcmp(argv[i], "--port") && i + 1 < argc) port = parse_u64("--port", argv[++i]);
        else { usage(stderr); return 2; }
    }
    if (port > 65535) { errno = 0; die(2, "%s: port out of range", "--port"); }

    /* Keep fd 0 occupied so a socket can never land on it. */
    int watch_stdin = fcntl(0, F_GETFD) != -1;
    if (!watch_stdin) { int n = open("/dev/null", O_RDONLY); if (n > 0) close(n); }

    sigset_t ss;
    sigemptyset(&ss);
    sigaddset(&ss, SIGTERM);
    sigaddset(&ss, SIGINT);
    pthread_sigmask(SIG_BLOCK, &ss, NULL); /* inherited by every conn thread */
    signal(SIGPIPE, SIG_IGN);
    int sfd = signalfd(-1, &ss, SFD_CLOEXEC);
    if (sfd < 0) die(2, "%s", "signalfd");

    int ls = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (ls < 0) die(2, "%s", "socket");
    int one = 1;
    setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port),
                              .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    if (bind(ls, (struct sockaddr *)&sa, sizeof sa) < 0) die(2, "%s", "bind");
    if (listen(ls, 512) < 0) die(2, "%s", "listen");
    socklen_t sl = sizeof sa;
    getsockname(ls, (struct sockaddr *)&sa, &sl);
    printf("PORT %u\n", (unsigned)ntohs(sa.sin_port));
    fflush(stdout);

    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    pthread_attr_setstacksize(&attr, 64 * 1024);

    struct pollfd pf[3] = { { .fd = ls, .events = POLLIN }, { .fd = sfd, .events = POLLIN },
                            { .fd = watch_stdin ? 0 : -1, .events = POLLIN } };
    for (int stop = 0; !stop;) {
        if (poll(pf, 3, -1) < 0) {
            if (errno == EINTR) continue;
            die(1, "%s", "poll");
        }
        if (pf[0].revents & POLLIN) {
            int c = accept4(ls, NULL, NULL, SOCK_CLOEXEC);
            if (c >= 0) {
                pthread_t t;
                atomic_fetch_add(&g_conns, 1);
                atomic_fetch_add(&g_active, 1);
                if (pthread_create(&t, &attr, sink_conn, (void *)(intptr_t)c) != 0) {
                    atomic_fetch_sub(&g_active, 1);
                    close(c);
                }
            }
        }
        if (pf[1].revents & POLLIN) stop = 1;
        if (pf[2].revents) {
            char tmp[4096];
            ssize_t n = read(0, tmp, sizeof tmp);
            if (n == 0 || (n < 0 && errno != EINTR && errno != EAGAIN)) stop = 1;
        }
    }
    close(ls);
    /* Senders close right after their last write; give in-flight data a
     * moment to be drained so the reported total is complete. */
    for (int i = 0; i < 200 && atomic_load(&g_active) > 0; i++) {
        struct timespec ts = { 0, 5 * 1000 * 1000 };
        nanosleep(&ts, NULL);
    }
    printf("SINK bytes=%llu connections=%llu\n",
           (unsigned long long)atomic_load(&g_bytes), (unsigned long long)atomic_load(&g_conns));
    fflush(stdout);
    _exit(0); /* don't wait for idle connection threads */
}

/* ------------------------------------------------------------------ send */

static unsigned long long n_sendfile, n_write, n_pread;

/* Write len bytes fully; every write() call is counted. */
static void write_all(int sock, const char *p, size_t len)
{
    while (len > 0) {
        n_write++;
        ssize_t w = write(sock, p, len);
        if (w < 0) {
            if (errno == EINTR) continue;
            die(1, "%s", "write");
        }
        p += w;
        len -= (size_t)w;
    }
}

static double tv_sec(struct timeval tv) { return (double)tv.tv_sec + tv.tv_usec / 1e6; }

static int run_send(int argc, char **argv)
{
    unsigned long long port = 0, size = 0, count = 0, offset = 0;
    const char *file = NULL, *strategy = NULL;
    int have_port = 0, have_size = 0, have_count = 0;
    for (int i = 2; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!v) { errno = 0; die(2, "missing value for %s", a); }
        if (!strcmp(a, "--port")) { port = parse_u64(a, v); have_port = 1; }
        else if (!strcmp(a, "--file")) file = v;
        else if (!strcmp(a, "--strategy")) strategy = v;
        else if (!strcmp(a, "--size")) { size = parse_u64(a, v); have_size = 1; }
        else if (!strcmp(a, "--count")) { count = parse_u64(a, v); have_count = 1; }
        else if (!strcmp(a, "--offset")) offset = parse_u64(a, v);
        else { errno = 0; die(2, "unknown option %s", a); }
        i++;
    }
    errno = 0;
    if (!have_port || !file || !strategy || !have_size || !have_count)
        die(2, "%s: need --port --file --strategy --size --count", "send");
    if (port == 0 || port > 65535) die(2, "%s: port out of range", "--port");
    int strat = !strcmp(strategy, "sendfile") ? 0 : !strcmp(strategy, "mmap") ? 1
              : !strcmp(strategy, "copy") ? 2 : -1;
    if (strat < 0) die(2, "unknown strategy %s", strategy);
    if (size == 0) die(2, "%s must be > 0", "--size");

    int fd = open(file, O_RDONLY | O_CLOEXEC);
    if (fd < 0) die(2, "open %s", file);
    struct stat st;
    if (fstat(fd, &st) < 0) die(2, "fstat %s", file);
    if (offset > (unsigned long long)st.st_size || size > (unsigned long long)st.st_size - offset) {
        errno = 0;
        die(2, "%s: offset+size exceeds file size", file);
    }

    signal(SIGPIPE, SIG_IGN);
    int sock = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (sock < 0) die(2, "%s", "socket");
    int one = 1;
    setsockopt(sock, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port),
                              .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    if (connect(sock, (struct sockaddr *)&sa, sizeof sa) < 0) die(2, "%s", "connect");

    const char *map = NULL;
    char *buf = NULL;
    if (strat == 1) {
        map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_SHARED, fd, 0);
        if (map == MAP_FAILED) die(2, "mmap %s", file);
    } else if (strat == 2) {
        if (!(buf = malloc(COPY_BUF))) die(2, "%s", "malloc");
    }

    struct rusage ru0, ru1;
    struct timespec t0, t1;
    getrusage(RUSAGE_SELF, &ru0);
    clock_gettime(CLOCK_MONOTONIC, &t0);

    for (unsigned long long k = 0; k < count; k++) {
        if (strat == 0) {
            off_t off = (off_t)offset;
            size_t rem = (size_t)size;
            while (rem > 0) {
                n_sendfile++;
                ssize_t s = sendfile(sock, fd, &off, rem);
                if (s < 0) {
                    if (errno == EINTR) continue;
                    die(1, "%s", "sendfile");
                }
                if (s == 0) { errno = 0; die(1, "%s: unexpected EOF", file); }
                rem -= (size_t)s;
            }
        } else if (strat == 1) {
            write_all(sock, map + offset, (size_t)size);
        } else {
            unsigned long long pos = offset, end = offset + size;
            while (pos < end) {
                size_t want = end - pos < COPY_BUF ? (size_t)(end - pos) : COPY_BUF;
                n_pread++;
                ssize_t r = pread(fd, buf, want, (off_t)pos);
                if (r < 0) {
                    if (errno == EINTR) continue;
                    die(1, "%s", "pread");
                }
                if (r == 0) { errno = 0; die(1, "%s: unexpected EOF", file); }
                write_all(sock, buf, (size_t)r);
                pos += (unsigned long long)r;
            }
        }
    }

    clock_gettime(CLOCK_MONOTONIC, &t1);
    getrusage(RUSAGE_SELF, &ru1);
    shutdown(sock, SHUT_WR);
    close(sock);

    double secs = (double)(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
    printf("{\"strategy\":\"%s\",\"size\":%llu,\"count\":%llu,\"bytes\":%llu,"
           "\"seconds\":%.6f,\"cpuUserSeconds\":%.6f,\"cpuSystemSeconds\":%.6f,"
           "\"syscalls\":{\"sendfile\":%llu,\"write\":%llu,\"pread\":%llu}}\n",
           strategy, size, count, size * count, secs,
           tv_sec(ru1.ru_utime) - tv_sec(ru0.ru_utime),
           tv_sec(ru1.ru_stime) - tv_sec(ru0.ru_stime),
           n_sendfile, n_write, n_pread);
    fflush(stdout);
    if (map) munmap((void *)map, (size_t)st.st_size);
    free(buf);
    close(fd);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
        usage(stdout);
        return 0;
    }
    if (argc >= 2 && !strcmp(argv[1], "sink")) return run_sink(argc, argv);
    if (argc >= 2 && !strcmp(argv[1], "send")) return run_send(argc, argv);
    usage(stderr);
    return 2;
}
