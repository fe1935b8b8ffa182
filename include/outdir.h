/* The -o folder as one thread writes into it: files appear whole or not at all, only beneath
 * the folder (never through a symbolic link below it), and never under a name another process
 * could be using.
 *
 * A body is written to an anonymous file (O_TMPFILE) in its folder and linked into place when
 * complete, so a crash leaves nothing behind. Where the file system cannot do that, the body
 * goes to a hidden ".volley-<pid>-<random>.part" held under an flock(2) while it is written;
 * outdir_sweep removes such files that no process holds any more. Either way the final step
 * is a rename, so a reader never sees a partial file under the final name.
 *
 * File I/O runs on the reactor threads: a slow disk slows that thread's sockets. */
#ifndef VOLLEY_OUTDIR_H
#define VOLLEY_OUTDIR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define OUTDIR_CACHE 8 /* folders kept open per thread: the photos of an index share a few */

struct outdir_folder {
    char *rel; /* relative to the root, owned; NULL when the slot is free */
    int fd;
    unsigned refs;     /* files being written in it */
    uint64_t last_use; /* for eviction */
};

struct outdir {
    int root;      /* the -o folder, owned */
    bool tmpfile;  /* O_TMPFILE + linkat work there */
    size_t prefix; /* length of the "DIR/" that outpath_build puts before each path */
    uint64_t uses;
    struct outdir_folder cache[OUTDIR_CACHE];
};

/* One file being written. */
struct outfile {
    int fd;    /* -1 when none */
    int dirfd; /* its folder: a cache slot's fd, or its own when owned_dir */
    int slot;  /* cache slot index, or -1 */
    bool owned_dir;
    const char *name; /* the final name in the folder: a view into the path given, which must
                       * outlive the file */
    char tmp[48];     /* the hidden name, when the file has one ("" for O_TMPFILE) */
};

/* A closed outdir: outdir_close does nothing with it. */
void outdir_init(struct outdir *od);
/* Create dir if missing (with its parents), open it, and check that a file can be created and
 * renamed there. Returns 0, or VL_EIO with the reason in err (e.g. "cannot write in out:
 * Permission denied"). */
int outdir_open(struct outdir *od, const char *dir, char *err, size_t errlen);
void outdir_close(struct outdir *od);
/* Start the file at path (as outpath_build made it from the same dir; borrowed until commit or
 * abort), creating its folders.
 * Returns 0, VL_ESYMLINK (a symbolic link below -o is in the way), VL_EIO or VL_ENOMEM. */
int outdir_create(struct outdir *od, const char *path, struct outfile *f);
/* The file is complete: put it in place under its final name. Returns 0 or VL_EIO. */
int outdir_commit(struct outdir *od, struct outfile *f);
/* Drop the file (nothing stays behind). Harmless after commit and on a file never created. */
void outdir_abort(struct outdir *od, struct outfile *f);
/* Remove the hidden ".volley-*.part" files under dir that no running process holds (left by a
 * run that was killed where O_TMPFILE was not available). Returns how many were removed. */
size_t outdir_sweep(const char *dir);

#endif
