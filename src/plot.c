/* plot.c: the --sweep chart as SVG. Layout is fixed (900x540); text widths are estimated, since
 * there is no font metric to ask, so every spacing below leaves some slack. */
#include "plot.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define CANVAS_W 900
#define CANVAS_H 540
/* Plot area; x data are inset by X_INSET so end markers and labels clear the y axes. */
#define AREA_L 78.0
#define AREA_R 822.0
#define AREA_T 100.0
#define AREA_B 466.0
#define X_INSET 34.0
#define HEADROOM 1.06 /* top tick at least 6% above the largest value: room for its label */
#define X_MAX 1e15    /* clamps keep every coordinate finite */
#define Y_MAX 1e300

#define FONT "system-ui, -apple-system, 'Segoe UI', Roboto, 'DejaVu Sans', sans-serif"
#define WALL_COLOUR "#0072B2" /* Okabe-Ito blue and vermillion: colour-blind safe */
#define RPS_COLOUR "#D55E00"
#define INK "#222"
#define MUTED "#5f6368"
#define GRID "#e4e4e4"
#define GRID_MINOR "#f1f1f1"
#define AXIS "#9a9a9a"
#define LABEL_FS 10.5
#define LABEL_CLASH 400.0 /* cost of a label on another label; off the plot costs double */
#define CHAR_W 0.62       /* advance per em of DejaVu Sans digits: errs wide */
#define LN2 0.69314718055994530942
#define LN10 2.30258509299404568402

enum series { WALL, RPS };

/* A linear value axis from 0: ticks * step == top. Labels show value / unit, then suffix. */
struct axis {
    double top;
    double step;
    int ticks;
    double unit;
    const char *suffix;
    int decimals;
    int sci; /* each label in its own exponent: "5e19", "1e20", "1.5e20" */
};

struct box {
    double x0, y0, x1, y1;
};

struct chart {
    FILE *out;
    int failed;
    const struct plot_point *pts;
    size_t n;
    int lo, hi; /* x range as log10, whole decades */
    struct axis wall, rps;
    size_t order[PLOT_LABEL_MAX]; /* points by x; filled only when labelling */
    struct box placed[2 * PLOT_LABEL_MAX];
    size_t nplaced;
};

/* libm stays out of the link (the Makefile passes no -lm), so the little needed is here. */
static double dmax(double a, double b)
{
    return a > b ? a : b;
}

static double dmin(double a, double b)
{
    return a < b ? a : b;
}

static long long round_ll(double v)
{
    return v < 0 ? -(long long)(-v + 0.5) : (long long)(v + 0.5);
}

/* 10^e, exact up to 10^22. */
static double ten_pow(int e)
{
    double r = 1;
    int i;

    for (i = 0; i < (e < 0 ? -e : e); i++)
        r *= 10;
    return e < 0 ? 1 / r : r;
}

/* floor(log10(v)) for finite v > 0, exact at the powers of ten ten_pow() returns. */
static int floor_log10(double v)
{
    double w = v;
    int e = 0;

    if (!(v > 0) || !isfinite(v))
        return 0; /* callers never pass these; do not loop forever if one does */
    for (; w >= 10; e++)
        w /= 10;
    for (; w < 1; e--)
        w *= 10;
    /* Each step above rounds; settle the last digit against ten_pow itself. */
    while (ten_pow(e + 1) <= v)
        e++;
    while (ten_pow(e) > v)
        e--;
    return e;
}

/* log10(v) for finite v > 0: split off the decade, then halve into [1, 2) and sum the series
 * ln(m) = 2 atanh((m - 1) / (m + 1)); |t| <= 1/3 makes 20 terms ample. */
static double log10_of(double v)
{
    int e = floor_log10(v), halvings = 0, i;
    double m = v / ten_pow(e), t, t2, term, sum = 0;

    for (; m >= 2; halvings++)
        m /= 2;
    t = (m - 1) / (m + 1);
    t2 = t * t;
    for (term = t, i = 1; i < 40; i += 2, term *= t2)
        sum += term / i;
    return e + (halvings * LN2 + 2 * sum) / LN10;
}

