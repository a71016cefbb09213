/*
 * ipper-helper: the two small jobs that Node.js cannot do without a shell or a native addon.
 * The ipper binary carries it and the supervisor writes it into helperDir (0700) at start.
 *
 *   ipper-helper <event>       udhcpc's event script (-s). Copies the environment and the event
 *                              name, NUL-separated, into a file in $IPPER_SPOOL and exits. It
 *                              evaluates no value: the supervisor parses and validates the file.
 *   ipper-helper               dhclient's (-sf) and dhcpcd's (-c) event script: they pass the
 *                              event as $reason, so only the environment is copied.
 *   ipper-helper --peercred    stdin is a connected unix socket: prints "pid uid gid" of the
 *                              process at the other end, as the kernel recorded it (SO_PEERCRED).
 *   ipper-helper --bind <dir> <mountpoint>... -- <program> [args]
 *                              runs program (absolute path, exec: same pid) in a mount namespace
 *                              of its own where each dir is bind-mounted over its mountpoint:
 *                              dhcpcd's run and lease directories are fixed at build time, so
 *                              this is how each container's dhcpcd gets files of its own.
 *   ipper-helper --announce <interface> <address>...
 *                              run in the container's namespace after a lease is bound: a
 *                              gratuitous ARP (IPv4) or an unsolicited neighbour advertisement
 *                              (IPv6) for each address, so that neighbours and routers holding a
 *                              stale MAC for a reused address take the new one at once.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <arpa/inet.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <netinet/icmp6.h>
#include <netinet/in.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
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

/* event: udhcpc's argument, or NULL when the client passes it in the environment ($reason). */
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
	if (!failed && event != NULL) failed = write_all(fd, "IPPER_EVENT=", 12) || write_entry(fd, event);
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

/* Paths only, all absolute: nothing here is parsed beyond that. */
static int exec_with_binds(int argc, char **argv) {
	int i = 1;
	while (i + 2 < argc && strcmp(argv[i], "--bind") == 0) {
		if (argv[i + 1][0] != '/' || argv[i + 2][0] != '/') return -1;
		i += 3;
	}
	if (i == 1 || i + 1 >= argc || strcmp(argv[i], "--") != 0 || argv[i + 1][0] != '/') return -1;
	/* Private: our mounts never reach the host's namespace, and go when the program ends. */
	if (unshare(CLONE_NEWNS) != 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0) {
		perror("ipper-helper: private mount namespace");
		return 1;
	}
	for (int b = 1; b < i; b += 3) {
		if (mkdir(argv[b + 2], 0755) != 0 && errno != EEXIST) {
			perror("ipper-helper: mount point");
			return 1;
		}
		if (mount(argv[b + 1], argv[b + 2], NULL, MS_BIND | MS_NOSUID | MS_NODEV, NULL) != 0) {
			perror("ipper-helper: bind mount");
			return 1;
		}
	}
	execv(argv[i + 1], argv + i + 1);
	perror("ipper-helper: exec");
	return 127;
}

/* The interface's index and MAC; 0 when it has none. */
static unsigned interface_of(const char *name, unsigned char mac[6]) {
	unsigned index = if_nametoindex(name);
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	struct ifreq request;
	memset(&request, 0, sizeof request);
	if (index == 0 || fd < 0 || strlen(name) >= sizeof request.ifr_name) {
		if (fd >= 0) close(fd);
		return 0;
	}
	strcpy(request.ifr_name, name);
	int failed = ioctl(fd, SIOCGIFHWADDR, &request) != 0 || request.ifr_hwaddr.sa_family != ARPHRD_ETHER;
	close(fd);
	if (failed) return 0;
	memcpy(mac, request.ifr_hwaddr.sa_data, 6);
	return index;
}

