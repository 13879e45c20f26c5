# Sourced by scripts/fuzz.sh and tests/fuzz/replay.sh: the seed inputs of each harness, as paths
# relative to the source tree (files or folders). The seeds are the shipped files.
fuzz_seeds() {
  case "$1" in
    network) echo workloads ;;
    arch) echo configs ;;
    scalesim_topology) echo tests/data/scalesim/mobilenet.csv tests/data/scalesim/Resnet18.csv \
      tests/data/scalesim/gpt2_mnk.csv ;;
    scalesim_cfg) echo tests/data/scalesim/scale.cfg ;;
    program) echo fuzz/seeds/program ;;
    run) echo workloads/tiny_chain.yaml workloads/tiny_dag.yaml fuzz/seeds/run ;;
    *) return 1 ;;
  esac
}