/* A number formatted without printf's %f, whose decimal point follows LC_NUMERIC. The array in a
 * returned struct lives until the end of the full expression (C11 6.2.4p8), so fx(v).s can be
 * passed straight to put(). */
struct fx {
    char s[32];
};

static void put(struct chart *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void put(struct chart *c, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    if (vfprintf(c->out, fmt, ap) < 0)
        c->failed = 1;
    va_end(ap);
}

/* v with `decimals` digits after the point, trailing zeros dropped. |v| * 10^decimals must stay
 * below 2^63, which the callers' ranges guarantee. */
static struct fx fixed(double v, int decimals)
{
    struct fx r;
    long long p = 1, t;
    int i, len;

    for (i = 0; i < decimals; i++)
        p *= 10;
    t = round_ll((v < 0 ? -v : v) * (double)p);
    len = snprintf(r.s, sizeof(r.s), "%s%lld", v < 0 && t != 0 ? "-" : "", t / p);
    if (t % p != 0 && len > 0 && (size_t)len < sizeof(r.s)) {
        snprintf(r.s + len, sizeof(r.s) - (size_t)len, ".%0*lld", decimals, t % p);
        len = (int)strlen(r.s);
        while (r.s[len - 1] == '0')
            r.s[--len] = '\0';
    }
    return r;
}

/* A coordinate: one decimal is plenty at 900 units wide. */
static struct fx fx(double v)
{
    return fixed(v, 1);
}

/* Bytes in the valid UTF-8 sequence at p that XML 1.0 allows (section 2.2), or 0. */
static size_t utf8_ok(const unsigned char *p)
{
    unsigned cp;
    size_t len, i;

    if (p[0] < 0x80)
        return p[0] >= 0x20 || p[0] == '\t' || p[0] == '\n' || p[0] == '\r';
    if (p[0] >= 0xc2 && p[0] <= 0xdf)
        len = 2, cp = p[0] & 0x1fu;
    else if (p[0] >= 0xe0 && p[0] <= 0xef)
        len = 3, cp = p[0] & 0x0fu;
    else if (p[0] >= 0xf0 && p[0] <= 0xf4)
        len = 4, cp = p[0] & 0x07u;
    else
        return 0;
    for (i = 1; i < len; i++) {
        if ((p[i] & 0xc0) != 0x80) /* also stops at the NUL */
            return 0;
        cp = cp << 6 | (p[i] & 0x3fu);
    }
    if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10ffff)))
        return 0; /* overlong or beyond Unicode */
    if ((cp >= 0xd800 && cp <= 0xdfff) || cp == 0xfffe || cp == 0xffff)
        return 0;
    return len;
}

/* Text content, escaped; anything XML cannot carry becomes U+FFFD so the document stays
 * well-formed whatever the caller passed. */
static void put_text(struct chart *c, const char *s)
{
    const unsigned char *p = (const unsigned char *)(s ? s : "");
    size_t len;

    while (*p) {
        len = utf8_ok(p);
        if (len == 0) {
            put(c, "\xef\xbf\xbd");
            p++;
        } else if (*p == '&' || *p == '<' || *p == '>') {
            put(c, "%s", *p == '&' ? "&amp;" : *p == '<' ? "&lt;" : "&gt;");
            p++;
        } else {
            put(c, "%.*s", (int)len, (const char *)p);
            p += len;
        }
    }
}

/* Estimated rendered width: code points times an average advance. */
static double text_w(const char *s, double font_size)
{
    size_t chars = 0;

    for (; s && *s; s++)
        chars += ((unsigned char)*s & 0xc0) != 0x80;
    return (double)chars * font_size * CHAR_W;
}

static double clamp(double v, double lo, double hi)
{
    if (!isfinite(v) || v < lo)
        return lo;
    return v > hi ? hi : v;
}

