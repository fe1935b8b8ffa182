/* test_plot.c: plot_svg writes a well-formed SVG whose geometry, ticks and text match the data. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <math.h> /* NAN, INFINITY only: no -lm */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "plot.h"

#define MAXPTS 128
#define LABEL_FS 10.5

/* The sweep from the brief: throughput peaks at 2x16, wall time bottoms out there. */
static const struct plot_point sweep[] = {
    {"1x1", 1, 3.1, 1600},      {"1x10", 10, 0.55, 9000},  {"2x16", 32, 0.42, 11900},
    {"2x64", 128, 0.45, 11100}, {"2x256", 512, 0.6, 8300}, {"2x500", 1000, 0.9, 5500},
};
#define NSWEEP (sizeof(sweep) / sizeof(sweep[0]))
/* log10 of each total, written out: the Makefile links tests without -lm. */
static const double sweep_log10[] = {0, 1, 1.505149978, 2.107209970, 2.709269961, 3};

struct area {
    double x0, y0, x1, y1;
};

struct label {
    char text[32];
    double x, y;
    char anchor[8];
};

/* Render into a heap string; the caller frees it. */
static char *render(const char *title, const struct plot_point *pts, size_t n)
{
    char *doc = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&doc, &len);

    assert_non_null(f);
    assert_int_equal(plot_svg(f, title, "test box \xc2\xb7 2024-01-01", pts, n), 0);
    assert_int_equal(fclose(f), 0);
    assert_non_null(doc);
    assert_int_equal(strlen(doc), len);
    return doc;
}

/* 0 if python's XML parser accepts doc and its root is <svg>. */
static int xml_check(const char *doc)
{
    char path[] = "/tmp/volley_test_plot_XXXXXX";
    char cmd[300];
    int fd = mkstemp(path), rc;
    size_t len = strlen(doc);

    assert_true(fd >= 0);
    assert_int_equal(write(fd, doc, len), (ssize_t)len);
    close(fd);
    snprintf(cmd, sizeof(cmd),
             "python3 -c 'import xml.dom.minidom,sys; "
             "d = xml.dom.minidom.parse(sys.argv[1]); "
             "sys.exit(d.documentElement.tagName != \"svg\")' %s 2>/dev/null",
             path);
    rc = system(cmd);
    unlink(path);
    return rc;
}

static void assert_well_formed(const char *doc)
{
    assert_int_equal(xml_check(doc), 0);
}

/* The first element at or after p whose start tag contains `marker`; returns its start tag. */
static const char *element(const char *p, const char *marker)
{
    const char *m = strstr(p, marker);

    if (m == NULL)
        print_message("missing %s\n", marker);
    assert_non_null(m);
    while (m > p && *m != '<')
        m--;
    return m;
}

/* A numeric attribute of the start tag at tag. */
static double num_attr(const char *tag, const char *name)
{
    char needle[40];
    const char *end = strchr(tag, '>'), *a;

    snprintf(needle, sizeof(needle), " %s=\"", name);
    a = strstr(tag, needle);
    assert_non_null(a);
    assert_true(a < end);
    return strtod(a + strlen(needle), NULL);
}

/* The inside of <g class="cls" ...>...</g> (groups here do not nest), copied into out. */
static void group(const char *doc, const char *cls, char *out, size_t cap)
{
    char needle[64];
    const char *g, *end;

    snprintf(needle, sizeof(needle), "<g class=\"%s\"", cls);
    g = strstr(doc, needle);
    if (g == NULL)
        print_message("missing group %s\n", cls);
    assert_non_null(g);
    end = strstr(g, "</g>");
    assert_non_null(end);
    assert_true((size_t)(end - g) < cap);
    memcpy(out, g, (size_t)(end - g));
    out[end - g] = '\0';
}

/* Text contents of every <text> in s, space-separated, into out. */
static void texts(const char *s, char *out, size_t cap)
{
    size_t len = 0;

    out[0] = '\0';
    while ((s = strstr(s, "<text")) != NULL) {
        const char *open = strchr(s, '>') + 1, *close = strstr(open, "</text>");

        assert_true(len + (size_t)(close - open) + 2 < cap);
        if (len > 0)
            out[len++] = ' ';
        memcpy(out + len, open, (size_t)(close - open));
        len += (size_t)(close - open);
        out[len] = '\0';
        s = close;
    }
}

