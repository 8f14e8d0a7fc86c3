#!/usr/bin/env bash
# stress --trace, RST churn against a server in another process (so the
# cookie map, not a port, selects our sockets): every run, the resets the
# kernel view counts equal the connections closed, and equal the namespace's
# own TcpOutRsts delta. The kernel sets CLOSE before it sends the reset of an
# abortive close, so a cookie taken out of the filter at CLOSE lost resets
# (issue 17: 9999 of 10000, with lost 0). First, FIN and RST churn against
# stress's built-in server: both sides traced, each against the namespace's
# TcpActiveOpens / TcpPassiveOpens, every socket on its whole path.
. "$(dirname "$0")/../lib.sh"
NS=tcpscope-rst-$$
ip netns add "$NS" || { fail setup "ip netns add $NS"; exit 1; }
cleanup_add ip netns del "$NS"
ip -n "$NS" link set lo up
PORT=29511
RUNS=${RUNS:-4}
N=${N:-5000}
if emulated; then
	# An emulated CPU churns at about a tenth of the rate: fewer, smaller
	# runs, the same checks.
	RUNS=2 N=1000
	echo "emulated CPU: $RUNS runs of $N connections"
fi

out_rsts() {
	ip netns exec "$NS" nstat -az TcpOutRsts | awk '$1 == "TcpOutRsts" {print $2}'
}

churn() { # name target
	local name=$1 target=$2 i before after json
	for i in $(seq 1 "$RUNS"); do
		json=$TMP/$name-$i.json
		before=$(out_rsts)
		ip netns exec "$NS" "$TCPSCOPE" stress "$target" --mode churn --rate 2000 \
			--close rst -n "$N" --duration 60 --trace --json > "$json" 2> "$TMP/$name-$i.err"
		rc=$?
		check_eq "$name/$i/exit" "$rc" 0
		[ "$rc" -eq 0 ] || sed 's/^/  stress: /' "$TMP/$name-$i.err" | head -3
		after=$(out_rsts)
		closed=$(jq '.connections.closed' "$json")
		check_eq "$name/$i/closed" "$closed" "$N"
		check_eq "$name/$i/lost" "$(jq '.trace.lost' "$json")" 0
		check_eq "$name/$i/untraced" "$(jq '.trace.untraced' "$json")" 0
		# The oracle: the namespace's own count of resets sent, at least
		# one per closed connection. A client socket may send one more
		# (seen once on an emulated 6.1: 1001 for 1000, tcpscope 1001
		# too): what the kernel sent, we count, one for one.
		[ "$((after - before))" -gt "$closed" ] &&
			echo "  $name/$i: the namespace sent $((after - before)) resets for $closed closed connections"
		check_cmp "$name/$i/out_rsts_delta" "$((after - before))" -ge "$closed"
		check_eq "$name/$i/resets_sent" "$(jq '.trace.resets.client_sent' "$json")" "$((after - before))"
	done
}

counter() { ip netns exec "$NS" nstat -asz "$1" | awk -v k="$1" '$1 == k { print $2 }'; }