static double value(const struct chart *c, size_t i, enum series s)
{
    return clamp(s == WALL ? c->pts[i].wall_s : c->pts[i].rps, 0, Y_MAX);
}

/* Where log10(x) == l lands. */
static double x_at(const struct chart *c, double l)
{
    return AREA_L + X_INSET + (l - c->lo) / (c->hi - c->lo) * (AREA_R - AREA_L - 2 * X_INSET);
}

static double px(const struct chart *c, size_t i)
{
    return x_at(c, log10_of(clamp(c->pts[i].x, 1, X_MAX)));
}

static double py(const struct chart *c, size_t i, enum series s)
{
    const struct axis *a = s == WALL ? &c->wall : &c->rps;

    return AREA_B - value(c, i, s) / a->top * (AREA_B - AREA_T);
}

/* The point after prev in (x, index) order; prev == n starts, n means done. O(n) per call, so a
 * sorted walk needs no scratch array. */
static size_t next_point(const struct chart *c, size_t prev)
{
    double px0 = prev < c->n ? clamp(c->pts[prev].x, 1, X_MAX) : -1;
    double best_x = 0;
    size_t i, best = c->n;

    for (i = 0; i < c->n; i++) {
        double x = clamp(c->pts[i].x, 1, X_MAX);
        int after = prev == c->n || x > px0 || (x == px0 && i > prev);

        if (after && (best == c->n || x < best_x)) {
            best = i;
            best_x = x;
        }
    }
    return best;
}

/* Smallest of 1, 2, 2.5, 5 (times a power of ten) that is >= v. */
static double nice_ceil(double v)
{
    static const double steps[] = {1, 2, 2.5, 5, 10};
    double mag = ten_pow(floor_log10(v));
    size_t i;

    for (i = 0; i < sizeof(steps) / sizeof(steps[0]) - 1; i++)
        if (v <= steps[i] * mag * (1 + 1e-9))
            break;
    return steps[i] * mag;
}

/* Digits needed after the point to show multiples of step exactly. */
static int step_decimals(double step)
{
    double p = 1;
    int d;

    for (d = 0; d < 9; d++, p *= 10) {
        double off = step * p - (double)round_ll(step * p);

        if (off < 1e-6 * step * p && -off < 1e-6 * step * p)
            break;
    }
    return d;
}

/* A tick value as its label: "0", "0.5", "2.5k", "14k", "1.5e20". */
static struct fx tick_label(const struct axis *a, int k)
{
    double v = k * a->step;
    struct fx r;
    int e;

    if (k == 0)
        return fixed(0, 0);
    if (a->sci) {
        e = floor_log10(v * (1 + 1e-9)); /* 9.9999e19 is 1e20 gone astray */
        r = fixed(v / ten_pow(e), 2);
        snprintf(r.s + strlen(r.s), sizeof(r.s) - strlen(r.s), "e%d", e);
        return r;
    }
    r = fixed(v / a->unit, a->decimals);
    strncat(r.s, a->suffix, sizeof(r.s) - strlen(r.s) - 1);
    return r;
}

/* The unit (none, k, M, G, T) giving the shortest labels, ties going to the smaller unit:
 * "1000" stays, "5000" becomes "5k", "3500k" becomes "3.5M". Beyond T, or for steps too small
 * for a few decimals, every label carries its own exponent. */
static void axis_units(struct axis *a)
{
    static const char *const names[] = {"", "k", "M", "G", "T"};
    size_t best_len = (size_t)-1, len;
    int i, k, best = 0;

    a->sci = a->top >= 1e15 || a->step < 1e-4;
    for (i = 0; i < 5 && !a->sci && (i == 0 || a->top >= ten_pow(3 * i)); i++) {
        a->unit = ten_pow(3 * i);
        a->suffix = names[i];
        a->decimals = step_decimals(a->step / a->unit);
        for (len = 0, k = 1; k <= a->ticks; k++)
            if (strlen(tick_label(a, k).s) > len)
                len = strlen(tick_label(a, k).s);
        if (len < best_len) {
            best_len = len;
            best = i;
        }
    }
    a->unit = ten_pow(3 * best);
    a->suffix = names[best];
    a->decimals = step_decimals(a->step / a->unit);
}

