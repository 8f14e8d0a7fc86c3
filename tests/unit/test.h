/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* A minimal unit-test harness: TEST() registers a function in a linker
 * section, ASSERT_*() print what they checked with expected and actual. */
#ifndef TCPSCOPE_TEST_H
#define TCPSCOPE_TEST_H

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

struct unit_test {
	const char *name;
	const char *file;
	void (*fn)(void);
};

extern int test_failed; /* set by a failing assertion in the current test */

#define TEST(fn_name)                                                                              \
	static void fn_name(void);                                                                 \
	static const struct unit_test ut_##fn_name                                                 \
	    __attribute__((used, section("unit_tests"), aligned(8))) = { #fn_name, __FILE__,       \
									 fn_name };                \
	static void fn_name(void)

#define TEST_FAIL_AT(...)                                                                          \
	do {                                                                                       \
		fprintf(stdout, "    %s:%d: ", __FILE__, __LINE__);                                \
		fprintf(stdout, __VA_ARGS__);                                                      \
		fputc('\n', stdout);                                                               \
		test_failed = 1;                                                                   \
	} while (0)

#define ASSERT_EQ(got, want, what)                                                                 \
	({                                                                                         \
		long long _g = (long long)(got), _w = (long long)(want);                           \
		if (_g != _w)                                                                      \
			TEST_FAIL_AT("%s: got %lld, want %lld", what, _g, _w);                     \
		_g == _w;                                                                          \
	})

#define ASSERT_TRUE(cond, what)                                                                    \
	({                                                                                         \
		int _c = !!(cond);                                                                 \
		if (!_c)                                                                           \
			TEST_FAIL_AT("%s: %s is false", what, #cond);                              \
		_c;                                                                                \
	})

#define ASSERT_STREQ(got, want, what)                                                              \
	({                                                                                         \
		const char *_g = (got), *_w = (want);                                              \
		int _ok = _g && _w && !strcmp(_g, _w);                                             \
		if (!_ok)                                                                          \
			TEST_FAIL_AT("%s: got \"%s\", want \"%s\"", what, _g ? _g : "(null)",      \
				     _w ? _w : "(null)");                                          \
		_ok;                                                                               \
	})

#endif
