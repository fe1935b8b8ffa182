/* procstat.c: read /proc/self without stdio's scanf (kept out of the static binary). */
#include "procstat.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Read a small /proc file into buf, NUL-terminated. Returns its length or -1. */
static ssize_t slurp(const char *path, char *buf, size_t len)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    ssize_t n = read(fd, buf, len - 1);
    close(fd);
    if (n < 0)
        return -1;
    buf[n] = '\0';
    return n;
}

long procstat_rss_kb(void)
{
    char buf[256];
    if (slurp("/proc/self/statm", buf, sizeof(buf)) < 0)
        return 0;
    char *p;
    strtol(buf, &p, 10); /* size; the second field is resident pages */
    return strtol(p, NULL, 10) * (sysconf(_SC_PAGESIZE) / 1024);
}

long procstat_peak_rss_kb(void)
{
    char buf[4096];
    if (slurp("/proc/self/status", buf, sizeof(buf)) < 0)
        return 0;
    const char *p = strstr(buf, "VmHWM:");
    return p ? strtol(p + 6, NULL, 10) : 0;
}

void procstat_reset_peak(void)
{
    int fd = open("/proc/self/clear_refs", O_WRONLY | O_CLOEXEC);
    if (fd >= 0) {
        if (write(fd, "5", 1) < 0) {
            /* refused (old kernel, no permission): the peak stays the lifetime one */
        }
        close(fd);
    }
}