/* Both axes get the same number of intervals so one set of grid lines serves both; pick the
 * count (4..7) that wastes the least vertical space across the two. */
static void axes_fit(struct chart *c, double max_wall, double max_rps)
{
    double best = HUGE_VAL, mw, mr;
    int k;

    /* All-zero (or vanishingly small) series still get a 0..1 axis. */
    mw = max_wall > 1e-200 ? max_wall * HEADROOM : 1;
    mr = max_rps > 1e-200 ? max_rps * HEADROOM : 1;
    for (k = 4; k <= 7; k++) {
        double sw = nice_ceil(mw / k), sr = nice_ceil(mr / k);
        double waste = k * sw / mw + k * sr / mr;

        if (waste < best - 1e-9) {
            best = waste;
            c->wall.step = sw;
            c->rps.step = sr;
            c->wall.ticks = c->rps.ticks = k;
        }
    }
    c->wall.top = c->wall.ticks * c->wall.step;
    c->rps.top = c->rps.ticks * c->rps.step;
    axis_units(&c->wall);
    axis_units(&c->rps);
}

/* x: whole decades around the data. y: see axes_fit. Then the x order, for labelling. */
static void chart_fit(struct chart *c)
{
    double xmin = X_MAX, xmax = 1, wmax = 0, rmax = 0;
    size_t i;

    for (i = 0; i < c->n; i++) {
        double x = clamp(c->pts[i].x, 1, X_MAX);

        xmin = x < xmin ? x : xmin;
        xmax = x > xmax ? x : xmax;
        wmax = dmax(wmax, value(c, i, WALL));
        rmax = dmax(rmax, value(c, i, RPS));
    }
    c->lo = floor_log10(xmin);
    c->hi = floor_log10(xmax) + (xmax > ten_pow(floor_log10(xmax)));
    if (c->hi == c->lo) {
        /* Every x is the same power of ten: centre it in two decades, or start at 1. */
        c->lo -= c->lo > 0;
        c->hi = c->lo + (c->lo < floor_log10(xmax) ? 2 : 1);
    }
    axes_fit(c, wmax, rmax);
    for (i = 0; i < c->n && c->n <= PLOT_LABEL_MAX; i++)
        c->order[i] = next_point(c, i == 0 ? c->n : c->order[i - 1]);
}

/* Root element, accessible title and description, white background, visible title lines. */
static void put_header(struct chart *c, const char *title, const char *subtitle)
{
    double fs = 18, tw = text_w(title, fs * 1.04);

    /* A long title shrinks to fit rather than run off the canvas. */
    if (tw > CANVAS_W - 44)
        fs = dmax(11, fs * (CANVAS_W - 44) / tw);
    put(c,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
        "viewBox=\"0 0 %d %d\" font-family=\"" FONT "\" role=\"img\">\n<title>",
        CANVAS_W, CANVAS_H, CANVAS_W, CANVAS_H);
    put_text(c, title);
    put(c, "</title>\n<desc>");
    put_text(c, subtitle);
    put(c, "</desc>\n<rect width=\"%d\" height=\"%d\" fill=\"#fff\"/>\n", CANVAS_W, CANVAS_H);
    put(c,
        "<text class=\"title\" x=\"22\" y=\"34\" font-size=\"%s\" font-weight=\"600\" fill=\"" INK
        "\">",
        fx(fs).s);
    put_text(c, title);
    put(c, "</text>\n<text class=\"subtitle\" x=\"22\" y=\"56\" font-size=\"12.5\" fill=\"" MUTED
           "\">");
    put_text(c, subtitle);
    put(c, "</text>\n");
}

