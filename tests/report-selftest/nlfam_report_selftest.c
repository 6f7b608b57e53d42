// SPDX-License-Identifier: GPL-2.0
/*
 * Test-only: loading this module with kind=NAME triggers exactly one kernel report of
 * that kind, then the load fails (-EAGAIN) so nothing stays loaded. tests/run loads it
 * once per kind at the end of the debug run and checks that scripts/kernel-log-check
 * catches the report. Never load it anywhere else.
 *
 *   kasan    slab-out-of-bounds read, one byte past a kmalloc object (larger than a
 *            page, so that KFENCE, which samples objects up to a page, never takes it)
 *   ubsan    array-index-out-of-bounds on a fixed-size array (inside a larger struct,
 *            so the access itself stays in bounds for KASAN)
 *   warn     WARN()
 *   kmemleak a 64-byte allocation whose only pointer is dropped
 *   lockdep  AB-BA mutex inversion in one thread (lockdep reports the possible
 *            deadlock without one happening; it then turns itself off for the boot)
 */
#include <linux/compiler.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/slab.h>
#include <linux/string.h>

static char *kind = "";
module_param(kind, charp, 0);
MODULE_PARM_DESC(kind, "report to trigger: kasan, ubsan, warn, kmemleak, lockdep");

static struct {
	int a[4];
	int after;
} bounds;

static DEFINE_MUTEX(lock_a);
static DEFINE_MUTEX(lock_b);

static noinline void report_kasan(void)
{
	size_t size = PAGE_SIZE + 13;
	char *p;

	OPTIMIZER_HIDE_VAR(size);
	p = kmalloc(size, GFP_KERNEL);
	if (!p)
		return;
	pr_info("nlfam_report_selftest: read byte %d\n", READ_ONCE(p[size]));
	kfree(p);
}

static noinline void report_ubsan(void)
{
	int i = ARRAY_SIZE(bounds.a), v;

	OPTIMIZER_HIDE_VAR(i);
	/* A plain read: READ_ONCE() takes &a[i] first, which is legal for i == 4. */
	v = bounds.a[i];
	pr_info("nlfam_report_selftest: read index %d: %d\n", i, v);
}

static noinline void report_kmemleak(void)
{
	void *p = kmalloc(64, GFP_KERNEL);

	if (p)
		memset(p, 0x5a, 64); /* no bytes that could look like a pointer */
	OPTIMIZER_HIDE_VAR(p);
}

static noinline void report_lockdep(void)
{
	mutex_lock(&lock_a);
	mutex_lock(&lock_b);
	mutex_unlock(&lock_b);
	mutex_unlock(&lock_a);
	mutex_lock(&lock_b);
	mutex_lock(&lock_a);
	mutex_unlock(&lock_a);
	mutex_unlock(&lock_b);
}

static int __init report_selftest_init(void)
{
	if (!strcmp(kind, "kasan"))
		report_kasan();
	else if (!strcmp(kind, "ubsan"))
		report_ubsan();
	else if (!strcmp(kind, "warn"))
		WARN(1, "nlfam_report_selftest: deliberate WARN\n");
	else if (!strcmp(kind, "kmemleak"))
		report_kmemleak();
	else if (!strcmp(kind, "lockdep"))
		report_lockdep();
	else
		return -EINVAL;
	return -EAGAIN;
}
module_init(report_selftest_init);

MODULE_DESCRIPTION("nlfam test-only: trigger one kernel report of a chosen kind");
MODULE_LICENSE("GPL");
