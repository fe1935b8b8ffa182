/* The stress modes a run may pick for its workers (worker.h's struct worker_mode). */
#ifndef VOLLEY_MODES_H
#define VOLLEY_MODES_H

#include "cli.h"
#include "worker.h"

/* --hold SEC [--hold-idle] [--hold-ping SEC]: -k connections per thread, each kept open after its
 * one request (or none), for SEC; closes by the server are counted. */
void hold_mode(struct worker_mode *m, const struct config *cfg);
/* --dns-only: each job is one A lookup of its host name, no connection. */
void dnsprobe_mode(struct worker_mode *m, const struct config *cfg);

#endif
