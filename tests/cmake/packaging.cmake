# Packaging (issue 5, SPEC §8): the release build recipe, the .deb, the man
# page and the Dockerfile examples, driven by the scripts in
# tests/packaging/. Each exits 77 (skipped) with the reason when it cannot
# run here; the slow ones (two release builds each, container images) also
# skip when STEWARD_SKIP_SLOW=1, as the sanitizer pass of tests/run.sh sets.
# They install what they miss (cross compiler, qemu, podman) when root.
set(STEWARD_PACKAGING_TESTS ${CMAKE_CURRENT_SOURCE_DIR}/packaging)
# Downloads kept between runs (Debian's arm64 busybox for the qemu test).
set(STEWARD_PACKAGING_CACHE ${CMAKE_BINARY_DIR}/packaging-cache)

# The man page lists every option and variable of --help, and only those.
add_test(NAME Packaging.ManPageMatchesHelp
         COMMAND ${STEWARD_PACKAGING_TESTS}/man_help_test.sh $<TARGET_FILE:steward>
                 ${CMAKE_SOURCE_DIR}/packaging/steward.8)

# The .deb: reproducible, installs with dpkg -x, runs, renders its man
# page, lintian-clean when lintian is installed.
add_test(NAME Packaging.DebInstallsAndRuns
         COMMAND ${STEWARD_PACKAGING_TESTS}/deb_test.sh $<TARGET_FILE:steward>)

# Two release builds (packaging/build.sh) from two copies of the tree give
# the same sha256. arm64: cross-built, then run under qemu-aarch64-static.
# The lock keeps the two double builds from competing for the same cores.
add_test(NAME Packaging.ReproducibleBuildAmd64
         COMMAND ${STEWARD_PACKAGING_TESTS}/repro_test.sh --arch amd64
                 --source ${CMAKE_SOURCE_DIR} --exclude ${CMAKE_BINARY_DIR}
                 --cache ${STEWARD_PACKAGING_CACHE})
add_test(NAME Packaging.ReproducibleBuildArm64AndQemuSmoke
         COMMAND ${STEWARD_PACKAGING_TESTS}/repro_test.sh --arch arm64
                 --source ${CMAKE_SOURCE_DIR} --exclude ${CMAKE_BINARY_DIR}
                 --cache ${STEWARD_PACKAGING_CACHE} --amd64 $<TARGET_FILE:steward>)
set_tests_properties(Packaging.ReproducibleBuildAmd64 Packaging.ReproducibleBuildArm64AndQemuSmoke
  PROPERTIES RESOURCE_LOCK steward_release_build TIMEOUT 1200)

# docs/MIGRATING.md's supervisord Dockerfile, built as written: checked at
# build time with --check --allow-unset, run with and without its variable.
add_test(NAME Packaging.MigratingDockerfile
         COMMAND ${STEWARD_PACKAGING_TESTS}/migrating_test.sh $<TARGET_FILE:steward>)
set_tests_properties(Packaging.MigratingDockerfile PROPERTIES
  LABELS packaging SKIP_RETURN_CODE 77 TIMEOUT 600)

# packaging/docker/: Dockerfile.scratch and Dockerfile.layered built and
# run with podman; Dockerfile.debian and .services too with
# STEWARD_TEST_DEBOOTSTRAP=1 (debootstrap of the base image).
add_test(NAME Packaging.DockerfileExamples
         COMMAND ${STEWARD_PACKAGING_TESTS}/podman_test.sh $<TARGET_FILE:steward>)
set_tests_properties(Packaging.DockerfileExamples PROPERTIES TIMEOUT 900)

set_tests_properties(Packaging.ManPageMatchesHelp Packaging.DebInstallsAndRuns
  Packaging.ReproducibleBuildAmd64 Packaging.ReproducibleBuildArm64AndQemuSmoke
  Packaging.DockerfileExamples
  PROPERTIES LABELS packaging SKIP_RETURN_CODE 77)
set_tests_properties(Packaging.ManPageMatchesHelp Packaging.DebInstallsAndRuns
  PROPERTIES TIMEOUT 300)

# The release binary's layout (packaging/hot-text.list): the code it runs
# together, so that less than half of the binary is resident when idle.
add_test(NAME Packaging.HotCodeLaidOutTogether
         COMMAND ${STEWARD_PACKAGING_TESTS}/layout_test.sh $<TARGET_FILE:steward>
                 ${CMAKE_BINARY_DIR}/steward.map ${CMAKE_SOURCE_DIR}/packaging/hot-text.list
                 "${STEWARD_COMPILER}")
set_tests_properties(Packaging.HotCodeLaidOutTogether PROPERTIES
  LABELS packaging SKIP_RETURN_CODE 77 TIMEOUT 60)

# Every test that builds or runs with podman holds one lock: two podman
# builds at once under ctest -j race in podman's image store ("layer not
# known").
set_tests_properties(Container.PodmanStopIsOrderedAndGraceful Container.KubePlayPodConfigMapProbesGrace
  Container.KubeConfigMapLiveUpdate Container.ReadmeDockerfileOnEveryBaseImage
  Packaging.MigratingDockerfile Packaging.DockerfileExamples
  PROPERTIES RESOURCE_LOCK podman)