/* One legend entry: a line through the series' marker, then the name. Returns the next x. */
static double put_legend_entry(struct chart *c, double x, enum series s, const char *name)
{
    const char *col = s == WALL ? WALL_COLOUR : RPS_COLOUR;
    double y = 80;

    put(c, "<line x1=\"%s\" y1=\"%s\" x2=\"%s\" y2=\"%s\" stroke=\"%s\" stroke-width=\"2\"/>",
        fx(x).s, fx(y).s, fx(x + 24).s, fx(y).s, col);
    if (s == WALL)
        put(c, "<circle cx=\"%s\" cy=\"%s\" r=\"4\" fill=\"%s\"/>", fx(x + 12).s, fx(y).s, col);
    else
        put(c, "<rect x=\"%s\" y=\"%s\" width=\"8\" height=\"8\" fill=\"%s\"/>", fx(x + 8).s,
            fx(y - 4).s, col);
    put(c, "<text x=\"%s\" y=\"%s\">%s</text>\n", fx(x + 31).s, fx(y + 4.3).s, name);
    return x + 31 + text_w(name, 12.5) + 26;
}

static void put_legend(struct chart *c)
{
    double x = AREA_L;

    put(c, "<g class=\"legend\" font-size=\"12.5\" fill=\"" INK "\">\n");
    x = put_legend_entry(c, x, WALL, "wall time (s)");
    put_legend_entry(c, x, RPS, "requests/s");
    put(c, "</g>\n");
}

/* Is there a tick at m * 10^k? Decades always; 2..9 between them when at most six decades show
 * (more would be a smear). */
static int x_tick(const struct chart *c, int k, int m)
{
    return m == 1 || (k < c->hi && c->hi - c->lo <= 6);
}

/* Horizontal grid lines shared by both y axes (same tick count), vertical ones at decades, and
 * fainter ones at the 2..9 multiples when few decades are shown. */
static void put_grid(struct chart *c)
{
    int k, m;

    put(c, "<g class=\"grid\" stroke-width=\"1\" shape-rendering=\"crispEdges\">\n");
    for (k = 1; k <= c->wall.ticks; k++) {
        double y = AREA_B - (AREA_B - AREA_T) * k / c->wall.ticks;

        put(c, "<line x1=\"%s\" y1=\"%s\" x2=\"%s\" y2=\"%s\" stroke=\"" GRID "\"/>\n",
            fx(AREA_L).s, fx(y).s, fx(AREA_R).s, fx(y).s);
    }
    for (k = c->lo; k <= c->hi; k++) {
        for (m = 1; m <= 9 && x_tick(c, k, m); m++) {
            double x = x_at(c, k + log10_of(m));

            put(c, "<line x1=\"%s\" y1=\"%s\" x2=\"%s\" y2=\"%s\" stroke=\"%s\"/>\n", fx(x).s,
                fx(AREA_T).s, fx(x).s, fx(AREA_B).s, m == 1 ? GRID : GRID_MINOR);
        }
    }
    put(c, "</g>\n");
}

/* m * 10^k as a label: "1", "20", "500", "1000", then "10k".."500M", then "2e9". */
static struct fx x_label(int m, int k)
{
    static const char *const units[] = {"k", "M"};
    struct fx r;

    if (k >= 0 && k <= 3)
        snprintf(r.s, sizeof(r.s), "%d", m * (int)ten_pow(k));
    else if (k >= 4 && k <= 8)
        snprintf(r.s, sizeof(r.s), "%d%s", m * (int)ten_pow((k - 3) % 3), units[(k - 3) / 3]);
    else
        snprintf(r.s, sizeof(r.s), "%de%d", m, k);
    return r;
}

/* Which ticks get a label: decades (every other one, or fewer, when crowded), and 2 and 5 as
 * well when the axis spans no more than two decades. */
static int x_labelled(const struct chart *c, int m, int k)
{
    int span = c->hi - c->lo, every = (span + 7) / 8;

    if (m == 1)
        return (k - c->lo) % every == 0;
    return span <= 2 && (m == 2 || m == 5);
}

