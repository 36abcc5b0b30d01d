# The rules of the tree: esgx_ symbols only, esgx_*.h public headers, no brief cited.
esgx_add_script_test(tree_rules bash ${CMAKE_CURRENT_SOURCE_DIR}/tree_rules.sh)