static struct area plot_area(const char *doc)
{
    const char *r = element(doc, "class=\"plot-area\"");
    struct area a;

    a.x0 = num_attr(r, "x");
    a.y0 = num_attr(r, "y");
    a.x1 = a.x0 + num_attr(r, "width");
    a.y1 = a.y0 + num_attr(r, "height");
    assert_true(a.x0 > 0 && a.x1 < 900 && a.y0 > 0 && a.y1 < 540);
    return a;
}

/* The points of <polyline class="cls">; returns how many. */
static size_t polyline(const char *doc, const char *cls, double *xs, double *ys)
{
    char needle[64];
    const char *p;
    char *end;
    size_t n = 0;

    snprintf(needle, sizeof(needle), "<polyline class=\"%s\"", cls);
    p = strstr(doc, needle);
    assert_non_null(p);
    p = strstr(p, " points=\"");
    assert_non_null(p);
    p += strlen(" points=\"");
    while (*p != '"') {
        assert_true(n < MAXPTS);
        xs[n] = strtod(p, &end);
        assert_true(end != p && *end == ',');
        ys[n] = strtod(end + 1, &end);
        assert_true(*end == ' ' || *end == '"');
        p = *end == ' ' ? end + 1 : end;
        n++;
    }
    return n;
}

/* Every label in the point-labels group; returns how many. */
static size_t labels(const char *doc, struct label *out, size_t cap)
{
    static char g[1 << 16];
    const char *s = g;
    size_t n = 0;

    group(doc, "point-labels", g, sizeof(g));
    while ((s = strstr(s, "<text ")) != NULL) {
        const char *open = strchr(s, '>') + 1, *close = strstr(open, "</text>");
        const char *anchor = strstr(s, "text-anchor=\"") + strlen("text-anchor=\"");

        assert_true(n < cap);
        assert_true((size_t)(close - open) < sizeof(out[n].text));
        memcpy(out[n].text, open, (size_t)(close - open));
        out[n].text[close - open] = '\0';
        out[n].x = num_attr(s, "x");
        out[n].y = num_attr(s, "y");
        snprintf(out[n].anchor, sizeof(out[n].anchor), "%.*s", (int)strcspn(anchor, "\""), anchor);
        n++;
        s = close;
    }
    return n;
}

/* A conservative box for a label: half an em per character, a cap height tall. */
static struct area label_box(const struct label *l)
{
    double w = (double)strlen(l->text) * LABEL_FS * 0.5, left = l->x;

    if (strcmp(l->anchor, "middle") == 0)
        left -= w / 2;
    else if (strcmp(l->anchor, "end") == 0)
        left -= w;
    return (struct area){left, l->y - LABEL_FS * 0.7, left + w, l->y};
}

static double absd(double v)
{
    return v < 0 ? -v : v;
}

static size_t count(const char *s, const char *needle)
{
    size_t n = 0;

    for (; (s = strstr(s, needle)) != NULL; s++)
        n++;
    return n;
}

/* needle appears inside the root start tag. */
static int in_root(const char *doc, const char *needle)
{
    const char *p = strstr(doc, needle);

    return p != NULL && p < strchr(doc, '>');
}

static int meet(struct area a, struct area b)
{
    return a.x0 < b.x1 && b.x0 < a.x1 && a.y0 < b.y1 && b.y0 < a.y1;
}

static void assert_inside(struct area a, double x, double y)
{
    if (!(x >= a.x0 && x <= a.x1 && y >= a.y0 && y <= a.y1))
        print_message("(%g, %g) outside [%g..%g] x [%g..%g]\n", x, y, a.x0, a.x1, a.y0, a.y1);
    assert_true(x >= a.x0 && x <= a.x1 && y >= a.y0 && y <= a.y1);
}

