/* SPDX-License-Identifier: MIT */
/*
 * Who holds a TUN/TAP device. A tun fd is one whose file is the character device 10:200
 * (stat through /proc/PID/fd/FD follows the magic link to the open file itself); the text of
 * that link is no guide: it is "/dev/net/tun" only when the reader and the opener see the same
 * root, and reads "/srv/root/dev/net/tun" or the like from a chroot, from a build root, or from
 * the host for a container's process. /proc/PID/fdinfo/FD has an "iff:\tNAME" line for an
 * attached fd (empty name when the fd is not attached or its device was deleted), which says
 * which device, so lsof's view (every tun fd alike) is not enough. The same walk as
 * `ip -d tuntap show`, but unreadable processes (other users without CAP_SYS_PTRACE) are
 * skipped without a word.
 *
 * fdinfo names the device but not its network namespace, and the same name can exist in many
 * namespaces (every test namespace has its tap0). A tun fd belongs to the namespace it was
 * opened in, which need not be its process's current one (a forwarder setns()es around). So we
 * borrow the fd with pidfd_getfd (Linux 5.6+, needs ptrace rights over the process) and ask the
 * device itself with TUNGETDEVNETNS (5.2+); only when that is not allowed do we fall back to the
 * process's own namespace, and when even that is unreadable we keep the holder (unknown beats
 * hidden).
 */
#include "linux_internal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

ssize_t tk__procfs_read_file(const char *path, char *buf, size_t size)
{
	if (size == 0)
		return -EINVAL;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	size_t got = 0;
	while (got < size - 1) {
		ssize_t n = read(fd, buf + got, size - 1 - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int e = errno;
			close(fd);
			return -e;
		}
		if (n == 0)
			break;
		got += (size_t)n;
	}
	buf[got] = '\0';
	close(fd);
	return (ssize_t)got;
}

bool tk__procfs_parse_iff(const char *fdinfo, char *name, size_t size)
{
	const char *p = fdinfo;
	while (p && *p) {
		if (strncmp(p, "iff:", 4) == 0) {
			p += 4;
			while (*p == '\t' || *p == ' ')
				p++;
			size_t len = strcspn(p, "\n \t");
			if (len == 0 || len >= size)
				return false;
			memcpy(name, p, len);
			name[len] = '\0';
			return true;
		}
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	return false;
}

void tk__procfs_parse_comm(const char *text, char *out, size_t size)
{
	size_t len = strcspn(text, "\n");
	if (len >= size)
		len = size - 1;
	memcpy(out, text, len);
	out[len] = '\0';
}

bool tk__is_tun_node(const struct stat *st)
{
	return S_ISCHR(st->st_mode) && major(st->st_rdev) == TK__TUN_MAJOR &&
	       minor(st->st_rdev) == TK__TUN_MINOR;
}

static bool all_digits(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return false;
	return true;
}

struct scan {
	struct tk__procfs_holder *v;
	size_t n, cap;
};

static int scan_add(struct scan *s, uint32_t pid, const char *ifname, const char *comm)
{
	for (size_t i = 0; i < s->n; i++)
		if (s->v[i].pid == pid && strcmp(s->v[i].ifname, ifname) == 0)
			return 0; /* a multi-queue device held twice by one process */
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 16;
		struct tk__procfs_holder *v = realloc(s->v, cap * sizeof(*v));
		if (!v)
			return -ENOMEM;
		s->v = v;
		s->cap = cap;
	}
	struct tk__procfs_holder *h = &s->v[s->n++];
	h->pid = pid;
	tk__strlcpy(h->ifname, ifname, sizeof(h->ifname));
	tk__strlcpy(h->comm, comm, sizeof(h->comm));
	return 0;
}

static bool same_ns(const struct stat *a, const struct stat *b)
{
	return a->st_dev == b->st_dev && a->st_ino == b->st_ino;
}

