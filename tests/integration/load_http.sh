#!/usr/bin/env bash
# stress against a real HTTP server: Debian's nginx, started here in a
# namespace of this run with its own config, pid file and logs. The
# transactions stress counts equal nginx's own count (stub_status requests,
# access log lines) with keep-alive and with Connection: close, chunked
# bodies included; status classes equal the access log's; --trace agrees on
# those connections (nginx is another process: the cookie filter keeps only
# ours); a server that never answers ends the run within its --duration
# bound, says what it cut and exits 1 with one line.
source "$(dirname "$0")/../lib.sh"
need jq
need nginx
need curl
need python3

NS="tshttp$$"
PORT=18088
ip netns add "$NS" && cleanup_add ip netns del "$NS"
ip -n "$NS" link set lo up
nsx() { ip netns exec "$NS" "$@"; }

mkdir -p "$TMP/nginx"
cat >"$TMP/nginx/nginx.conf" <<EOF
worker_processes 1;
pid $TMP/nginx/nginx.pid;
error_log $TMP/nginx/error.log warn;
events { worker_connections 4096; }
http {
	access_log $TMP/nginx/access.log;
	client_body_temp_path $TMP/nginx/body;
	proxy_temp_path $TMP/nginx/proxy;
	fastcgi_temp_path $TMP/nginx/fastcgi;
	uwsgi_temp_path $TMP/nginx/uwsgi;
	scgi_temp_path $TMP/nginx/scgi;
	# A connection closed by nginx every 100 requests: rr opens another.
	keepalive_requests 100;
	server {
		listen 127.0.0.1:$PORT;
		location = /status { stub_status; access_log off; }
		location = /hello { default_type text/plain; return 200 "hello\n"; }
		location = /moved { return 301 /hello; }
		location = /gone { return 404; }
		location = /broken { return 503; }
		# gzip of a body of unknown length: Transfer-Encoding: chunked
		location = /gz {
			default_type text/plain;
			gzip on; gzip_min_length 0; gzip_types text/plain;
			return 200 "hello hello hello hello hello hello\n";
		}
	}
}
EOF
# Not through nsx: $! would be the function's subshell.
ip netns exec "$NS" nginx -e "$TMP/nginx/error.log" -p "$TMP/nginx" -c "$TMP/nginx/nginx.conf" \
	-g 'daemon off;' </dev/null >/dev/null 2>&1 &
NGINX=$!
cleanup_add kill "$NGINX"
for ((i = 0; i < 200; i++)); do
	nsx curl -sf "http://127.0.0.1:$PORT/status" >/dev/null 2>&1 && break
	sleep 0.1
done
nsx curl -sf "http://127.0.0.1:$PORT/status" >/dev/null || { fail nginx_up "nginx did not answer"; exit 0; }

# stub_status: "accepts handled requests"; each read is a connection and a
# request of its own, taken out below.
stub() { nsx curl -s "http://127.0.0.1:$PORT/status" | awk 'NR == 3 { print $1, $3 }'; }
log_lines() { grep -c "\"GET $1 HTTP/1.1\" $2 " "$TMP/nginx/access.log"; }
# nginx writes a request's log line after its response: the last ones of a
# run a moment after stress is done.
log_settle() { sleep 0.2; }
REQ='GET /hello HTTP/1.1\r\nHost: localhost\r\n\r\n'

# run NAME ARGS...: stress against nginx; sets J, ACC (connections nginx
# accepted), NREQ (requests it counted) for the run
run() {
	local name=$1 a0 r0 a1 r1
	shift
	read -r a0 r0 < <(stub)
	nsx "$TCPSCOPE" stress "127.0.0.1:$PORT" --threads 1 --json "$@" >"$TMP/$name.json" 2>"$TMP/$name.err"
	check_eq "${name}_exit" "$?" 0
	read -r a1 r1 < <(stub)
	ACC=$((a1 - a0 - 1))
	NREQ=$((r1 - r0 - 1))
	J="$TMP/$name.json"
}
q() { jq -r "$1" "$J"; }

