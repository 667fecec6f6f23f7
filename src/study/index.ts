// The aging study as a library: the same storage load under each depot
// policy on the virtual clock (src/sim/), assembled for the report
// (src/report/). `iova aging` (src/cli/aging.ts) is its command line.
export { STUDY_DEFAULTS, planStudy, type StudyOptions, type StudyPlan } from "./options.js";
export { runStudy, runStudyParallel, runStudyToDir, CALIBRATION_POLICY, type Study, type StudyPolicyResult, type PolicyEngineInfo } from "./run.js";
export { verdict, tenth, outcomeOf, FALL, type Outcome } from "./verdict.js";
export { calibrationValues, calibrationTable, type CalibrationValues } from "./calibration.js";
export { compressionOf, compressionLines, FAITHFUL_SECONDS, type CompressionItem } from "./compression.js";
export { THREAD_OBSERVED, THREAD_SYSTEM, SOURCES, type ThreadParameter } from "./thread.js";
export { ABLATIONS, BASELINE, runAblations, ablationRecords, ablationTables, ablationLegend, type Ablation, type AblationRun, type AblationRecord, type AblationFigures } from "./ablations.js";
export { THREAD_COST_ROWS, threadCosts, type CostRow } from "./costs.js";
