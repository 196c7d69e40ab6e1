# Test tiers. Every test carries exactly one ctest label:
#   quick        unit tests and short end-to-end runs of the binary (the whole tier: about 3 minutes
#                on 2 cores with ctest -j2)
#   slow         fuzzing, kill/resume loops, sweeps, the Slurm cluster, the benchmark's quick mode,
#                the Python checks, and one reduced model system per phenomenon
#   calibration  shipped configs run as shipped, asserting their published signatures (hours;
#                scripts/test.sh calibration, before resolving a change to a model system or config)
# A GoogleTest test is quick unless its full name matches a pattern below. The seconds are what
# each took here (2-core AMD EPYC, AVX2, under ctest -j2); see docs/architecture.md. COST starts
# the slow tests first on a clean checkout (later runs use the times ctest measured), so that no
# long test starts last.
set(PHENOM_SLOW_TESTS
  Kills.*                                                      # kill -9 loops: 13-85 s
  Fuzz.*                                                       # 6 s
  Sweep.RunsTheGridOnceThenOnlyWhatIsNotDone                   # 29 s
  Sweep.AFailingJobDoesNotStopTheOthersUnlessFailFast          # 18 s
  Sweep.InterruptedSweepResumesWithoutRedoingFinishedJobs      # 11 s
  Durability.AFullDiskStopsTheRunAndTheSameCommandFinishesItExactly  # 23 s
  Durability.OverflowUnderMseEndsAsDivergedWithTheHint        # 10 s
  Durability.DuplicateSweepGridPointsAreOneJob                 # 9 s
  Durability.FreshNeverClearsALiveRunOrADirectoryPhenomDidNotCreate  # 8 s
  Cli.InterruptedRunsNeverAbort                                # 12 s
  IclRegressionTask.KilledRunResumesToByteIdenticalMetrics     # 22 s
  ImpProtocol.KilledProtocolResumesToIdenticalRounds           # 24 s
  ImpProtocol.RoundsRewindHoldTheirMasksAndReport              # 19 s
  ImpProtocol.LmcRoundsAndPrunableLayers                       # 18 s
  LinearModeConnectivity.CopiesFromTheRewindPointAndThePathBetweenThem  # 15 s
  Preflight.EveryShippedConfigPassesAndTheGeneratorIsUnchanged # 15 s
  Configs.EveryShippedConfigValidates                          # 25 s
  Analyze.InstrumentsOnEveryCheckpointHashedResumableAndApartFromTheRun  # 12 s
  Ablation.PerHeadAndResample                                  # 9 s
  Cka.SeedsOfTheGrokkingMlpGrowAlikeAfterGrokking              # 26 s
  Cka.AgainstAReferenceCheckpointOfThisOrAnotherRun            # 10 s
  Cka.AcrossEveryCheckpointAndAmongRuns                        # 8 s
  Sae.RecoversAKnownDictionary                                 # 47 s
  Sae.AnalyzesARunAndSavesSaelensLayout                        # 7 s
  SaeRun.*                                                     # 6-8 s each
  IclBaselines.PoolPosteriorMeanLimits                         # 46 s (Monte Carlo)
  AnalysisDurability.*                                         # analyses after kills, torn rows, locks
  Fresh.*                                                      # --fresh keeps the user's files
  Provenance.*                                                 # edited specs, diverged sources, signals
  # Reduced phenomenon checks (a model system sized to its assertion):
  Configs/GrokkingConfig.*                                     # the grokking MLP configs as shipped: 9-16 s
  IclRegressionTask.ShortRunBeatsAveraging                     # 7 s
  FashionMnistData.RandomFeaturesDoubleDescentPeaksAtTheInterpolationThreshold  # 31 s
  FashionMnistData.RandomLabelsAreFittedButTestAccuracyIsChance  # 10 s
  Reduced*.*                                                   # edge of stability, sharp/flat minima, key frequencies
)
# Slow tests that keep both cores busy on their own (two threads, or two jobs): run alone, since
# sharing two cores between two such tests made each 2-6x slower (OpenMP and OpenBLAS threads spin
# while they wait). Seconds alone, wall.
set(PHENOM_WHOLE_MACHINE_TESTS
  Sae.RecoversAKnownDictionary                                 # 23 s
  IclBaselines.PoolPosteriorMeanLimits                         # 40 s
  Sweep.RunsTheGridOnceThenOnlyWhatIsNotDone                   # 29 s
  FashionMnistData.RandomFeaturesDoubleDescentPeaksAtTheInterpolationThreshold  # 25 s
  ReducedEdgeOfStability.PlateauFollowsTwoOverLr               # 13 s
  ReducedSharpFlat.*                                           # 23 s
  ReducedKeyFrequencies.*                                      # 23 s
)
set(PHENOM_CALIBRATION_TESTS
  Configs.EdgeOfStabilityMeetsItsExpectations                  # 50 s alone, 158 s under -j2
  Configs.EdgeOfStabilityPlateauFollowsTwoOverLr               # 6.4 min alone for 3 seeds; seed 0: 158 s under -j2
  Configs.BatchSizeSamSweepShowsSharpAndFlatMinima             # 93 s under -j2
  KeyFrequencies.*                                             # 124 s under -j2
)
# Shipped configs that a calibration test above already runs as shipped (with more assertions).
set(PHENOM_CALIBRATED_BY_A_TEST sharpness/edge_of_stability.yaml sharpness/eos_lr_sweep.yaml)

