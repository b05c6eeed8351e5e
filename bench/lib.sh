# bench/lib.sh: what every bench script shares.  Sourced after the script
# has set prog (its name, for messages) and PY (a python3).

# die MESSAGE: say it and exit 1.
die() {
	echo "$prog: $*" >&2
	exit 1
}

# note MESSAGE: say it and go on.
note() {
	echo "$prog: $*" >&2
}

# now: seconds since the epoch, with nanoseconds.
now() {
	date +%s.%N
}

# positive N...: each a whole number above 0, or die.
positive() {
	for _v in "$@"; do
		case $_v in
		''|*[!0-9]*|0) die "$_v: not a positive number" ;;
		esac
	done
}

# rotate K WORD...: the words, the first K moved to the end (round K of
# interleaved runs starts with the next tool).
rotate() {
	k=$1
	shift
	[ $# -gt 0 ] || return 0
	k=$((k % $#))
	while [ "$k" -gt 0 ]; do
		first=$1
		shift
		set -- "$@" "$first"
		k=$((k - 1))
	done
	echo "$@"
}

# free_port: a TCP port on 127.0.0.1 nothing listens on now.
free_port() {
	"$PY" -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])'
}

# wait_port PORT: until something accepts on 127.0.0.1:PORT (10 s).
wait_port() {
	"$PY" - "$1" <<'PYEOF'
import socket, sys, time
for _ in range(200):
    try:
        socket.create_connection(("127.0.0.1", int(sys.argv[1])), 0.2).close()
        sys.exit(0)
    except OSError:
        time.sleep(0.05)
sys.exit(1)
PYEOF
}
