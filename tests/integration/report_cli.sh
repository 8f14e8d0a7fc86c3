#!/usr/bin/env bash
# The good citizen: report and --metrics reject bad input with exit 2 and
# one line; --version; every subcommand's --help has examples, and every
# option it lists is completed by scripts/completion/tcpscope.bash and named
# in the man page; make install puts the man page and the completion where
# man and bash-completion look.
. "$(dirname "$0")/../lib.sh"

bad() { # NAME WORD ARGS...
	local name=$1 word=$2 rc
	shift 2
	"$TCPSCOPE" "$@" > "$TMP/out" 2> "$TMP/err"
	rc=$?
	if [ "$rc" -ne 2 ]; then fail "$name" "exit $rc, want 2: $*"
	elif [ "$(wc -l < "$TMP/err")" -ne 1 ]; then fail "$name" "stderr: $(head -c 300 "$TMP/err")"
	elif ! grep -qF -- "$word" "$TMP/err"; then fail "$name" "stderr lacks '$word': $(cat "$TMP/err")"
	else pass "$name"; fi
}
bad report_no_input "no timeline" report
bad report_no_output "-o" report x.jsonl
bad report_bad_conn "abc" report x.jsonl -o y.html --conn abc
bad report_bad_points "50" report x.jsonl -o y.html --max-points 50
bad report_extra_arg "z" report x.jsonl z -o y.html
"$TCPSCOPE" report /nonexistent.jsonl -o "$TMP/x.html" 2> "$TMP/err"
check_eq report_missing_file_exit "$?:$(wc -l < "$TMP/err")" "1:1"
printf 'garbage\n{"type":"x"}\n' > "$TMP/empty.jsonl"
"$TCPSCOPE" report "$TMP/empty.jsonl" -o "$TMP/x.html" 2> "$TMP/err"
check_eq report_no_events_exit "$?:$(grep -c 'no timeline events' "$TMP/err")" "1:1"
ln -s "$TMP/target" "$TMP/link.html"
"$TCPSCOPE" report "$TOP/tests/integration/report_cli.sh" -o "$TMP/link.html" 2>/dev/null
check_eq report_no_symlink_follow "$([ -e "$TMP/target" ] && echo followed || echo refused)" refused
"$TCPSCOPE" trace --metrics 1.2.3 --duration 1 > /dev/null 2> "$TMP/err"
check_eq metrics_bad_addr "$?:$(grep -c 'ADDR:PORT' "$TMP/err")" "2:1"

check_eq version "$("$TCPSCOPE" --version)" "tcpscope $(cat "$TOP/VERSION")"
COMP=$TOP/scripts/completion/tcpscope.bash
bash -n "$COMP"
check_eq completion_syntax "$?" 0
for cmd in trace stress server client monitor report doctor; do
	"$TCPSCOPE" $cmd --help > "$TMP/help" 2>&1
	check_eq "help_$cmd" "$?" 0
	check_eq "help_${cmd}_examples" "$(grep -c '^Examples:' "$TMP/help")" 1
	missing=""
	for o in $(grep -oE -- '--[a-z][a-z0-9-]+' "$TMP/help" | sort -u); do
		grep -qE -- "(^|[ \"])$o( |\"|$)" "$COMP" || missing="$missing $o"
	done
	check_eq "completion_$cmd" "${missing:-none}" none
done
# The completion function answers.
out=$(bash -c ". '$COMP'; COMP_WORDS=(tcpscope rep); COMP_CWORD=1; _tcpscope; echo \${COMPREPLY[*]}")
check_eq completion_command "$out" report
out=$(bash -c ". '$COMP'; COMP_WORDS=(tcpscope trace --metr); COMP_CWORD=2; _tcpscope; echo \${COMPREPLY[*]}")
check_eq completion_option "$out" --metrics
for o in --metrics --report --timeline --version -q; do
	grep -qF -- "${o//-/\\-}" "$TOP/docs/tcpscope.8"
	check_eq "man_names_$o" "$?" 0
done
if command -v groff > /dev/null; then
	check_eq man_renders_clean "$(groff -man -Tutf8 -ww -z "$TOP/docs/tcpscope.8" 2>&1)" ""
else
	skip man_renders_clean "groff not installed"
fi
make -C "$TOP" -s install DESTDIR="$TMP/root" PREFIX=/usr > "$TMP/install.out" 2>&1
check_eq install_exit "$?" 0
for f in sbin/tcpscope share/man/man8/tcpscope.8 share/bash-completion/completions/tcpscope \
	share/doc/tcpscope/json.md; do
	check_eq "installed_$(basename "$f")" "$([ -f "$TMP/root/usr/$f" ] && echo yes)" yes
done
make -C "$TOP" -s uninstall DESTDIR="$TMP/root" PREFIX=/usr > /dev/null 2>&1
check_eq uninstall_leaves_nothing "$(find "$TMP/root" -type f | wc -l)" 0
