# Shared by the Kubernetes tests (sourced): podman as the kubelet.
# podman needs runc on this host (crun refuses hybrid cgroups) and larger
# default rlimits than `podman kube play` lets one pass (--ulimit is not
# one of its options): a containers.conf of the test's own gives them.
kube_setup() {  # kube_setup WORKDIR
  local work=$1
  command -v podman >/dev/null || skip "podman is not installed"
  case "$(file -b "$steward")" in
    *statically\ linked*|*static-pie\ linked*) ;;
    *) skip "$steward is not a static binary (sanitizer build?); the image needs the release build" ;;
  esac
  printf '[containers]\ndefault_ulimits = ["nofile=20000:20000", "nproc=4096:4096"]\n' \
    >"$work/containers.conf"
  export CONTAINERS_CONF=$work/containers.conf
  runtime=()
  command -v runc >/dev/null && runtime=(--runtime runc)
  return 0
}
