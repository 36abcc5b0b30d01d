# Collateral from a PCCS (owner: H4). Prefix pccs_.
# The channel messages COLLATERAL_REQ / COLLATERAL_REPLY.
esgx_add_c_test(pccs_proto SOURCES ${CMAKE_CURRENT_LIST_DIR}/pccs_proto.c LIBS esgx_proto)
# esgxd --pccs on the gramine-sgx platform against tests/fake_pccs.py: /attestation,
# RA-TLS key sharing with collateral from the host, PCCS outage.
esgx_add_script_test(pccs_nodes bash ${CMAKE_CURRENT_LIST_DIR}/pccs_nodes.sh)
set_tests_properties(pccs_nodes PROPERTIES TIMEOUT 300)