# stress's built-in server: both ends are ours. Each side counts N
# connections, as many as the namespace's own TcpActiveOpens and
# TcpPassiveOpens deltas (only this run's sockets live there), and every
# socket of each side went the one path TCP's state machine gives its close
# (the server's starts in SYN_RECV: on kernels before "inet: consolidate
# inet_csk_clone_lock()", 6.1 among them, the event fires before the child
# has its own identity and tcpscope must give it that).
both_sides() { # close: fin or rst
	local close=$1 j=$TMP/builtin-$1.json a0 p0 r0 client server
	a0=$(counter TcpActiveOpens); p0=$(counter TcpPassiveOpens); r0=$(counter TcpOutRsts)
	ip netns exec "$NS" "$TCPSCOPE" stress --mode churn --close "$close" -n "$N" --duration 60 \
		--trace --json > "$j" 2> "$j.err"
	check_eq "builtin/$close/exit" "$?" 0
	check_eq "builtin/$close/closed" "$(jq '.connections.closed' "$j")" "$N"
	check_eq "builtin/$close/lost" "$(jq '.trace.lost' "$j")" 0
	check_eq "builtin/$close/client_side" "$(jq '.trace.connections.client' "$j")" "$N"
	check_eq "builtin/$close/server_side" "$(jq '.trace.connections.server' "$j")" "$N"
	check_eq "builtin/$close/client_side_active_opens" "$(jq '.trace.connections.client' "$j")" \
		"$(($(counter TcpActiveOpens) - a0))"
	check_eq "builtin/$close/server_side_passive_opens" "$(jq '.trace.connections.server' "$j")" \
		"$(($(counter TcpPassiveOpens) - p0))"
	check_eq "builtin/$close/agreement" "$(jq '.trace.agreement.agreed' "$j")" "$N"
	if [ "$close" = rst ]; then
		client="SYN_SENT ESTABLISHED CLOSE"
		server="SYN_RECV ESTABLISHED CLOSE"
		check_eq "builtin/rst/resets_sent" "$(jq '.trace.resets.client_sent' "$j")" \
			"$(($(counter TcpOutRsts) - r0))"
		check_eq "builtin/rst/server_received" "$(jq '.trace.resets.server_received' "$j")" "$N"
	else
		# FIN_WAIT2 is skipped when the server's FIN comes with its ACK.
		client="SYN_SENT ESTABLISHED FIN_WAIT1( FIN_WAIT2)? CLOSE"
		server="SYN_RECV ESTABLISHED CLOSE_WAIT LAST_ACK CLOSE"
	fi
	jq -r '.trace.paths[] | "  \(.side): \(.states) = \(.count)"' "$j"
	# A socket off its path lost or doubled an event. tcpscope must have
	# said so: each such socket is one of the state hits the kernel ran
	# no program for (tracefs's count against the twins', seen on 6.18
	# when a softirq runs on top of another task) or a state event a
	# twin sent twice. Otherwise every socket goes the whole path.
	explained=$(jq '.trace.unrun_by_type.state + .trace.duplicated_by_type.state' "$j")
	[ "$explained" -gt 0 ] && echo "  builtin/$close: $explained state hits unrun or sent twice, as reported"
	# Counted where tracefs has eventfs (doctor's unrun_counted; not 6.1).
	check_eq "builtin/$close/unrun_checked" "$(jq '.trace.unrun_checked' "$j")" \
		"$(kernel_has unrun_counted && echo true || echo false)"
	check_cmp "builtin/$close/client_paths" "$(jq --arg p "^$client\$" \
		'[.trace.paths[] | select(.side == "client" and (.states | test($p))) | .count] | add' "$j")" \
		-ge "$((N - explained))"
	check_cmp "builtin/$close/server_paths" "$(jq --arg p "^$server\$" \
		'[.trace.paths[] | select(.side == "server" and (.states | test($p))) | .count] | add' "$j")" \
		-ge "$((N - explained))"
	check_cmp "builtin/$close/unusual_reported" \
		"$(jq '[.trace.paths[] | select(.usual | not) | .count] | add // 0' "$j")" -le "$explained"
}
both_sides fin
both_sides rst
# The tracefs instances that counted the hits went with the runs.
check_eq "builtin/instances_removed" \
	"$(find /sys/kernel/tracing/instances -maxdepth 1 -name 'tcpscope.*' | wc -l)" 0

ip netns exec "$NS" "$TCPSCOPE" server --listen "127.0.0.1:$PORT" --mode echo --duration 300 \
	> "$TMP/server.out" 2>&1 &
cleanup_add kill $!
wait_for_line "$TMP/server.out" '^listening' || fail setup "server did not start"
churn tcpscope-server "127.0.0.1:$PORT"

if command -v nginx >/dev/null; then
	mkdir -p "$TMP/nginx"
	cat > "$TMP/nginx/nginx.conf" <<EOF
worker_processes 2;
pid $TMP/nginx/nginx.pid;
error_log $TMP/nginx/error.log;
events { worker_connections 4096; }
http {
	access_log off;
	client_body_temp_path $TMP/nginx/body; proxy_temp_path $TMP/nginx/proxy;
	fastcgi_temp_path $TMP/nginx/fcgi; uwsgi_temp_path $TMP/nginx/uwsgi;
	scgi_temp_path $TMP/nginx/scgi;
	server { listen 127.0.0.1:$((PORT + 1)); return 200 "ok"; }
}
EOF
	if ip netns exec "$NS" nginx -c "$TMP/nginx/nginx.conf" -p "$TMP/nginx" 2> "$TMP/nginx.err"; then
		cleanup_add kill "$(cat "$TMP/nginx/nginx.pid" 2>/dev/null)"
		churn nginx "127.0.0.1:$((PORT + 1))"
	else
		fail nginx/start "$(head -1 "$TMP/nginx.err")"
	fi
else
	skip nginx "nginx not installed (scripts/install-deps.sh --test installs it)"
fi
