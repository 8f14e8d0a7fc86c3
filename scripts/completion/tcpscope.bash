# bash completion for tcpscope (installed as
# $(PREFIX)/share/bash-completion/completions/tcpscope).
_tcpscope()
{
	local cur prev cmd opts
	COMPREPLY=()
	cur=${COMP_WORDS[COMP_CWORD]}
	prev=${COMP_WORDS[COMP_CWORD - 1]}
	if [ "$COMP_CWORD" -eq 1 ]; then
		COMPREPLY=($(compgen -W "trace stress server client monitor report doctor --help --version" -- "$cur"))
		return
	fi
	cmd=${COMP_WORDS[1]}
	case "$prev" in
	--timeline | --records | --report | -o | --output)
		COMPREPLY=($(compgen -f -- "$cur"))
		return ;;
	-e | --events)
		COMPREPLY=($(compgen -W "retransmit state probe reset drop cong all" -- "${cur##*,}"))
		[ "${cur%,*}" != "$cur" ] && COMPREPLY=("${COMPREPLY[@]/#/${cur%,*},}")
		return ;;
	--attach)
		COMPREPLY=($(compgen -W "auto tp_btf raw_tp" -- "$cur"))
		return ;;
	--mode)
		if [ "$cmd" = server ]; then
			COMPREPLY=($(compgen -W "echo sink source close reset" -- "$cur"))
		else
			COMPREPLY=($(compgen -W "hold churn rr" -- "$cur"))
		fi
		return ;;
	--server-mode)
		COMPREPLY=($(compgen -W "echo sink source close reset" -- "$cur"))
		return ;;
	--close)
		COMPREPLY=($(compgen -W "fin rst" -- "$cur"))
		return ;;
	--response)
		COMPREPLY=($(compgen -W "http bytes: line until-close" -- "$cur"))
		return ;;
	--request)
		[[ "$cur" == @* ]] && COMPREPLY=($(compgen -f -P @ -- "${cur#@}"))
		return ;;
	--spread)
		COMPREPLY=($(compgen -W "cpu hash" -- "$cur"))
		return ;;
	--netns | -n)
		if [ "$cmd" = trace ] || [ "$cmd" = monitor ]; then
			COMPREPLY=($(compgen -W "$(ls /run/netns 2>/dev/null)" -- "$cur"))
			return
		fi ;;
	--cc)
		COMPREPLY=($(compgen -W "$(cat /proc/sys/net/ipv4/tcp_available_congestion_control 2>/dev/null)" -- "$cur"))
		return ;;
	esac
	case "$cmd" in
	trace)
		opts="--events --port --addr --ipv4 --ipv6 --netns --probe-interval --duration
		      --count --json --top --max-conns --ringbuf-size --wakeup --attach --metrics --quiet
		      --pid --cgroup --comm
		      --verbose --help" ;;
	stress)
		opts="--mode --connections --count --rate --duration --concurrency --size --request
		      --response --close
		      --source --server-mode --threads --procs --poll-interval --json --records
		      --trace --trace-all --timeline --probe-interval --ringbuf-size --attach
		      --report --metrics --pid --cgroup --comm --verbose --help --nodelay --keepalive --keepidle
		      --keepintvl --keepcnt --linger --sndbuf --rcvbuf --cc --user-timeout
		      --connect-timeout" ;;
	server)
		opts="--listen --mode --threads --spread --backlog --duration --help" ;;
	client)
		opts="--send --hold --json --help --nodelay --keepalive --keepidle --keepintvl
		      --keepcnt --linger --sndbuf --rcvbuf --cc --user-timeout --connect-timeout" ;;
	monitor)
		opts="--interval --watch --count --port --state --netns --pid --cgroup --top --json
		      --help" ;;
	report)
		opts="--output --conn --top --max-points --help" ;;
	doctor)
		opts="--json --verbose --help" ;;
	esac
	if [[ "$cur" == -* ]]; then
		COMPREPLY=($(compgen -W "$opts" -- "$cur"))
	elif [ "$cmd" = report ]; then
		COMPREPLY=($(compgen -f -- "$cur"))
	fi
}
complete -F _tcpscope tcpscope
