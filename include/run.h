/* One run of the job: index (or list), fetch, merged figures. */
#ifndef VOLLEY_RUN_H
#define VOLLEY_RUN_H

#include <stdbool.h>

#include "cli.h"
#include "report.h"
#include "stats.h"

#define EXIT_FAILED 1
#define EXIT_USAGE 2

struct run_result {
    bool ran; /* the fetch phase ran: total and info hold its figures */
    struct stats total;
    struct run_info info;
};

/* Run the job described by cfg (borrowed). Returns the exit status: 0 all ok, 1 some failed
 * (or the index failed), 2 usage/setup, 128+signal when stopped by SIGINT/SIGTERM. */
int run_once(const struct config *cfg, struct run_result *res);

#endif
