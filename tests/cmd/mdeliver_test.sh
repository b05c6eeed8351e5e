# mdeliver_test: the delivery agent as an MTA runs it: one message on
# stdin, exit codes from sysexits.h, byte-exact files in new/, nothing
# partial ever visible, all targets or none.

# The mdeliver these tests run.  As root they still deliver into
# Maildirs root owns (the tests' own), so a wrapper adds --allow-root;
# the tests of root's rules (below) call the program itself.
mdeliver_prog()
{
	if [ "$(id -u)" != 0 ]; then
		yubin_prog mdeliver
		return
	fi
	w=$PWD/.mdeliver-root
	if [ ! -x "$w" ]; then
		printf '#!/bin/sh\nexec "%s" --allow-root "$@"\n' \
		    "$(yubin_prog mdeliver)" >"$w.$$" && chmod 755 "$w.$$" &&
		    mv "$w.$$" "$w"
	fi
	echo "$w"
}

# mkmd DIR...: empty Maildirs.
mkmd()
{
	for d in "$@"; do
		mkdir -p "$d/tmp" "$d/new" "$d/cur" ||
		    atf_fail "cannot make $d"
	done
}

# count DIR: entries in DIR.
count()
{
	ls -A "$1" | wc -l | tr -d ' '
}

# one DIR: set F to the only message in DIR/new; fail otherwise.
one()
{
	F=
	n=$(count "$1/new")
	[ "$n" = 1 ] || atf_fail "$1/new holds $n messages, not 1"
	F=$(ls -d "$1"/new/*)
}

# nothing DIR...: no message and no leftover in new/ or tmp/.
nothing()
{
	for d in "$@"; do
		[ "$(count "$d/new")" = 0 ] ||
		    atf_fail "$d/new is not empty: $(ls "$d/new")"
		[ "$(count "$d/tmp")" = 0 ] ||
		    atf_fail "$d/tmp is not empty: $(ls "$d/tmp")"
	done
}

atf_test_case content_exact
content_exact_head()
{
	atf_set descr "headers prepended, From_ dropped, CRLF to LF," \
	    "8-bit, bare CR and long lines untouched"
}
content_exact_body()
{
	mkmd M
	long=$(head -c 5000 /dev/zero | tr '\0' x)
	printf 'From sender@x.example Sun Nov 22 18:00:00 2026\r\n' >in
	printf 'Subject: caf\351\r\nFrom: a@x.example\r\n\r\n' >>in
	printf 'From the body is kept\r\nbare\rcr\r\n%s\r\n' "$long" >>in
	printf '8bit \303\244\303\266 \377\r\nlast line no newline' >>in
	printf 'Return-Path: <s@x.example>\nDelivered-To: u@y.example\n' >want
	printf 'Subject: caf\351\nFrom: a@x.example\n\n' >>want
	printf 'From the body is kept\nbare\rcr\n%s\n' "$long" >>want
	printf '8bit \303\244\303\266 \377\nlast line no newline' >>want
	atf_check -s exit:0 -o empty -e empty \
	    "$(mdeliver_prog)" -f s@x.example --maildir M u@y.example \
	    <in
	one M
	atf_check -s exit:0 cmp "$F" want
	nothing_tmp=$(count M/tmp)
	[ "$nothing_tmp" = 0 ] || atf_fail "tmp/ not cleaned"
	# SECONDS.M<usec>P<pid>Q<n>.<host>,S=<size>,W=<wire size>: the
	# file's size, and with each LF as CRLF (want has no CRLF).
	size=$(wc -c <want | tr -d ' ')
	wire=$((size + $(wc -l <want)))
	base=$(basename "$F")
	re='^[0-9]{10,}\.M[0-9]{1,6}P[0-9]+Q[0-9]+\.[^/:]+'
	echo "$base" | grep -Eq "$re,S=$size,W=$wire\$" ||
	    atf_fail "bad name $base (size $size, wire $wire)"
	[ "$(stat -c %a "$F")" = 600 ] || atf_fail "mode $(stat -c %a "$F")"
}

atf_test_case crlf_across_reads
crlf_across_reads_head()
{
	atf_set descr "a CRLF split between two reads is still one LF"
}
crlf_across_reads_body()
{
	mkmd M
	# 65535 bytes, then CR as the 65536th: the first read ends on it.
	head -c 65535 /dev/zero | tr '\0' a >in
	printf '\r\nend\r\n' >>in
	head -c 65535 /dev/zero | tr '\0' a >want
	printf '\nend\n' >>want
	atf_check -s exit:0 "$(mdeliver_prog)" --maildir M <in
	one M
	atf_check cmp "$F" want
}

atf_test_case from_line
from_line_head()
{
	atf_set descr "only a first line starting 'From ' is dropped"
}
from_line_body()
{
	mkmd M
	printf 'From: a@b\n\nx\n' | atf_check -s exit:0 \
	    "$(mdeliver_prog)" --maildir M
	one M
	printf 'From: a@b\n\nx\n' >want
	atf_check cmp "$F" want
	rm "$F"
	printf 'Fro' | atf_check -s exit:0 "$(mdeliver_prog)" \
	    --maildir M
	one M
	atf_check -o inline:'Fro' cat "$F"
	rm "$F"
	# A From_ line alone is an empty message.
	printf 'From x@y Sun Nov 22\n' | atf_check -s exit:65 \
	    -e inline:'mdeliver: message is empty (exit 65)\n' \
	    "$(mdeliver_prog)" --maildir M
	nothing M
}

atf_test_case senders
senders_head()
{
	atf_set descr "Return-Path from -f: <> for the null sender," \
	    "none without -f; bad envelope addresses refused"
}
senders_body()
{
	mkmd M
	for s in '' '<>'; do
		echo x | atf_check -s exit:0 "$(mdeliver_prog)" \
		    -f "$s" --maildir M
		one M
		atf_check -o inline:'Return-Path: <>\nx\n' cat "$F"
		rm "$F"
	done
	echo x | atf_check -s exit:0 "$(mdeliver_prog)" \
	    -f '<a@b.example>' --maildir M
	one M
	atf_check -o inline:'Return-Path: <a@b.example>\nx\n' cat "$F"
	rm "$F"
	echo x | atf_check -s exit:0 "$(mdeliver_prog)" --maildir M
	one M
	atf_check -o inline:'x\n' cat "$F"
	rm "$F"
	long=$(head -c 250 /dev/zero | tr '\0' a)
	for s in 'a b@c' "$(printf 'a@b\nX-Evil: 1')" 'a<b>@c' '@b' \
	    "$long@example.com"; do
		echo x | atf_check -s exit:64 -e match:'not a valid envelope' \
		    "$(mdeliver_prog)" -f "$s" --maildir M
	done
	nothing M
}

atf_test_case recipients
recipients_head()
{
	atf_set descr "one Delivered-To per recipient, lower-cased, once"
}
recipients_body()
{
	mkmd M
	echo x | atf_check -s exit:0 "$(mdeliver_prog)" -f s@x \
	    --maildir M A@X.example b@y.example a@x.example
	one M
	atf_check -o inline:'Return-Path: <s@x>\nDelivered-To: a@x.example\nDelivered-To: b@y.example\nx\n' \
	    cat "$F"
	echo x | atf_check -s exit:67 -e match:'not a valid recipient' \
	    "$(mdeliver_prog)" --maildir M "$(printf 'a@b\nX: y')"
	echo x | atf_check -s exit:67 -e match:'not a valid recipient' \
	    "$(mdeliver_prog)" --maildir M 'a b@c'
	for r in 'a@' '@b' "$(head -c 65 /dev/zero | tr '\0' a)@b"; do
		echo x | atf_check -s exit:67 -e match:'not a valid recipient' \
		    "$(mdeliver_prog)" --maildir M "$r"
	done
	[ "$(count M/new)" = 1 ] || atf_fail "a refused message was delivered"
}

atf_test_case nul_refused
nul_refused_head()
{
	atf_set descr "a NUL byte refuses the message: exit 65, nothing left"
}
nul_refused_body()
{
	mkmd M N
	printf 'Subject: x\n\nab\000cd\n' | atf_check -s exit:65 \
	    -e inline:'mdeliver: message contains a NUL byte (exit 65)\n' \
	    "$(mdeliver_prog)" --maildir M --maildir N
	nothing M N
	# After 200 KB of good data too (the first part already written).
	{ head -c 200000 /dev/zero | tr '\0' a; printf '\000'; } |
	    atf_check -s exit:65 -e match:NUL "$(mdeliver_prog)" \
	    --maildir M
	nothing M
	: | atf_check -s exit:65 -e match:'empty' "$(mdeliver_prog)" \
	    --maildir M
	nothing M
}

atf_test_case max_size
max_size_head()
{
	atf_set descr "--max-size refuses larger messages with exit 65"
}
max_size_body()
{
	mkmd M
	head -c 100 /dev/zero | tr '\0' a >in100
	head -c 101 /dev/zero | tr '\0' a >in101
	atf_check -s exit:65 -e inline:'mdeliver: message larger than 100 bytes (exit 65)\n' \
	    "$(mdeliver_prog)" --max-size 100 --maildir M <in101
	nothing M
	atf_check -s exit:0 "$(mdeliver_prog)" --max-size 100 \
	    --maildir M <in100
	one M
	head -c 300000 /dev/zero | tr '\0' a >big
	atf_check -s exit:65 -e match:'larger than 262144' \
	    "$(mdeliver_prog)" --max-size 256K --maildir M <big
	atf_check -s exit:0 "$(mdeliver_prog)" --max-size 0 \
	    --maildir M <big
	[ "$(count M/new)" = 2 ] || atf_fail "--max-size 0 is no limit"
	atf_check -s exit:64 -e match:'not a size' \
	    "$(mdeliver_prog)" --max-size 10Q --maildir M <in100
}

atf_test_case usage
usage_head()
{
	atf_set descr "--help, --version, usage errors exit 64"
}
usage_body()
{
	atf_check -s exit:0 -o match:'^usage: mdeliver' -e empty \
	    "$(mdeliver_prog)" --help
	atf_check -s exit:0 -o match:'^mdeliver \(yubin\) ' -e empty \
	    "$(mdeliver_prog)" --version
	atf_check -s exit:64 -o empty -e match:'usage: mdeliver' \
	    "$(mdeliver_prog)" --bogus
	atf_check -s exit:64 -e match:'needs recipients' \
	    "$(mdeliver_prog)" --maildir-template '/x/%u' </dev/null
	atf_check -s exit:64 -e match:'needs recipients' \
	    "$(mdeliver_prog)" --maildir-template '/x/%u' --maildir M \
	    a@b </dev/null
	echo x | atf_check -s exit:64 -e match:'unknown %q' \
	    "$(mdeliver_prog)" --maildir-template "$PWD/%q" a@b
	atf_check -s exit:64 -e match:'not a valid Maildir\+\+ folder' \
	    "$(mdeliver_prog)" --folder ../x --maildir M </dev/null
	echo x | HOME= atf_check -s exit:78 -e match:'HOME is not set' \
	    "$(mdeliver_prog)"
}

atf_test_case default_home
default_home_head()
{
	atf_set descr "without --maildir, \$HOME/Maildir"
}
default_home_body()
{
	mkmd h/Maildir
	echo x | HOME=$PWD/h atf_check -s exit:0 "$(mdeliver_prog)" \
	    me@x.example
	one h/Maildir
	atf_check -o inline:'Delivered-To: me@x.example\nx\n' cat "$F"
}

atf_test_case template
template_head()
{
	atf_set descr "--maildir-template: %u %d %a lower-cased, one" \
	    "target per recipient, same Maildir once"
}
template_body()
{
	mkmd mail/example.com/bob mail/example.org/carol
	echo hi | atf_check -s exit:0 "$(mdeliver_prog)" -f s@x \
	    --maildir-template "$PWD/mail/%d/%u" Bob@Example.COM \
	    carol@example.org bob+news@example.com
	one mail/example.com/bob
	atf_check -o inline:'Return-Path: <s@x>\nDelivered-To: bob@example.com\nDelivered-To: bob+news@example.com\nhi\n' \
	    cat "$F"
	one mail/example.org/carol
	atf_check -o inline:'Return-Path: <s@x>\nDelivered-To: carol@example.org\nhi\n' \
	    cat "$F"
	mkmd "a/dave@example.net/x%"
	echo hi | atf_check -s exit:0 "$(mdeliver_prog)" \
	    --maildir-template "$PWD/a/%a/x%%" DAVE+y@example.net
	one "a/dave@example.net/x%"
}

atf_test_case template_refused
template_refused_head()
{
	atf_set descr "address parts that could leave the template's" \
	    "directory are refused with exit 67, and nothing is delivered"
}
template_refused_body()
{
	mkmd mail/x/good
	for r in '../x@x' '.x@x' 'a..b@x' 'a/b@x' 'u@a/b' 'u@.x' 'u@x..y' \
	    '+d@x'; do
		echo hi | atf_check -s exit:67 -e match:'not usable' \
		    "$(mdeliver_prog)" --create \
		    --maildir-template "$PWD/mail/%d/%u" good@x "$r"
	done
	nothing mail/x/good
	[ "$(ls mail)" = x ] || atf_fail "something was created: $(ls mail)"
	[ "$(ls mail/x)" = good ] || atf_fail "created: $(ls mail/x)"
	# A user with no Maildir is unknown: 67.
	echo hi | atf_check -s exit:67 -e match:'/mail/x/nobody: no such' \
	    "$(mdeliver_prog)" --maildir-template "$PWD/mail/%d/%u" \
	    good@x nobody@x
	nothing mail/x/good
}

atf_test_case create
create_head()
{
	atf_set descr "--create makes Maildirs and folders; without it a" \
	    "missing Maildir is exit 73"
}
create_body()
{
	echo hi | atf_check -s exit:73 \
	    -e inline:"mdeliver: new/M: no such Maildir (--create makes it) (exit 73)\n" \
	    "$(mdeliver_prog)" --maildir new/M
	[ ! -e new ] || atf_fail "created without --create"
	echo hi | atf_check -s exit:0 "$(mdeliver_prog)" --create \
	    --maildir new/M
	for d in new/M new/M/tmp new/M/new new/M/cur; do
		[ "$(stat -c %a $d)" = 700 ] || atf_fail "$d not mode 700"
	done
	one new/M
	echo hi | atf_check -s exit:0 "$(mdeliver_prog)" --create \
	    --maildir F --folder Lists.yubin
	one F/.Lists.yubin
	[ -f F/.Lists.yubin/maildirfolder ] || atf_fail "no maildirfolder"
	[ -d F/cur ] || atf_fail "root Maildir not made"
	echo hi | atf_check -s exit:0 "$(mdeliver_prog)" --create \
	    --maildir-template "$PWD/v/%d/%u" u@d.example
	one v/d.example/u
}

atf_test_case folders
folders_head()
{
	atf_set descr "--folder and user+detail pick Maildir++ folders"
}
folders_body()
{
	mkmd M M/.lists M/.Work M/.a.b
	echo hi | atf_check -s exit:0 "$(mdeliver_prog)" --maildir M \
	    --folder Work
	one M/.Work
	echo hi | atf_check -s exit:0 "$(mdeliver_prog)" --maildir M \
	    u+lists@x.example
	one M/.lists
	atf_check -o inline:'Delivered-To: u+lists@x.example\nhi\n' cat "$F"
	# No such folder: INBOX.  An unsafe detail: INBOX too.
	echo hi | atf_check -s exit:0 "$(mdeliver_prog)" --maildir M \
	    u+nosuch@x.example
	one M
	rm "$F"
	echo hi | atf_check -s exit:0 "$(mdeliver_prog)" --maildir M \
	    u+.lists@x.example
	one M
	rm "$F"
	echo hi | atf_check -s exit:0 "$(mdeliver_prog)" --maildir M \
	    u+a.b@x.example
	one M/.a.b
	# --folder wins over the detail.
	echo hi | atf_check -s exit:0 "$(mdeliver_prog)" --maildir M \
	    --folder Work u+lists@x.example
	[ "$(count M/.Work/new)" = 2 ] || atf_fail "--folder did not win"
	# Two details of one user: a copy in each folder.
	echo hi | atf_check -s exit:0 "$(mdeliver_prog)" --maildir M \
	    u+lists@x.example u+work@x.example u@x.example
	[ "$(count M/.lists/new)" = 2 ] || atf_fail "not in .lists"
	[ "$(count M/new)" = 1 ] || atf_fail "not in INBOX"
	# Folders are case-sensitive; the address is lower-cased.
	[ "$(count M/.Work/new)" = 2 ] || atf_fail ".Work got a copy"
}

atf_test_case all_or_nothing
all_or_nothing_head()
{
	atf_set descr "when one target fails nothing is delivered anywhere"
}
all_or_nothing_body()
{
	# The second target's tmp/ is a file: it fails before any link.
	mkmd A
	mkdir -p B/new B/cur
	: >B/tmp
	echo hi | atf_check -s exit:73 -e match:"^mdeliver: B/tmp: Not a directory \(exit 73\)" \
	    "$(mdeliver_prog)" --maildir A --maildir B
	nothing A
	# The second target has no new/: its link fails after the first
	# target's link succeeded, which must be undone.
	mkmd C
	mkdir -p D/tmp D/cur
	echo hi | atf_check -s exit:73 -e match:"^mdeliver: D/new: No such file or directory \(exit 73\)" \
	    "$(mdeliver_prog)" --maildir A --maildir C --maildir D
	nothing A C
	[ "$(count D/tmp)" = 0 ] || atf_fail "D/tmp not cleaned"
	# Template targets: same rule.
	mkmd mail/x/a
	mkdir -p mail/x/b/tmp mail/x/b/cur
	echo hi | atf_check -s exit:73 -e match:'No such file' \
	    "$(mdeliver_prog)" --maildir-template "$PWD/mail/%d/%u" \
	    a@x b@x
	nothing mail/x/a
}

# full_disk_check DIR ERROR: what the full-disk run left in rc, err,
# new.list and tmp.list is exit 75, that error, nothing in new/ or tmp/.
full_disk_check()
{
	[ "$(cat rc)" = 75 ] || atf_fail "exit $(cat rc), not 75: $(cat err)"
	grep -q "^mdeliver: $1/tmp: $2 (will retry: exit 75)\$" err ||
	    atf_fail "unexpected error: $(cat err)"
	[ ! -s new.list ] || atf_fail "left in new/: $(cat new.list)"
	[ ! -s tmp.list ] || atf_fail "left in tmp/: $(cat tmp.list)"
}

atf_test_case full_disk
full_disk_head()
{
	atf_set descr "a full filesystem gives exit 75 and leaves nothing"
}
full_disk_body()
{
	head -c 600000 /dev/urandom | od -An -tx1 -v >big
	script='mount -t tmpfs -o size=1m yubin-test fs ||
    { echo 99 >rc; exit 0; }
mkdir -p fs/M/tmp fs/M/new fs/M/cur
"$1" --maildir fs/M <big 2>err; echo $? >rc
ls -A fs/M/new >new.list; ls -A fs/M/tmp >tmp.list
umount fs'
	mkdir fs
	if [ "$(id -u)" = 0 ] && unshare -m true 2>/dev/null; then
		unshare -m sh -c "$script" sh "$(mdeliver_prog)"
	elif unshare -rm true 2>/dev/null; then
		unshare -rm sh -c "$script" sh "$(mdeliver_prog)"
	else
		echo 99 >rc
	fi
	if [ "$(cat rc)" != 99 ]; then
		full_disk_check fs/M 'No space left on device'
		return
	fi
	# No way to mount a small filesystem here: a file size limit
	# makes write(2) fail the same way (EFBIG).
	echo "no tmpfs: using a file size limit instead"
	mkmd M
	(ulimit -f 200;
	    "$(mdeliver_prog)" --maildir M <big 2>err; echo $? >rc)
	ls -A M/new >new.list
	ls -A M/tmp >tmp.list
	full_disk_check M 'File too large'
}

atf_test_case file_size_limit
file_size_limit_head()
{
	atf_set descr "write(2) failing midway (RLIMIT_FSIZE, with SIGXFSZ" \
	    "at its default) is exit 75, with every target cleaned up"
}
file_size_limit_body()
{
	head -c 500000 /dev/zero | tr '\0' a >big
	mkmd M N
	(ulimit -f 200;
	    "$(mdeliver_prog)" --maildir M --maildir N <big 2>err;
	    echo $? >rc)
	[ "$(cat rc)" = 75 ] || atf_fail "exit $(cat rc): $(cat err)"
	atf_check -o match:'^mdeliver: M/tmp: File too large \(will retry: exit 75\)$' \
	    cat err
	nothing M N
}

atf_test_case concurrency
concurrency_head()
{
	atf_set descr "2 processes x 1000 deliveries: 2000 distinct," \
	    "intact files"
	atf_set timeout 240
}
concurrency_body()
{
	mkmd M
	# Once, before the subshells: they share $$, and two first calls
	# at once would write the same temp wrapper (ETXTBSY as root).
	md=$(mdeliver_prog)
	for p in 1 2; do
		(
			i=0
			while [ $i -lt 1000 ]; do
				printf 'Subject: %s-%s\n\nbody %s-%s\n' \
				    $p $i $p $i | "$md" \
				    --maildir M || echo "$p-$i" >>failed
				i=$((i + 1))
			done
		) &
	done
	wait
	[ ! -s failed ] || atf_fail "deliveries failed: $(head failed)"
	[ "$(count M/new)" = 2000 ] || atf_fail "$(count M/new) files"
	[ "$(count M/tmp)" = 0 ] || atf_fail "tmp/ not empty"
	# Each file is exactly its own message, and its size is in its name;
	# the wire size counts its three LFs as CRLF.
	(cd M/new && find . -type f -printf '%f %s\n') | awk '
	    { n = $1; sub(/.*,S=/, "", n); w = n; sub(/,.*/, "", n)
	      sub(/.*,W=/, "", w); if (n != $2 || w != $2 + 3) bad++ }
	    END { exit bad > 0 }' || atf_fail "a ,S= or ,W= size does not match"
	awk 'FNR == 1 { s = $2 } FNR == 2 && $0 != "" { bad++ }
	    FNR == 3 && $0 != "body " s { bad++ }
	    FNR > 3 { bad++ }
	    END { exit bad > 0 }' M/new/* || atf_fail "a file is not intact"
	[ "$(awk 'FNR == 1' M/new/* | sort -u | wc -l)" = 2000 ] ||
	    atf_fail "messages lost or duplicated"
}

