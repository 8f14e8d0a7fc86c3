#!/usr/bin/env bash
# stress --trace --report in the lossy lab, opened in headless Chromium: the
# page draws its charts offline, and the numbers the DOM holds equal the
# run's own summary (stress --json) and the timeline (counted with jq). A
# screenshot must not be blank. Then tcpscope report on crafted timelines:
# strings that try to close the script element stay data, and a connection
# of 300k probe samples is decimated to the stated bound.
. "$(dirname "$0")/../lib.sh"
CHROMIUM=$(command -v chromium || command -v chromium-browser || true)
[ -n "$CHROMIUM" ] || { skip chromium "chromium not installed (apt-get install chromium)"; exit 0; }
need jq
need python3
lab_up 81
PORT=5581

browser() { # dump-dom|screenshot FILE.html [OUT.png]
	local prof; prof=$(mktemp -d "$TMP/chromium.XXXXXX")
	local args=(--headless --no-sandbox --disable-gpu --disable-background-networking
		--disable-component-update --disable-sync --no-first-run --user-data-dir="$prof")
	if [ "$1" = dump-dom ]; then
		timeout 90 "$CHROMIUM" "${args[@]}" --dump-dom "file://$2" 2>"$TMP/chromium.err"
	else
		timeout 90 "$CHROMIUM" "${args[@]}" --screenshot="$3" --window-size=1280,2400 \
			"file://$2" >/dev/null 2>"$TMP/chromium.err"
	fi
}
# dom_attr DOM ID ATTR: the attribute of the element with that id.
dom_attr() {
	grep -o "<[^>]* id=\"$2\"[^>]*>" "$1" | head -1 | grep -o " $3=\"[^\"]*\"" | cut -d'"' -f2
}
# svg_attr DOM HOST_ID ATTR: an attribute of the first svg inside that host.
svg_attr() {
	awk -v id="id=\"$2\"" 'index($0, id) { on = 1 } on' "$1" | grep -o '<svg[^>]*>' | head -1 |
		grep -o " $3=\"[^\"]*\"" | cut -d'"' -f2
}

ip netns exec "$NS_B" "$TCPSCOPE" server --listen "$IP_B:$PORT" --mode echo --duration 60 \
	> "$TMP/server.out" 2>&1 &
cleanup_add kill $!
wait_for_line "$TMP/server.out" '^listening' || fail setup "server did not start"
"$LAB" loss "$LABNAME" 3 $PORT
ip netns exec "$NS_A" "$TCPSCOPE" stress "$IP_B:$PORT" --mode churn --size 20000 --rate 150 \
	--duration 3 --json --timeline "$TMP/tl.jsonl" --report "$TMP/run.html" \
	> "$TMP/run.json" 2> "$TMP/run.err"
check_eq run/exit "$?" 0
"$LAB" clear "$LABNAME"
J="$TMP/run.json"
check_eq timeline/summary_last "$(tail -1 "$TMP/tl.jsonl" | jq -r .type)" stress_summary
check_eq timeline/summary_is_run_json \
	"$(tail -1 "$TMP/tl.jsonl" | jq -c '.connections, .trace.retransmit_segs')" \
	"$(jq -c '.connections, .trace.retransmit_segs' "$J")"
# Self-contained: nothing to fetch.
refs=$(grep -Eoi '(src|href)=|url\(|@import|<link' "$TMP/run.html" | wc -l)
check_eq html/no_external_references "$refs" 0

browser dump-dom "$TMP/run.html" > "$TMP/dom.html"
check_eq browser/loaded "$?" 0
DOM="$TMP/dom.html"
check_eq browser/script_ran "$(grep -o 'data-rendered="1"' "$DOM" | head -1)" 'data-rendered="1"'
check_eq dom/established "$(dom_attr "$DOM" s-established data-value)" \
	"$(jq .connections.established "$J")"
check_eq dom/params_attempted "$(dom_attr "$DOM" params-table data-attempted)" \
	"$(jq .connections.attempted "$J")"
check_eq dom/retransmit_segs "$(dom_attr "$DOM" s-retrans-segs data-value)" \
	"$(jq .trace.retransmit_segs "$J")"
for k in fast rto syn failed other tlp; do
	check_eq "dom/kind_$k" "$(svg_attr "$DOM" chart-retrans "data-total-$k")" \
		"$(jq ".trace.retransmits.$k" "$J")"
done
check_eq dom/retransmit_chart_total "$(svg_attr "$DOM" chart-retrans data-total)" \
	"$(jq .trace.events.retransmit "$J")"
check_cmp dom/retransmits_happened "$(jq .trace.retransmit_segs "$J")" -gt 0
check_eq dom/connect_latency_n "$(dom_attr "$DOM" chart-connect data-n)" \
	"$(jq .connect_latency_us.count "$J")"
