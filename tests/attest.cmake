# esgx attest / esgx sim through the real binary (owner: lib/attest helper).
esgx_add_script_test(attest_cli bash ${CMAKE_CURRENT_SOURCE_DIR}/attest_cli.sh)
