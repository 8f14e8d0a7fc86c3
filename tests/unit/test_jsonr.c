// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <errno.h>
#include <stdlib.h>
#include "lib/jsonr.h"
#include "test.h"

static int parse(struct jr_obj *o, const char *s)
{
	return jr_parse(o, s, strlen(s));
}

TEST(jsonr_timeline_line)
{
	static const char line[] =
	    "{\"type\":\"retransmit\",\"ts_ns\":18446744073709551615,\"cookie\":4097,"
	    "\"family\":4,\"saddr\":\"10.231.80.1\",\"kind\":\"rto\",\"err\":-11,"
	    "\"has_sock\":true,\"x\":null,\"f\":1.5e3,\"side\":\"client\"}\n";
	struct jr_obj o = { 0 };
	uint64_t u = 0;
	int64_t i = 0;
	double d = 0;
	bool b = false;
	char buf[32];

	if (!ASSERT_EQ(parse(&o, line), 0, "parse"))
		return;
	ASSERT_EQ(o.n, 11, "members");
	ASSERT_TRUE(jr_str_is(&o, "type", "retransmit"), "type");
	ASSERT_TRUE(jr_u64(&o, "ts_ns", &u) && u == UINT64_MAX, "u64 max");
	ASSERT_TRUE(jr_i64(&o, "err", &i) && i == -11, "negative");
	ASSERT_TRUE(!jr_u64(&o, "err", &u), "negative is not u64");
	ASSERT_TRUE(jr_double(&o, "f", &d) && d == 1500.0, "exponent");
	ASSERT_TRUE(!jr_u64(&o, "f", &u), "fraction is not u64");
	ASSERT_TRUE(jr_bool(&o, "has_sock", &b) && b, "bool");
	ASSERT_TRUE(jr_find(&o, "x") && jr_find(&o, "x")->type == JR_NULL, "null");
	ASSERT_TRUE(jr_str(&o, "saddr", buf, sizeof(buf)), "str");
	ASSERT_STREQ(buf, "10.231.80.1", "saddr");
	ASSERT_TRUE(!jr_find(&o, "missing"), "missing");
	ASSERT_TRUE(!jr_str(&o, "cookie", buf, sizeof(buf)), "number is not a string");
}

TEST(jsonr_nested_and_escapes)
{
	static const char line[] =
	    "{ \"s\" : \"a\\\"b\\\\c\\n\\u00e9\\ud83d\\ude00\\ud800x</script>\" ,"
	    "\"o\":{\"agreement\":{\"agreed\":7,\"arr\":[1,[2,{}],\"]\"]}},\"e\":{},\"a\":[]}";
	struct jr_obj o = { 0 }, sub = { 0 }, sub2 = { 0 };
	uint64_t u = 0;
	char buf[64];

	if (!ASSERT_EQ(parse(&o, line), 0, "parse"))
		return;
	ASSERT_TRUE(jr_str(&o, "s", buf, sizeof(buf)), "str");
	ASSERT_STREQ(buf, "a\"b\\c\n\xc3\xa9\xf0\x9f\x98\x80\xef\xbf\xbdx</script>", "unescaped");
	ASSERT_TRUE(jr_sub(&o, "o", &sub) && jr_sub(&sub, "agreement", &sub2), "nested");
	ASSERT_TRUE(jr_u64(&sub2, "agreed", &u) && u == 7, "nested value");
	ASSERT_TRUE(jr_find(&sub2, "arr")->type == JR_ARRAY, "array");
	ASSERT_TRUE(jr_sub(&o, "e", &sub) && sub.n == 0, "empty object");
	ASSERT_TRUE(!jr_sub(&o, "a", &sub), "array is not an object");
	/* cut to fit, NUL-terminated */
	ASSERT_TRUE(jr_str(&o, "s", buf, 4), "short buffer");
	ASSERT_STREQ(buf, "a\"b", "cut");
}

TEST(jsonr_bad_input)
{
	static const char *const bad[] = {
		"",
		"   ",
		"[]",
		"1",
		"\"s\"",
		"{",
		"}",
		"{\"a\"}",
		"{\"a\":}",
		"{\"a\":1,}",
		"{\"a\":1 \"b\":2}",
		"{a:1}",
		"{\"a\":01}",
		"{\"a\":1.}",
		"{\"a\":.5}",
		"{\"a\":-}",
		"{\"a\":1e}",
		"{\"a\":tru}",
		"{\"a\":nul}",
		"{\"a\":\"x}",
		"{\"a\":\"\\x\"}",
		"{\"a\":\"\\u12g4\"}",
		"{\"a\":\"\t\"}",
		"{\"a\":[1,]}",
		"{\"a\":[1}",
		"{\"a\":{\"b\":1]}",
		"{\"a\":1}x",
		"{\"a\":1}{}",
		"{'a':1}",
		"{\"a\":NaN}",
		"{\"a\":+1}",
		"{\"a\":\"\\",
	};
	char deep[200];
	struct jr_obj o = { 0 };
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (parse(&o, bad[i]) != -EINVAL) {
			TEST_FAIL_AT("bad input accepted: %s", bad[i]);
			return;
		}
	/* nesting past JR_MAX_DEPTH */
	strcpy(deep, "{\"a\":");
	for (i = 0; i < 40; i++)
		strcat(deep, "[");
	for (i = 0; i < 40; i++)
		strcat(deep, "]");
	strcat(deep, "}");
	ASSERT_EQ(parse(&o, deep), -EINVAL, "too deep");
	/* a NUL inside the given length is not whitespace */
	ASSERT_EQ(jr_parse(&o, "{}\0", 3), -EINVAL, "embedded NUL");
	ASSERT_EQ(jr_parse(&o, "{\"a\":1}", 7), 0, "exact length");
	ASSERT_EQ(jr_parse(&o, "{\"a\":1}", 6), -EINVAL, "truncated");
}

TEST(jsonr_overflow_and_many_members)
{
	char line[4096];
	struct jr_obj o = { 0 };
	uint64_t u = 0;
	size_t off;
	int i;

	ASSERT_EQ(parse(&o, "{\"a\":18446744073709551616}"), 0, "parse big");
	ASSERT_TRUE(!jr_u64(&o, "a", &u), "u64 overflow refused");
	off = (size_t)snprintf(line, sizeof(line), "{");
	for (i = 0; i < JR_MAX_MEMBERS + 6; i++)
		off += (size_t)snprintf(line + off, sizeof(line) - off, "%s\"k%d\":%d",
					i ? "," : "", i, i);
	snprintf(line + off, sizeof(line) - off, "}");
	ASSERT_EQ(parse(&o, line), 0, "parse many");
	ASSERT_EQ(o.n, JR_MAX_MEMBERS, "indexed");
	ASSERT_EQ(o.dropped, 6, "dropped");
	ASSERT_TRUE(jr_u64(&o, "k63", &u) && u == 63, "last indexed");
}