# -- rr, keep-alive: every request nginx counted is one stress completed or
# cut short at the end; nginx's closes every 100 requests were reopened.
: >"$TMP/nginx/access.log"
run keepalive --mode rr -c 8 --duration 2s --request "$REQ"
check_eq keepalive_requests_eq_nginx "$(q '.transactions + .cut_short')" "$NREQ"
log_settle
check_eq keepalive_access_log "$(log_lines /hello 200)" "$NREQ"
check_eq keepalive_connections_eq_nginx "$(q .connections.attempted)" "$ACC"
check_eq keepalive_2xx "$(q '.http_status["2xx"]')" "$(q .transactions)"
check_eq keepalive_response_errors "$(q .response_errors.total)" 0
check_cmp keepalive_many "$(q .transactions)" -gt 1000
check_eq keepalive_reopened "$(q .reopened)" "$(q '.connections.attempted - 8')"
# nginx closes a connection after its 100th request: each reopened one
# carried 100, the 8 open at the end fewer.
rest=$(q '.transactions + .cut_short - 100 * .reopened')
check_cmp keepalive_100_per_connection "$rest" -ge 0
check_cmp keepalive_100_per_connection_rest "$rest" -lt 800
check_eq keepalive_cut_reason "$(q .cut_reason)" duration

# -- churn, Connection: close, a chunked (gzip) body: one transaction per
# connection, nginx's count exact
: >"$TMP/nginx/access.log"
run close --mode churn -n 300 --concurrency 8 \
	--request 'GET /gz HTTP/1.1\r\nHost: localhost\r\nAccept-Encoding: gzip\r\nConnection: close\r\n\r\n'
check_eq close_transactions "$(q .transactions)" 300
check_eq close_requests_eq_nginx "$NREQ" 300
check_eq close_connections_eq_nginx "$ACC" 300
log_settle
check_eq close_access_log "$(log_lines /gz 200)" 300
check_eq close_2xx "$(q '.http_status["2xx"]')" 300
check_eq close_cut_short "$(q '.cut_short + .cut_connecting')" 0
check_eq close_response_errors "$(q .response_errors.total)" 0
chunked=$(nsx curl -si -H 'Accept-Encoding: gzip' "http://127.0.0.1:$PORT/gz" | grep -ci '^transfer-encoding: chunked')
check_eq close_body_was_chunked "$chunked" 1

# -- rr with Connection: close: every response ends its connection, and rr
# opens the next
: >"$TMP/nginx/access.log"
run rr_close --mode rr -c 4 --duration 1s \
	--request 'GET /hello HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n'
check_eq rr_close_requests_eq_nginx "$(q '.transactions + .cut_short')" "$NREQ"
check_eq rr_close_connections_eq_nginx "$(q .connections.attempted)" "$ACC"
check_eq rr_close_reopened "$(q .reopened)" "$(q '.connections.attempted - 4')"
check_cmp rr_close_reopened_each "$(q '.reopened - .transactions')" -ge -4

# -- status classes: redirects, missing pages, server errors, in stress
# as in nginx's log
for ps in moved:301:3xx gone:404:4xx broken:503:5xx; do
	IFS=: read -r path status class <<<"$ps"
	: >"$TMP/nginx/access.log"
	run "status_$status" --mode churn -n 100 --concurrency 4 \
		--request "GET /$path HTTP/1.1\\r\\nHost: localhost\\r\\n\\r\\n"
	log_settle
	check_eq "status_${status}_$class" "$(q ".http_status[\"$class\"]")" 100
	check_eq "status_${status}_access_log" "$(log_lines "/$path" "$status")" 100
	check_eq "status_${status}_nginx_requests" "$NREQ" 100
	check_eq "status_${status}_2xx" "$(q '.http_status["2xx"]')" 0
done

# -- --trace on nginx's connections: ours only, every one agreed
run trace --mode rr -c 4 --duration 1s --request "$REQ" --trace
check_eq trace_ours_eq_attempted "$(q .trace.connections.ours)" "$(q .connections.attempted)"
check_eq trace_no_server_side "$(q .trace.connections.server)" 0
check_eq trace_agreement_all "$(q .trace.agreement.agreed)" "$(q .connections.established)"
check_eq trace_mismatched "$(q .trace.agreement.mismatched)" 0
check_eq trace_lost "$(q .trace.lost)" 0
check_eq trace_requests_eq_nginx "$(q '.transactions + .cut_short')" "$NREQ"

