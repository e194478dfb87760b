// The bench's producer, on its own thread: kafkajs decoding on the main
// thread must not delay sends, or latency measured from the intended send
// time would count the consumer's own CPU as broker latency.
import { performance } from 'node:perf_hooks';
import { parentPort, workerData } from 'node:worker_threads';
import { produceLoad, type ProducerLoadOptions } from '../../src/client/load/producer.js';

// Stamps are µs on this thread's clock; the main thread adds this origin.
parentPort!.postMessage(performance.timeOrigin);
// The main thread ends this thread once it has measured enough.
await produceLoad(workerData as ProducerLoadOptions);
