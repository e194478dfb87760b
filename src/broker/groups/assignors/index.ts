// The server-side assignors a consumer group may name (group.consumer.assignors
// picks which are offered, the first being the default), by name.
import { rangeAssignor } from './range.js';
import type { ServerAssignor } from './types.js';
import { uniformAssignor } from './uniform.js';

export const SERVER_ASSIGNORS: ReadonlyMap<string, ServerAssignor> = new Map([uniformAssignor, rangeAssignor].map((a) => [a.name, a]));

export type { AssignorInput, AssignorMember, ServerAssignor } from './types.js';
export { rangeAssignor, uniformAssignor };
