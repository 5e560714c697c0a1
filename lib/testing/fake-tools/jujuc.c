/*
 * jujuc.c - fake Juju hook-tool client for the test kit.
 *
 * Real Juju installs every hook tool (relation-get, status-set, ...) as a symlink to one binary, jujuc,
 * which forwards the call to the unit agent over JUJU_AGENT_SOCKET_ADDRESS and replays the answer.
 * This is the same idea, talking to the test kit's Node server (server.ts) over a UNIX socket. It is
 * native because a Node process per tool call costs tens of milliseconds.
 *
 * Framing (all integers u32 big-endian, "str" = u32 length + raw bytes, never NUL-terminated):
 *   request  = "JJQ1" u32 body_len  body: str context_id, str cwd, str tool, u32 argc, str arg * argc,
 *                                         u8 has_stdin, [str stdin  only if has_stdin == 1]
 *   response = "JJR1" u32 body_len  body: u32 code, str stdout, str stderr
 * Keep in sync with protocol.ts and jujuc-fallback.mjs.
 */
#define _POSIX_C_SOURCE 200809L
#define _DEFAULT_SOURCE

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#define REQUEST_MAGIC "JJQ1"
#define RESPONSE_MAGIC "JJR1"
#define MAX_STDIN ((size_t)64 << 20)     /* stdin larger than this is refused */
#define MAX_RESPONSE ((size_t)256 << 20) /* a larger response header means a corrupt stream */

static void fail(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fputs("ERROR ", stderr);
  vfprintf(stderr, fmt, ap);
  fputc('\n', stderr);
  va_end(ap);
  exit(1);
}

/* A growable byte buffer; the request is built in one piece so it goes out in (usually) one write. */
struct buf {
  unsigned char *p;
  size_t len, cap;
};

static void reserve(struct buf *b, size_t extra) {
  if (b->cap - b->len >= extra) return;
  size_t cap = b->cap ? b->cap : 4096;
  while (cap - b->len < extra) cap *= 2;
  unsigned char *p = realloc(b->p, cap);
  if (!p) fail("out of memory");
  b->p = p;
  b->cap = cap;
}

static void set_u32(unsigned char *at, uint32_t v) {
  at[0] = (unsigned char)(v >> 24);
  at[1] = (unsigned char)(v >> 16);
  at[2] = (unsigned char)(v >> 8);
  at[3] = (unsigned char)v;
}

static uint32_t get_u32(const unsigned char *at) {
  return (uint32_t)at[0] << 24 | (uint32_t)at[1] << 16 | (uint32_t)at[2] << 8 | (uint32_t)at[3];
}

static void put_u32(struct buf *b, uint32_t v) {
  reserve(b, 4);
  set_u32(b->p + b->len, v);
  b->len += 4;
}

static void put_str(struct buf *b, const char *s) {
  size_t n = strlen(s);
  put_u32(b, (uint32_t)n);
  reserve(b, n);
  memcpy(b->p + b->len, s, n);
  b->len += n;
}

static int write_all(int fd, const unsigned char *p, size_t n) {
  while (n > 0) {
    ssize_t w = write(fd, p, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      return -1;
    }
    p += w;
    n -= (size_t)w;
  }
  return 0;
}

/* Reads up to n bytes, stopping early only at EOF; returns the count read or -1 on error. */
static ssize_t read_full(int fd, unsigned char *p, size_t n) {
  size_t got = 0;
  while (got < n) {
    ssize_t r = read(fd, p + got, n - got);
    if (r < 0) {
      if (errno == EINTR) continue;
      return -1;
    }
    if (r == 0) break;
    got += (size_t)r;
  }
  return (ssize_t)got;
}

/* Juju reads stdin only for `--file -` / `--file=-`; anything else must not block on a terminal. */
static int wants_stdin(int argc, char **argv) {
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--") == 0) return 0; /* later arguments are positional, not flags */
    if (strcmp(argv[i], "--file=-") == 0) return 1;
    if (strcmp(argv[i], "--file") == 0 && i + 1 < argc && strcmp(argv[i + 1], "-") == 0) return 1;
  }
  return 0;
}

static void put_cwd(struct buf *b) {
  for (size_t size = 256; size <= ((size_t)1 << 20); size *= 2) {
    char *cwd = malloc(size);
    if (!cwd) fail("out of memory");
    if (getcwd(cwd, size)) {
      put_str(b, cwd);
      free(cwd);
      return;
    }
    free(cwd);
    if (errno != ERANGE) break;
  }
  put_str(b, ""); /* e.g. the working directory was removed; the server sees an empty dir */
}