/* Bottom axis: line, decade ticks, minor ticks at 2..9 when few decades are shown. */
static void put_x_axis(struct chart *c)
{
    int k, m;

    put(c, "<g class=\"x-axis\" font-size=\"11.5\" fill=\"" MUTED "\" stroke=\"" AXIS
           "\" text-anchor=\"middle\">\n");
    put(c, "<line x1=\"%s\" y1=\"%s\" x2=\"%s\" y2=\"%s\" shape-rendering=\"crispEdges\"/>\n",
        fx(AREA_L).s, fx(AREA_B).s, fx(AREA_R).s, fx(AREA_B).s);
    for (k = c->lo; k <= c->hi; k++) {
        for (m = 1; m <= 9 && x_tick(c, k, m); m++) {
            double x = x_at(c, k + log10_of(m));

            put(c, "<line x1=\"%s\" y1=\"%s\" x2=\"%s\" y2=\"%s\"/>", fx(x).s, fx(AREA_B).s,
                fx(x).s, fx(AREA_B + (m == 1 ? 5 : 3)).s);
            if (x_labelled(c, m, k))
                put(c, "<text x=\"%s\" y=\"%s\" stroke=\"none\">%s</text>", fx(x).s,
                    fx(AREA_B + 19).s, x_label(m, k).s);
            put(c, "\n");
        }
    }
    put(c, "</g>\n");
}

/* A y axis at x, ticks pointing outward (dir -1 left, +1 right), labels beyond them. */
static void put_y_axis(struct chart *c, const struct axis *a, double x, int dir, const char *cls)
{
    int k;

    put(c,
        "<g class=\"%s\" font-size=\"11.5\" fill=\"" MUTED "\" stroke=\"" AXIS
        "\" text-anchor=\"%s\">\n",
        cls, dir < 0 ? "end" : "start");
    put(c, "<line x1=\"%s\" y1=\"%s\" x2=\"%s\" y2=\"%s\" shape-rendering=\"crispEdges\"/>\n",
        fx(x).s, fx(AREA_T).s, fx(x).s, fx(AREA_B).s);
    for (k = 0; k <= a->ticks; k++) {
        double y = AREA_B - (AREA_B - AREA_T) * k / a->ticks;

        put(c,
            "<line x1=\"%s\" y1=\"%s\" x2=\"%s\" y2=\"%s\" shape-rendering=\"crispEdges\"/>"
            "<text x=\"%s\" y=\"%s\" stroke=\"none\">%s</text>\n",
            fx(x).s, fx(y).s, fx(x + 5 * dir).s, fx(y).s, fx(x + 8 * dir).s, fx(y + 4).s,
            tick_label(a, k).s);
    }
    put(c, "</g>\n");
}

/* Axis titles with units; the y titles take their series' colour to tie axis to line. */
static void put_axis_titles(struct chart *c)
{
    double mid = (AREA_T + AREA_B) / 2;

    put(c, "<g class=\"axis-titles\" font-size=\"13\" text-anchor=\"middle\">\n");
    put(c, "<text x=\"%s\" y=\"%s\" fill=\"" INK "\">total connections (log scale)</text>\n",
        fx((AREA_L + AREA_R) / 2).s, fx(AREA_B + 44).s);
    put(c,
        "<text transform=\"translate(24 %s) rotate(-90)\" fill=\"" WALL_COLOUR
        "\">wall time (s)</text>\n",
        fx(mid).s);
    put(c,
        "<text transform=\"translate(%s %s) rotate(90)\" fill=\"" RPS_COLOUR
        "\">requests/s</text>\n",
        fx(CANVAS_W - 24).s, fx(mid).s);
    put(c, "</g>\n");
}

/* The series line, joined in x order. */
static void put_line(struct chart *c, enum series s)
{
    size_t i;
    const char *sep = "";

    put(c,
        "<polyline class=\"%s\" fill=\"none\" stroke=\"%s\" stroke-width=\"2\" "
        "stroke-linejoin=\"round\" stroke-linecap=\"round\" points=\"",
        s == WALL ? "wall" : "rps", s == WALL ? WALL_COLOUR : RPS_COLOUR);
    for (i = next_point(c, c->n); i < c->n; i = next_point(c, i)) {
        put(c, "%s%s,%s", sep, fx(px(c, i)).s, fx(py(c, i, s)).s);
        sep = " ";
    }
    put(c, "\"/>\n");
}