static void assert_no_label_overlap(const char *doc)
{
    struct label l[2 * MAXPTS];
    struct area a = plot_area(doc);
    size_t n = labels(doc, l, 2 * MAXPTS), i, j;

    for (i = 0; i < n; i++) {
        struct area b = label_box(&l[i]);

        assert_inside(a, b.x0, b.y0);
        assert_inside(a, b.x1, b.y1);
        for (j = i + 1; j < n; j++) {
            if (meet(b, label_box(&l[j])))
                print_message("labels %s and %s overlap\n", l[i].text, l[j].text);
            assert_false(meet(b, label_box(&l[j])));
        }
    }
}

static void assert_no_nonfinite(const char *doc)
{
    assert_null(strstr(doc, "nan"));
    assert_null(strstr(doc, "inf"));
    assert_null(strstr(doc, "NAN"));
    assert_null(strstr(doc, "INF"));
}

static void test_document(void **state)
{
    char *doc = render("volley: sweep", sweep, NSWEEP);
    const char *svg = element(doc, "<svg");

    (void)state;
    assert_int_equal(strncmp(doc, "<svg", 4), 0);
    assert_ptr_equal(svg, doc);
    assert_true(in_root(doc, "xmlns=\"http://www.w3.org/2000/svg\""));
    assert_true(in_root(doc, "viewBox=\"0 0 900 540\""));
    assert_non_null(strstr(doc, "font-family=\"system-ui, -apple-system, 'Segoe UI', Roboto, "
                                "'DejaVu Sans', sans-serif\""));
    assert_string_equal(doc + strlen(doc) - 7, "</svg>\n");
    assert_non_null(strstr(doc, ">volley: sweep</text>"));
    assert_non_null(strstr(doc, ">test box \xc2\xb7 2024-01-01</text>"));
    assert_well_formed(doc);
    free(doc);
}

/* The checker itself must be able to fail, or every well-formed assertion is empty. */
static void test_xml_check_rejects(void **state)
{
    (void)state;
    assert_int_not_equal(xml_check("<svg><g></svg>"), 0);
    assert_int_not_equal(xml_check("<svg>a<b</svg>"), 0);
    assert_int_not_equal(xml_check("<html></html>"), 0);
    assert_int_equal(xml_check("<svg><g/></svg>"), 0);
}

/* One line per series, one vertex per level, all inside the plot area; x on a log scale,
 * y linear from 0 at the bottom edge. */
static void test_series_geometry(void **state)
{
    char *doc = render("t", sweep, NSWEEP);
    struct area a = plot_area(doc);
    double wx[MAXPTS], wy[MAXPTS], rx[MAXPTS], ry[MAXPTS], span;
    size_t i;

    (void)state;
    assert_int_equal(polyline(doc, "wall", wx, wy), NSWEEP);
    assert_int_equal(polyline(doc, "rps", rx, ry), NSWEEP);
    assert_non_null(strstr(doc, "stroke=\"#0072B2\""));
    assert_non_null(strstr(doc, "stroke=\"#D55E00\""));
    span = wx[NSWEEP - 1] - wx[0];
    assert_true(span > 0.8 * (a.x1 - a.x0));
    for (i = 0; i < NSWEEP; i++) {
        assert_inside(a, wx[i], wy[i]);
        assert_inside(a, rx[i], ry[i]);
        assert_true(rx[i] == wx[i]);
        if (i > 0)
            assert_true(wx[i] > wx[i - 1]);
        /* totals 1..1000 span three decades */
        assert_true(absd(wx[i] - wx[0] - span * sweep_log10[i] / 3) < 0.2);
        assert_true(absd((a.y1 - wy[i]) / (a.y1 - wy[0]) - sweep[i].wall_s / 3.1) < 0.005);
        assert_true(absd((a.y1 - ry[i]) / (a.y1 - ry[2]) - sweep[i].rps / 11900) < 0.005);
    }
    assert_int_equal(count(doc, "<polyline"), 2);
    free(doc);
}

static void test_markers(void **state)
{
    char g[1 << 14];
    char *doc = render("t", sweep, NSWEEP);

    (void)state;
    group(doc, "wall-markers", g, sizeof(g));
    assert_int_equal(count(g, "<circle"), NSWEEP);
    group(doc, "rps-markers", g, sizeof(g));
    assert_int_equal(count(g, "<rect"), NSWEEP);
    free(doc);
}

