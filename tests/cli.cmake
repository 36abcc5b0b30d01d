# CLI user flow (owner: H10): esgx login / functions / invoke / verify against real
# esgxd processes on 127.0.0.1, docs/getting-started.md run literally, and the
# JavaScript client of sdk/js.
esgx_add_script_test(cli_usage bash ${CMAKE_CURRENT_LIST_DIR}/cli_usage.sh)
esgx_add_script_test(cli_e2e bash ${CMAKE_CURRENT_LIST_DIR}/cli_e2e.sh)
esgx_add_script_test(cli_getting_started bash ${CMAKE_CURRENT_LIST_DIR}/cli_getting_started.sh)
esgx_add_script_test(cli_js bash ${CMAKE_CURRENT_LIST_DIR}/cli_js.sh)
set_tests_properties(cli_usage cli_e2e cli_getting_started cli_js PROPERTIES TIMEOUT 300)
