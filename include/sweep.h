/* --sweep: the lab's question, how time changes with parallelism. Runs the job at each level and
 * prints one table (and with --plot, an SVG chart). */
#ifndef VOLLEY_SWEEP_H
#define VOLLEY_SWEEP_H

#include <stddef.h>

#include "cli.h"

#define SWEEP_MAX 64

struct sweep_level {
    unsigned threads, conns;
    char label[24]; /* "2x64", or "100" for the total-connections shorthand */
};

/* Parse "TxK,..." items or plain totals ("1,10,100": total connections spread over up to ncpu
 * threads, conns rounded up). Returns the number of levels, or VL_EUSAGE with a message. */
int sweep_parse(const char *spec, unsigned ncpu, struct sweep_level *out, size_t cap, char *err,
                size_t errlen);
/* Run cfg at every level; prints the table on stdout (JSON lines with --json). Returns the
 * worst exit status of the runs. */
int sweep_run(const struct config *cfg);

#endif
