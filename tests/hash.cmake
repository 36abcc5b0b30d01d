# `esgx hash` end-to-end against b3sum (owner: H1).
esgx_add_script_test(hash_cli bash ${CMAKE_CURRENT_SOURCE_DIR}/hash_cli.sh)
