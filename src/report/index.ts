// Public entry point of the aging-study report generator.
export type { StudyResult, StudyMeta, PolicyResult, PolicySeries, PolicySummary, PolicyInstruments, ReportTable, StudyReading } from "./types.js";
export { lineChart, type ChartSeries, type LineChartOptions } from "./svg.js";
export { renderHtml, policyColor } from "./html.js";
export { summaryTable, summaryRows, summarize, SUMMARY_HEADER } from "./table.js";
export { writeReport, type ReportPaths } from "./write.js";
export { studyText } from "./text.js";
export { formatNumber, formatSeconds } from "./format.js";