/* Request then reply, both claiming the address: receivers differ in which one they heed. */
static int announce_ipv4(unsigned index, const unsigned char mac[6], struct in_addr address) {
	int fd = socket(AF_PACKET, SOCK_DGRAM | SOCK_CLOEXEC, htons(ETH_P_ARP));
	if (fd < 0) return -1;
	struct sockaddr_ll to = {.sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_ARP), .sll_ifindex = (int)index, .sll_halen = 6};
	memset(to.sll_addr, 0xff, 6);
	unsigned char frame[28];
	struct arphdr header = {.ar_hrd = htons(ARPHRD_ETHER), .ar_pro = htons(ETH_P_IP), .ar_hln = 6, .ar_pln = 4};
	int failed = 0;
	for (int op = ARPOP_REQUEST; op <= ARPOP_REPLY && !failed; op++) {
		header.ar_op = htons((unsigned short)op);
		memcpy(frame, &header, 8);
		memcpy(frame + 8, mac, 6);
		memcpy(frame + 14, &address, 4);
		memset(frame + 18, op == ARPOP_REPLY ? 0xff : 0, 6);
		memcpy(frame + 24, &address, 4);
		failed = sendto(fd, frame, sizeof frame, 0, (struct sockaddr *)&to, sizeof to) != (ssize_t)sizeof frame;
	}
	close(fd);
	return failed ? -1 : 0;
}

/* To all nodes, override set, our MAC as the target's link-layer address (RFC 4861 7.2.6). */
static int announce_ipv6(unsigned index, const unsigned char mac[6], const struct in6_addr *address) {
	int fd = socket(AF_INET6, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_ICMPV6);
	if (fd < 0) return -1;
	int hops = 255;
	int failed = setsockopt(fd, IPPROTO_IPV6, IPV6_MULTICAST_HOPS, &hops, sizeof hops) != 0 ||
		setsockopt(fd, IPPROTO_IPV6, IPV6_MULTICAST_IF, &index, sizeof index) != 0;
	struct {
		struct nd_neighbor_advert advert;
		unsigned char option[8];
	} message;
	memset(&message, 0, sizeof message);
	message.advert.nd_na_type = ND_NEIGHBOR_ADVERT;
	message.advert.nd_na_flags_reserved = ND_NA_FLAG_OVERRIDE;
	message.advert.nd_na_target = *address;
	message.option[0] = ND_OPT_TARGET_LINKADDR;
	message.option[1] = 1;
	memcpy(message.option + 2, mac, 6);
	struct sockaddr_in6 to = {.sin6_family = AF_INET6, .sin6_scope_id = index};
	inet_pton(AF_INET6, "ff02::1", &to.sin6_addr);
	/* The kernel fills in the ICMPv6 checksum on this socket. */
	if (!failed) failed = sendto(fd, &message, sizeof message, 0, (struct sockaddr *)&to, sizeof to) != (ssize_t)sizeof message;
	close(fd);
	return failed ? -1 : 0;
}

static int announce(int argc, char **argv) {
	unsigned char mac[6];
	unsigned index = interface_of(argv[2], mac);
	if (index == 0) {
		fprintf(stderr, "ipper-helper: no Ethernet interface %s\n", argv[2]);
		return 1;
	}
	int status = 0;
	for (int i = 3; i < argc; i++) {
		struct in_addr ipv4;
		struct in6_addr ipv6;
		int sent = inet_pton(AF_INET, argv[i], &ipv4) == 1   ? announce_ipv4(index, mac, ipv4)
			   : inet_pton(AF_INET6, argv[i], &ipv6) == 1 ? announce_ipv6(index, mac, &ipv6)
								      : -2;
		if (sent == -2) fprintf(stderr, "ipper-helper: not an address: %s\n", argv[i]);
		else if (sent != 0) fprintf(stderr, "ipper-helper: announcing %s: %s\n", argv[i], strerror(errno));
		if (sent != 0) status = 1;
	}
	return status;
}

int main(int argc, char **argv) {
	if (argc == 2 && strcmp(argv[1], "--peercred") == 0) return print_peer_credentials();
	if (argc == 2 && argv[1][0] != '\0' && argv[1][0] != '-') return spool_event(argv[1]);
	if (argc == 1) return spool_event(NULL);
	if (argc > 3 && strcmp(argv[1], "--announce") == 0) return announce(argc, argv);
	if (argc > 4 && strcmp(argv[1], "--bind") == 0) {
		int status = exec_with_binds(argc, argv);
		if (status >= 0) return status;
	}
	fputs("usage: ipper-helper [<udhcpc event>] | --peercred | --bind <dir> <mountpoint>... -- <program> [args] | --announce <interface> <address>...\n", stderr);
	return 2;
}
