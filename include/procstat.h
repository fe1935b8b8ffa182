/* This process's memory as the kernel counts it (/proc/self), for --hold and --sweep. */
#ifndef VOLLEY_PROCSTAT_H
#define VOLLEY_PROCSTAT_H

/* Resident set size now, in KB; 0 if unknown. */
long procstat_rss_kb(void);
/* Peak RSS (VmHWM) since the last procstat_reset_peak, in KB; 0 if unknown. */
long procstat_peak_rss_kb(void);
/* Reset the peak (writes 5 to /proc/self/clear_refs, Linux 4.0+); harmless if refused. */
void procstat_reset_peak(void);

#endif
