/* main.c: wiring. Parse the command line, run the job (once, or at each --sweep level), print
 * the summary. The only place that exits. */
#include <ares.h>
#include <malloc.h>
#include <stdio.h>
#include <unistd.h>

#include <mbedtls/version.h>

#include "cli.h"
#include "report.h"
#include "run.h"
#include "sweep.h"
#include "version.h"

#ifndef VOLLEY_JSMN_VERSION
#define VOLLEY_JSMN_VERSION "1.1.0"
#endif

static void print_version(void)
{
    char mbed[32];
    mbedtls_version_get_string(mbed);
    printf("volley %s\nmbedTLS %s (built with %s)\nc-ares %s (built with %s)\njsmn %s\n",
           VOLLEY_VERSION, mbed, MBEDTLS_VERSION_STRING, ares_version(NULL), ARES_VERSION_STR,
           VOLLEY_JSMN_VERSION);
}

int main(int argc, char **argv)
{
    struct config cfg;
    char err[512];
    int rc = cli_parse(argc, argv, &cfg, err, sizeof(err));
    if (rc == CLI_HELP || rc == CLI_VERSION) {
        rc == CLI_HELP ? cli_usage(stdout) : print_version();
        return 0;
    }
    if (rc < 0) {
        fprintf(stderr, "volley: %s\n", err);
        return EXIT_USAGE;
    }
    if (cfg.progress < 0) /* a person is watching a terminal */
        cfg.progress = isatty(STDERR_FILENO) || isatty(STDOUT_FILENO);
    if (cfg.quiet) /* -q means quiet, whatever else was asked */
        cfg.progress = 0;
#ifdef M_MMAP_THRESHOLD
    /* mbedTLS callocs two ~17 KB record buffers per connection. Served by mmap they cost RSS
     * only for the pages a connection really touches (a few KB), not 34 KB each. glibc's knob:
     * musl (the static builds) has no mallopt, and its malloc already serves such sizes from
     * mmapped groups whose untouched pages cost nothing (55.7 KB per held connection, glibc
     * 59.2 KB: README, "Static binaries"). */
    mallopt(M_MMAP_THRESHOLD, 16 * 1024);
#endif
    ares_library_init(ARES_LIB_INIT_ALL);
    if (cfg.sweep) {
        rc = sweep_run(&cfg);
    } else {
        struct run_result res;
        rc = run_once(&cfg, &res);
        if (res.ran && cfg.json)
            report_json(stdout, &res.total, &res.info);
        else if (res.ran)
            report_text(stdout, &res.total, &res.info);
    }
    ares_library_cleanup();
    cli_free(&cfg);
    return rc;
}
