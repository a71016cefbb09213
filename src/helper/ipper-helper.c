/*
 * ipper-helper: the two small jobs that Node.js cannot do without a shell or a native addon.
 * The ipper binary carries it and the supervisor writes it into helperDir (0700) at start.
 *
 *   ipper-helper <event>       udhcpc's event script (-s). Copies the environment and the event
 *                              name, NUL-separated, into a file in $IPPER_SPOOL and exits. It
 *                              evaluates no value: the supervisor parses and validates the file.
 *   ipper-helper --peercred    stdin is a connected unix socket: prints "pid uid gid" of the
 *                              process at the other end, as the kernel recorded it (SO_PEERCRED).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

extern char **environ;

static int write_all(int fd, const char *data, size_t length) {
	while (length > 0) {
		ssize_t written = write(fd, data, length);
		if (written < 0 && errno == EINTR) continue;
		if (written <= 0) return -1;
		data += written;
		length -= (size_t)written;
	}
	return 0;
}

/* One entry and its NUL: a value with a newline stays one value. */
static int write_entry(int fd, const char *entry) {
	return write_all(fd, entry, strlen(entry) + 1);
}

static int spool_event(const char *event) {
	const char *spool = getenv("IPPER_SPOOL");
	if (spool == NULL || spool[0] != '/') {
		fputs("ipper-helper: IPPER_SPOOL is not an absolute path\n", stderr);
		return 2;
	}
	int dir = open(spool, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dir < 0) {
		perror("ipper-helper: spool directory");
		return 1;
	}
	char temp[32], final[32];
	snprintf(temp, sizeof temp, ".%d.tmp", (int)getpid());
	snprintf(final, sizeof final, "%d.ev", (int)getpid());
	int fd = openat(dir, temp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0) {
		perror("ipper-helper: event file");
		return 1;
	}
	int failed = 0;
	for (char **entry = environ; *entry != NULL && !failed; entry++) {
		if (strncmp(*entry, "IPPER_EVENT=", 12) != 0) failed = write_entry(fd, *entry);
	}
	/* Last, so that no inherited variable of the same name can stand in for it. */
	if (!failed) failed = write_all(fd, "IPPER_EVENT=", 12) || write_entry(fd, event);
	if (close(fd) != 0) failed = 1;
	/* Renamed whole: the supervisor never reads half an event. */
	if (failed || renameat(dir, temp, dir, final) != 0) {
		perror("ipper-helper: event not spooled");
		unlinkat(dir, temp, 0);
		return 1;
	}
	return 0;
}

static int print_peer_credentials(void) {
	struct ucred peer;
	socklen_t length = sizeof peer;
	if (getsockopt(STDIN_FILENO, SOL_SOCKET, SO_PEERCRED, &peer, &length) != 0) {
		perror("ipper-helper: SO_PEERCRED");
		return 1;
	}
	printf("%d %u %u\n", (int)peer.pid, (unsigned)peer.uid, (unsigned)peer.gid);
	return fflush(stdout) == 0 ? 0 : 1;
}

int main(int argc, char **argv) {
	if (argc == 2 && strcmp(argv[1], "--peercred") == 0) return print_peer_credentials();
	if (argc == 2 && argv[1][0] != '\0' && argv[1][0] != '-') return spool_event(argv[1]);
	fputs("usage: ipper-helper <udhcpc event> | --peercred\n", stderr);
	return 2;
}
