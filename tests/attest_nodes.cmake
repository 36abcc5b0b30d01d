# Attestation and RA-TLS key sharing in the node (owner: H11). Prefix attest_nodes.
# The gramine-sgx platform against a directory imitating /dev/attestation.
esgx_add_c_test(attest_nodes_gramine SOURCES ${CMAKE_CURRENT_LIST_DIR}/attest_nodes_gramine.c
                LIBS esgx_enclave_core)
# Three nodes on loopback sharing the key over RA-TLS, refusals, esgx attest / login.
esgx_add_script_test(attest_nodes_net bash ${CMAKE_CURRENT_LIST_DIR}/attest_nodes.sh)
set_tests_properties(attest_nodes_net PROPERTIES TIMEOUT 400)
# The channel messages added for the attestation document.
esgx_add_c_test(attest_nodes_proto SOURCES ${CMAKE_CURRENT_LIST_DIR}/attest_nodes_proto.c
                LIBS esgx_proto)