# -- a server that never answers: a listener nobody accepts from. The run
# ends within a second of --duration, cuts what waits and exits 1 with
# one line on stderr.
ip netns exec "$NS" python3 -c 'import socket, time
s = socket.socket(); s.bind(("127.0.0.1", 18089)); s.listen(64); time.sleep(60)' </dev/null >/dev/null 2>&1 &
SILENT=$!
cleanup_add kill "$SILENT"
# python3 can take seconds to start on a loaded machine: up to 20 s.
for ((i = 0; i < 200; i++)); do nsx ss -Hltn 'sport = :18089' | grep -q . && break; sleep 0.1; done
nsx ss -Hltn 'sport = :18089' | grep -q . || fail silent_listener "python3 did not listen in 20 s"
for mode in rr churn; do
	t0=$(date +%s%N)
	nsx "$TCPSCOPE" stress 127.0.0.1:18089 --mode "$mode" -c 8 --concurrency 8 --threads 1 \
		--duration 2s --request "$REQ" --json >"$TMP/silent-$mode.json" 2>"$TMP/silent-$mode.err"
	rc=$?
	ms=$((($(date +%s%N) - t0) / 1000000))
	J="$TMP/silent-$mode.json"
	check_eq "silent_${mode}_exit" "$rc" 1
	# The run's own clock, from the first connect: within a second of
	# --duration; the process's whole life (start-up, exit) on a loaded
	# machine within two.
	check_cmp "silent_${mode}_within_bound_ms" "$(q '.duration_s * 1000 | floor')" -lt 3000
	check_cmp "silent_${mode}_wall_ms" "$ms" -lt 4000
	check_eq "silent_${mode}_stderr_one_line" "$(wc -l <"$TMP/silent-$mode.err")" 1
	check_eq "silent_${mode}_says_why" "$(grep -c 'no transaction completed.*8 cut short at the --duration bound' "$TMP/silent-$mode.err")" 1
	check_eq "silent_${mode}_cut_short" "$(q .cut_short)" 8
	check_eq "silent_${mode}_transactions" "$(q .transactions)" 0
	check_eq "silent_${mode}_json_valid" "$(jq -e .cut_reason "$J")" '"duration"'
done

# -- a response that is not HTTP (the built-in server's byte stream):
# counted by reason, never waited for, exit 1
"$TCPSCOPE" stress --server-mode source --mode rr -c 4 --threads 1 --duration 1s \
	--request "$REQ" --json >"$TMP/nothttp.json" 2>"$TMP/nothttp.err"
check_eq not_http_exit "$?" 1
J="$TMP/nothttp.json"
check_eq not_http_counted "$(q .response_errors.total)" "$(q .connections.established)"
check_eq not_http_stderr_one_line "$(wc -l <"$TMP/nothttp.err")" 1

# -- usage errors: exit 2, one line naming what was wrong
usage() { # name expected-substring args...
	local name=$1 want=$2 out rc
	shift 2
	out=$("$TCPSCOPE" stress "$@" 2>&1 >/dev/null)
	rc=$?
	if [ "$rc" -eq 2 ] && [ "$(printf '%s\n' "$out" | wc -l)" -eq 1 ] && [[ "$out" == *"$want"* ]]; then
		pass "usage_$name"
	else
		fail "usage_$name" "rc $rc, stderr '$out'"
	fi
}
usage bad_escape 'a\q' --mode rr --request 'a\q'
usage bad_hex 'a\xZ1' --mode rr --request 'a\xZ1'
usage empty_request "at least one byte" --mode rr --request ''
usage no_file "cannot read $TMP/none" --mode rr --request "@$TMP/none"
usage bad_response "expected http, bytes:N, line or until-close" --mode rr --request x --response xml
usage bytes_zero "bytes:0" --mode rr --request x --response bytes:0
usage response_alone "--response needs --request" --mode rr --response http
usage with_size "give one" --mode rr --request x --size 8
usage hold "--request needs --mode rr or churn" --request x
# @FILE: the bytes as they are, no escapes read
printf 'GET /hello HTTP/1.1\r\nHost: localhost\r\n\r\n' >"$TMP/req"
run file --mode rr -c 1 --duration 0.5s --request "@$TMP/req"
check_eq file_request_bytes "$(q .request_bytes)" "$(stat -c %s "$TMP/req")"
check_cmp file_2xx "$(q '.http_status["2xx"]')" -gt 0
