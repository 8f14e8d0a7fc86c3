// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <math.h>
#include <stdlib.h>
#include "lib/jsonw.h"
#include "test.h"

static char *render(void (*fn)(struct jw *))
{
	static char buf[4096];
	FILE *f = fmemopen(buf, sizeof(buf), "w");
	struct jw w;

	jw_init(&w, f);
	fn(&w);
	fclose(f);
	return buf;
}

static void nested(struct jw *w)
{
	jw_obj_open(w, NULL);
	jw_str(w, "s", "a\"b\\c\n\x01");
	jw_u64(w, "u", 18446744073709551615ULL);
	jw_i64(w, "i", -5);
	jw_double(w, "d", 1.25);
	jw_double(w, "nan", NAN);
	jw_arr_open(w, "arr");
	jw_u64(w, NULL, 1);
	jw_obj_open(w, NULL);
	jw_bool(w, "t", true);
	jw_obj_close(w);
	jw_null(w, NULL);
	jw_arr_close(w);
	jw_obj_open(w, "empty");
	jw_obj_close(w);
	jw_obj_close(w);
}

TEST(jsonw_nesting_and_escapes)
{
	ASSERT_STREQ(render(nested),
		     "{\"s\":\"a\\\"b\\\\c\\n\\u0001\",\"u\":18446744073709551615,\"i\":-5,"
		     "\"d\":1.250,\"nan\":null,\"arr\":[1,{\"t\":true},null],\"empty\":{}}",
		     "rendered JSON");
}

static void two_top_level(struct jw *w)
{
	jw_obj_open(w, NULL);
	jw_u64(w, "a", 1);
	jw_obj_close(w);
	fputc('\n', w->f);
	jw_obj_open(w, NULL);
	jw_u64(w, "b", 2);
	jw_obj_close(w);
}

TEST(jsonw_lines_have_no_leading_comma)
{
	ASSERT_STREQ(render(two_top_level), "{\"a\":1}\n{\"b\":2}", "JSON lines");
}
