# The build's own rules: the include check of cmake/folders.cmake refuses
# each kind of wrong include and passes the tree as it is.
add_test(NAME Build.IncludeRulesRefuseAWrongDirection
         COMMAND ${CMAKE_COMMAND} -DSOURCE_DIR=${CMAKE_SOURCE_DIR}
                 -DWORK_DIR=${CMAKE_CURRENT_BINARY_DIR}/include-rules
                 -P ${CMAKE_CURRENT_SOURCE_DIR}/build/include_rules_test.cmake)
set_tests_properties(Build.IncludeRulesRefuseAWrongDirection PROPERTIES LABELS unit)

# Every path and code name that the docs put in `code` exists in the tree.
add_test(NAME Build.DocsNameOnlyWhatExists
         COMMAND python3 ${CMAKE_CURRENT_SOURCE_DIR}/build/docs_names_test.py ${CMAKE_SOURCE_DIR})
set_tests_properties(Build.DocsNameOnlyWhatExists PROPERTIES LABELS unit)

# The release layout: the linker script made from packaging/hot-text.list,
# and the check after the link that fails when under 90 % was laid out.
add_test(NAME Build.HotTextListBecomesTheLayoutAndIsChecked
         COMMAND ${CMAKE_COMMAND} -DSOURCE_DIR=${CMAKE_SOURCE_DIR}
                 -DWORK_DIR=${CMAKE_CURRENT_BINARY_DIR}/hot-text
                 -P ${CMAKE_CURRENT_SOURCE_DIR}/build/hot_text_test.cmake)
set_tests_properties(Build.HotTextListBecomesTheLayoutAndIsChecked PROPERTIES LABELS unit)