/* Decade labels 1..1000 sit exactly under the points with those totals. */
static void test_x_ticks(void **state)
{
    static const char *const decades[] = {"1", "10", "100", "1000"};
    char g[1 << 14], t[1024], needle[64];
    char *doc = render("t", sweep, NSWEEP);
    double wx[MAXPTS], wy[MAXPTS];
    const char *p;
    size_t i;

    (void)state;
    polyline(doc, "wall", wx, wy);
    group(doc, "x-axis", g, sizeof(g));
    texts(g, t, sizeof(t));
    assert_string_equal(t, "1 10 100 1000");
    for (i = 0; i < 4; i++) {
        snprintf(needle, sizeof(needle), ">%s</text>", decades[i]);
        p = strstr(g, needle);
        assert_non_null(p);
        while (strncmp(p, "<text", 5) != 0)
            p--;
        if (i != 2) /* there is no level at 100 */
            assert_true(absd(num_attr(p, "x") - wx[i == 3 ? 5 : i]) < 0.11);
    }
    assert_int_equal(count(g, "<line"), 1 + 4 + 3 * 8); /* axis, decades, 2..9 x 3 decades */
    free(doc);
}

/* Both y axes start at 0 with round steps, share the grid (same tick count), and the right one
 * uses a k suffix. */
static void test_y_ticks(void **state)
{
    char g[1 << 14], t[1024];
    char *doc = render("t", sweep, NSWEEP);

    (void)state;
    group(doc, "y-axis wall", g, sizeof(g));
    texts(g, t, sizeof(t));
    assert_string_equal(t, "0 0.5 1 1.5 2 2.5 3 3.5");
    group(doc, "y-axis rps", g, sizeof(g));
    texts(g, t, sizeof(t));
    assert_string_equal(t, "0 2k 4k 6k 8k 10k 12k 14k");
    free(doc);
}

static void test_y_ticks_small(void **state)
{
    static const struct plot_point pts[] = {{"1x1", 1, 0.9, 900}, {"1x4", 4, 0.3, 2400}};
    char g[1 << 14], t[1024];
    char *doc = render("t", pts, 2);

    (void)state;
    group(doc, "y-axis wall", g, sizeof(g));
    texts(g, t, sizeof(t));
    assert_string_equal(t, "0 0.2 0.4 0.6 0.8 1 1.2");
    group(doc, "y-axis rps", g, sizeof(g));
    texts(g, t, sizeof(t));
    assert_string_equal(t, "0 500 1000 1500 2000 2500 3000"); /* "3000" no longer than "2.5k" */
    group(doc, "x-axis", g, sizeof(g));
    texts(g, t, sizeof(t));
    assert_string_equal(t, "1 2 5 10"); /* one decade: 2 and 5 labelled too */
    free(doc);
}

static void test_titles_and_legend(void **state)
{
    char g[1 << 14], t[1024];
    char *doc = render("t", sweep, NSWEEP);

    (void)state;
    group(doc, "axis-titles", g, sizeof(g));
    texts(g, t, sizeof(t));
    assert_string_equal(t, "total connections (log scale) wall time (s) requests/s");
    group(doc, "legend", g, sizeof(g));
    texts(g, t, sizeof(t));
    assert_string_equal(t, "wall time (s) requests/s");
    assert_non_null(strstr(g, "<circle"));
    assert_non_null(strstr(g, "<rect"));
    free(doc);
}

/* Every level is named near its markers and no two names collide. */
static void test_point_labels(void **state)
{
    struct label l[2 * MAXPTS];
    char *doc = render("t", sweep, NSWEEP);
    size_t n = labels(doc, l, 2 * MAXPTS), i, j, seen;

    (void)state;
    assert_int_equal(n, 2 * NSWEEP);
    for (i = 0; i < NSWEEP; i++) {
        for (seen = 0, j = 0; j < n; j++)
            seen += strcmp(l[j].text, sweep[i].label) == 0;
        assert_int_equal(seen, 2);
    }
    assert_no_label_overlap(doc);
    free(doc);
}

