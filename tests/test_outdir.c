/* test_outdir.c: files beneath -o (src/outdir.c): anonymous or hidden until whole, never
 * through a symbolic link, leftovers swept only when no process holds them. Both ways of
 * writing are run here, whatever the file system of /tmp offers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "err.h"
#include "outdir.h"

static char root[64];

static int setup(void **state)
{
    (void)state;
    snprintf(root, sizeof(root), "/tmp/volley-outdir-XXXXXX");
    return mkdtemp(root) ? 0 : -1;
}

static int teardown(void **state)
{
    char cmd[128];
    (void)state;
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
    return system(cmd) == 0 ? 0 : -1;
}

static void path_of(char *out, size_t len, const char *rel)
{
    snprintf(out, len, "%s/%s", root, rel);
}

/* Entries of folder rel (".", ".." aside) whose names start with prefix. */
static int count(const char *rel, const char *prefix)
{
    char p[256];
    path_of(p, sizeof(p), rel);
    DIR *d = opendir(p);
    int n = 0;
    for (struct dirent *e; d && (e = readdir(d));)
        n += strcmp(e->d_name, ".") && strcmp(e->d_name, "..") &&
             strncmp(e->d_name, prefix, strlen(prefix)) == 0;
    if (d)
        closedir(d);
    return n;
}

static void assert_file(const char *rel, const char *want)
{
    char p[256], got[64] = "";
    path_of(p, sizeof(p), rel);
    FILE *f = fopen(p, "r");
    assert_non_null(f);
    size_t n = fread(got, 1, sizeof(got) - 1, f);
    fclose(f);
    got[n] = '\0';
    assert_string_equal(got, want);
}

static void write_file(struct outdir *od, const char *rel, const char *body, bool commit)
{
    char p[256];
    struct outfile f;
    path_of(p, sizeof(p), rel);
    assert_int_equal(outdir_create(od, p, &f), 0);
    assert_int_equal(write(f.fd, body, strlen(body)), (ssize_t)strlen(body));
    if (commit)
        assert_int_equal(outdir_commit(od, &f), 0);
    else
        outdir_abort(od, &f);
}

static void test_named(void **state)
{
    char err[256], p[256];
    struct outdir od;
    struct outfile f;
    (void)state;
    assert_int_equal(outdir_open(&od, root, err, sizeof(err)), 0);
    od.tmpfile = false; /* as on a file system without O_TMPFILE */
    path_of(p, sizeof(p), "h/a/b");
    assert_int_equal(outdir_create(&od, p, &f), 0);
    /* While written: a hidden name of this process's own, held under an flock. */
    assert_int_equal(count("h/a", ".volley-"), 1);
    char tmp[256];
    snprintf(tmp, sizeof(tmp), "%s/h/a/%s", root, f.tmp);
    int other = open(tmp, O_RDONLY);
    assert_true(other >= 0);
    assert_int_equal(flock(other, LOCK_EX | LOCK_NB), -1);
    close(other);
    assert_int_equal(outdir_sweep(root), 0);
    assert_int_equal(write(f.fd, "body", 4), 4);
    assert_int_equal(outdir_commit(&od, &f), 0);
    assert_file("h/a/b", "body");
    assert_int_equal(count("h/a", ".volley-"), 0);
    /* Over an existing file; and an aborted one leaves nothing. */
    write_file(&od, "h/a/b", "again", true);
    assert_file("h/a/b", "again");
    write_file(&od, "h/a/c", "cut", false);
    assert_int_equal(count("h/a", ""), 1);
    outdir_close(&od);
}

static void test_tmpfile(void **state)
{
    char err[256], p[256];
    struct outdir od;
    struct outfile f;
    (void)state;
    assert_int_equal(outdir_open(&od, root, err, sizeof(err)), 0);
    if (!od.tmpfile) {
        outdir_close(&od);
        skip(); /* this file system has no O_TMPFILE: test_named covers what volley does */
    }
    path_of(p, sizeof(p), "t/x");
    assert_int_equal(outdir_create(&od, p, &f), 0);
    assert_int_equal(count("t", ""), 0); /* no name at all until whole */
    assert_int_equal(write(f.fd, "anon", 4), 4);
    assert_int_equal(outdir_commit(&od, &f), 0);
    assert_file("t/x", "anon");
    write_file(&od, "t/x", "replaced", true);
    assert_file("t/x", "replaced");
    assert_int_equal(count("t", ""), 1);
    outdir_close(&od);
}

