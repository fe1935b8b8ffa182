/* The end-of-run summary: human-readable text or one JSON object (schema version 1). */
#ifndef VOLLEY_REPORT_H
#define VOLLEY_REPORT_H

#include <stdbool.h>
#include <stdio.h>

#include "index.h"
#include "origin.h"
#include "stats.h"

struct run_info {
    unsigned threads, conns;
    size_t urls;
    double wall_s;
    double cpu_user_s, cpu_sys_s;
    long peak_rss_kb;
    long rss_base_kb, rss_hold_kb; /* --hold: before connecting, and while holding */
    double rate_target;            /* --rate, 0 = off */
    bool hold, dns_only;
    struct index_skipped index_skipped; /* elements of a JSON index that held no URL */
    struct origin_report origins;       /* the busiest origins of the fetch phase */
};

/* A byte count for people: "512 B", "18.4 KB", "9.1 MB". */
void report_bytes(char *buf, size_t len, uint64_t b);
void report_text(FILE *out, const struct stats *s, const struct run_info *ri);
void report_json(FILE *out, const struct stats *s, const struct run_info *ri);

#endif