/* Appends `str stdin`: a length placeholder, then everything up to EOF, then the real length. */
static void put_stdin(struct buf *b) {
  size_t at = b->len;
  put_u32(b, 0);
  for (;;) {
    reserve(b, 65536);
    ssize_t r = read(0, b->p + b->len, 65536);
    if (r < 0) {
      if (errno == EINTR) continue;
      fail("cannot read stdin: %s", strerror(errno));
    }
    if (r == 0) break;
    b->len += (size_t)r;
    if (b->len - at - 4 > MAX_STDIN) fail("stdin is larger than %zu bytes", MAX_STDIN);
  }
  set_u32(b->p + at, (uint32_t)(b->len - at - 4));
}

static int connect_agent(const char *path) {
  struct sockaddr_un addr;
  memset(&addr, 0, sizeof addr);
  addr.sun_family = AF_UNIX;
  if (strlen(path) >= sizeof addr.sun_path) fail("cannot connect to the Juju agent at %s: %s", path, strerror(ENAMETOOLONG));
  memcpy(addr.sun_path, path, strlen(path));
  int fd = socket(AF_UNIX, SOCK_STREAM, 0);
  if (fd < 0 || connect(fd, (struct sockaddr *)&addr, sizeof addr) != 0) {
    fail("cannot connect to the Juju agent at %s: %s", path, strerror(errno));
  }
  return fd;
}

int main(int argc, char **argv) {
  /* A server that hangs up early must give us EPIPE (and a message), not a silent SIGPIPE death. */
  signal(SIGPIPE, SIG_IGN);

  const char *tool = argc > 0 && argv[0] ? argv[0] : "jujuc";
  const char *slash = strrchr(tool, '/');
  if (slash) tool = slash + 1;

  const char *socket_path = getenv("JUJU_AGENT_SOCKET_ADDRESS");
  if (!socket_path || !*socket_path) fail("JUJU_AGENT_SOCKET_ADDRESS not set");
  const char *context_id = getenv("JUJU_CONTEXT_ID");
  if (!context_id || !*context_id) fail("JUJU_CONTEXT_ID not set");

  struct buf req = {0};
  reserve(&req, 8);
  memcpy(req.p, REQUEST_MAGIC, 4);
  req.len = 8; /* body length is patched in once the body is complete */
  put_str(&req, context_id);
  put_cwd(&req);
  put_str(&req, tool);
  put_u32(&req, (uint32_t)(argc > 1 ? argc - 1 : 0));
  for (int i = 1; i < argc; i++) put_str(&req, argv[i]);
  int has_stdin = wants_stdin(argc, argv);
  reserve(&req, 1);
  req.p[req.len++] = (unsigned char)has_stdin;
  if (has_stdin) put_stdin(&req);
  set_u32(req.p + 4, (uint32_t)(req.len - 8));

  /* Connect only after stdin is consumed, so a slow producer never holds a server connection open. */
  int fd = connect_agent(socket_path);
  if (write_all(fd, req.p, req.len) != 0) fail("cannot send the request to the Juju agent: %s", strerror(errno));
  free(req.p);

  unsigned char head[8];
  ssize_t got = read_full(fd, head, sizeof head);
  if (got < 0) fail("cannot read the Juju agent's answer: %s", strerror(errno));
  if (got != (ssize_t)sizeof head) fail("the Juju agent closed the connection without answering");
  if (memcmp(head, RESPONSE_MAGIC, 4) != 0) fail("bad answer from the Juju agent (wrong magic)");
  size_t len = get_u32(head + 4);
  if (len < 12 || len > MAX_RESPONSE) fail("bad answer from the Juju agent (length %zu)", len);
  unsigned char *body = malloc(len);
  if (!body) fail("out of memory");
  got = read_full(fd, body, len);
  if (got < 0) fail("cannot read the Juju agent's answer: %s", strerror(errno));
  if ((size_t)got != len) fail("the Juju agent closed the connection mid-answer");
  close(fd);

  /* body = u32 code, str stdout, str stderr; every length is checked against what is left. */
  uint32_t code = get_u32(body);
  size_t out_len = get_u32(body + 4);
  if (out_len > len - 12) fail("bad answer from the Juju agent (stdout length)");
  const unsigned char *out = body + 8;
  size_t err_len = get_u32(out + out_len);
  if (err_len != len - 12 - out_len) fail("bad answer from the Juju agent (stderr length)");
  const unsigned char *err = out + out_len + 4;

  /* Output errors (e.g. a closed pipe) are ignored: the exit code is what the caller relies on. */
  (void)write_all(1, out, out_len);
  (void)write_all(2, err, err_len);
  return (int)(code & 0xff);
}