static void test_escaping(void **state)
{
    static const struct plot_point pts[] = {{"<x&y>", 2, 1, 100}, {"\xff\x01ok", 4, 2, 50}};
    char *doc = render("a<b&c \xc2\xb7 'q\" >", pts, 2);

    (void)state;
    assert_non_null(strstr(doc, "<title>a&lt;b&amp;c \xc2\xb7 'q\" &gt;</title>"));
    assert_non_null(strstr(doc, ">a&lt;b&amp;c \xc2\xb7 'q\" &gt;</text>"));
    assert_null(strstr(doc, "a<b"));
    assert_non_null(strstr(doc, ">&lt;x&amp;y&gt;</text>"));
    assert_non_null(strstr(doc, ">\xef\xbf\xbd\xef\xbf\xbdok</text>"));
    assert_null(strstr(doc, "\xff"));
    assert_null(strstr(doc, "\x01"));
    assert_well_formed(doc);
    free(doc);
}

static void test_single_point(void **state)
{
    static const struct plot_point pts[] = {{"4x8", 32, 0.7, 7100}};
    char g[1 << 14], t[1024];
    char *doc = render("one", pts, 1);
    struct area a = plot_area(doc);
    double xs[MAXPTS], ys[MAXPTS];

    (void)state;
    assert_int_equal(polyline(doc, "wall", xs, ys), 1);
    assert_inside(a, xs[0], ys[0]);
    assert_int_equal(polyline(doc, "rps", xs, ys), 1);
    assert_inside(a, xs[0], ys[0]);
    group(doc, "x-axis", g, sizeof(g));
    texts(g, t, sizeof(t));
    assert_string_equal(t, "10 20 50 100");
    assert_non_null(strstr(doc, ">4x8</text>"));
    assert_well_formed(doc);
    free(doc);
}

/* 1x10 and 2x5 share a total: both plotted at one x, both named, names apart. */
static void test_equal_totals(void **state)
{
    static const struct plot_point pts[] = {{"1x1", 1, 3.1, 1600},
                                            {"1x10", 10, 0.55, 9000},
                                            {"2x5", 10, 0.55, 9000},
                                            {"2x64", 128, 0.45, 11100}};
    struct label l[2 * MAXPTS];
    char *doc = render("eq", pts, 4);
    double xs[MAXPTS], ys[MAXPTS];
    size_t n, i, a = 0, b = 0;

    (void)state;
    assert_int_equal(polyline(doc, "wall", xs, ys), 4);
    assert_true(xs[1] == xs[2] && ys[1] == ys[2] && xs[0] < xs[1] && xs[2] < xs[3]);
    n = labels(doc, l, 2 * MAXPTS);
    for (i = 0; i < n; i++) {
        a += strcmp(l[i].text, "1x10") == 0;
        b += strcmp(l[i].text, "2x5") == 0;
    }
    assert_true(a >= 1 && b >= 1);
    assert_no_label_overlap(doc);
    assert_well_formed(doc);
    free(doc);
}

static void test_zero_values(void **state)
{
    static const struct plot_point pts[] = {{"1x1", 1, 0, 0}, {"1x10", 10, 0, 0}};
    char *doc = render("zero", pts, 2);
    struct area a = plot_area(doc);
    double xs[MAXPTS], ys[MAXPTS];

    (void)state;
    assert_int_equal(polyline(doc, "rps", xs, ys), 2);
    assert_true(ys[0] == a.y1 && ys[1] == a.y1);
    assert_no_nonfinite(doc);
    assert_well_formed(doc);
    free(doc);
}

/* Out-of-range input still yields finite coordinates inside the plot area. */
static void test_huge_and_bad_values(void **state)
{
    static const struct plot_point pts[] = {{"a", 0, 1e300, 1e250},
                                            {"b", -5, NAN, INFINITY},
                                            {"c", NAN, -1, 3e20},
                                            {"d", 1e20, 5e299, -INFINITY},
                                            {NULL, 1e6, 2, 2}};
    char *doc = render("huge", pts, 5);
    struct area a = plot_area(doc);
    double xs[MAXPTS], ys[MAXPTS];
    size_t i;

    (void)state;
    assert_no_nonfinite(doc);
    assert_int_equal(polyline(doc, "wall", xs, ys), 5);
    for (i = 0; i < 5; i++) {
        assert_inside(a, xs[i], ys[i]);
        if (i > 0)
            assert_true(xs[i] >= xs[i - 1]);
    }
    assert_int_equal(polyline(doc, "rps", xs, ys), 5);
    for (i = 0; i < 5; i++)
        assert_inside(a, xs[i], ys[i]);
    assert_well_formed(doc);
    free(doc);
}

