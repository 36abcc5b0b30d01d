# Collateral from a PCCS (owner: H4). Prefix pccs_.
# The channel messages COLLATERAL_REQ / COLLATERAL_REPLY.
esgx_add_c_test(pccs_proto SOURCES ${CMAKE_CURRENT_LIST_DIR}/pccs_proto.c LIBS esgx_proto)
