atf_test_case placeholder
placeholder_body() { atf_skip "not yet written"; }
atf_init_test_cases() { atf_add_test_case placeholder; }
