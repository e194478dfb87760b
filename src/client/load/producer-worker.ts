// The body of a producer thread (producer-thread.ts): posts its clock's
// origin, then produces until its options' limits or until terminated.
import { performance } from 'node:perf_hooks';
import { parentPort, workerData } from 'node:worker_threads';
import { produceLoad, type ProducerLoadOptions } from './producer.js';

// Stamps are µs on this thread's clock; the main thread adds this origin.
parentPort!.postMessage(performance.timeOrigin);
await produceLoad(workerData as ProducerLoadOptions);
