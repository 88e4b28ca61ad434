# Container engine end to end (issue 3): steward as ENTRYPOINT of a
# FROM scratch image, stopped by `podman stop`. Skips (77) where no
# container can run.
add_test(NAME Container.PodmanStopIsOrderedAndGraceful
         COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/container/podman_stop.sh $<TARGET_FILE:steward>)
set_tests_properties(Container.PodmanStopIsOrderedAndGraceful PROPERTIES
  LABELS container SKIP_RETURN_CODE 77 TIMEOUT 300)