/* Circles for wall time, squares for requests/s: the shape tells them apart without colour. */
static void put_markers(struct chart *c, enum series s)
{
    size_t i;

    put(c, "<g class=\"%s-markers\" fill=\"%s\" stroke=\"#fff\" stroke-width=\"1.5\">\n",
        s == WALL ? "wall" : "rps", s == WALL ? WALL_COLOUR : RPS_COLOUR);
    for (i = 0; i < c->n; i++) {
        if (s == WALL)
            put(c, "<circle cx=\"%s\" cy=\"%s\" r=\"4.5\"/>\n", fx(px(c, i)).s, fx(py(c, i, s)).s);
        else
            put(c, "<rect x=\"%s\" y=\"%s\" width=\"9\" height=\"9\"/>\n", fx(px(c, i) - 4.5).s,
                fx(py(c, i, s) - 4.5).s);
    }
    put(c, "</g>\n");
}

static int boxes_meet(const struct box *a, const struct box *b)
{
    return a->x0 < b->x1 && b->x0 < a->x1 && a->y0 < b->y1 && b->y0 < a->y1;
}

/* Liang-Barsky: does the segment pass through the box? */
static int segment_meets(double x0, double y0, double x1, double y1, const struct box *b)
{
    double p[4] = {x0 - x1, x1 - x0, y0 - y1, y1 - y0};
    double q[4] = {x0 - b->x0, b->x1 - x0, y0 - b->y0, b->y1 - y0};
    double t0 = 0, t1 = 1;
    int i;

    for (i = 0; i < 4; i++) {
        double t;

        if (p[i] == 0) {
            if (q[i] < 0)
                return 0;
            continue;
        }
        t = q[i] / p[i];
        if (p[i] < 0)
            t0 = dmax(t0, t);
        else
            t1 = dmin(t1, t);
        if (t0 > t1)
            return 0;
    }
    return 1;
}

/* How bad a label box is: off the plot area or over another label is worst, over a marker
 * next, crossing a line least. */
static double label_cost(const struct chart *c, const struct box *b)
{
    double cost = 0;
    size_t i, j;
    int s;

    if (b->x0 < AREA_L + 2 || b->x1 > AREA_R - 2 || b->y0 < AREA_T + 2 || b->y1 > AREA_B - 2)
        cost += 2 * LABEL_CLASH;
    for (i = 0; i < c->nplaced; i++)
        cost += LABEL_CLASH * boxes_meet(b, &c->placed[i]);
    for (s = WALL; s <= RPS; s++) {
        for (j = 0; j < c->n; j++) {
            size_t p = c->order[j];
            struct box m = {px(c, p) - 5.5, py(c, p, s) - 5.5, px(c, p) + 5.5, py(c, p, s) + 5.5};

            cost += 150 * boxes_meet(b, &m);
            if (j + 1 < c->n)
                cost += 25 * segment_meets(px(c, p), py(c, p, s), px(c, c->order[j + 1]),
                                           py(c, c->order[j + 1], s), b);
        }
    }
    return cost;
}

/* Candidate label spots around a marker (baseline offset, anchor 0 start / 1 middle / 2 end),
 * in order of preference: requests/s tends to sit high, so its labels try above first; wall
 * time tends to sit low, so below first. */
struct spot {
    double dx, dy;
    int anchor;
};
static const struct spot spots[8] = {
    {0, 19, 1},  {7, 16, 0}, {-7, 16, 2}, /* below, below right, below left */
    {9, 4, 0},   {-9, 4, 2},              /* right, left */
    {0, -10, 1}, {7, -8, 0}, {-7, -8, 2}, /* above, above right, above left */
};
static const unsigned char prefer[2][8] = {{0, 1, 2, 3, 4, 5, 6, 7}, {5, 6, 7, 3, 4, 0, 1, 2}};

