/* benchtool.h: what the files of benchtool (bench/benchtool.c) share. */
#ifndef BENCHTOOL_H
#define BENCHTOOL_H

extern char **environ;

/* CLOCK_MONOTONIC in nanoseconds */
double now_ns(void);
/* "benchtool: WHAT: strerror(errno)" on stderr, exit 1 */
void die(const char *what) __attribute__((noreturn));
/* qsort comparator for doubles, ascending */
int cmp_double(const void *a, const void *b);

/* the modes; argv past the mode's name */
int cmd_loop(int argc, char **argv); /* benchtool_loop.c */
int cmd_sup(int argc, char **argv);  /* benchtool_sup.c */

#endif
