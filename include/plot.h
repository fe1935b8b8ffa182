/* The --sweep chart: an SVG of wall time and requests/s against total connections. Pure: writes
 * only to the FILE it is given, allocates nothing. */
#ifndef VOLLEY_PLOT_H
#define VOLLEY_PLOT_H

#include <stddef.h>
#include <stdio.h>

/* One sweep level. label is borrowed ("2x64"; NULL reads as ""); x is total connections. */
struct plot_point {
    const char *label;
    double x;
    double wall_s;
    double rps;
};

/* Write a 900x540 SVG document to out: x = total connections on a log scale, left y = wall time
 * (s), right y = requests/s, both linear from 0. Points are joined in order of x, whatever their
 * order in pts. x is clamped to [1, 1e15] (not finite: 1); y values to [0, 1e300] (not finite:
 * 0). Each marker is named by its label when n <= PLOT_LABEL_MAX, except where no spot near it
 * is clear of other names (dense sweeps). title and subtitle (NULL reads as "") are
 * XML-escaped; invalid UTF-8 becomes U+FFFD. Returns 0, or -1 if n == 0, out or pts is NULL, or a
 * write (or the final fflush) failed. */
int plot_svg(FILE *out, const char *title, const char *subtitle, const struct plot_point *pts,
             size_t n);

/* Beyond this many levels the point labels would be clutter; they are left out. */
#define PLOT_LABEL_MAX 64

#endif
