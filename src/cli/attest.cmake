target_link_libraries(esgx PRIVATE esgx_attest)
