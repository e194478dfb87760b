// One seed per test file, printed, and given back by MQLAB_SEED to replay a
// failure; each use draws from its own named stream (src/lab/random.ts).
import { freshSeed, seededRandom, type Random } from '../../src/lab/random.js';

export function testRandom(file: string, stream = 'default'): Random {
  const seed = process.env.MQLAB_SEED ? Number(process.env.MQLAB_SEED) : freshSeed();
  console.log(`${file}: seed ${seed} (MQLAB_SEED=${seed} replays it)`);
  return seededRandom(seed, stream);
}