/* Whether the tun fd `fdnum` of process pid is attached to a device in another namespace. */
static bool fd_in_other_netns(const struct stat *self_ns, const char *pidstr, const char *fdnum)
{
	struct stat st;
	int pidfd = (int)syscall(SYS_pidfd_open, (pid_t)strtol(pidstr, NULL, 10), 0);
	if (pidfd >= 0) {
		int fd = (int)syscall(SYS_pidfd_getfd, pidfd, (int)strtol(fdnum, NULL, 10), 0);
		close(pidfd);
		if (fd >= 0) {
			int nsfd = ioctl(fd, TUNGETDEVNETNS);
			close(fd);
			if (nsfd >= 0) {
				bool other = fstat(nsfd, &st) == 0 && !same_ns(&st, self_ns);

				close(nsfd);
				return other;
			}
		}
	}
	char path[64];
	tk__snprintf(path, sizeof(path), "/proc/%s/ns/net", pidstr);
	return stat(path, &st) == 0 && !same_ns(&st, self_ns);
}

/* One process: its tun fds (in our network namespace) and the devices they are attached to. */
static int scan_pid(struct scan *s, const struct stat *self_ns, const char *pidstr)
{
	char path[96], text[1024], ifname[TK__LINUX_IFNAMSZ], comm[TK_PROC_NAME_MAX];
	bool have_comm = false;
	int r = 0;

	text[0] = '\0';
	tk__snprintf(path, sizeof(path), "/proc/%s/fd", pidstr);
	DIR *d = opendir(path);
	if (!d)
		return 0; /* gone, or not ours to read */
	struct dirent *de;
	/* readdir is safe here: each DIR stream is used by one thread only */
	while ((de = readdir(d)) != NULL) { /* NOLINT(concurrency-mt-unsafe) */
		if (!all_digits(de->d_name))
			continue;
		struct stat st;
		if (fstatat(dirfd(d), de->d_name, &st, 0) != 0 || !tk__is_tun_node(&st))
			continue;
		tk__snprintf(path, sizeof(path), "/proc/%s/fdinfo/%s", pidstr, de->d_name);
		if (tk__procfs_read_file(path, text, sizeof(text)) < 0)
			continue;
		if (!tk__procfs_parse_iff(text, ifname, sizeof(ifname)))
			continue;
		if (self_ns && fd_in_other_netns(self_ns, pidstr, de->d_name))
			continue;
		if (!have_comm) {
			tk__snprintf(path, sizeof(path), "/proc/%s/comm", pidstr);
			if (tk__procfs_read_file(path, text, sizeof(text)) >= 0)
				tk__procfs_parse_comm(text, comm, sizeof(comm));
			else
				tk__strlcpy(comm, "?", sizeof(comm));
			have_comm = true;
		}
		r = scan_add(s, (uint32_t)strtoul(pidstr, NULL, 10), ifname, comm);
		if (r < 0)
			break;
	}
	closedir(d);
	return r;
}

int tk__procfs_scan(struct tk__procfs_holder **out, size_t *count)
{
	struct scan s = { 0 };
	int r = 0;
	*out = NULL;
	*count = 0;
	struct stat self_ns;
	bool have_ns = stat("/proc/self/ns/net", &self_ns) == 0;
	DIR *d = opendir("/proc");
	if (!d)
		return 0; /* no /proc: nobody visible */
	struct dirent *de;
	/* readdir is safe here: each DIR stream is used by one thread only */
	while ((de = readdir(d)) != NULL) { /* NOLINT(concurrency-mt-unsafe) */
		if (!all_digits(de->d_name))
			continue;
		r = scan_pid(&s, have_ns ? &self_ns : NULL, de->d_name);
		if (r < 0)
			break;
	}
	closedir(d);
	if (r < 0) {
		free(s.v);
		return r;
	}
	*out = s.v;
	*count = s.n;
	return 0;
}

size_t tk__procfs_filter(const struct tk__procfs_holder *all, size_t n, const char *ifname,
			 uint32_t exclude_pid, tk_holder *out, size_t cap)
{
	size_t found = 0;
	for (size_t i = 0; i < n; i++) {
		if (strcmp(all[i].ifname, ifname) != 0)
			continue;
		if (exclude_pid && all[i].pid == exclude_pid)
			continue;
		if (found < cap) {
			out[found].pid = all[i].pid;
			tk__strlcpy(out[found].name, all[i].comm, sizeof(out[found].name));
		}
		found++;
	}
	return found;
}

size_t tk__procfs_holders(const char *ifname, uint32_t exclude_pid, tk_holder *out, size_t cap)
{
	struct tk__procfs_holder *all = NULL;
	size_t n = 0;
	if (tk__procfs_scan(&all, &n) < 0)
		return 0;
	size_t found = tk__procfs_filter(all, n, ifname, exclude_pid, out, cap);
	free(all);
	return found;
}
