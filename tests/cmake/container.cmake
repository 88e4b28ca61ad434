# Container engine end to end (issue 3): steward as ENTRYPOINT of a
# FROM scratch image, stopped by `podman stop`. Skips (77) where no
# container can run.
add_test(NAME Container.PodmanStopIsOrderedAndGraceful
         COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/container/podman_stop.sh $<TARGET_FILE:steward>)
set_tests_properties(Container.PodmanStopIsOrderedAndGraceful PROPERTIES
  LABELS container SKIP_RETURN_CODE 77 TIMEOUT 300)

# The real Docker engine (issue 12): Debian's docker.io, a dockerd of the
# tests' own under a temporary directory (tests/container/docker_engine.sh),
# started by the fixture's setup and stopped by its pid in the cleanup.
# Each case skips (77) with the reason when no engine could start. The
# whole set takes well under two minutes.
set(STEWARD_DOCKER_STATE ${CMAKE_BINARY_DIR}/docker-engine.state)
add_test(NAME Container.DockerEngineStart
         COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/container/docker_engine.sh start
                 ${STEWARD_DOCKER_STATE} $<TARGET_FILE:steward>)
add_test(NAME Container.DockerEngineStop
         COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/container/docker_engine.sh stop ${STEWARD_DOCKER_STATE})
set_tests_properties(Container.DockerEngineStart PROPERTIES FIXTURES_SETUP docker_engine)
set_tests_properties(Container.DockerEngineStop PROPERTIES FIXTURES_CLEANUP docker_engine)
set(STEWARD_DOCKER_CASES
  Dockerfiles:dockerfiles HealthcheckCtlHealth:health StopIsOrderedAndGraceful:stop
  RunItJobControlAndCtrlC:tty ReadOnlyRootWithTmpfsRun:readonly ExitCodes:exitcodes
  InitPathDropInForDockerInit:init StopWithCollectorDown:collectordown
  StopBudgetShortensALongGrace:budget NonRootUserWithFileSinks:user)
foreach(c ${STEWARD_DOCKER_CASES})
  string(REPLACE ":" ";" parts ${c})
  list(GET parts 0 name)
  list(GET parts 1 arg)
  add_test(NAME Container.Docker${name}
           COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/container/docker_test.sh ${arg}
                   $<TARGET_FILE:steward> ${STEWARD_DOCKER_STATE})
  set_tests_properties(Container.Docker${name} PROPERTIES
    FIXTURES_REQUIRED docker_engine RESOURCE_LOCK docker_engine TIMEOUT 300)
endforeach()
set_tests_properties(Container.DockerEngineStart Container.DockerEngineStop PROPERTIES TIMEOUT 120)
set(docker_tests Container.DockerEngineStart Container.DockerEngineStop)
foreach(c ${STEWARD_DOCKER_CASES})
  string(REPLACE ":" ";" parts ${c})
  list(GET parts 0 name)
  list(APPEND docker_tests Container.Docker${name})
endforeach()
set_tests_properties(${docker_tests} PROPERTIES LABELS "container;docker" SKIP_RETURN_CODE 77)

# Kubernetes (issue 12): examples/kubernetes/pod.yaml by `podman kube play`
# (ConfigMap as configuration volume, probes, grace period), and a
# ConfigMap changed the kubelet's way (`..data` swap), which skips until
# steward has the watched configuration volume (issue 9).
add_test(NAME Container.KubePlayPodConfigMapProbesGrace
         COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/container/kube_test.sh $<TARGET_FILE:steward>)
add_test(NAME Container.KubeConfigMapLiveUpdate
         COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/container/kube_update_test.sh $<TARGET_FILE:steward>)
set_tests_properties(Container.KubePlayPodConfigMapProbesGrace Container.KubeConfigMapLiveUpdate
  PROPERTIES LABELS "container;kubernetes" SKIP_RETURN_CODE 77 TIMEOUT 300)

# README's Dockerfile as written (issue 24), on a base whose /etc/services
# is netbase's file and on a bare FROM scratch one.
add_test(NAME Container.ReadmeDockerfileOnEveryBaseImage
         COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/container/readme_dockerfile_test.sh $<TARGET_FILE:steward>)
set_tests_properties(Container.ReadmeDockerfileOnEveryBaseImage PROPERTIES
  LABELS container SKIP_RETURN_CODE 77 TIMEOUT 300)
