# man_test: every program answers --help and --version the same way, and
# every man page is clean mdoc(7) with the sections a user looks for.

PROGS="mdeliver mxlookup msend msmtpd mpop mimap"

atf_test_case help_version
help_version_head()
{
	atf_set descr "--help on stdout with exit 0, --version names the program"
}
help_version_body()
{
	for p in $PROGS; do
		atf_check -s exit:0 -o match:'^usage: '"$p" -e empty \
		    "$(yubin_prog "$p")" --help
		atf_check -s exit:0 -o match:"^$p " -e empty \
		    "$(yubin_prog "$p")" --version
	done
}

atf_test_case bad_option
bad_option_head()
{
	atf_set descr "an unknown option is a usage error (64) named on stderr"
}
bad_option_body()
{
	for p in mdeliver mxlookup msend msmtpd; do
		atf_check -s exit:64 -o empty -e match:"^$p: " \
		    "$(yubin_prog "$p")" --no-such-option
	done
	atf_check -s exit:64 -o empty -e match:'^mpop: ' \
	    "$(yubin_prog mpop)" frobnicate
	for sub in serve fetch; do
		atf_check -s exit:64 -o empty -e match:'^mpop( '$sub')?: ' \
		    "$(yubin_prog mpop)" $sub --no-such-option
		atf_check -s exit:0 -o match:'^usage: mpop '$sub -e empty \
		    "$(yubin_prog mpop)" $sub --help
	done
	atf_check -s exit:64 -o empty -e match:'^mimap: ' \
	    "$(yubin_prog mimap)" frobnicate
	atf_check -s exit:64 -o empty -e match:'^mimap( serve)?: ' \
	    "$(yubin_prog mimap)" serve --no-such-option
	atf_check -s exit:0 -o match:'^usage: mimap serve' -e empty \
	    "$(yubin_prog mimap)" serve --help
}

atf_test_case mandoc_lint
mandoc_lint_head()
{
	atf_set descr "mandoc -Tlint -Wwarning accepts every page"
}
mandoc_lint_body()
{
	peer_require mandoc
	for m in "$YUBIN_SRCDIR"/man/*.[0-9]; do
		atf_check -s exit:0 -o empty -e empty mandoc -Tlint -Wwarning "$m"
	done
}

atf_test_case sections
sections_head()
{
	atf_set descr "each page has SYNOPSIS, EXIT STATUS (programs) and EXAMPLES"
}
sections_body()
{
	for p in $PROGS; do
		m=$(ls "$YUBIN_SRCDIR"/man/"$p".[18])
		for s in SYNOPSIS DESCRIPTION EXAMPLES 'SEE ALSO'; do
			grep -q "^\.Sh $s\$" "$m" ||
			    atf_fail "$m has no $s section"
		done
		grep -q '^\.Sh EXIT STATUS$' "$m" || grep -q '^\.Ex ' "$m" ||
		    atf_fail "$m does not document its exit status"
	done
}

atf_test_case server_options
server_options_head()
{
	atf_set descr "the servers describe the options they share alike, \
in --help and in their man pages"
}
# server_items PAGE: the items of "Options every server takes", one a line.
server_items()
{
	awk '/^\.Ss Options every server takes$/ { f = 1; next }
	    f && /^\.El$/ { exit }
	    f && /^\.It / { if (it != "") print it; it = $0; next }
	    f && it != "" { it = it "|" $0 }
	    END { if (it != "") print it }' "$1"
}
server_options_body()
{
	server_items "$YUBIN_SRCDIR/man/msmtpd.8" >msmtpd.items
	server_items "$YUBIN_SRCDIR/man/mpop.1" >mpop.items
	[ $(wc -l <mpop.items) -ge 15 ] || atf_fail "mpop.1: no shared options"
	# An option both pages list is described the same way.
	while IFS= read -r item; do
		grep -qxF "$item" msmtpd.items ||
		    atf_fail "man pages differ: ${item%%|*}"
	done <mpop.items
	server_items "$YUBIN_SRCDIR/man/mimap.1" >mimap.items
	atf_check -o empty diff mpop.items mimap.items
	# --help: the same lines but the protocol's timeout and what a
	# server leaves out.
	"$(yubin_prog msmtpd)" --help | sed -n '/^Options every server/,$p' |
	    grep -v -e '^  --timeout' -e '^  --max-session-time' >msmtpd.help
	"$(yubin_prog mpop)" serve --help |
	    sed -n '/^Options every server/,$p' |
	    grep -v -e '^  --timeout' -e '^  --max-session-time' >mpop.help
	[ $(wc -l <mpop.help) -ge 15 ] || atf_fail "mpop: no shared options"
	atf_check -o empty diff msmtpd.help mpop.help
	"$(yubin_prog mimap)" serve --help |
	    sed -n '/^Options every server/,$p' |
	    grep -v -e '^  --timeout' -e '^  --max-session-time' >mimap.help
	atf_check -o empty diff mpop.help mimap.help
}

atf_init_test_cases()
{
	atf_add_test_case help_version
	atf_add_test_case bad_option
	atf_add_test_case mandoc_lint
	atf_add_test_case sections
	atf_add_test_case server_options
}
