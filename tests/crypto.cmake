# Crypto interop and CLI tests of helper H2 (prefix crypto_). Included by CMakeLists.txt.
find_package(PkgConfig REQUIRED)
pkg_check_modules(JANSSON REQUIRED IMPORTED_TARGET jansson)

# test-only tool that exposes lib/crypto to the JavaScript tests
add_executable(crypto_tool ${CMAKE_CURRENT_SOURCE_DIR}/crypto_tool.c)
target_link_libraries(crypto_tool PRIVATE esgx_crypto PkgConfig::JANSSON)

# live interop on fresh random keys against eciesjs, @scure/bip32, @noble/curves/hashes
esgx_add_script_test(crypto_js_interop node ${CMAKE_CURRENT_SOURCE_DIR}/js/crypto_interop.mjs)
# `esgx encrypt` output checked with eciesjs and @scure/bip32
esgx_add_script_test(crypto_js_cli node ${CMAKE_CURRENT_SOURCE_DIR}/js/crypto_cli.mjs)
# `esgx encrypt` usage, exit codes and error messages
esgx_add_script_test(crypto_cli_usage sh ${CMAKE_CURRENT_SOURCE_DIR}/crypto_cli.sh)
