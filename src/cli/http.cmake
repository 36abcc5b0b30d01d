# CLI commands that talk to a node (owner: H10): login, functions, invoke, verify use
# libcurl through cli_http.c.
pkg_check_modules(CURL REQUIRED IMPORTED_TARGET libcurl)
target_link_libraries(esgx PRIVATE PkgConfig::CURL)
