// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* Runs every TEST() linked in, or those whose name contains argv[1]. */
#include <stdlib.h>
#include "test.h"

int test_failed;

extern const struct unit_test __start_unit_tests[];
extern const struct unit_test __stop_unit_tests[];

int main(int argc, char **argv)
{
	const struct unit_test *t;
	int passed = 0, failed = 0;

	setvbuf(stdout, NULL, _IOLBF, 0);
	/* The linker's bounds of one section: one object to it, not to cppcheck. */
	// cppcheck-suppress comparePointers
	for (t = __start_unit_tests; t < __stop_unit_tests; t++) {
		if (argc > 1 && !strstr(t->name, argv[1]))
			continue;
		test_failed = 0;
		t->fn();
		if (test_failed) {
			printf("FAIL: unit/%s\n", t->name);
			failed++;
		} else {
			printf("PASS: unit/%s\n", t->name);
			passed++;
		}
	}
	printf("unit: %d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