atf_test_case kill9
kill9_head()
{
	atf_set descr "kill -9 at random moments never leaves a partial or" \
	    "empty file in new/"
	atf_set timeout 240
}
kill9_body()
{
	mkmd M
	# Without -f and recipients the file must equal the input.
	{ printf 'Subject: big\n\n'; head -c 1500000 /dev/urandom |
	    od -An -tx1 -v; } >big
	# Kill within the first 3/4 of the time one delivery takes, so most
	# rounds hit it midway: writing, fsync, link or the directory fsync.
	t0=$(date +%s%N)
	"$(mdeliver_prog)" --maildir M <big || atf_fail "delivery failed"
	t1=$(date +%s%N)
	rm M/new/*
	span=$(( (t1 - t0) / 1000000 * 3 / 4 + 5 ))
	i=0
	while [ $i -lt 20 ]; do
		"$(mdeliver_prog)" --maildir M <big &
		pid=$!
		r=$(od -An -N2 -tu2 /dev/urandom | tr -d ' ')
		sleep "$(( r % span / 1000 )).$(printf '%03d' $(( r % span % 1000 )))"
		kill -9 $pid 2>/dev/null
		wait $pid
		for f in M/new/*; do
			[ -e "$f" ] || continue
			cmp -s "$f" big ||
			    atf_fail "partial file in new/ (round $i): $f"
		done
		i=$((i + 1))
	done
	echo "$(count M/new) of 20 finished before the kill;" \
	    "$(count M/tmp) tmp files left (as Maildir expects)"
}

atf_test_case operands_end_options
operands_end_options_head()
{
	atf_set descr "option parsing stops at the first operand and at" \
	    "--: what follows is a recipient, never an option"
}
operands_end_options_body()
{
	mkmd D evil
	echo hi | atf_check -s exit:0 -o empty -e empty "$(mdeliver_prog)" \
	    --maildir D -f s@x -- -V@example.org
	one D
	atf_check -o inline:'Return-Path: <s@x>\nDelivered-To: -v@example.org\nhi\n' \
	    cat "$F"
	rm "$F"
	echo hi | atf_check -s exit:0 -o empty -e empty "$(mdeliver_prog)" \
	    --maildir D user@x --maildir "$PWD/evil"
	one D
	atf_check -o match:'^Delivered-To: --maildir$' cat "$F"
	nothing evil
	rm "$F"
	echo hi | atf_check -s exit:0 -o empty -e empty "$(mdeliver_prog)" \
	    --maildir D x@y -V
	one D
}

# root_setup: skip unless root; U1 and U2 are two unprivileged users
# (daemon and nobody, which every Debian system has), each with a
# Maildir of its own under home/USER/Maildir, owned by it, mode 0700.
root_setup()
{
	[ "$(id -u)" = 0 ] || atf_skip "mdeliver's root rules need root"
	U1=daemon
	U2=nobody
	id "$U1" >/dev/null 2>&1 && id "$U2" >/dev/null 2>&1 ||
	    atf_skip "no users $U1 and $U2"
	MD=$(yubin_prog mdeliver)
	T="$PWD/home/%u/Maildir"
	# The users must reach their Maildirs under the test's directory.
	chmod 755 .
	mkdir home rootdir
	usermd "$U1"
	usermd "$U2"
	printf 'Subject: hi\n\nbody\n' >msg
}

# usermd USER: home/USER/Maildir for USER.
usermd()
{
	mkmd "home/$1/Maildir"
	chown -R "$(id -u "$1"):$(id -g "$1")" "home/$1"
	chmod 700 "home/$1/Maildir"
}

# pop_retr USER DIR: RETR 1 from DIR by mpop serve running as USER.
pop_retr()
{
	printf 'RETR 1\r\nQUIT\r\n' >in
	setpriv --reuid="$(id -u "$1")" --regid="$(id -g "$1")" \
	    --clear-groups "$(yubin_prog mpop)" serve --preauth \
	    --maildir "$2" <in >out 2>err ||
	    atf_fail "mpop serve as $1: $(cat err)"
}

atf_test_case root_owners
root_owners_head()
{
	atf_set descr "as root, each user's copy is written as that user:" \
	    "owned by it, mode 0600, and mpop serve as the user reads it"
	atf_set require.progs setpriv
}
root_owners_body()
{
	root_setup
	atf_check -s exit:0 -o empty -e empty "$MD" -f s@x \
	    --maildir-template "$T" -- "$U1@x" "$U2@x" <msg
	for u in "$U1" "$U2"; do
		one "home/$u/Maildir"
		[ "$(stat -c '%U %a' "$F")" = "$u 600" ] ||
		    atf_fail "$F: $(stat -c '%U %a' "$F")"
		[ "$(count "home/$u/Maildir/tmp")" = 0 ] ||
		    atf_fail "tmp/ of $u not empty"
		pop_retr "$u" "$PWD/home/$u/Maildir"
		grep -q "^Delivered-To: $u@x" out && grep -q '^body' out ||
		    atf_fail "mpop serve as $u: $(cat out)"
		rm "$F"
	done
	# One owner: the same, without a child process.
	atf_check -s exit:0 "$MD" --maildir-template "$T" -- "$U2@x" <msg
	one "home/$U2/Maildir"
	[ "$(stat -c %U "$F")" = "$U2" ] || atf_fail "not owned by $U2"
	nothing "home/$U1/Maildir"
}

atf_test_case root_symlinks
root_symlinks_head()
{
	atf_set descr "as root, a symlinked tmp/, new/ or Maildir is" \
	    "refused with exit 73 and nothing is written through it"
}
root_symlinks_body()
{
	root_setup
	for sub in tmp new; do
		rm -r "home/$U1/Maildir/$sub"
		ln -s "$PWD/rootdir" "home/$U1/Maildir/$sub"
		chown -h "$U1" "home/$U1/Maildir/$sub"
		re="Maildir/$sub: is a symbolic link \\(refused\\)"
		atf_check -s exit:73 -o empty -e match:"$re" \
		    "$MD" --maildir-template "$T" -- "$U2@x" "$U1@x" <msg
		[ "$(count rootdir)" = 0 ] ||
		    atf_fail "written through $sub: $(ls rootdir)"
		nothing "home/$U2/Maildir"
		rm "home/$U1/Maildir/$sub"
		mkdir "home/$U1/Maildir/$sub"
		chown "$U1" "home/$U1/Maildir/$sub"
	done
	# The Maildir itself: the link's owner does not redirect root.
	rm -r "home/$U2/Maildir"
	ln -s "$PWD/home/$U1/Maildir" "home/$U2/Maildir"
	chown -h "$U2" "home/$U2/Maildir"
	atf_check -s exit:73 -e match:'is a symbolic link \(refused as root\)' \
	    "$MD" --maildir-template "$T" -- "$U2@x" <msg
	nothing "home/$U1/Maildir"
}

atf_test_case root_owned_refused
root_owned_refused_head()
{
	atf_set descr "as root, a Maildir root owns is refused with exit 77" \
	    "unless --allow-root"
}
root_owned_refused_body()
{
	root_setup
	mkmd R home/root/Maildir
	re='^mdeliver: R: owned by root; .*--allow-root \(exit 77\)$'
	atf_check -s exit:77 -e match:"$re" \
	    "$MD" --maildir R <msg
	atf_check -s exit:77 -e match:'owned by root' \
	    "$MD" --maildir-template "$T" -- "$U1@x" root@x <msg
	nothing R home/root/Maildir "home/$U1/Maildir"
	atf_check -s exit:0 "$MD" --allow-root --maildir R <msg
	one R
	# --create without a passwd-file entry: no owner to create it for.
	atf_check -s exit:67 -e match:'no --passwd-file entry' \
	    "$MD" --create --maildir-template "$T" -- newuser@x <msg
	atf_check -s exit:77 -e match:'needs its owner from --passwd-file' \
	    "$MD" --create --maildir "$PWD/new/M" <msg
	[ ! -e home/newuser ] && [ ! -e new ] || atf_fail "created as root"
}

atf_test_case root_passwd_file
root_passwd_file_head()
{
	atf_set descr "as root, --passwd-file gives the owner (and with" \
	    "--create a user-owned Maildir) and, without a template, the" \
	    "Maildir"
	atf_set require.progs setpriv
}
root_passwd_file_body()
{
	root_setup
	ids="$(id -u "$U1"):$(id -g "$U1")"
	mkdir home/carol home/erin
	chown "$ids" home/carol home/erin
	printf 'carol:*:%s:\nerin:*:%s:%s/home/erin/Maildir\n' "$ids" \
	    "$ids" "$PWD" >passwd
	atf_check -s exit:0 -o empty -e empty "$MD" --create \
	    --passwd-file passwd --maildir-template "$T" -- carol@x <msg
	for d in home/carol/Maildir home/carol/Maildir/tmp \
	    home/carol/Maildir/new home/carol/Maildir/cur; do
		[ "$(stat -c '%U %a' "$d")" = "$U1 700" ] ||
		    atf_fail "$d: $(stat -c '%U %a' "$d")"
	done
	one home/carol/Maildir
	[ "$(stat -c '%U %a' "$F")" = "$U1 600" ] || atf_fail "$F not $U1's"
	pop_retr "$U1" "$PWD/home/carol/Maildir"
	grep -q '^Delivered-To: carol@x' out || atf_fail "RETR: $(cat out)"
	# No template: the entry's maildir.
	atf_check -s exit:0 "$MD" --create --passwd-file passwd -- \
	    erin+x@x.example <msg
	one home/erin/Maildir
	[ "$(stat -c %U "$F")" = "$U1" ] || atf_fail "$F not $U1's"
	atf_check -s exit:67 -e match:'frank@x: no such user in passwd' \
	    "$MD" --passwd-file passwd -- frank@x <msg
	atf_check -s exit:64 -e match:'--passwd-file needs recipients' \
	    "$MD" --passwd-file passwd --maildir M x@y <msg
}

atf_test_case root_all_or_nothing
root_all_or_nothing_head()
{
	atf_set descr "as root, two owners: when one target fails, nothing" \
	    "is delivered to the other"
}
root_all_or_nothing_body()
{
	root_setup
	chmod 500 "home/$U2/Maildir/new"
	re="/home/$U2/Maildir/new: Permission denied \\(exit 73\\)\$"
	atf_check -s exit:73 -o empty -e match:"^mdeliver: .*$re" \
	    "$MD" --maildir-template "$T" -- "$U1@x" "$U2@x" <msg
	nothing "home/$U1/Maildir" "home/$U2/Maildir"
	chmod 700 "home/$U2/Maildir/new"
	chmod 500 "home/$U2/Maildir/tmp"
	atf_check -s exit:73 -e match:'tmp: Permission denied' \
	    "$MD" --maildir-template "$T" -- "$U2@x" "$U1@x" <msg
	nothing "home/$U1/Maildir" "home/$U2/Maildir"
	# Data errors are found before any owner's child starts.
	printf 'a\000b\n' | atf_check -s exit:65 -e match:NUL \
	    "$MD" --maildir-template "$T" -- "$U2@x" "$U1@x"
	chmod 700 "home/$U2/Maildir/tmp"
	atf_check -s exit:0 "$MD" --maildir-template "$T" -- "$U2@x" \
	    "$U1@x" <msg
	one "home/$U1/Maildir"
	one "home/$U2/Maildir"
}

atf_test_case not_root
not_root_head()
{
	atf_set descr "started as a user, mdeliver writes as that user in" \
	    "one process, into the user's own Maildir"
	atf_set require.progs setpriv
}
not_root_body()
{
	root_setup
	atf_check -s exit:0 setpriv --reuid="$(id -u "$U1")" \
	    --regid="$(id -g "$U1")" --clear-groups "$MD" \
	    --maildir "$PWD/home/$U1/Maildir" -- u@x <msg
	one "home/$U1/Maildir"
	[ "$(stat -c %U "$F")" = "$U1" ] || atf_fail "not $U1's"
	# A user cannot deliver into another's Maildir.
	atf_check -s exit:73 -e match:'Permission denied' setpriv \
	    --reuid="$(id -u "$U1")" --regid="$(id -g "$U1")" \
	    --clear-groups "$MD" --maildir "$PWD/home/$U2/Maildir" <msg
}

atf_init_test_cases()
{
	atf_add_test_case content_exact
	atf_add_test_case crlf_across_reads
	atf_add_test_case from_line
	atf_add_test_case senders
	atf_add_test_case recipients
	atf_add_test_case nul_refused
	atf_add_test_case max_size
	atf_add_test_case usage
	atf_add_test_case default_home
	atf_add_test_case template
	atf_add_test_case template_refused
	atf_add_test_case create
	atf_add_test_case folders
	atf_add_test_case all_or_nothing
	atf_add_test_case full_disk
	atf_add_test_case file_size_limit
	atf_add_test_case concurrency
	atf_add_test_case kill9
	atf_add_test_case operands_end_options
	atf_add_test_case root_owners
	atf_add_test_case root_symlinks
	atf_add_test_case root_owned_refused
	atf_add_test_case root_passwd_file
	atf_add_test_case root_all_or_nothing
	atf_add_test_case not_root
}
