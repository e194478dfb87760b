// The lab's report writer: one run as HTML, two runs compared, files on disk.
export { renderReport } from './render.js';
export { renderComparison } from './compare.js';
export { writeReport, loadRun, validateRun, runStamp, type WrittenReport } from './write.js';
export { sampleRun } from './sample.js';