# Two tests share the two cores under ctest -j2, and each phenom they start runs OpenMP threads that
# spin while they wait for work: four spinning threads on two cores made a pair of grokking-config
# tests take 18 s instead of 7 s. Idle threads sleep instead (the OpenMP standard's switch; no
# number changes). Calibration tests run one at a time and keep the default.
set(PHENOM_TEST_ENV OMP_WAIT_POLICY=PASSIVE)

list(JOIN PHENOM_SLOW_TESTS ":" phenom_slow)
list(JOIN PHENOM_CALIBRATION_TESTS ":" phenom_calibration)
list(JOIN PHENOM_WHOLE_MACHINE_TESTS ":" phenom_whole_machine)
gtest_discover_tests(phenom_tests TEST_FILTER "-${phenom_slow}:${phenom_calibration}" DISCOVERY_TIMEOUT 60
                     PROPERTIES LABELS quick TIMEOUT 300 ENVIRONMENT ${PHENOM_TEST_ENV})
gtest_discover_tests(phenom_tests TEST_FILTER "${phenom_slow}-${phenom_whole_machine}" DISCOVERY_TIMEOUT 60
                     PROPERTIES LABELS slow TIMEOUT 900 COST 10 ENVIRONMENT ${PHENOM_TEST_ENV})
gtest_discover_tests(phenom_tests TEST_FILTER "${phenom_whole_machine}" DISCOVERY_TIMEOUT 60
                     PROPERTIES LABELS slow TIMEOUT 900 PROCESSORS 2 COST 20
                                ENVIRONMENT ${PHENOM_TEST_ENV})
gtest_discover_tests(phenom_tests TEST_FILTER "${phenom_calibration}" DISCOVERY_TIMEOUT 60
                     PROPERTIES LABELS calibration TIMEOUT 3600 RUN_SERIAL TRUE)

# Every other shipped config, run as shipped: each must meet its own `expect:` block (exit 0).
file(GLOB_RECURSE phenom_configs RELATIVE ${CMAKE_SOURCE_DIR}/configs CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/configs/*.yaml)
list(REMOVE_ITEM phenom_configs ${PHENOM_CALIBRATED_BY_A_TEST})
foreach(config ${phenom_configs})
  string(REGEX REPLACE "\\.yaml$" "" name ${config})
  add_test(NAME Calibration.${name}
           COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/calibration/run_config.sh $<TARGET_FILE:phenom>
                   ${CMAKE_SOURCE_DIR}/configs/${config})
  set_tests_properties(Calibration.${name} PROPERTIES LABELS calibration TIMEOUT 10800 RUN_SERIAL TRUE)
endforeach()