static void test_symlink(void **state)
{
    char err[256], p[256], away[256];
    struct outdir od;
    struct outfile f;
    (void)state;
    path_of(away, sizeof(away), "away");
    assert_int_equal(mkdir(away, 0755), 0);
    path_of(p, sizeof(p), "out/link");
    path_of(err, sizeof(err), "out");
    assert_int_equal(mkdir(err, 0755), 0);
    assert_int_equal(symlink(away, p), 0);
    assert_int_equal(outdir_open(&od, err, err, sizeof(err)), 0);
    path_of(p, sizeof(p), "out/link/f");
    assert_int_equal(outdir_create(&od, p, &f), VL_ESYMLINK);
    path_of(p, sizeof(p), "out/link/deeper/f");
    assert_int_equal(outdir_create(&od, p, &f), VL_ESYMLINK);
    assert_int_equal(count("away", ""), 0);
    outdir_close(&od);
}

static void test_many_folders(void **state)
{
    char err[256], p[OUTDIR_CACHE + 3][256];
    struct outdir od;
    struct outfile f[OUTDIR_CACHE + 3];
    (void)state;
    assert_int_equal(outdir_open(&od, root, err, sizeof(err)), 0);
    /* More files in flight, each in its own folder, than the cache holds. (Each path outlives
     * its file: the file's name is a view into it.) */
    for (int i = 0; i < OUTDIR_CACHE + 3; i++) {
        snprintf(p[i], sizeof(p[i]), "%s/m/%d/f", root, i);
        assert_int_equal(outdir_create(&od, p[i], &f[i]), 0);
        assert_int_equal(write(f[i].fd, "x", 1), 1);
    }
    for (int i = 0; i < OUTDIR_CACHE + 3; i++)
        assert_int_equal(outdir_commit(&od, &f[i]), 0);
    for (int i = 0; i < OUTDIR_CACHE + 3; i++) {
        snprintf(p[0], sizeof(p[0]), "m/%d/f", i);
        assert_file(p[0], "x");
    }
    outdir_close(&od);
}

static void test_sweep(void **state)
{
    char p[256];
    (void)state;
    path_of(p, sizeof(p), "s");
    assert_int_equal(mkdir(p, 0755), 0);
    const char *names[] = {"s/.volley-1-00.part", "s/.volley-2.part", "s/.volley-3-00.part",
                           "s/keep.part", "s/.volley-x"};
    int held = -1;
    for (int i = 0; i < 5; i++) {
        path_of(p, sizeof(p), names[i]);
        int fd = open(p, O_WRONLY | O_CREAT, 0644);
        assert_true(fd >= 0);
        if (i == 2) {
            assert_int_equal(flock(fd, LOCK_EX), 0);
            held = fd;
        } else {
            close(fd);
        }
    }
    assert_int_equal(outdir_sweep(root), 2);
    assert_int_equal(count("s", ".volley-3"), 1);
    assert_int_equal(count("s", "keep"), 1);
    assert_int_equal(count("s", ".volley-x"), 1);
    close(held);
    assert_int_equal(outdir_sweep(root), 1);
}

static void test_unwritable(void **state)
{
    char err[256], p[256];
    struct outdir od;
    (void)state;
    path_of(p, sizeof(p), "plainfile");
    close(open(p, O_WRONLY | O_CREAT, 0644));
    assert_int_equal(outdir_open(&od, p, err, sizeof(err)), VL_EIO);
    assert_non_null(strstr(err, "Not a directory"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_named, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tmpfile, setup, teardown),
        cmocka_unit_test_setup_teardown(test_symlink, setup, teardown),
        cmocka_unit_test_setup_teardown(test_many_folders, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sweep, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unwritable, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
