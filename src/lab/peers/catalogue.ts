import type { SystemSpec } from './systems.js';
export const CATALOGUE: SystemSpec[] = [];
