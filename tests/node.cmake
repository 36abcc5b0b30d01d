# Host-level tests of esgxd (owner: H7): real esgxd/esgx-enclave processes on 127.0.0.1.
esgx_add_script_test(node_http bash ${CMAKE_CURRENT_LIST_DIR}/node_http.sh)
esgx_add_script_test(node_e2e bash ${CMAKE_CURRENT_LIST_DIR}/node_e2e.sh)
set_tests_properties(node_http node_e2e PROPERTIES TIMEOUT 300)
esgx_add_script_test(node_hostile bash ${CMAKE_CURRENT_LIST_DIR}/node_hostile.sh)
set_tests_properties(node_hostile PROPERTIES TIMEOUT 600)