check_eq dom/connect_chart_total "$(svg_attr "$DOM" chart-connect data-total)" \
	"$(jq .connect_latency_us.count "$J")"
check_eq dom/handshake_n "$(dom_attr "$DOM" chart-handshake data-n)" \
	"$(jq .trace.handshake_us.n "$J")"
check_eq dom/connects_over_time "$(svg_attr "$DOM" chart-rate data-total-connect)" \
	"$(jq .connections.attempted "$J")"
check_eq dom/check_run_agreed "$(dom_attr "$DOM" check-run data-agreed)" \
	"$(jq .trace.agreement.agreed "$J")"
check_eq dom/check_timeline_equals_run "$(dom_attr "$DOM" check-timeline data-agreed)/$(dom_attr "$DOM" check-timeline data-mismatched)" \
	"$(jq -r '"\(.trace.agreement.agreed)/\(.trace.agreement.mismatched)"' "$J")"
check_eq dom/time_in_established "$(grep -o '<tr data-state="ESTABLISHED" data-n="[0-9]*"' "$DOM" | grep -o '[0-9]*"$' | tr -d '"')" \
	"$(jq .trace.time_in_state_us.ESTABLISHED.n "$J")"
# The connection with the most retransmits is drawn, one mark per event.
top=$(jq .trace.top_retransmits[0].cookie "$J")
marks=$(awk -v id="id=\"conn-$top\"" 'index($0, id) { on = 1 } on' "$DOM" | grep -o '<div[^>]*class="chart conn"[^>]*>' | head -1 | grep -o 'data-rtx="[0-9]*"' | tr -dc 0-9)
check_eq dom/top_conn_marks "$marks" \
	"$(jq -s "[.[] | select(.type==\"retransmit\" and .cookie==$top)] | length" "$TMP/tl.jsonl")"
check_cmp dom/curves_drawn "$(grep -o 'class="curve"' "$DOM" | wc -l)" -gt 0
check_cmp dom/retransmit_marks_drawn "$(grep -o 'class="rtx-mark"' "$DOM" | wc -l)" -gt 0
check_cmp dom/state_marks_drawn "$(grep -o 'class="state-mark"' "$DOM" | wc -l)" -gt 0
# Drops and congestion intervals on the drawn connections' curves: per
# connection its drop events and congestion changes (counted in the
# timeline with jq), and across the three panels of each, one drop mark per
# drop event and one band per interval outside Open.
hosts=$(grep -o '<div[^>]*class="chart conn"[^>]*>' "$DOM")
cookies=$(grep -o 'data-cookie="[0-9]*"' <<<"$hosts" | tr -dc '0-9\n')
want_drops=0; want_bands=0; ok_drops=0; ok_cong=0; n=0
for ck in $cookies; do
	h=$(grep "data-cookie=\"$ck\"" <<<"$hosts" | head -1)
	d=$(jq -s --argjson c "$ck" '[.[] | select(.type=="drop" and .cookie==$c)] | length' "$TMP/tl.jsonl")
	g=$(jq -s --argjson c "$ck" '[.[] | select(.type=="cong" and .cookie==$c and .old != .new)] | length' "$TMP/tl.jsonl")
	b=$(jq -s --argjson c "$ck" '[.[] | select(.type=="cong" and .cookie==$c and .old != .new and .new != "Open")] | length' "$TMP/tl.jsonl")
	[ "$(grep -o 'data-drops="[0-9]*"' <<<"$h" | tr -dc 0-9)" = "$d" ] && ok_drops=$((ok_drops + 1))
	[ "$(grep -o 'data-cong="[0-9]*"' <<<"$h" | tr -dc 0-9)" = "$g" ] && ok_cong=$((ok_cong + 1))
	want_drops=$((want_drops + 3 * d)); want_bands=$((want_bands + 3 * b)); n=$((n + 1))
done
check_cmp dom/conns_drawn "$n" -gt 0
check_eq dom/conn_drops_per_connection "$ok_drops" "$n"
check_eq dom/conn_cong_changes_per_connection "$ok_cong" "$n"
check_eq dom/drop_marks_drawn "$(grep -o 'class="drop-mark"' "$DOM" | wc -l)" "$want_drops"
check_eq dom/cong_bands_drawn "$(grep -o 'class="cong-band"' "$DOM" | wc -l)" "$want_bands"
if kernel_has congestion_timeline; then
	check_cmp dom/some_cong_bands "$want_bands" -gt 0
else
	check_eq dom/no_cong_bands_without_tracepoint "$want_bands" 0 # $KERNEL_SAYS
fi
check_cmp dom/some_drop_marks "$want_drops" -gt 0
# Time in each congestion state: the report's intervals (from the
# timeline's cong events) are the ones stress --trace counted live.
for st in Open Disorder CWR Recovery Loss; do
	got=$(grep -o "<tr data-cong-state=\"$st\" data-n=\"[0-9]*\"" "$DOM" | grep -o '[0-9]*"$' | tr -d '"')
	check_eq "dom/cong_time_in_$st" "${got:-0}" "$(jq ".trace.congestion.time_in_state_us.$st.n // 0" "$J")"
done
if kernel_has congestion_timeline; then
	check_cmp dom/some_cong_rows "$(grep -c 'data-cong-state=' "$DOM")" -gt 0
else
	check_eq dom/no_cong_rows_without_tracepoint "$(grep -c 'data-cong-state=' "$DOM")" 0 # $KERNEL_SAYS
fi

browser screenshot "$TMP/run.html" "$TMP/run.png"
read -r w h colors permille < <(python3 "$TOP/tests/helpers/pngstat.py" "$TMP/run.png")
check_eq screenshot/size "${w}x$h" 1280x2400
check_cmp screenshot/colors "$colors" -gt 50
check_cmp screenshot/not_blank_permille "$permille" -gt 20

# A hostile string: it must stay text, and the page must still draw.
first=$(grep -m1 '"type":"close"' "$TMP/tl.jsonl")
{
	head -200 "$TMP/tl.jsonl"
	echo "$first" | jq -c '.err = "</script><img id=pwned src=x onerror=alert(1)>&amp;<!--"'
	echo 'not json at all'
	echo '{"type":"state","ts_ns":'
} > "$TMP/hostile.jsonl"
"$TCPSCOPE" report "$TMP/hostile.jsonl" -o "$TMP/hostile.html" 2> "$TMP/hostile.err"
check_eq hostile/exit "$?" 0
browser dump-dom "$TMP/hostile.html" > "$TMP/hostile-dom.html"
check_eq hostile/script_ran "$(grep -o 'data-rendered="1"' "$TMP/hostile-dom.html" | head -1)" 'data-rendered="1"'
check_eq hostile/no_injected_element "$(grep -c 'id="pwned"' "$TMP/hostile-dom.html")" 0
check_eq hostile/bad_lines_counted "$(dom_attr "$TMP/hostile-dom.html" bad-lines data-value)" 2
check_eq hostile/error_name_kept "$(grep -c 'data-total-__script__img_id_pwned' "$TMP/hostile-dom.html")" 1

# 300k probe samples on one connection: decimated to the bound, and said so.
python3 - "$TMP/big.jsonl" <<'PY'
import json, sys
with open(sys.argv[1], "w") as f:
    base = {"cookie": 77, "netns": 1, "family": 4, "saddr": "10.231.81.1", "sport": 40000,
            "daddr": "10.231.81.2", "dport": 5581, "side": "client"}
    t = 10**12
    f.write(json.dumps(dict(base, type="state", ts_ns=t, old="CLOSE", new="SYN_SENT")) + "\n")
    f.write(json.dumps(dict(base, type="state", ts_ns=t + 50000, old="SYN_SENT", new="ESTABLISHED")) + "\n")
    for i in range(300000):
        t += 10000
        f.write(json.dumps(dict(base, type="probe", ts_ns=t, srtt_us=100 + i % 977, snd_cwnd=10 + i % 50,
                                ssthresh=2147483647 if i < 1000 else 30, snd_wnd=65535, rcv_wnd=65535,
                                inflight=(i * 7919) % 60000, data_len=0)) + "\n")
        if i % 10000 == 5000:
            f.write(json.dumps(dict(base, type="retransmit", ts_ns=t, state="ESTABLISHED", ca_state="Recovery",
                                    kind="fast", err=0, segs=1, total_retrans=i // 10000 + 1, retransmits=0)) + "\n")
PY
start=$(date +%s%N)
"$TCPSCOPE" report "$TMP/big.jsonl" -o "$TMP/big.html" --conn 77 --max-points 1000
check_eq big/exit "$?" 0
check_cmp big/render_ms "$(( ($(date +%s%N) - start) / 1000000 ))" -lt 20000
start=$(date +%s%N)
browser dump-dom "$TMP/big.html" > "$TMP/big-dom.html"
check_cmp big/browser_ms "$(( ($(date +%s%N) - start) / 1000000 ))" -lt 30000
check_eq big/script_ran "$(grep -o 'data-rendered="1"' "$TMP/big-dom.html" | head -1)" 'data-rendered="1"'
maxpts=$(grep -o 'data-points="[0-9]*"' "$TMP/big-dom.html" | tr -dc '0-9\n' | sort -n | tail -1)
check_cmp big/points_bounded "$maxpts" -le 1000
check_cmp big/points_kept "$maxpts" -ge 500
check_eq big/says_decimated "$(grep -c 'decimated: 300000 samples' "$TMP/big-dom.html")" 1
check_eq big/probe_samples "$(dom_attr "$TMP/big-dom.html" s-probes data-value)" 300000
check_eq big/marks "$(grep -o 'class="rtx-mark"' "$TMP/big-dom.html" | wc -l)" $((30 * 3))