/* Levels given out of order are still joined left to right. */
static void test_unsorted(void **state)
{
    struct plot_point rev[NSWEEP];
    char *doc;
    double xs[MAXPTS], ys[MAXPTS];
    size_t i;

    (void)state;
    for (i = 0; i < NSWEEP; i++)
        rev[i] = sweep[NSWEEP - 1 - i];
    doc = render("rev", rev, NSWEEP);
    assert_int_equal(polyline(doc, "wall", xs, ys), NSWEEP);
    for (i = 1; i < NSWEEP; i++)
        assert_true(xs[i] > xs[i - 1]);
    for (i = 1; i < NSWEEP; i++)
        assert_true(ys[0] < ys[i]); /* 1x1's 3.1 s is highest and now first */
    free(doc);
}

/* Past PLOT_LABEL_MAX levels the names are left out, the lines are not. */
static void test_many_points(void **state)
{
    struct plot_point pts[PLOT_LABEL_MAX + 1];
    char *doc;
    double xs[MAXPTS], ys[MAXPTS];
    size_t i;

    (void)state;
    for (i = 0; i <= PLOT_LABEL_MAX; i++)
        pts[i] = (struct plot_point){"n", (double)(i + 1), 1.0 / (double)(i + 1), (double)i};
    doc = render("many", pts, PLOT_LABEL_MAX + 1);
    assert_int_equal(polyline(doc, "wall", xs, ys), PLOT_LABEL_MAX + 1);
    assert_null(strstr(doc, "point-labels"));
    assert_well_formed(doc);
    free(doc);
    doc = render("many", pts, PLOT_LABEL_MAX);
    assert_non_null(strstr(doc, "point-labels"));
    free(doc);
}

static void test_long_title_shrinks(void **state)
{
    char title[241];
    char *doc;
    double fs;

    (void)state;
    memset(title, 'w', sizeof(title) - 1);
    title[sizeof(title) - 1] = '\0';
    doc = render(title, sweep, NSWEEP);
    fs = num_attr(element(doc, "class=\"title\""), "font-size");
    assert_true(fs >= 11 && fs < 18);
    free(doc);
    doc = render("short", sweep, NSWEEP);
    assert_true(num_attr(element(doc, "class=\"title\""), "font-size") == 18);
    free(doc);
}

static void test_errors(void **state)
{
    FILE *full = fopen("/dev/full", "w");
    char *doc = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&doc, &len);

    (void)state;
    assert_int_equal(plot_svg(mem, "t", "s", sweep, 0), -1);
    assert_int_equal(plot_svg(mem, "t", "s", NULL, 3), -1);
    assert_int_equal(plot_svg(NULL, "t", "s", sweep, NSWEEP), -1);
    assert_int_equal(fclose(mem), 0);
    assert_int_equal(len, 0); /* nothing written on refusal */
    free(doc);
    assert_non_null(full);
    assert_int_equal(plot_svg(full, "t", "s", sweep, NSWEEP), -1);
    fclose(full);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_document),
        cmocka_unit_test(test_xml_check_rejects),
        cmocka_unit_test(test_series_geometry),
        cmocka_unit_test(test_markers),
        cmocka_unit_test(test_x_ticks),
        cmocka_unit_test(test_y_ticks),
        cmocka_unit_test(test_y_ticks_small),
        cmocka_unit_test(test_titles_and_legend),
        cmocka_unit_test(test_point_labels),
        cmocka_unit_test(test_escaping),
        cmocka_unit_test(test_single_point),
        cmocka_unit_test(test_equal_totals),
        cmocka_unit_test(test_zero_values),
        cmocka_unit_test(test_huge_and_bad_values),
        cmocka_unit_test(test_unsorted),
        cmocka_unit_test(test_many_points),
        cmocka_unit_test(test_long_title_shrinks),
        cmocka_unit_test(test_errors),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
