/* share.h - address-space groups: processes that share one mm (CLONE_VM, vfork) */
#ifndef OOMREAPER_SHARE_H
#define OOMREAPER_SHARE_H

#include "proc.h"

/* What a comparison of two processes' address spaces may answer */
enum mm_order { MM_LESS = -1, MM_SAME = 0, MM_GREATER = 1, MM_UNKNOWN = 2 };

/*
 * Compares the address spaces of two processes with a total order among distinct ones.
 * MM_UNKNOWN when it cannot tell (a process vanished).
 */
typedef enum mm_order (*mm_cmp_fn)(pid_t a, pid_t b, void *ctx);

/* kcmp(a, b, KCMP_VM): the kernel's own ordering of mm pointers. */
enum mm_order kcmp_vm(pid_t a, pid_t b, void *ctx);

/*
 * Links the processes of the table that share an mm (group, group_next, group_size).
 * Only processes with the same total_vm can share one, so cmp runs inside such runs, in
 * a merge sort: O(n log n) comparisons at worst, about none on a typical machine.
 * Returns the number of comparisons made, or -ENOMEM.
 */
long share_find_groups(struct proc_table *t, mm_cmp_fn cmp, void *ctx);

/*
 * share_find_groups(), a long run of one total_vm sorted in parts on up to `threads`
 * threads (scan_parallel()): cmp must then be safe to call from several threads at once.
 */
long share_find_groups_on(struct proc_table *t, mm_cmp_fn cmp, void *ctx, int threads);

#endif
