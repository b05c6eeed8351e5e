# queue.sh: helpers for the tests of msend's queue (msend_queue_test,
# msend_bulk_test, msmtpd_dsn_test).  Source after common.sh.

# mkqueue: an empty queue ./qd.  As root it belongs to nobody: msend
# works a queue as its owner, never as root.
mkqueue()
{
	mkdir -p qd
	if [ "$(id -u)" = 0 ]; then
		chmod 755 .
		chown "$(id -u nobody):$(id -g nobody)" qd ||
		    atf_skip "no user nobody"
	fi
}

# sink_start [OPTIONS]: tests/lib/smtp_sink.py in ./sink (its PID in
# ./sink.pid); SINK_PORT.
sink_start()
{
	rm -rf sink
	mkdir sink
	python3 "$YUBIN_SRCDIR/tests/lib/smtp_sink.py" --port-file sink/port \
	    --dir sink --lifetime 60 "$@" >sink.out 2>&1 &
	echo $! >sink.pid
	sink_wait_port
}

# site_sink_start ADDRS [OPTIONS]: tests/lib/site_sink.py on ADDRS
# (127.0.1.1-100 style), one port for all, in ./sink; SINK_PORT.
site_sink_start()
{
	_addrs=$1
	shift
	rm -rf sink
	mkdir sink
	python3 "$YUBIN_SRCDIR/tests/lib/site_sink.py" --addrs "$_addrs" \
	    --port-file sink/port --dir sink "$@" >sink.out 2>&1 &
	echo $! >sink.pid
	sink_wait_port
}

sink_wait_port()
{
	_i=0
	while [ ! -s sink/port ] && [ $_i -lt 200 ]; do
		sleep 0.05
		_i=$((_i + 1))
	done
	[ -s sink/port ] ||
	    atf_fail "the SMTP sink did not start: $(cat sink.out)"
	SINK_PORT=$(cat sink/port)
}

# site_sink_stats: stop the site sink; its figures are in sink/stats.
site_sink_stats()
{
	kill "$(cat sink.pid)" 2>/dev/null
	_i=0
	while [ ! -s sink/stats ] && [ $_i -lt 100 ]; do
		sleep 0.05
		_i=$((_i + 1))
	done
	[ -s sink/stats ] ||
	    atf_fail "no figures from the sink: $(cat sink.out)"
}