static struct box spot_box(double x, double y, const struct spot *sp, double w)
{
    double left = x + sp->dx - w * sp->anchor / 2.0;

    return (struct box){left - 2, y + sp->dy - LABEL_FS * 0.78, left + w + 2, y + sp->dy + 2.5};
}

/* Place one label at its cheapest spot, remember its box, and write it; if every spot is off the
 * plot or on another label (dense sweeps), leave it out: overprinted text helps nobody. */
static void put_label(struct chart *c, size_t i, enum series s)
{
    static const char *const anchors[] = {"start", "middle", "end"};
    const char *text = c->pts[i].label ? c->pts[i].label : "";
    double x = px(c, i), y = py(c, i, s), w = text_w(text, LABEL_FS), best_cost = HUGE_VAL;
    const struct spot *best = NULL;
    size_t k;

    for (k = 0; k < 8; k++) {
        const struct spot *sp = &spots[prefer[s][k]];
        struct box b = spot_box(x, y, sp, w);
        double cost = label_cost(c, &b) + (double)k; /* ties go to the preferred spot */

        if (cost < best_cost) {
            best_cost = cost;
            best = sp;
        }
    }
    if (best_cost >= LABEL_CLASH)
        return;
    c->placed[c->nplaced++] = spot_box(x, y, best, w);
    put(c, "<text x=\"%s\" y=\"%s\" text-anchor=\"%s\">", fx(x + best->dx).s, fx(y + best->dy).s,
        anchors[best->anchor]);
    put_text(c, text);
    put(c, "</text>\n");
}

/* Level names beside each marker, with a white halo so a line under them does not hurt. */
static void put_labels(struct chart *c)
{
    size_t i;

    if (c->n > PLOT_LABEL_MAX)
        return;
    put(c,
        "<g class=\"point-labels\" font-size=\"%s\" fill=\"" MUTED "\" stroke=\"#fff\" "
        "stroke-width=\"3\" stroke-linejoin=\"round\" paint-order=\"stroke\">\n",
        fx(LABEL_FS).s);
    for (i = 0; i < c->n; i++)
        put_label(c, c->order[i], RPS);
    for (i = 0; i < c->n; i++) {
        size_t p = c->order[i];

        /* A wall marker under its own requests/s marker is already named by that label. */
        if (py(c, p, WALL) - py(c, p, RPS) >= 6 || py(c, p, RPS) - py(c, p, WALL) >= 6)
            put_label(c, p, WALL);
    }
    put(c, "</g>\n");
}

int plot_svg(FILE *out, const char *title, const char *subtitle, const struct plot_point *pts,
             size_t n)
{
    struct chart c;

    if (out == NULL || pts == NULL || n == 0)
        return -1;
    memset(&c, 0, sizeof(c));
    c.out = out;
    c.pts = pts;
    c.n = n;
    chart_fit(&c);
    put_header(&c, title, subtitle);
    put_legend(&c);
    put(&c,
        "<rect class=\"plot-area\" x=\"%s\" y=\"%s\" width=\"%s\" height=\"%s\" "
        "fill=\"none\"/>\n",
        fx(AREA_L).s, fx(AREA_T).s, fx(AREA_R - AREA_L).s, fx(AREA_B - AREA_T).s);
    put_grid(&c);
    put_x_axis(&c);
    put_y_axis(&c, &c.wall, AREA_L, -1, "y-axis wall");
    put_y_axis(&c, &c.rps, AREA_R, 1, "y-axis rps");
    put_axis_titles(&c);
    put_line(&c, WALL);
    put_line(&c, RPS);
    put_markers(&c, WALL);
    put_markers(&c, RPS);
    put_labels(&c);
    put(&c, "</svg>\n");
    if (fflush(out) != 0 || ferror(out))
        c.failed = 1;
    return c.failed ? -1 : 0;
}
